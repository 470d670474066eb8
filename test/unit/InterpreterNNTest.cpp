// The reference interpreter: data movement, NN ops, attention, optimizers.
#include "InterpreterTestFixture.h"

using namespace mlir;
using namespace wsetest;
using wsert::HostTensor;

namespace {

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, TransposeConcatReshapeBroadcast) {
  auto r = run(R"(
    func.func @f(%x: tensor<2x3xf32>, %y: tensor<2x1x3xi64>, %e: tensor<2x0xf32>, %m: tensor<2x1xi1>) -> (tensor<3x2xf32>, tensor<3x2x1xi64>, tensor<2x6xf32>, tensor<6xi64>, tensor<2x3xi1>) {
      %0 = wse.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3xf32>
      %1 = wse.transpose %y {perm = array<i64: 2, 0, 1>} : tensor<2x1x3xi64>
      %2 = wse.concat %x, %e, %x {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x0xf32>, tensor<2x3xf32>
      %3 = wse.reshape %y : tensor<2x1x3xi64> -> tensor<6xi64>
      %4 = wse.broadcast_to %m : tensor<2x1xi1> -> tensor<2x3xi1>
      return %0, %1, %2, %3, %4 : tensor<3x2xf32>, tensor<3x2x1xi64>, tensor<2x6xf32>, tensor<6xi64>, tensor<2x3xi1>
    })",
               {floats({2, 3}, {1, 2, 3, 4, 5, 6}),
                ints({2, 1, 3}, {1, 2, 3, 4, 5, 6}), HostTensor::floats({2, 0}),
                ints({2, 1}, {1, 0})});
  EXPECT_EQ(r[0].f, (F{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(r[1].i, (I{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(r[2].f, (F{1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}));
  EXPECT_EQ(r[3].i, (I{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(r[3].shape, (I{6}));
  EXPECT_EQ(r[4].i, (I{1, 1, 1, 0, 0, 0}));
}

TEST_F(InterpreterTest, SlicesWithNegativeStrides) {
  auto r = run(R"(
    func.func @f(%x: tensor<5xf32>, %y: tensor<3x4xi64>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3x2xi64>, tensor<0xf32>, tensor<2x1xi64>) {
      %0 = wse.slice %x {start = array<i64: 4>, limit = array<i64: -1>, stride = array<i64: -2>} : tensor<5xf32>
      %1 = wse.slice %x {start = array<i64: 3>, limit = array<i64: 0>, stride = array<i64: -1>} : tensor<5xf32>
      %2 = wse.slice %y {start = array<i64: 2, 0>, limit = array<i64: -1, 4>, stride = array<i64: -1, 2>} : tensor<3x4xi64>
      %3 = wse.slice %x {start = array<i64: 1>, limit = array<i64: 1>, stride = array<i64: 1>} : tensor<5xf32>
      %4 = wse.slice %y {start = array<i64: 0, 3>, limit = array<i64: 3, 4>, stride = array<i64: 2, 1>} : tensor<3x4xi64>
      return %0, %1, %2, %3, %4 : tensor<3xf32>, tensor<3xf32>, tensor<3x2xi64>, tensor<0xf32>, tensor<2x1xi64>
    })",
               {floats({5}, {0, 1, 2, 3, 4}),
                ints({3, 4}, {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23})});
  EXPECT_EQ(r[0].f, (F{4, 2, 0}));
  EXPECT_EQ(r[1].f, (F{3, 2, 1}));
  EXPECT_EQ(r[2].i, (I{20, 22, 10, 12, 0, 2}));
  EXPECT_TRUE(r[3].f.empty());
  EXPECT_EQ(r[4].i, (I{3, 23}));
}

TEST_F(InterpreterTest, GatherWithNegativeIndices) {
  auto r = run(R"(
    func.func @f(%d: tensor<3x2xf32>, %i: tensor<2x2xi64>, %e: tensor<2x3xi64>, %j: tensor<i32>) -> (tensor<2x2x2xf32>, tensor<2xi64>) {
      %0 = wse.gather %d, %i {axis = 0 : i64} : tensor<3x2xf32>, tensor<2x2xi64>
      %1 = wse.gather %e, %j {axis = 1 : i64} : tensor<2x3xi64>, tensor<i32>
      return %0, %1 : tensor<2x2x2xf32>, tensor<2xi64>
    })",
               {floats({3, 2}, {1, 2, 3, 4, 5, 6}), ints({2, 2}, {-1, 0, 2, -3}),
                ints({2, 3}, {7, 8, 9, 10, 11, 12}), ints({}, {-2})});
  EXPECT_EQ(r[0].f, (F{5, 6, 1, 2, 5, 6, 1, 2}));
  EXPECT_EQ(r[0].shape, (I{2, 2, 2}));
  EXPECT_EQ(r[1].i, (I{8, 11}));
}

TEST_F(InterpreterTest, GatherIndexOutOfRangeIsALocatedError) {
  const char *src = R"(
    func.func @f(%d: tensor<3x2xf32>, %i: tensor<2xi64>) -> tensor<2x2xf32> {
      %0 = wse.gather %d, %i {axis = 0 : i64} : tensor<3x2xf32>, tensor<2xi64>
      return %0 : tensor<2x2xf32>
    })";
  HostTensor d = floats({3, 2}, {1, 2, 3, 4, 5, 6});
  std::string msg = runError(src, {d, ints({2}, {0, 3})});
  EXPECT_NE(msg.find("out of range"), std::string::npos) << msg;
  msg = runError(src, {d, ints({2}, {-4, 0})});
  EXPECT_NE(msg.find("-4"), std::string::npos) << msg;
}

TEST_F(InterpreterTest, CumsumExclusiveReverse) {
  auto r = run(R"(
    func.func @f(%x: tensor<4xf32>, %y: tensor<2x2xi64>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x2xi64>) {
      %0 = wse.cumsum %x {axis = 0 : i64} : tensor<4xf32>
      %1 = wse.cumsum %x {axis = 0 : i64, exclusive = true} : tensor<4xf32>
      %2 = wse.cumsum %x {axis = 0 : i64, reverse = true} : tensor<4xf32>
      %3 = wse.cumsum %x {axis = 0 : i64, exclusive = true, reverse = true} : tensor<4xf32>
      %4 = wse.cumsum %y {axis = 0 : i64} : tensor<2x2xi64>
      return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x2xi64>
    })",
               {floats({4}, {1, 2, 3, 4}), ints({2, 2}, {1, 2, 3, 4})});
  EXPECT_EQ(r[0].f, (F{1, 3, 6, 10}));
  EXPECT_EQ(r[1].f, (F{0, 1, 3, 6}));
  EXPECT_EQ(r[2].f, (F{10, 9, 7, 4}));
  EXPECT_EQ(r[3].f, (F{9, 7, 4, 0}));
  EXPECT_EQ(r[4].i, (I{1, 2, 4, 6}));
}

//===----------------------------------------------------------------------===//
// NN ops (expected values from torch)
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, SoftmaxIsStable) {
  auto r = run(R"(
    func.func @f(%x: tensor<2x3xf32>, %s: tensor<f32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<f32>, tensor<f32>) {
      %0 = wse.softmax %x {axis = 1 : i64} : tensor<2x3xf32>
      %1 = wse.log_softmax %x {axis = 1 : i64} : tensor<2x3xf32>
      %2 = wse.softmax %x {axis = 0 : i64} : tensor<2x3xf32>
      %3 = wse.softmax %s {axis = 0 : i64} : tensor<f32>
      %4 = wse.log_softmax %s {axis = 0 : i64} : tensor<f32>
      return %0, %1, %2, %3, %4 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<f32>, tensor<f32>
    })",
               {floats({2, 3}, {1000, 1001, 1002, -5, 0, 5}), floats({}, {7})});
  expectClose(r[0].f, {0.09003057330846786f, 0.2447284758090973f,
                       0.6652409434318542f, 4.509404243435711e-05f,
                       0.006692549213767052f, 0.9932623505592346f});
  expectClose(r[1].f, {-2.4076058864593506f, -1.4076058864593506f,
                       -0.40760594606399536f, -10.006760597229004f,
                       -5.006760597229004f, -0.006760462652891874f});
  expectClose(r[2].f, {1, 1, 1, 0, 0, 0});
  EXPECT_EQ(r[3].f, (F{1}));
  EXPECT_EQ(r[4].f, (F{0}));
}

TEST_F(InterpreterTest, LayerNormAndRmsNorm) {
  auto r = run(R"(
    func.func @f(%x: tensor<2x2x3xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>) -> (tensor<2x2x3xf32>, tensor<2x2x3xf32>) {
      %0 = wse.layer_norm %x scale %s : tensor<3xf32> bias %b : tensor<3xf32> {axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<2x2x3xf32>
      %1 = wse.rms_norm %x scale %s : tensor<3xf32> {axis = 2 : i64, epsilon = 1.0e-6 : f32} : tensor<2x2x3xf32>
      return %0, %1 : tensor<2x2x3xf32>, tensor<2x2x3xf32>
    })",
               {floats({2, 2, 3}, {1, 2, 3, 4, 5, 6, 0.5, -1, 2, 3, 0, -2}),
                floats({3}, {1, 2, 0.5}), floats({3}, {0, 1, -1})});
  // torch.nn.functional.layer_norm over the last two dims (biased variance).
  expectClose(r[0].f, {-1.4638476371765137f, -0.7566173076629639f,
                       -1.146384835243225f, 0.2927694320678711f,
                       2.7566170692443848f, -0.26807624101638794f,
                       0.04920671880245209f, -0.673027753829956f,
                       -0.5325363874435425f, 1.5254076719284058f,
                       0.5079330205917358f, -1.7134971618652344f});
  expectClose(r[1].f, {0.462909996509552f, 1.851639986038208f,
                       0.6943650245666504f, 0.7895419597625732f,
                       1.973854899406433f, 0.5921564698219299f,
                       0.3779643774032593f, -1.511857509613037f,
                       0.7559287548065186f, 1.4411531686782837f, 0.0f,
                       -0.4803844094276428f});
}

TEST_F(InterpreterTest, LayerNormWithoutAffine) {
  auto r = run(R"(
    func.func @f(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
      %0 = wse.layer_norm %x {axis = 1 : i64, epsilon = 0.0 : f32} : tensor<2x2xf32>
      return %0 : tensor<2x2xf32>
    })",
               {floats({2, 2}, {1, 3, -2, -2})});
  // Biased variance of {1, 3} is 1; a constant row has variance 0 and
  // normalizes to 0/0 = NaN with epsilon 0.
  expectClose(r[0].f, {-1, 1, kNaN, kNaN});
}

static const char *kNll = R"(
    func.func @f(%x: tensor<2x3x2xf32>, %y: tensor<2x2xi64>, %w: tensor<3xf32>) -> (tensor<2x2xf32>, tensor<f32>, tensor<f32>, tensor<f32>) {
      %0 = wse.nll_loss %x, %y weight %w : tensor<3xf32> {reduction = "none", ignore_index = -1 : i64} : tensor<2x3x2xf32>, tensor<2x2xi64>
      %1 = wse.nll_loss %x, %y weight %w : tensor<3xf32> {reduction = "sum", ignore_index = -1 : i64} : tensor<2x3x2xf32>, tensor<2x2xi64>
      %2 = wse.nll_loss %x, %y weight %w : tensor<3xf32> {ignore_index = -1 : i64} : tensor<2x3x2xf32>, tensor<2x2xi64>
      %3 = wse.nll_loss %x, %y {ignore_index = -1 : i64} : tensor<2x3x2xf32>, tensor<2x2xi64>
      return %0, %1, %2, %3 : tensor<2x2xf32>, tensor<f32>, tensor<f32>, tensor<f32>
    })";

TEST_F(InterpreterTest, NllLossWeightsIgnoreIndexReductions) {
  // log_softmax over dim 1 of a [2, 3, 2] input, as torch computed it.
  HostTensor logp = floats(
      {2, 3, 2}, {-1.4657318592071533f, -0.799892008304596f,
                  -1.365731954574585f, -0.999891996383667f,
                  -0.6657319068908691f, -1.6998920440673828f,
                  -1.4076058864593506f, -2.1384005546569824f,
                  -2.4076058864593506f, -0.638400673866272f,
                  -0.40760594606399536f, -1.038400650024414f});
  auto r = run(kNll, {logp, ints({2, 2}, {0, 2, 1, -1}),
                      floats({3}, {1.0, 2.0, 0.5})});
  // torch.nn.functional.nll_loss(..., weight=w, ignore_index=-1).
  expectClose(r[0].f, {1.4657318592071533f, 0.8499460220336914f,
                       4.815211772918701f, 0.0f});
  expectClose(r[1].f, {7.130889892578125f});
  // mean = sum / (w[0] + w[2] + w[1]) over the counted positions only.
  expectClose(r[2].f, {2.0373971462249756f});
  expectClose(r[3].f, {float((1.4657318592071533 + 1.6998920440673828 +
                              2.4076058864593506) /
                             3.0)});
  // Everything ignored: the mean is 0/0, NaN as in torch.
  r = run(kNll, {logp, ints({2, 2}, {-1, -1, -1, -1}),
                 floats({3}, {1.0, 2.0, 0.5})});
  expectClose(r[0].f, {0, 0, 0, 0});
  expectClose(r[1].f, {0});
  expectClose(r[2].f, {kNaN});
}

TEST_F(InterpreterTest, NllLossBadLabelIsALocatedError) {
  HostTensor x = HostTensor::floats({2, 3, 2}, -1.0f);
  HostTensor w = floats({3}, {1, 1, 1});
  std::string msg = runError(kNll, {x, ints({2, 2}, {0, 3, 1, 1}), w});
  EXPECT_NE(msg.find("a label is outside [0, 3)"), std::string::npos) << msg;
  msg = runError(kNll, {x, ints({2, 2}, {0, -2, 1, 1}), w});
  EXPECT_NE(msg.find("a label is outside [0, 3)"), std::string::npos) << msg;
}

TEST_F(InterpreterTest, BatchedMatmulBroadcastsBatchDims) {
  const char *src = R"(
    func.func @f(%a: tensor<2x1x2x3xf32>, %at: tensor<2x1x3x2xf32>, %b: tensor<3x3x2xf32>, %c: tensor<2xf32>) -> (tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>) {
      %0 = wse.matmul %a, %b, %c : tensor<2x1x2x3xf32>, tensor<3x3x2xf32>, tensor<2xf32>
      %1 = wse.matmul %at, %b, %c {transpose_a = true} : tensor<2x1x3x2xf32>, tensor<3x3x2xf32>, tensor<2xf32>
      return %0, %1 : tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>
    })";
  auto r = run(src, {floats({2, 1, 2, 3}, {-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6}),
                     floats({2, 1, 3, 2}, {-5, -2, -4, -1, -3, 0, 1, 4, 2, 5, 3, 6}),
                     floats({3, 3, 2}, {-2, -1, 0, 1, 2, -2, -1, 0, 1, 2, -2,
                                        -1, 0, 1, 2, -2, -1, 0}),
                     floats({2}, {10, 20})});
  // np.matmul(a, b) + c.
  F expect{14, 27, 14, 21, 17, 15, 11, 18, 5, 23, 8, 20,
           14, 15, 14, 9,  5,  21, -1, 24, 11, 17, 14, 14};
  EXPECT_EQ(r[0].f, expect);
  EXPECT_EQ(r[1].f, expect);
  EXPECT_EQ(r[0].shape, (I{2, 3, 2, 2}));
}

