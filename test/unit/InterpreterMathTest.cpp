// The reference interpreter: elementwise math, logic and reductions.
#include "InterpreterTestFixture.h"

using namespace mlir;
using namespace wsetest;
using wsert::HostTensor;

namespace {

//===----------------------------------------------------------------------===//
// Elementwise math (expected values from torch 32-bit float)
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, UnaryFloatActivations) {
  auto r = run(R"(
    func.func @f(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
      %0 = wse.sigmoid %x : tensor<8xf32>
      %1 = wse.softplus %x : tensor<8xf32>
      %2 = wse.silu %x : tensor<8xf32>
      %3 = wse.gelu %x : tensor<8xf32>
      %4 = wse.gelu %x {approximate = true} : tensor<8xf32>
      %5 = wse.erf %x : tensor<8xf32>
      %6 = wse.tanh %x : tensor<8xf32>
      %7 = wse.elu %x {alpha = 0.5 : f32} : tensor<8xf32>
      %8 = wse.leaky_relu %x {alpha = 0.1 : f32} : tensor<8xf32>
      %9 = wse.sin %x : tensor<8xf32>
      %10 = wse.cos %x : tensor<8xf32>
      %11 = wse.floor %x : tensor<8xf32>
      %12 = wse.ceil %x : tensor<8xf32>
      %13 = wse.relu %x : tensor<8xf32>
      return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
    })",
               {floats({8}, {-3.5, -1, -0.25, 0, 0.5, 2, 30, -30})});
  ASSERT_EQ(r.size(), 14u);
  expectClose(r[0].f, {0.02931223064661026f, 0.2689414322376251f,
                       0.43782350420951843f, 0.5f, 0.622459352016449f,
                       0.8807970285415649f, 1.0f, 9.357623589846195e-14f});
  // Stable softplus: no overflow at 30, no underflow to 0 at -30.
  expectClose(r[1].f, {0.029750417917966843f, 0.3132616877555847f,
                       0.575939416885376f, 0.6931471824645996f,
                       0.9740769863128662f, 2.1269280910491943f, 30.0f,
                       9.357622912219837e-14f});
  expectClose(r[2].f, {-0.10259281098842621f, -0.2689414322376251f,
                       -0.10945587605237961f, 0.0f, 0.3112296760082245f,
                       1.7615940570831299f, 30.0f, -2.807286954981114e-12f});
  expectClose(r[3].f, {-0.0008143335580825806f, -0.1586552858352661f,
                       -0.10032343119382858f, 0.0f, 0.3457311987876892f,
                       1.9544999599456787f, 30.0f, 0.0f});
  expectClose(r[4].f, {-0.0006161481142044067f, -0.15880799293518066f,
                       -0.10032464563846588f, 0.0f, 0.3457140028476715f,
                       1.9545977115631104f, 30.0f, -0.0f});
  expectClose(r[5].f, {-0.9999992847442627f, -0.8427007794380188f,
                       -0.27632638812065125f, 0.0f, 0.5204998850822449f,
                       0.9953222870826721f, 1.0f, -1.0f});
  expectClose(r[6].f, {-0.9981778860092163f, -0.7615941762924194f,
                       -0.24491865932941437f, 0.0f, 0.46211716532707214f,
                       0.9640275835990906f, 1.0f, -1.0f});
  expectClose(r[7].f, {-0.4849013090133667f, -0.31606027483940125f,
                       -0.11059960722923279f, 0.0f, 0.5f, 2.0f, 30.0f, -0.5f});
  expectClose(r[8].f, {-0.35f, -0.1f, -0.025f, 0.0f, 0.5f, 2.0f, 30.0f, -3.0f});
  expectClose(r[9].f, {0.35078322887420654f, -0.8414709568023682f,
                       -0.24740396440029144f, 0.0f, 0.4794255495071411f,
                       0.9092974066734314f, -0.9880316257476807f,
                       0.9880316257476807f});
  expectClose(r[10].f, {-0.9364566802978516f, 0.5403023362159729f,
                        0.9689124226570129f, 1.0f, 0.8775825500488281f,
                        -0.416146844625473f, 0.15425145626068115f,
                        0.15425145626068115f});
  EXPECT_EQ(r[11].f, (F{-4, -1, -1, 0, 0, 2, 30, -30}));
  EXPECT_EQ(r[12].f, (F{-3, -1, 0, 0, 1, 2, 30, -30}));
  EXPECT_EQ(r[13].f, (F{0, 0, 0, 0, 0.5, 2, 30, 0}));
}

