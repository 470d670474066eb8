//===- RaiseAttention.cpp - exported attention pattern -> wse.attention ---===//
//
// torch.onnx.export writes attention as MatMul(q, K^T) -> Mul/Div by a
// constant -> Where/Add with a mask -> Softmax(last axis) -> MatMul(., v).
// This pass finds that chain from each softmax and replaces it with one
// wse.attention, recognizing a constant causal mask as `causal = true`.
//
//===----------------------------------------------------------------------===//
#include "wse/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <limits>

namespace mlir::wse {
#define GEN_PASS_DEF_RAISEATTENTION
#include "wse/Transforms/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {

/// The value of a splat f32 constant, if `v` is one.
std::optional<float> splatValue(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !attr.isSplat() ||
      !attr.getElementType().isF32())
    return std::nullopt;
  return attr.getSplatValue<float>();
}

struct Match {
  Value q, k, v, mask; // mask: additive, or null
  float scale = 1.0f;
  bool causal = false, alibi = false;
  MatmulOp output;
};

/// Whether `bias` is a constant holding the ALiBi bias -m_h (i - j) of H
/// heads, m_h = 2^(-8 (h + 1) / H), on every position the causal mask keeps.
bool isAlibi(Value bias, int64_t heads, int64_t t, int64_t s) {
  DenseElementsAttr attr;
  if (!matchPattern(bias, m_Constant(&attr)) || !attr.getElementType().isF32())
    return false;
  auto shape = cast<RankedTensorType>(attr.getType()).getShape();
  if (shape.size() < 3 || shape[shape.size() - 3] != heads ||
      shape[shape.size() - 2] != t || shape.back() != s ||
      attr.getNumElements() != heads * t * s || (heads & (heads - 1)))
    return false;
  auto values = attr.getValues<float>();
  for (int64_t h = 0; h < heads; ++h) {
    float slope = std::pow(2.0f, -8.0f * float(h + 1) / float(heads));
    for (int64_t i = 0; i < t; ++i)
      for (int64_t j = 0; j <= i + (s - t) && j < s; ++j) {
        float want = -slope * float(i + (s - t) - j);
        float got = values[(h * t + i) * s + j];
        if (std::abs(got - want) > 1e-6f * std::max(1.0f, std::abs(want)))
          return false;
      }
  }
  return true;
}

/// Keep-mask [.., T, S] of a select: true where the score survives.
std::optional<std::vector<bool>> keepMask(SelectOp sel, Value scores) {
  DenseElementsAttr cond;
  if (!matchPattern(sel.getCond(), m_Constant(&cond)))
    return std::nullopt;
  bool keepWhenTrue = sel.getLhs() == scores;
  std::vector<bool> keep;
  for (bool c : cond.getValues<bool>())
    keep.push_back(c == keepWhenTrue);
  return keep;
}

bool isCausal(const std::vector<bool> &keep, ArrayRef<int64_t> shape,
              int64_t t, int64_t s) {
  if (shape.size() < 2 || shape[shape.size() - 2] != t || shape.back() != s)
    return false;
  for (size_t e = 0; e < keep.size(); ++e) {
    int64_t i = int64_t(e / s) % t, j = int64_t(e % s);
    if (keep[e] != (j <= i + (s - t)))
      return false;
  }
  return true;
}

