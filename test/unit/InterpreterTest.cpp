// The reference interpreter: basics, errors and host-side conversions.
#include "InterpreterTestFixture.h"

using namespace mlir;
using namespace wsetest;
using wsert::HostTensor;

namespace {

TEST_F(InterpreterTest, GemmWithTransposeAndBias) {
  auto r = run(R"(
    func.func @f(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>, %b: tensor<2xf32>) -> tensor<2x2xf32> {
      %0 = wse.matmul %x, %w, %b {transpose_b = true, alpha = 2.0 : f32}
          : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32>
      return %0 : tensor<2x2xf32>
    })",
               {floats({2, 3}, {1, 2, 3, 4, 5, 6}),
                floats({2, 3}, {1, 0, 1, 0, 1, 0}), floats({2}, {10, 20})});
  // x w^T = [[4, 2], [10, 5]]; * 2 + b.
  EXPECT_EQ(r[0].f, (std::vector<float>{18, 24, 30, 30}));
}

TEST_F(InterpreterTest, BroadcastingAndReductions) {
  auto r = run(R"(
    func.func @f(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>, tensor<2x1xf32>) {
      %0 = wse.sub %a, %b : tensor<2x3xf32>, tensor<3xf32>
      %1 = wse.reduce_sum %0 {axes = array<i64: 0>} : tensor<2x3xf32>
      %2 = wse.reduce_sum %0 {axes = array<i64: 1>, keep_dims = true} : tensor<2x3xf32>
      return %0, %1, %2 : tensor<2x3xf32>, tensor<3xf32>, tensor<2x1xf32>
    })",
               {floats({2, 3}, {1, 2, 3, 4, 5, 6}), floats({3}, {1, 1, 2})});
  EXPECT_EQ(r[0].f, (std::vector<float>{0, 1, 1, 3, 4, 4}));
  EXPECT_EQ(r[1].f, (std::vector<float>{3, 5, 5}));
  EXPECT_EQ(r[2].f, (std::vector<float>{2, 11}));
  EXPECT_EQ(r[2].shape, (std::vector<int64_t>{2, 1}));
}

TEST_F(InterpreterTest, ReluAndItsGradient) {
  auto r = run(R"(
    func.func @f(%x: tensor<4xf32>, %g: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
      %0 = wse.relu %x : tensor<4xf32>
      %1 = wse.relu_grad %g, %x : tensor<4xf32>
      return %0, %1 : tensor<4xf32>, tensor<4xf32>
    })",
               {floats({4}, {-1, 0, 2, 3}), floats({4}, {5, 6, 7, 8})});
  EXPECT_EQ(r[0].f, (std::vector<float>{0, 0, 2, 3}));
  EXPECT_EQ(r[1].f, (std::vector<float>{0, 0, 7, 8}));
}

TEST_F(InterpreterTest, SoftmaxCrossEntropyAndGradient) {
  HostTensor labels = HostTensor::ints({2});
  labels.i = {0, 2};
  auto r = run(R"(
    func.func @f(%l: tensor<2x3xf32>, %y: tensor<2xi64>) -> (tensor<f32>, tensor<2x3xf32>) {
      %0 = wse.softmax_cross_entropy %l, %y : tensor<2x3xf32>, tensor<2xi64>
      %one = wse.constant dense<1.0> : tensor<f32>
      %1 = wse.softmax_cross_entropy_grad %l, %y, %one : tensor<2x3xf32>, tensor<2xi64>, tensor<f32>
      return %0, %1 : tensor<f32>, tensor<2x3xf32>
    })",
               {floats({2, 3}, {0, 0, 0, 1, 2, 3}), labels});
  double lse2 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  double expect = (std::log(3.0) + (lse2 - 3.0)) / 2.0;
  EXPECT_NEAR(r[0].f[0], expect, 1e-6);
  EXPECT_NEAR(r[1].f[0], (1.0 / 3 - 1) / 2, 1e-7);
  EXPECT_NEAR(r[1].f[1], (1.0 / 3) / 2, 1e-7);
  double p5 = std::exp(3.0 - lse2);
  EXPECT_NEAR(r[1].f[5], (p5 - 1) / 2, 1e-7);
}

