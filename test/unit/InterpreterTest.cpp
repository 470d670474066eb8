#include "wse/Interpreter/Interpreter.h"
#include "wse/WseDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir;
using wsert::HostTensor;

namespace {

class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest() {
    registry.insert<wse::WseDialect, func::FuncDialect>();
    ctx = std::make_unique<MLIRContext>(registry);
  }
  std::vector<HostTensor> run(const char *src, std::vector<HostTensor> args) {
    module = parseSourceString<ModuleOp>(src, ctx.get());
    EXPECT_TRUE(module);
    auto fn = *module->getOps<func::FuncOp>().begin();
    auto out = wse::interpret(fn, args);
    EXPECT_TRUE(succeeded(out));
    return succeeded(out) ? *out : std::vector<HostTensor>{};
  }
  static HostTensor floats(std::vector<int64_t> shape, std::vector<float> v) {
    HostTensor t = HostTensor::floats(shape);
    t.f = v;
    return t;
  }
  DialectRegistry registry;
  std::unique_ptr<MLIRContext> ctx;
  OwningOpRef<ModuleOp> module;
};

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

} // namespace
