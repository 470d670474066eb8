// Finite-difference checks of every gradient rule, through the interpreter
// in its float64 mode (WseInterpreter64: f32 data computed in double).
//
// Each case is a snippet computing %y from float operands %a0, %a1, ...
// The harness makes each operand `p_i + x_i` with a parameter p_i (zero)
// and a fixed input x_i, takes the loss sum(w * y) for a fixed random w,
// builds the train step with wse-make-train-step (loss=output, sgd, lr=1:
// the updated parameter is exactly -gradient at p = 0), and compares the
// gradient's directional derivative along random directions u with the
// central difference (f(h u) - f(-h u)) / 2h of the forward function.
#include "wse/Interpreter/Interpreter.h"
#include "wse/Transforms/Passes.h"
#include "wse/WseDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

using namespace mlir;
using HostTensor = wsert::HostTensor64;

namespace {

struct Operand {
  std::vector<int64_t> shape;
  float lo = -1.0f, hi = 1.0f; // where x_i is drawn from
  // With grid > 0, x_i is rounded to multiples of grid plus offset, so
  // operands of max/min stay apart and the steps never cross a kink.
  float grid = 0.0f, offset = 0.0f;
};

struct Case {
  const char *name;
  std::vector<Operand> operands;
  std::vector<int64_t> resultShape;
  std::string body; // uses %a0.. and defines %y
  std::string extraArgs = ""; // e.g. integer inputs ", %ids: tensor<..>"
  std::vector<HostTensor> extraValues = {};
};

// gtest prints a failing case by name.
void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

std::string typeStr(const std::vector<int64_t> &shape) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + "f32>";
}

std::string allAxes(size_t rank) {
  std::string s = "array<i64";
  for (size_t i = 0; i < rank; ++i)
    s += (i ? ", " : ": ") + std::to_string(i);
  return s + ">";
}

/// The forward function of a case.
std::string forward(const Case &c) {
  std::ostringstream os;
  os << "func.func @main(";
  for (size_t i = 0; i < c.operands.size(); ++i)
    os << "%p" << i << ": " << typeStr(c.operands[i].shape)
       << " {wse.param = \"p" << i << "\"}, %x" << i << ": "
       << typeStr(c.operands[i].shape) << " {wse.input = \"x" << i << "\"}, ";
  os << "%w: " << typeStr(c.resultShape) << " {wse.input = \"w\"}"
     << c.extraArgs << ") -> tensor<f32> {\n";
  for (size_t i = 0; i < c.operands.size(); ++i)
    os << "  %a" << i << " = wse.add %p" << i << ", %x" << i << " : "
       << typeStr(c.operands[i].shape) << ", " << typeStr(c.operands[i].shape)
       << "\n";
  os << c.body << "\n";
  os << "  %m = wse.mul %y, %w : " << typeStr(c.resultShape) << ", "
     << typeStr(c.resultShape) << "\n";
  os << "  %l = wse.reduce_sum %m {axes = " << allAxes(c.resultShape.size())
     << "} : " << typeStr(c.resultShape) << "\n";
  os << "  return %l : tensor<f32>\n}\n";
  return os.str();
}

HostTensor randomTensor(const std::vector<int64_t> &shape, float lo, float hi,
                        std::mt19937 &rng) {
  HostTensor t = HostTensor::floats(shape);
  std::uniform_real_distribution<double> d(lo, hi);
  for (double &v : t.f)
    v = d(rng);
  return t;
}

class GradientCheck : public ::testing::TestWithParam<Case> {
protected:
  GradientCheck() {
    registry.insert<wse::WseDialect, func::FuncDialect>();
    ctx = std::make_unique<MLIRContext>(registry);
    ctx->loadAllAvailableDialects();
  }
  DialectRegistry registry;
  std::unique_ptr<MLIRContext> ctx;
};