TEST_F(InterpreterTest, UnaryFloatMath) {
  auto r = run(R"(
    func.func @f(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
      %0 = wse.exp %x : tensor<4xf32>
      %1 = wse.log %x : tensor<4xf32>
      %2 = wse.sqrt %x : tensor<4xf32>
      %3 = wse.rsqrt %x : tensor<4xf32>
      %4 = wse.reciprocal %x : tensor<4xf32>
      %5 = wse.neg %x : tensor<4xf32>
      %6 = wse.abs %5 : tensor<4xf32>
      return %0, %1, %2, %3, %4, %5, %6 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
    })",
               {floats({4}, {0.25, 1, 2, 9})});
  expectClose(r[0].f, {1.2840255498886108f, 2.7182819843292236f,
                       7.3890557289123535f, 8103.083984375f});
  expectClose(r[1].f, {-1.3862943649291992f, 0.0f, 0.6931471824645996f,
                       2.1972246170043945f});
  expectClose(r[2].f, {0.5f, 1.0f, 1.4142135381698608f, 3.0f});
  expectClose(r[3].f, {2.0f, 1.0f, 0.7071067690849304f, 0.3333333432674408f});
  expectClose(r[4].f, {4.0f, 1.0f, 0.5f, 0.1111111119389534f});
  EXPECT_EQ(r[5].f, (F{-0.25, -1, -2, -9}));
  EXPECT_EQ(r[6].f, (F{0.25, 1, 2, 9}));
}

TEST_F(InterpreterTest, SignNegAbsOnIntsAndFloats) {
  auto r = run(R"(
    func.func @f(%x: tensor<4xi64>, %y: tensor<4xf32>, %z: tensor<2xi32>) -> (tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<4xf32>, tensor<2xi32>, tensor<2xi32>) {
      %0 = wse.neg %x : tensor<4xi64>
      %1 = wse.abs %x : tensor<4xi64>
      %2 = wse.sign %x : tensor<4xi64>
      %3 = wse.sign %y : tensor<4xf32>
      %4 = wse.neg %z : tensor<2xi32>
      %5 = wse.abs %z : tensor<2xi32>
      return %0, %1, %2, %3, %4, %5 : tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<4xf32>, tensor<2xi32>, tensor<2xi32>
    })",
               {ints({4}, {-3, 0, 5, -1}), floats({4}, {-2, 0, 3, kNaN}),
                ints({2}, {-2147483648LL, 7})});
  EXPECT_EQ(r[0].i, (I{3, 0, -5, 1}));
  EXPECT_EQ(r[1].i, (I{3, 0, 5, 1}));
  EXPECT_EQ(r[2].i, (I{-1, 0, 1, -1}));
  expectClose(r[3].f, {-1, 0, 1, kNaN});
  // i32 wraps: -INT32_MIN is INT32_MIN.
  EXPECT_EQ(r[4].i, (I{-2147483648LL, -7}));
  EXPECT_EQ(r[5].i, (I{-2147483648LL, 7}));
}