TEST_F(InterpreterTest, MatmulWithEmptyContraction) {
  auto r = run(R"(
    func.func @f(%a: tensor<2x0xf32>, %b: tensor<0x3xf32>, %c: tensor<3xf32>) -> tensor<2x3xf32> {
      %0 = wse.matmul %a, %b, %c {beta = 2.0 : f32} : tensor<2x0xf32>, tensor<0x3xf32>, tensor<3xf32>
      return %0 : tensor<2x3xf32>
    })",
               {HostTensor::floats({2, 0}), HostTensor::floats({0, 3}),
                floats({3}, {1, 2, 3})});
  EXPECT_EQ(r[0].f, (F{2, 4, 6, 2, 4, 6}));
}

//===----------------------------------------------------------------------===//
// Attention, RoPE, scatter/insert, loss gradients, optimizers
//===----------------------------------------------------------------------===//

static const char *kAttention = R"(
    func.func @f(%q: tensor<1x4x2x2xf32>, %k: tensor<1x2x3x2xf32>, %v: tensor<1x2x3x2xf32>, %m: tensor<2x3xf32>) -> (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>) {
      %0 = wse.attention %q, %k, %v {num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x4x2x2xf32>, tensor<1x2x3x2xf32>, tensor<1x2x3x2xf32>
      %1 = wse.attention %q, %k, %v mask %m : tensor<2x3xf32> {causal = true, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x4x2x2xf32>, tensor<1x2x3x2xf32>, tensor<1x2x3x2xf32>
      %2 = wse.attention %q, %k, %v {window = 2 : i64, alibi = true, scale = 0.5 : f32, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x4x2x2xf32>, tensor<1x2x3x2xf32>, tensor<1x2x3x2xf32>
      return %0, %1, %2 : tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>
    })";

TEST_F(InterpreterTest, AttentionVariants) {
  auto r = run(
      kAttention,
      {floats({1, 4, 2, 2}, {0.13f, -0.13f, 0.64f, 0.1f, -0.54f, 0.36f, 1.3f,
                             0.95f, -0.7f, -1.27f, -0.62f, 0.04f, -2.33f,
                             -0.22f, -1.25f, -0.73f}),
       floats({1, 2, 3, 2}, {-0.54f, -0.32f, 0.41f, 1.04f, -0.13f, 1.37f,
                             -0.67f, 0.35f, 0.9f, 0.09f, -0.74f, -0.92f}),
       floats({1, 2, 3, 2}, {-0.46f, 0.22f, -1.01f, -0.21f, -0.16f, 0.54f,
                             0.21f, 0.36f, -0.65f, -0.13f, 0.78f, 1.49f}),
       floats({2, 3}, {-1.26f, 1.51f, 1.35f, 0.78f, 0.26f, -0.31f})});
  // A float64 NumPy reference (GQA by repeating kv heads).
  expectClose(r[0].f,
              {-0.5522010326385498f, 0.17455250024795532f, -0.5893552899360657f,
               0.14750078320503235f, -0.5044307112693787f, 0.21932633221149445f,
               -0.6271075010299683f, 0.12304112315177917f, 0.4894321858882904f,
               1.060339331626892f, 0.26538363099098206f, 0.7127991914749146f,
               0.501116931438446f, 0.9760600328445435f, 0.48663491010665894f,
               1.0124348402023315f});
  expectClose(r[1].f,
              {-0.9763985872268677f, -0.18372981250286102f, -0.62916100025177f,
               0.1035776361823082f, -0.9770594239234924f, -0.1842464804649353f,
               -0.7060537338256836f, 0.049085862934589386f, -0.5662301778793335f,
               -0.08227067440748215f, 0.1705383062362671f, 0.5026435852050781f,
               -0.26791274547576904f, 0.08770087361335754f, 0.34274423122406006f,
               0.7341075539588928f});
  expectClose(r[2].f,
              {-0.5217176079750061f, 0.2061602622270584f, -0.56510329246521f,
               0.1825559288263321f, -0.508478045463562f, 0.2163853794336319f,
               -0.6129564046859741f, 0.14033256471157074f, 0.39601442217826843f,
               0.9357165098190308f, 0.24140164256095886f, 0.8798396587371826f,
               0.4469010829925537f, 0.9128052592277527f, 0.4965679943561554f,
               1.1689091920852661f});
}

TEST_F(InterpreterTest, RopeHalvesAndInterleaved) {
  auto r = run(R"(
    func.func @f(%x: tensor<1x1x3x4xf32>) -> (tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32>) {
      %0 = wse.rope %x : tensor<1x1x3x4xf32>
      %1 = wse.rope %x {interleaved = true} : tensor<1x1x3x4xf32>
      return %0, %1 : tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32>
    })",
               {floats({1, 1, 3, 4}, {-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5,
                                      0.75, 1, 1.25, 1.5, 1.75})});
  // Llama's rotate_half and GPT-J's rotate_every_two, in torch.
  expectClose(r[0].f, {-1.0f, -0.75f, -0.5f, -0.25f, -0.4207354784011841f,
                       0.24248762428760529f, 0.27015116810798645f,
                       0.7524624466896057f, -1.7800929546356201f,
                       1.2147523164749146f, 0.28507715463638306f,
                       1.7746483087539673f});
  expectClose(r[1].f, {-1.0f, -0.75f, -0.5f, -0.25f, -0.21036773920059204f,
                       0.13507558405399323f, 0.49247512221336365f,
                       0.7549624443054199f, -1.552768588066101f,
                       0.3891138434410095f, 1.4647023677825928f,
                       1.779647946357727f});
}

TEST_F(InterpreterTest, InsertSliceAndScatterAdd) {
  auto r = run(R"(
    func.func @f(%d: tensor<3x4xf32>, %s: tensor<2x2xf32>, %i: tensor<3xi64>, %u: tensor<3x4xf32>, %bd: tensor<2x3xi1>, %bs: tensor<1x2xi1>) -> (tensor<3x4xf32>, tensor<3x4xf32>, tensor<2x3xi1>) {
      %0 = wse.insert_slice %s into %d {start = array<i64: 2, 3>, stride = array<i64: -2, -2>} : tensor<2x2xf32> into tensor<3x4xf32>
      %1 = wse.scatter_add %u into %d at %i {axis = 0 : i64} : tensor<3x4xf32> into tensor<3x4xf32> at tensor<3xi64>
      %2 = wse.insert_slice %bs into %bd {start = array<i64: 1, 0>, stride = array<i64: 1, 2>} : tensor<1x2xi1> into tensor<2x3xi1>
      return %0, %1, %2 : tensor<3x4xf32>, tensor<3x4xf32>, tensor<2x3xi1>
    })",
               {HostTensor::floats({3, 4}, 1.0f), floats({2, 2}, {1, 2, 3, 4}),
                ints({3}, {2, -1, 0}),
                floats({3, 4}, {1, 2, 3, 4, 10, 20, 30, 40, 5, 6, 7, 8}),
                ints({2, 3}, {0, 0, 0, 0, 0, 0}), ints({1, 2}, {1, 1})});
  EXPECT_EQ(r[0].f, (F{1, 4, 1, 3, 1, 1, 1, 1, 1, 2, 1, 1}));
  // Index 2 and -1 both land in row 2 and accumulate.
  EXPECT_EQ(r[1].f, (F{6, 7, 8, 9, 1, 1, 1, 1, 12, 23, 34, 45}));
  EXPECT_EQ(r[2].i, (I{0, 0, 0, 1, 0, 1}));
}