TEST_P(GradientCheck, MatchesCentralDifferences) {
  const Case &c = GetParam();
  std::string src = forward(c);
  OwningOpRef<ModuleOp> fwd = parseSourceString<ModuleOp>(src, ctx.get());
  ASSERT_TRUE(fwd) << src;
  OwningOpRef<ModuleOp> train = fwd->clone();
  PassManager pm(ctx.get());
  wse::MakeTrainStepOptions opts;
  opts.loss = "output";
  opts.lr = 1.0;
  pm.addPass(wse::createMakeTrainStep(opts));
  ASSERT_TRUE(succeeded(pm.run(*train))) << src;
  auto fwdFn = *fwd->getOps<func::FuncOp>().begin();
  auto trainFn = *train->getOps<func::FuncOp>().begin();

  std::mt19937 rng(1234);
  size_t n = c.operands.size();
  std::vector<HostTensor> xs;
  for (const Operand &o : c.operands) {
    xs.push_back(randomTensor(o.shape, o.lo, o.hi, rng));
    if (o.grid > 0)
      for (double &v : xs.back().f)
        v = std::round(v / o.grid) * o.grid + o.offset;
  }
  HostTensor w = randomTensor(c.resultShape, -1.0f, 1.0f, rng);

  auto args = [&](const std::vector<HostTensor> &ps) {
    std::vector<HostTensor> a;
    for (size_t i = 0; i < n; ++i) {
      a.push_back(ps[i]);
      a.push_back(xs[i]);
    }
    a.push_back(w);
    for (const HostTensor &e : c.extraValues)
      a.push_back(e);
    return a;
  };
  std::vector<HostTensor> zeros;
  for (const Operand &o : c.operands)
    zeros.push_back(HostTensor::floats(o.shape, 0.0f));
  auto out = wse::interpret(trainFn, args(zeros));
  ASSERT_TRUE(succeeded(out));
  // Results: loss, then p_i' = 0 - 1 * grad_i.
  ASSERT_EQ(out->size(), n + 1);

  for (int dir = 0; dir < 3; ++dir) {
    std::vector<HostTensor> u;
    double analytic = 0, unorm = 0;
    for (size_t i = 0; i < n; ++i) {
      u.push_back(randomTensor(c.operands[i].shape, -1.0f, 1.0f, rng));
      for (size_t e = 0; e < u[i].f.size(); ++e) {
        analytic += -(*out)[i + 1].f[e] * u[i].f[e];
        unorm += u[i].f[e] * u[i].f[e];
      }
    }
    // Central differences in double: truncation ~h^2, rounding ~1e-16/h.
    double h = 1e-5 / std::sqrt(unorm / double(n));
    auto at = [&](double s) {
      std::vector<HostTensor> ps = u;
      for (HostTensor &p : ps)
        for (double &v : p.f)
          v *= s;
      auto r = wse::interpret(fwdFn, args(ps));
      EXPECT_TRUE(succeeded(r));
      return succeeded(r) ? (*r)[0].f[0] : 0.0;
    };
    double numeric = (at(h) - at(-h)) / (2 * h);
    double scale = std::max({std::abs(analytic), std::abs(numeric), 1e-2});
    EXPECT_NEAR(analytic, numeric, 1e-6 * scale)
        << c.name << " direction " << dir << "\n" << src;
  }
}

HostTensor ints(std::vector<int64_t> shape, std::vector<int64_t> v) {
  HostTensor t = HostTensor::ints(shape);
  t.i = v;
  return t;
}