TEST_F(InterpreterTest, BinaryArithmeticOnInts) {
  auto r = run(R"(
    func.func @f(%a: tensor<4xi64>, %b: tensor<4xi64>, %c: tensor<2xi32>, %d: tensor<i32>) -> (tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>) {
      %0 = wse.div %a, %b : tensor<4xi64>, tensor<4xi64>
      %1 = wse.max %a, %b : tensor<4xi64>, tensor<4xi64>
      %2 = wse.min %a, %b : tensor<4xi64>, tensor<4xi64>
      %3 = wse.add %c, %d : tensor<2xi32>, tensor<i32>
      %4 = wse.mul %c, %c : tensor<2xi32>, tensor<2xi32>
      %5 = wse.sub %d, %c : tensor<i32>, tensor<2xi32>
      return %0, %1, %2, %3, %4, %5 : tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>
    })",
               {ints({4}, {-7, 7, -7, 7}), ints({4}, {2, -2, -2, 2}),
                ints({2}, {2147483647, -5}), ints({}, {1})});
  // Integer division truncates toward zero, as in C and ONNX Div.
  EXPECT_EQ(r[0].i, (I{-3, -3, 3, 3}));
  EXPECT_EQ(r[1].i, (I{2, 7, -2, 7}));
  EXPECT_EQ(r[2].i, (I{-7, -2, -7, 2}));
  // i32 arithmetic wraps at 32 bits.
  EXPECT_EQ(r[3].i, (I{-2147483648LL, -4}));
  EXPECT_EQ(r[4].i, (I{1, 25}));
  EXPECT_EQ(r[5].i, (I{-2147483646LL, 6}));
}

TEST_F(InterpreterTest, BinaryFloatDivPowMaxMin) {
  auto r = run(R"(
    func.func @f(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
      %0 = wse.div %a, %b : tensor<4xf32>, tensor<4xf32>
      %1 = wse.pow %a, %b : tensor<4xf32>, tensor<4xf32>
      %2 = wse.max %a, %b : tensor<4xf32>, tensor<4xf32>
      %3 = wse.min %a, %b : tensor<4xf32>, tensor<4xf32>
      return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
    })",
               {floats({4}, {1, 4, -8, kNaN}), floats({4}, {0, 0.5, 3, 1})});
  expectClose(r[0].f, {kInf, 8, -8.0f / 3.0f, kNaN});
  expectClose(r[1].f, {1, 2, -512, kNaN});
  // NaN propagates through max and min (NumPy, torch, ONNX).
  expectClose(r[2].f, {1, 4, 3, kNaN});
  expectClose(r[3].f, {0, 0.5, -8, kNaN});
}

TEST_F(InterpreterTest, IntegerPow) {
  auto r = run(R"(
    func.func @f(%a: tensor<6xi64>, %b: tensor<6xi64>) -> tensor<6xi64> {
      %0 = wse.pow %a, %b : tensor<6xi64>, tensor<6xi64>
      return %0 : tensor<6xi64>
    })",
               {ints({6}, {2, 3, -2, 5, 1, -1}), ints({6}, {10, 0, 3, -1, -5, -3})});
  EXPECT_EQ(r[0].i, (I{1024, 1, -8, 0, 1, -1}));
}

TEST_F(InterpreterTest, IntegerDivisionByZeroIsALocatedError) {
  std::string msg = runError(R"(
    func.func @f(%a: tensor<2xi64>, %b: tensor<2xi64>) -> tensor<2xi64> {
      %0 = wse.div %a, %b : tensor<2xi64>, tensor<2xi64>
      return %0 : tensor<2xi64>
    })",
                             {ints({2}, {1, 2}), ints({2}, {1, 0})});
  EXPECT_NE(msg.find("division by zero"), std::string::npos) << msg;
}

TEST_F(InterpreterTest, BroadcastingArithmeticAndEmptyTensors) {
  auto r = run(R"(
    func.func @f(%a: tensor<2x1xf32>, %b: tensor<3xf32>, %e: tensor<0x3xf32>) -> (tensor<2x3xf32>, tensor<0x3xf32>) {
      %0 = wse.mul %a, %b : tensor<2x1xf32>, tensor<3xf32>
      %1 = wse.add %e, %b : tensor<0x3xf32>, tensor<3xf32>
      return %0, %1 : tensor<2x3xf32>, tensor<0x3xf32>
    })",
               {floats({2, 1}, {2, -1}), floats({3}, {1, 2, 3}),
                HostTensor::floats({0, 3})});
  EXPECT_EQ(r[0].f, (F{2, 4, 6, -1, -2, -3}));
  EXPECT_EQ(r[1].shape, (I{0, 3}));
  EXPECT_TRUE(r[1].f.empty());
}