TEST_F(InterpreterTest, SgdUpdate) {
  auto r = run(R"(
    func.func @f(%p: tensor<2xf32>, %g: tensor<2xf32>) -> tensor<2xf32> {
      %0 = wse.sgd_update %p, %g {lr = 0.5 : f32} : tensor<2xf32>
      return %0 : tensor<2xf32>
    })",
               {floats({2}, {1, 2}), floats({2}, {2, -2})});
  EXPECT_EQ(r[0].f, (std::vector<float>{0, 3}));
}

TEST_F(InterpreterTest, WrongArgumentShapeIsAnError) {
  module = parseSourceString<ModuleOp>(R"(
    func.func @f(%p: tensor<2xf32>) -> tensor<2xf32> {
      return %p : tensor<2xf32>
    })",
                                       ctx.get());
  ctx->getDiagEngine().registerHandler([](Diagnostic &) { return success(); });
  auto fn = *module->getOps<func::FuncOp>().begin();
  EXPECT_TRUE(failed(wse::interpret(fn, {HostTensor::floats({3})})));
}


//===----------------------------------------------------------------------===//
// Errors and host-side conversions
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, UnknownOpIsALocatedError) {
  std::string msg = runError(R"(
    func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
      %0 = func.call @g(%x) : (tensor<2xf32>) -> tensor<2xf32>
      return %0 : tensor<2xf32>
    }
    func.func @g(%x: tensor<2xf32>) -> tensor<2xf32> {
      return %x : tensor<2xf32>
    })",
                             {floats({2}, {1, 2})});
  EXPECT_NE(msg.find("cannot run 'func.call'"), std::string::npos) << msg;
}

TEST_F(InterpreterTest, MaskArgumentsAreNormalized) {
  // An i1 argument given as integers is a mask: non-zero is true.
  auto r = run(R"(
    func.func @f(%m: tensor<3xi1>) -> tensor<3xi1> {
      %0 = wse.not %m : tensor<3xi1>
      return %0 : tensor<3xi1>
    })",
               {ints({3}, {0, 2, -1})});
  EXPECT_EQ(r[0].i, (I{1, 0, 0}));
}

TEST(HostTensorNpy, IntegerKindsRoundTrip) {
  HostTensor t = HostTensor::ints({3});
  t.i = {1, 0, 5};
  wsert::NpyArray b = wsert::tensorToNpy(t, wsert::NpyDType::Bool);
  EXPECT_EQ(b.dtype, wsert::NpyDType::Bool);
  EXPECT_EQ(b.data, (std::vector<uint8_t>{1, 0, 1}));
  t.i = {-1, 4294967298LL, 7};
  wsert::NpyArray i32 = wsert::tensorToNpy(t, wsert::NpyDType::I32);
  EXPECT_EQ(i32.dtype, wsert::NpyDType::I32);
  ASSERT_EQ(i32.data.size(), 12u);
  int32_t v[3];
  std::memcpy(v, i32.data.data(), 12);
  EXPECT_EQ(v[0], -1);
  EXPECT_EQ(v[1], 2);
  EXPECT_EQ(v[2], 7);
  EXPECT_EQ(wsert::tensorToNpy(t).dtype, wsert::NpyDType::I64);
  EXPECT_EQ(wsert::tensorToNpy(HostTensor::floats({2})).dtype,
            wsert::NpyDType::F32);

  // A bool .npy feeds an i1 input, whole or one slice per step.
  wsert::NpyArray mask;
  mask.dtype = wsert::NpyDType::Bool;
  mask.shape = {2, 2};
  mask.data = {1, 0, 0, 1};
  HostTensor arr = wsert::tensorFromNpy(mask), out;
  EXPECT_EQ(wsert::inputForStep(arr, "m", {2, 2}, true, 0, 1, out,
                                wsert::NpyDType::Bool),
            "");
  EXPECT_EQ(out.i, (I{1, 0, 0, 1}));
  EXPECT_EQ(wsert::inputForStep(arr, "m", {2}, true, 1, 2, out,
                                wsert::NpyDType::Bool),
            "");
  EXPECT_EQ(out.i, (I{0, 1}));
  std::string err = wsert::inputForStep(arr, "m", {3}, true, 0, 1, out,
                                        wsert::NpyDType::Bool);
  EXPECT_NE(err.find("should be 3xi1"), std::string::npos) << err;
}

} // namespace