TEST_F(InterpreterTest, ScatterAddIndexOutOfRangeIsALocatedError) {
  std::string msg = runError(R"(
    func.func @f(%d: tensor<3xf32>, %i: tensor<1xi64>, %u: tensor<1xf32>) -> tensor<3xf32> {
      %0 = wse.scatter_add %u into %d at %i {axis = 0 : i64} : tensor<1xf32> into tensor<3xf32> at tensor<1xi64>
      return %0 : tensor<3xf32>
    })",
                             {floats({3}, {0, 0, 0}), ints({1}, {3}),
                              floats({1}, {1})});
  EXPECT_NE(msg.find("out of range"), std::string::npos) << msg;
}

TEST_F(InterpreterTest, NllLossGradient) {
  const char *src = R"(
    func.func @f(%x: tensor<2x3x2xf32>, %y: tensor<2x2xi64>, %w: tensor<3xf32>, %dl: tensor<f32>, %dn: tensor<2x2xf32>) -> (tensor<2x3x2xf32>, tensor<2x3x2xf32>) {
      %0 = wse.nll_loss_grad %x, %y, %dl weight %w : tensor<3xf32> {ignore_index = -1 : i64} : tensor<2x3x2xf32>, tensor<2x2xi64>, tensor<f32>
      %1 = wse.nll_loss_grad %x, %y, %dn weight %w : tensor<3xf32> {reduction = "none", ignore_index = -1 : i64} : tensor<2x3x2xf32>, tensor<2x2xi64>, tensor<2x2xf32>
      return %0, %1 : tensor<2x3x2xf32>, tensor<2x3x2xf32>
    })";
  auto r = run(src, {HostTensor::floats({2, 3, 2}, -1.0f),
                     ints({2, 2}, {0, 2, 1, -1}), floats({3}, {1, 2, 0.5}),
                     floats({}, {3}), floats({2, 2}, {1, 2, 3, 4})});
  // torch autograd of nll_loss(weight=w, ignore_index=-1).
  expectClose(r[0].f, {-0.8571428656578064f, 0, 0, 0, 0, -0.4285714328289032f,
                       0, 0, -1.7142857313156128f, 0, 0, 0});
  expectClose(r[1].f, {-1, 0, 0, 0, 0, -1, 0, 0, -6, 0, 0, 0});
}