std::vector<Case> cases() {
  std::vector<Case> cs;
  auto unary = [&](const char *name, const char *op, float lo = -1.0f,
                   float hi = 1.0f, const char *attrs = "") {
    cs.push_back({name, {{{3, 4}, lo, hi}}, {3, 4},
                  std::string("  %y = wse.") + op + " %a0 " + attrs +
                      " : tensor<3x4xf32>"});
  };
  unary("neg", "neg");
  unary("abs", "abs", 0.2f, 1.0f);
  unary("exp", "exp");
  unary("log", "log", 0.5f, 2.0f);
  unary("sqrt", "sqrt", 0.5f, 2.0f);
  unary("rsqrt", "rsqrt", 0.5f, 2.0f);
  unary("reciprocal", "reciprocal", 0.5f, 2.0f);
  unary("tanh", "tanh");
  unary("erf", "erf");
  unary("sigmoid", "sigmoid");
  unary("softplus", "softplus");
  unary("silu", "silu");
  unary("sin", "sin");
  unary("cos", "cos");
  unary("relu", "relu", 0.2f, 1.0f);
  unary("gelu", "gelu");
  unary("gelu_tanh", "gelu", -1.0f, 1.0f, "{approximate = true}");
  unary("leaky_relu", "leaky_relu", 0.2f, 1.0f, "{alpha = 0.1 : f32}");
  unary("elu", "elu", -1.0f, -0.2f, "{alpha = 0.7 : f32}");
  unary("clamp", "clamp", -1.0f, 1.0f, "{min = -0.5 : f64, max = 0.5 : f64}");
  unary("softmax", "softmax", -1.0f, 1.0f, "{axis = 1 : i64}");
  unary("log_softmax", "log_softmax", -1.0f, 1.0f, "{axis = 0 : i64}");
  unary("cumsum", "cumsum", -1.0f, 1.0f, "{axis = 1 : i64, reverse = true}");
  unary("rope", "rope", -1.0f, 1.0f, "");

  auto binary = [&](const char *name, const char *op, std::vector<int64_t> rhs,
                    float lo = -1.0f, float hi = 1.0f) {
    cs.push_back({name, {{{3, 4}, lo, hi}, {rhs, lo, hi}}, {3, 4},
                  std::string("  %y = wse.") + op + " %a0, %a1 : tensor<3x4xf32>, " +
                      typeStr(rhs)});
  };
  binary("add_broadcast", "add", {4});
  binary("sub_broadcast", "sub", {3, 1});
  binary("mul", "mul", {3, 4});
  binary("div", "div", {4}, 0.5f, 2.0f);
  binary("pow", "pow", {3, 4}, 0.5f, 2.0f);
  cs.push_back({"max", {{{3, 4}, -1, 1, 0.25f, 0.0f}, {{3, 4}, -1, 1, 0.25f, 0.125f}},
                {3, 4}, "  %y = wse.max %a0, %a1 : tensor<3x4xf32>, tensor<3x4xf32>"});
  cs.push_back({"min", {{{3, 4}, -1, 1, 0.25f, 0.0f}, {{4}, -1, 1, 0.25f, 0.125f}},
                {3, 4}, "  %y = wse.min %a0, %a1 : tensor<3x4xf32>, tensor<4xf32>"});

  cs.push_back({"matmul_batched_transposed", {{{2, 3, 4}}, {{5, 4}}, {{3, 5}}},
                {2, 3, 5},
                "  %y = wse.matmul %a0, %a1, %a2 {transpose_b = true, alpha = 0.5 : f32} : "
                "tensor<2x3x4xf32>, tensor<5x4xf32>, tensor<3x5xf32>"});
  cs.push_back({"matmul_transpose_a", {{{4, 3}}, {{4, 2}}}, {3, 2},
                "  %y = wse.matmul %a0, %a1 {transpose_a = true} : "
                "tensor<4x3xf32>, tensor<4x2xf32>"});
  cs.push_back({"reduce_sum", {{{3, 4, 2}}}, {3, 1, 2},
                "  %y = wse.reduce_sum %a0 {axes = array<i64: 1>, keep_dims = true} : tensor<3x4x2xf32>"});
  cs.push_back({"reduce_mean", {{{3, 4}}}, {4},
                "  %y = wse.reduce_mean %a0 {axes = array<i64: 0>} : tensor<3x4xf32>"});
  cs.push_back({"reduce_max", {{{3, 4}}}, {3},
                "  %y = wse.reduce_max %a0 {axes = array<i64: 1>} : tensor<3x4xf32>"});
  // top_k: the values' gradient goes back to the chosen entries (the draws
  // are continuous, so no two entries tie within a difference step).
  cs.push_back({"top_k", {{{3, 5}}}, {3, 2},
                "  %y, %i = wse.top_k %a0 {axis = 1 : i64, k = 2 : i64} : tensor<3x5xf32>"});
  cs.push_back({"top_k_smallest_axis0", {{{4, 3}}}, {3, 3},
                "  %y, %i = wse.top_k %a0 {axis = 0 : i64, k = 3 : i64, largest = false} : "
                "tensor<4x3xf32>"});
  cs.push_back({"reduce_min", {{{3, 4}}}, {4},
                "  %y = wse.reduce_min %a0 {axes = array<i64: 0>} : tensor<3x4xf32>"});
  cs.push_back({"cast_f32", {{{3, 4}}}, {3, 4},
                "  %y = wse.cast %a0 : tensor<3x4xf32> -> tensor<3x4xf32>"});
  cs.push_back({"reshape", {{{3, 4}}}, {2, 6},
                "  %y = wse.reshape %a0 : tensor<3x4xf32> -> tensor<2x6xf32>"});
  cs.push_back({"broadcast_to", {{{1, 4}}}, {3, 4},
                "  %y = wse.broadcast_to %a0 : tensor<1x4xf32> -> tensor<3x4xf32>"});
  cs.push_back({"transpose", {{{2, 3, 4}}}, {4, 2, 3},
                "  %y = wse.transpose %a0 {perm = array<i64: 2, 0, 1>} : tensor<2x3x4xf32>"});
  cs.push_back({"concat", {{{2, 3}}, {{2, 2}}}, {2, 5},
                "  %y = wse.concat %a0, %a1 {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x2xf32>"});
  cs.push_back({"slice_strided", {{{4, 6}}}, {2, 2},
                "  %y = wse.slice %a0 {start = array<i64: 3, 1>, limit = array<i64: 0, 6>, "
                "stride = array<i64: -2, 3>} : tensor<4x6xf32>"});
  cs.push_back({"insert_slice", {{{4, 4}}, {{2, 2}}}, {4, 4},
                "  %y = wse.insert_slice %a1 into %a0 {start = array<i64: 1, 0>, "
                "stride = array<i64: 2, 3>} : tensor<2x2xf32> into tensor<4x4xf32>"});
  cs.push_back({"gather_repeated_rows", {{{5, 3}}}, {2, 3, 3},
                "  %y = wse.gather %a0, %ids {axis = 0 : i64} : tensor<5x3xf32>, tensor<2x3xi64>",
                ", %ids: tensor<2x3xi64> {wse.input = \"ids\"}",
                {ints({2, 3}, {0, 4, 4, 2, 0, 1})}});
  cs.push_back({"scatter_add", {{{5, 3}}, {{2, 3}}}, {5, 3},
                "  %y = wse.scatter_add %a1 into %a0 at %ids {axis = 0 : i64} : "
                "tensor<2x3xf32> into tensor<5x3xf32> at tensor<2xi64>",
                ", %ids: tensor<2xi64> {wse.input = \"ids\"}",
                {ints({2}, {3, 3})}});
  // The condition comes from the fixed input, so the result is smooth.
  cs.push_back({"select", {{{3, 4}}, {{4}}}, {3, 4},
                "  %z = wse.constant dense<0.0> : tensor<f32>\n"
                "  %c = wse.greater %x0, %z : tensor<3x4xf32>, tensor<f32>\n"
                "  %y = wse.select %c, %a0, %a1 : tensor<3x4xi1>, tensor<3x4xf32>, tensor<4xf32>"});
  cs.push_back({"layer_norm", {{{2, 3, 4}}, {{4}}, {{4}}}, {2, 3, 4},
                "  %y = wse.layer_norm %a0 scale %a1 : tensor<4xf32> bias %a2 : tensor<4xf32> "
                "{axis = 2 : i64, epsilon = 1.0e-5 : f32} : tensor<2x3x4xf32>"});
  cs.push_back({"rms_norm", {{{2, 3, 4}}, {{3, 4}}}, {2, 3, 4},
                "  %y = wse.rms_norm %a0 scale %a1 : tensor<3x4xf32> "
                "{axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<2x3x4xf32>"});
  cs.push_back({"nll_loss_weighted_ignore", {{{4, 3}}}, {},
                "  %lp = wse.log_softmax %a0 {axis = 1 : i64} : tensor<4x3xf32>\n"
                "  %wt = wse.constant dense<[0.5, 1.0, 2.0]> : tensor<3xf32>\n"
                "  %y = wse.nll_loss %lp, %lab weight %wt : tensor<3xf32> "
                "{ignore_index = 1 : i64} : tensor<4x3xf32>, tensor<4xi64>",
                ", %lab: tensor<4xi64> {wse.input = \"lab\"}",
                {ints({4}, {0, 1, 2, 2})}});
  cs.push_back({"nll_loss_none_3d", {{{2, 3, 2}}}, {2, 2},
                "  %y = wse.nll_loss %a0, %lab {reduction = \"none\"} : "
                "tensor<2x3x2xf32>, tensor<2x2xi64>",
                ", %lab: tensor<2x2xi64> {wse.input = \"lab\"}",
                {ints({2, 2}, {0, 2, 1, 1})}});
  cs.push_back({"softmax_cross_entropy", {{{4, 3}}}, {},
                "  %y = wse.softmax_cross_entropy %a0, %lab : tensor<4x3xf32>, tensor<4xi64>",
                ", %lab: tensor<4xi64> {wse.input = \"lab\"}",
                {ints({4}, {0, 1, 2, 2})}});
  cs.push_back({"mse", {{{3, 4}}, {{3, 4}}}, {},
                "  %y = wse.mse %a0, %a1 : tensor<3x4xf32>, tensor<3x4xf32>"});
  cs.push_back({"attention_gqa_causal_alibi_mask", {{{1, 4, 3, 8}}, {{1, 2, 5, 8}}, {{1, 2, 5, 8}}, {{3, 5}}},
                {1, 4, 3, 8},
                "  %y = wse.attention %a0, %a1, %a2 mask %a3 : tensor<3x5xf32> "
                "{causal = true, alibi = true, num_heads = 4 : i64, num_kv_heads = 2 : i64} : "
                "tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>"});
  cs.push_back({"attention_window_scale", {{{2, 2, 4, 4}}, {{2, 2, 4, 4}}, {{2, 2, 4, 4}}},
                {2, 2, 4, 4},
                "  %y = wse.attention %a0, %a1, %a2 {causal = true, window = 2 : i64, "
                "scale = 0.3 : f32, num_heads = 2 : i64, num_kv_heads = 2 : i64} : "
                "tensor<2x2x4x4xf32>, tensor<2x2x4x4xf32>, tensor<2x2x4x4xf32>"});
  // rope above runs on [3, 4] as [T, D]; also the 4-D interleaved form.
  cs.push_back({"rope_interleaved", {{{1, 2, 3, 4}}}, {1, 2, 3, 4},
                "  %y = wse.rope %a0 {interleaved = true, theta = 100.0 : f32} : tensor<1x2x3x4xf32>"});
  return cs;
}

INSTANTIATE_TEST_SUITE_P(
    Ops, GradientCheck, ::testing::ValuesIn(cases()),
    [](const ::testing::TestParamInfo<Case> &info) {
      return std::string(info.param.name);
    });

} // namespace