/// The attention around `sm`, or nullopt with `why` set to the reason.
std::optional<Match> matchFrom(SoftmaxOp sm, std::string &why) {
  auto fail = [&](const Twine &reason) -> std::optional<Match> {
    why = reason.str();
    return std::nullopt;
  };
  auto opName = [](Value v) -> std::string {
    Operation *op = v.getDefiningOp();
    return op ? "'" + op->getName().getStringRef().str() + "'"
              : std::string("a function argument");
  };
  Match m;
  auto st = sm.getType();
  if (st.getRank() < 3)
    return fail("its input has rank " + Twine(st.getRank()) +
                "; attention scores are [.., T, S] of rank 3 or 4");
  if (sm.getAxisAttr().getInt() != st.getRank() - 1)
    return fail("it normalizes axis " + Twine(sm.getAxisAttr().getInt()) +
                ", not the last one");
  if (!sm->hasOneUse())
    return fail("its result has " +
                Twine(std::distance(sm->use_begin(), sm->use_end())) +
                " uses; attention only multiplies it by v (differential "
                "attention combines two softmaxes first)");
  Operation *user = *sm->getUsers().begin();
  auto out = dyn_cast<MatmulOp>(user);
  if (!out || out.getA() != sm.getResult())
    return fail("its result feeds '" + user->getName().getStringRef() +
                "', not the product with v");
  if (out.getBias() || out.getTransposeA() || out.getTransposeB() ||
      out.getAlpha().convertToFloat() != 1.0f)
    return fail("the product with v carries a bias, a transpose or a "
                "scale");
  m.output = out;
  m.v = out.getB();
  int64_t t = st.getDimSize(st.getRank() - 2), s = st.getShape().back();

  Value x = sm.getInput();
  // Masks and biases: any number of Where(cond, x, fill) / Add(x, bias)
  // layers, interleaved with the scale (Mul/Div by a constant).
  SmallVector<Value> biases;
  auto fromScores = [](Value v) {
    return v.getDefiningOp<MatmulOp>() || v.getDefiningOp<MulOp>() ||
           v.getDefiningOp<DivOp>() || v.getDefiningOp<AddOp>() ||
           v.getDefiningOp<SelectOp>();
  };
  bool progress = true;
  while (progress) {
    progress = false;
    if (auto sel = x.getDefiningOp<SelectOp>()) {
      Value scores = splatValue(sel.getRhs()) ? sel.getLhs() : sel.getRhs();
      Value fill = scores == sel.getLhs() ? sel.getRhs() : sel.getLhs();
      std::optional<float> f = splatValue(fill);
      std::optional<std::vector<bool>> keep = keepMask(sel, scores);
      if (!f || !keep || *f > -1e4f)
        return fail("a select on the scores is not a constant mask with a "
                    "large negative fill");
      auto condType = sel.getCond().getType();
      if (!m.causal && isCausal(*keep, condType.getShape(), t, s)) {
        m.causal = true;
      } else {
        OpBuilder b(sel);
        std::vector<float> bias;
        for (bool k : *keep)
          bias.push_back(k ? 0.0f : -std::numeric_limits<float>::infinity());
        biases.push_back(ConstantOp::create(
            b, sel.getLoc(),
            DenseElementsAttr::get(condType.clone(b.getF32Type()),
                                   ArrayRef<float>(bias))));
      }
      x = scores;
      progress = true;
    } else if (auto add = x.getDefiningOp<AddOp>()) {
      bool lhsScores = fromScores(add.getLhs());
      bool rhsScores = fromScores(add.getRhs());
      if (lhsScores == rhsScores) {
        // Prefer the side shaped like the scores.
        lhsScores = add.getLhs().getType() == add.getType();
        rhsScores = !lhsScores && add.getRhs().getType() == add.getType();
        if (!lhsScores && !rhsScores)
          return fail("an add on the scores has no operand shaped like "
                      "them");
      }
      Value bias = lhsScores ? add.getRhs() : add.getLhs();
      // Under a scale peeled already, softmax sees scale * bias.
      if (m.scale != 1.0f) {
        OpBuilder b(add);
        bias = MulOp::create(b, add.getLoc(), bias,
                             buildScalarConstant(b, add.getLoc(), m.scale));
      }
      biases.push_back(bias);
      x = lhsScores ? add.getLhs() : add.getRhs();
      progress = true;
    } else if (auto mul = x.getDefiningOp<MulOp>()) {
      std::optional<float> c = splatValue(mul.getRhs());
      Value other = mul.getLhs();
      if (!c) {
        c = splatValue(mul.getLhs());
        other = mul.getRhs();
      }
      if (!c)
        return fail("the scores are multiplied by a value that is not a "
                    "constant (a learned temperature?); wse.attention "
                    "takes a constant scale");
      m.scale *= *c;
      x = other;
      progress = true;
    } else if (auto div = x.getDefiningOp<DivOp>()) {
      std::optional<float> c = splatValue(div.getRhs());
      if (!c || *c == 0.0f)
        return fail("the scores are divided by a value that is not a "
                    "non-zero constant (a learned temperature?); "
                    "wse.attention takes a constant scale");
      m.scale /= *c;
      x = div.getLhs();
      progress = true;
    }
  }
  // Scores: q k^T, with k^T a transposed operand or any tensor whose last
  // two dims are [D, S] (k is then its transpose).
  auto qk = x.getDefiningOp<MatmulOp>();
  if (!qk)
    return fail("the scores come from " + opName(x) +
                ", not a q k^T matmul");
  if (qk.getBias() || qk.getTransposeA())
    return fail("the q k^T matmul carries a bias or transposes q");
  m.scale *= qk.getAlpha().convertToFloat();
  m.q = qk.getA();
  if (qk.getTransposeB()) {
    m.k = qk.getB();
  } else {
    // k is k^T with its last two dims swapped; fold that into a transpose
    // that produced k^T, which often leaves k itself.
    auto kt = cast<RankedTensorType>(qk.getB().getType());
    int64_t r = kt.getRank();
    SmallVector<int64_t> swap;
    for (int64_t d = 0; d < r; ++d)
      swap.push_back(d);
    std::swap(swap[r - 2], swap[r - 1]);
    Value src = qk.getB();
    SmallVector<int64_t> perm = swap;
    if (auto tr = src.getDefiningOp<TransposeOp>()) {
      for (int64_t d = 0; d < r; ++d)
        perm[d] = tr.getPerm()[swap[d]];
      src = tr.getInput();
    }
    bool identity = true;
    for (int64_t d = 0; d < r; ++d)
      identity &= perm[d] == d;
    if (identity) {
      m.k = src;
    } else {
      OpBuilder b(qk);
      m.k = TransposeOp::create(b, qk.getLoc(), src,
                                b.getDenseI64ArrayAttr(perm));
    }
  }
  // A causal ALiBi bias is the alibi variant; other biases add into one
  // mask operand.
  auto qType = cast<RankedTensorType>(m.q.getType());
  if (m.causal && qType.getRank() == 4 && biases.size() == 1 &&
      isAlibi(biases[0], qType.getDimSize(1), t, s)) {
    m.alibi = true;
    biases.clear();
  }
  for (Value bias : biases) {
    if (!m.mask) {
      m.mask = bias;
      continue;
    }
    OpBuilder b(m.output);
    m.mask = AddOp::create(b, m.output.getLoc(), m.mask, bias);
  }
  auto qt = cast<RankedTensorType>(m.q.getType());
  if (qt.getRank() != st.getRank() ||
      cast<RankedTensorType>(m.k.getType()).getRank() != qt.getRank() ||
      cast<RankedTensorType>(m.v.getType()).getRank() != qt.getRank())
    return fail("q, k, v and the scores do not all have the same rank");
  return m;
}