TEST_F(InterpreterTest, SgdWithLearningRateOperandAndMomentum) {
  auto r = run(R"(
    func.func @f(%p: tensor<3xf32>, %g1: tensor<3xf32>, %g2: tensor<3xf32>, %lr: tensor<f32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
      %0 = wse.sgd_update %p, %g1 lr(%lr : tensor<f32>) {lr = 100.0 : f32} : tensor<3xf32>
      %z = wse.constant dense<0.0> : tensor<3xf32>
      %p1, %b1 = wse.sgd_momentum_update %p, %g1, %z {lr = 0.1 : f32, momentum = 0.9 : f32, weight_decay = 0.01 : f32, nesterov = true} : tensor<3xf32>
      %p2, %b2 = wse.sgd_momentum_update %p1, %g2, %b1 {lr = 0.1 : f32, momentum = 0.9 : f32, weight_decay = 0.01 : f32, nesterov = true} : tensor<3xf32>
      return %0, %p2, %b2 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
    })",
               {floats({3}, {1, -2, 0.5}), floats({3}, {0.5, -1, 0}),
                floats({3}, {0.1f, 0.3f, -2}), floats({}, {0.5})});
  EXPECT_EQ(r[0].f, (F{0.75, -1.5, 0.5}));
  // Two steps of torch.optim.SGD(momentum=0.9, weight_decay=0.01,
  // nesterov=True).
  expectClose(r[1].f, {0.8410741090774536f, -1.7771482467651367f,
                       0.8776968121528625f});
  expectClose(r[2].f, {0.5680310130119324f, -0.63606196641922f,
                       -1.9905095100402832f});
}