TEST_F(InterpreterTest, ClampWithOptionalBounds) {
  auto r = run(R"(
    func.func @f(%x: tensor<4xf32>, %y: tensor<3xi64>, %z: tensor<2xi32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<3xi64>, tensor<2xi32>, tensor<4xf32>) {
      %0 = wse.clamp %x {min = 0.0 : f64, max = 1.0 : f64} : tensor<4xf32>
      %1 = wse.clamp %x {min = -1.0 : f64} : tensor<4xf32>
      %2 = wse.clamp %y {max = 4.0 : f64} : tensor<3xi64>
      %3 = wse.clamp %z {min = -1.0e12 : f64, max = 3.0 : f64} : tensor<2xi32>
      %4 = wse.clamp %x {min = 2.0 : f64, max = 1.0 : f64} : tensor<4xf32>
      return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xf32>, tensor<3xi64>, tensor<2xi32>, tensor<4xf32>
    })",
               {floats({4}, {-2, 0.5, 3, kNaN}), ints({3}, {-5, 3, 10}),
                ints({2}, {-2147483648LL, 7})});
  expectClose(r[0].f, {0, 0.5, 1, kNaN});
  expectClose(r[1].f, {-1, 0.5, 3, kNaN});
  EXPECT_EQ(r[2].i, (I{-5, 3, 4}));
  EXPECT_EQ(r[3].i, (I{-2147483648LL, 3}));
  // min > max gives max everywhere, as torch.clamp and np.clip do.
  expectClose(r[4].f, {1, 1, 1, kNaN});
}