/// [N, T, D] -> [1, N, T, D]; rank 4 stays.
Value toRank4(OpBuilder &b, Location loc, Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getRank() == 4)
    return v;
  SmallVector<int64_t> shape(4 - t.getRank(), 1);
  llvm::append_range(shape, t.getShape());
  return ReshapeOp::create(b, loc, t.clone(shape), v);
}

struct RaiseAttentionPass
    : public mlir::wse::impl::RaiseAttentionBase<RaiseAttentionPass> {
  void runOnOperation() override {
    SmallVector<SoftmaxOp> softmaxes;
    getOperation().walk([&](SoftmaxOp op) { softmaxes.push_back(op); });
    for (SoftmaxOp sm : softmaxes) {
      std::string why;
      std::optional<Match> m = matchFrom(sm, why);
      auto qt = m ? cast<RankedTensorType>(m->q.getType()) : nullptr;
      if (m && qt.getRank() != 4 && qt.getRank() != 3)
        why = "q has rank " + std::to_string(qt.getRank()) +
              "; wse.attention takes rank 3 or 4";
      if (!why.empty()) {
        // Say which softmax stays and why, so a new variant is not lost
        // silently.
        sm.emitRemark() << "softmax not raised to wse.attention: " << why;
        continue;
      }
      OpBuilder b(m->output);
      Location loc = m->output.getLoc();
      Value q = toRank4(b, loc, m->q), k = toRank4(b, loc, m->k),
            v = toRank4(b, loc, m->v);
      Value mask = m->mask;
      if (mask) {
        auto mt = cast<RankedTensorType>(mask.getType());
        if (qt.getRank() == 3 && mt.getRank() == 3)
          mask = toRank4(b, loc, mask);
      }
      auto q4 = cast<RankedTensorType>(q.getType());
      auto k4 = cast<RankedTensorType>(k.getType());
      auto att = AttentionOp::create(
          b, loc, q, k, v, mask, b.getF32FloatAttr(m->scale),
          b.getBoolAttr(m->causal), b.getBoolAttr(m->alibi), IntegerAttr(),
          b.getI64IntegerAttr(q4.getDimSize(1)),
          b.getI64IntegerAttr(k4.getDimSize(1)));
      Value result = att.getResult();
      if (qt.getRank() == 3)
        result = ReshapeOp::create(b, loc, m->output.getType(), result);
      m->output.getResult().replaceAllUsesWith(result);
    }
    // The matched chains are dead now.
    eraseDeadWseOps(getOperation());
  }
};

} // namespace