TEST_F(InterpreterTest, AdamWMatchesTorch) {
  auto r = run(R"(
    func.func @f(%p: tensor<3xf32>, %g1: tensor<3xf32>, %g2: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
      %z = wse.constant dense<0.0> : tensor<3xf32>
      %s1 = wse.constant dense<1.0> : tensor<f32>
      %s2 = wse.constant dense<2.0> : tensor<f32>
      %p1, %m1, %v1 = wse.adamw_update %p, %g1, %z, %z step(%s1 : tensor<f32>) {lr = 0.1 : f32, beta1 = 0.9 : f32, beta2 = 0.99 : f32, eps = 1.0e-8 : f32, weight_decay = 0.01 : f32} : tensor<3xf32>
      %p2, %m2, %v2 = wse.adamw_update %p1, %g2, %m1, %v1 step(%s2 : tensor<f32>) {lr = 0.1 : f32, beta1 = 0.9 : f32, beta2 = 0.99 : f32, eps = 1.0e-8 : f32, weight_decay = 0.01 : f32} : tensor<3xf32>
      return %p2, %m2, %v2 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
    })",
               {floats({3}, {1, -2, 0.5}), floats({3}, {0.5, -1, 0}),
                floats({3}, {0.1f, 0.3f, -2})});
  // Two steps of torch.optim.AdamW(lr=0.1, betas=(0.9, 0.99), eps=1e-8,
  // weight_decay=0.01).
  expectClose(r[0].f, {0.8176285624504089f, -1.853236198425293f,
                       0.5732464790344238f});
  expectClose(r[1].f, {0.054999999701976776f, -0.059999994933605194f,
                       -0.20000000298023224f});
  expectClose(r[2].f, {0.002575000049546361f, 0.01080000028014183f,
                       0.03999999910593033f});
}

} // namespace