//===----------------------------------------------------------------------===//
// Comparisons, logic, select, cast
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, ComparisonsGiveMasks) {
  auto r = run(R"(
    func.func @f(%a: tensor<2x1xf32>, %b: tensor<3xf32>, %i: tensor<3xi64>, %j: tensor<i64>, %m: tensor<2xi1>, %n: tensor<2xi1>) -> (tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<2xi1>) {
      %0 = wse.less %a, %b : tensor<2x1xf32>, tensor<3xf32>
      %1 = wse.equal %a, %b : tensor<2x1xf32>, tensor<3xf32>
      %2 = wse.greater_equal %a, %b : tensor<2x1xf32>, tensor<3xf32>
      %3 = wse.less_equal %i, %j : tensor<3xi64>, tensor<i64>
      %4 = wse.greater %i, %j : tensor<3xi64>, tensor<i64>
      %5 = wse.equal %m, %n : tensor<2xi1>, tensor<2xi1>
      return %0, %1, %2, %3, %4, %5 : tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<2xi1>
    })",
               {floats({2, 1}, {2, kNaN}), floats({3}, {1, 2, 3}),
                ints({3}, {-1, 0, 1}), ints({}, {0}), ints({2}, {1, 0}),
                ints({2}, {1, 1})});
  // Every comparison with NaN is false.
  EXPECT_EQ(r[0].i, (I{0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(r[1].i, (I{0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(r[2].i, (I{1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(r[3].i, (I{1, 1, 0}));
  EXPECT_EQ(r[4].i, (I{0, 0, 1}));
  EXPECT_EQ(r[5].i, (I{1, 0}));
  EXPECT_TRUE(r[0].isInt);
}

TEST_F(InterpreterTest, LogicOnMasks) {
  auto r = run(R"(
    func.func @f(%a: tensor<2x1xi1>, %b: tensor<2xi1>) -> (tensor<2x2xi1>, tensor<2x2xi1>, tensor<2x2xi1>, tensor<2xi1>) {
      %0 = wse.and %a, %b : tensor<2x1xi1>, tensor<2xi1>
      %1 = wse.or %a, %b : tensor<2x1xi1>, tensor<2xi1>
      %2 = wse.xor %a, %b : tensor<2x1xi1>, tensor<2xi1>
      %3 = wse.not %b : tensor<2xi1>
      return %0, %1, %2, %3 : tensor<2x2xi1>, tensor<2x2xi1>, tensor<2x2xi1>, tensor<2xi1>
    })",
               {ints({2, 1}, {1, 0}), ints({2}, {1, 0})});
  EXPECT_EQ(r[0].i, (I{1, 0, 0, 0}));
  EXPECT_EQ(r[1].i, (I{1, 1, 1, 0}));
  EXPECT_EQ(r[2].i, (I{0, 1, 1, 0}));
  EXPECT_EQ(r[3].i, (I{0, 1}));
}

TEST_F(InterpreterTest, SelectBroadcastsAllThree) {
  auto r = run(R"(
    func.func @f(%c: tensor<2x1xi1>, %a: tensor<3xf32>, %b: tensor<f32>, %x: tensor<1x3xi64>, %y: tensor<2x1xi64>) -> (tensor<2x3xf32>, tensor<2x3xi64>) {
      %0 = wse.select %c, %a, %b : tensor<2x1xi1>, tensor<3xf32>, tensor<f32>
      %1 = wse.select %c, %x, %y : tensor<2x1xi1>, tensor<1x3xi64>, tensor<2x1xi64>
      return %0, %1 : tensor<2x3xf32>, tensor<2x3xi64>
    })",
               {ints({2, 1}, {0, 1}), floats({3}, {1, 2, 3}), floats({}, {-1}),
                ints({1, 3}, {7, 8, 9}), ints({2, 1}, {-4, -5})});
  EXPECT_EQ(r[0].f, (F{-1, -1, -1, 1, 2, 3}));
  EXPECT_EQ(r[1].i, (I{-4, -4, -4, 7, 8, 9}));
}

TEST_F(InterpreterTest, CastRules) {
  auto r = run(R"(
    func.func @f(%x: tensor<6xf32>, %i: tensor<3xi64>, %m: tensor<2xi1>) -> (tensor<6xi64>, tensor<6xi1>, tensor<6xi32>, tensor<3xi32>, tensor<3xf32>, tensor<2xf32>, tensor<3xi1>, tensor<2xi64>) {
      %0 = wse.cast %x : tensor<6xf32> -> tensor<6xi64>
      %1 = wse.cast %x : tensor<6xf32> -> tensor<6xi1>
      %2 = wse.cast %x : tensor<6xf32> -> tensor<6xi32>
      %3 = wse.cast %i : tensor<3xi64> -> tensor<3xi32>
      %4 = wse.cast %i : tensor<3xi64> -> tensor<3xf32>
      %5 = wse.cast %m : tensor<2xi1> -> tensor<2xf32>
      %6 = wse.cast %i : tensor<3xi64> -> tensor<3xi1>
      %7 = wse.cast %m : tensor<2xi1> -> tensor<2xi64>
      return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<6xi64>, tensor<6xi1>, tensor<6xi32>, tensor<3xi32>, tensor<3xf32>, tensor<2xf32>, tensor<3xi1>, tensor<2xi64>
    })",
               {floats({6}, {-2.7f, 2.7f, 0.0f, -0.5f, 1e20f, kNaN}),
                ints({3}, {4294967297LL, -1, 16777217}), ints({2}, {1, 0})});
  // Float to integer truncates toward zero (saturating; NaN is 0).
  EXPECT_EQ(r[0].i, (I{-2, 2, 0, 0, std::numeric_limits<int64_t>::max(), 0}));
  // Anything to i1 is x != 0 (NaN != 0 is true).
  EXPECT_EQ(r[1].i, (I{1, 1, 0, 1, 1, 1}));
  EXPECT_EQ(r[2].i, (I{-2, 2, 0, 0, 2147483647, 0}));
  // Integer narrowing wraps.
  EXPECT_EQ(r[3].i, (I{1, -1, 16777217}));
  EXPECT_EQ(r[4].f, (F{4294967296.0f, -1.0f, 16777216.0f}));
  EXPECT_EQ(r[5].f, (F{1, 0}));
  EXPECT_EQ(r[6].i, (I{1, 1, 1}));
  EXPECT_EQ(r[7].i, (I{1, 0}));
}

TEST_F(InterpreterTest, IntegerAndBoolConstants) {
  auto r = run(R"(
    func.func @f() -> (tensor<2xi1>, tensor<2xi32>, tensor<3xi64>) {
      %0 = wse.constant dense<[true, false]> : tensor<2xi1>
      %1 = wse.constant dense<[1, -2]> : tensor<2xi32>
      %2 = wse.constant dense<-3> : tensor<3xi64>
      return %0, %1, %2 : tensor<2xi1>, tensor<2xi32>, tensor<3xi64>
    })",
               {});
  EXPECT_EQ(r[0].i, (I{1, 0}));
  EXPECT_EQ(r[1].i, (I{1, -2}));
  EXPECT_EQ(r[2].i, (I{-3, -3, -3}));
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, FloatReductions) {
  auto r = run(R"(
    func.func @f(%x: tensor<2x3xf32>) -> (tensor<f32>, tensor<2x1xf32>, tensor<3xf32>, tensor<2xf32>, tensor<3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
      %0 = wse.reduce_sum %x {axes = array<i64: 0, 1>} : tensor<2x3xf32>
      %1 = wse.reduce_mean %x {axes = array<i64: 1>, keep_dims = true} : tensor<2x3xf32>
      %2 = wse.reduce_max %x {axes = array<i64: 0>} : tensor<2x3xf32>
      %3 = wse.reduce_min %x {axes = array<i64: 1>} : tensor<2x3xf32>
      %4 = wse.reduce_prod %x {axes = array<i64: 0>} : tensor<2x3xf32>
      %5 = wse.reduce_sum %x {axes = array<i64>} : tensor<2x3xf32>
      %6 = wse.reduce_max %x {axes = array<i64>, keep_dims = true} : tensor<2x3xf32>
      return %0, %1, %2, %3, %4, %5, %6 : tensor<f32>, tensor<2x1xf32>, tensor<3xf32>, tensor<2xf32>, tensor<3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
    })",
               {floats({2, 3}, {1, 2, 3, 4, 5, -6})});
  EXPECT_EQ(r[0].f, (F{9}));
  EXPECT_TRUE(r[0].shape.empty());
  EXPECT_EQ(r[1].f, (F{2, 1}));
  EXPECT_EQ(r[1].shape, (I{2, 1}));
  EXPECT_EQ(r[2].f, (F{4, 5, 3}));
  EXPECT_EQ(r[3].f, (F{1, -6}));
  EXPECT_EQ(r[4].f, (F{4, 10, -18}));
  // Empty axes reduce nothing.
  EXPECT_EQ(r[5].f, (F{1, 2, 3, 4, 5, -6}));
  EXPECT_EQ(r[6].f, (F{1, 2, 3, 4, 5, -6}));
  EXPECT_EQ(r[6].shape, (I{2, 3}));
}

TEST_F(InterpreterTest, ReductionsOverEmptyAndNaN) {
  auto r = run(R"(
    func.func @f(%x: tensor<0x3xf32>, %y: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<1x3xf32>, tensor<f32>, tensor<f32>) {
      %0 = wse.reduce_sum %x {axes = array<i64: 0>} : tensor<0x3xf32>
      %1 = wse.reduce_max %x {axes = array<i64: 0>} : tensor<0x3xf32>
      %2 = wse.reduce_min %x {axes = array<i64: 0>} : tensor<0x3xf32>
      %3 = wse.reduce_prod %x {axes = array<i64: 0>} : tensor<0x3xf32>
      %4 = wse.reduce_mean %x {axes = array<i64: 0>, keep_dims = true} : tensor<0x3xf32>
      %5 = wse.reduce_max %y {axes = array<i64: 0>} : tensor<3xf32>
      %6 = wse.reduce_min %y {axes = array<i64: 0>} : tensor<3xf32>
      return %0, %1, %2, %3, %4, %5, %6 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<1x3xf32>, tensor<f32>, tensor<f32>
    })",
               {HostTensor::floats({0, 3}), floats({3}, {1, kNaN, 3})});
  EXPECT_EQ(r[0].f, (F{0, 0, 0}));
  EXPECT_EQ(r[1].f, (F{-kInf, -kInf, -kInf}));
  EXPECT_EQ(r[2].f, (F{kInf, kInf, kInf}));
  EXPECT_EQ(r[3].f, (F{1, 1, 1}));
  expectClose(r[4].f, {kNaN, kNaN, kNaN});
  expectClose(r[5].f, {kNaN});
  expectClose(r[6].f, {kNaN});
}

TEST_F(InterpreterTest, IntegerReductions) {
  auto r = run(R"(
    func.func @f(%x: tensor<2x3xi64>, %z: tensor<2xi32>) -> (tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<i32>) {
      %0 = wse.reduce_max %x {axes = array<i64: 1>} : tensor<2x3xi64>
      %1 = wse.reduce_min %x {axes = array<i64: 1>} : tensor<2x3xi64>
      %2 = wse.reduce_prod %x {axes = array<i64: 1>} : tensor<2x3xi64>
      %3 = wse.reduce_sum %x {axes = array<i64: 1>} : tensor<2x3xi64>
      %4 = wse.reduce_mean %x {axes = array<i64: 1>} : tensor<2x3xi64>
      %5 = wse.reduce_sum %z {axes = array<i64: 0>} : tensor<2xi32>
      return %0, %1, %2, %3, %4, %5 : tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<i32>
    })",
               {ints({2, 3}, {3, -1, 8, -4, -9, -1}),
                ints({2}, {2147483647, 2})});
  EXPECT_EQ(r[0].i, (I{8, -1}));
  EXPECT_EQ(r[1].i, (I{-1, -9}));
  EXPECT_EQ(r[2].i, (I{-24, -36}));
  EXPECT_EQ(r[3].i, (I{10, -14}));
  // Integer mean truncates toward zero: 10/3 -> 3, -14/3 -> -4.
  EXPECT_EQ(r[4].i, (I{3, -4}));
  EXPECT_EQ(r[5].i, (I{-2147483647LL}));
}

TEST_F(InterpreterTest, ArgMaxArgMinTies) {
  auto r = run(R"(
    func.func @f(%x: tensor<2x4xf32>, %y: tensor<2x2xi64>) -> (tensor<2x1xi64>, tensor<2x1xi64>, tensor<2xi64>, tensor<2xi64>, tensor<1x2xi64>, tensor<1x2xi64>) {
      %0 = wse.argmax %x {axis = 1 : i64} : tensor<2x4xf32>
      %1 = wse.argmax %x {axis = 1 : i64, select_last_index = true} : tensor<2x4xf32>
      %2 = wse.argmin %x {axis = 1 : i64, keep_dims = false} : tensor<2x4xf32>
      %3 = wse.argmin %x {axis = 1 : i64, keep_dims = false, select_last_index = true} : tensor<2x4xf32>
      %4 = wse.argmax %y {axis = 0 : i64} : tensor<2x2xi64>
      %5 = wse.argmax %y {axis = 0 : i64, select_last_index = true} : tensor<2x2xi64>
      return %0, %1, %2, %3, %4, %5 : tensor<2x1xi64>, tensor<2x1xi64>, tensor<2xi64>, tensor<2xi64>, tensor<1x2xi64>, tensor<1x2xi64>
    })",
               {floats({2, 4}, {1, 3, 3, 0, 2, 2, 2, 2}),
                ints({2, 2}, {1, 5, 1, 2})});
  EXPECT_EQ(r[0].i, (I{1, 0}));
  EXPECT_EQ(r[0].shape, (I{2, 1}));
  EXPECT_EQ(r[1].i, (I{2, 3}));
  EXPECT_EQ(r[2].i, (I{3, 0}));
  EXPECT_EQ(r[3].i, (I{3, 3}));
  EXPECT_EQ(r[4].i, (I{0, 0}));
  EXPECT_EQ(r[5].i, (I{1, 0}));
}

} // namespace
