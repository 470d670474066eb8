//===- WseAttention.cpp - attention and RoPE in primitive ops -------------===//
//
// One definition of what wse.attention and wse.rope compute, used by
// wse-decompose-attention and by their gradient rules (which recompute the
// softmax rather than keep it alive).
//
//===----------------------------------------------------------------------===//
#include "WseGradientUtils.h"
#include "wse/WseDialect.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::wse;
using grad::G;

/// Repeats kv heads [B, Hkv, S, D] to [B, H, S, D] (GQA, MQA).
static Value repeatHeads(G &e, Value kv, int64_t heads) {
  auto t = cast<RankedTensorType>(kv.getType());
  int64_t b = t.getDimSize(0), hkv = t.getDimSize(1), s = t.getDimSize(2),
          d = t.getDimSize(3);
  if (hkv == heads)
    return kv;
  int64_t group = heads / hkv;
  Type f32 = e.b.getF32Type();
  Value x = e.reshape(kv, RankedTensorType::get({b, hkv, 1, s, d}, f32));
  x = BroadcastToOp::create(
      e.b, e.loc, RankedTensorType::get({b, hkv, group, s, d}, f32), x);
  return e.reshape(x, RankedTensorType::get({b, heads, s, d}, f32));
}

/// The additive bias of causal / window / alibi, [1, Hb, T, S] (Hb = H with
/// alibi, else 1), or null when none is asked for. It is computed from the
/// query positions [T, 1] and key positions [1, S] (and the alibi slopes
/// [Hb, 1, 1]), so the IR holds O(T + S + H) constants, not a [T, S] one
/// per layer (a 2048-token context would be 16 MB each).
static Value attentionBias(G &e, AttentionOp op, int64_t heads, int64_t t,
                           int64_t s) {
  bool causal = op.getCausal(), alibi = op.getAlibi();
  std::optional<uint64_t> window = op.getWindow();
  if (!causal && !alibi && !window)
    return Value();
  Type f32 = e.b.getF32Type();
  auto vector = [&](ArrayRef<int64_t> shape, auto value) -> Value {
    std::vector<float> v;
    for (int64_t k = 0, n = shape[1] * shape[2] * shape[3]; k < n; ++k)
      v.push_back(value(k));
    return ConstantOp::create(
        e.b, e.loc,
        DenseElementsAttr::get(RankedTensorType::get(shape, f32),
                               ArrayRef<float>(v)));
  };
  // Query i sits at key position i + (S - T); positions are exact in f32.
  Value pos = vector({1, 1, t, 1}, [&](int64_t i) { return float(i + s - t); });
  Value key = vector({1, 1, 1, s}, [](int64_t j) { return float(j); });
  Value hidden;
  if (causal)
    hidden = GreaterOp::create(e.b, e.loc, key, pos);
  if (window) {
    Value old =
        LessEqualOp::create(e.b, e.loc, key, e.sub(pos, e.c(float(*window))));
    hidden = hidden ? Value(OrOp::create(e.b, e.loc, hidden, old)) : old;
  }
  // alibi: -slope_h * (pos - key), as slope_h * (key - pos) (the same bits).
  Value visible = e.c(0.0f);
  if (alibi) {
    Value slopes = vector({1, heads, 1, 1}, [&](int64_t h) {
      return std::pow(2.0f, -8.0f * float(h + 1) / float(heads));
    });
    visible = e.mul(slopes, e.sub(key, pos));
  }
  if (!hidden)
    return visible;
  Value bias =
      e.select(hidden, e.c(-std::numeric_limits<float>::infinity()), visible);
  return bias;
}

AttentionParts mlir::wse::buildAttentionFromPrimitives(OpBuilder &b,
                                                       AttentionOp op) {
  G e(b, op.getLoc());
  auto q = op.getQuery().getType();
  int64_t heads = q.getDimSize(1), t = q.getDimSize(2), d = q.getDimSize(3);
  int64_t s = op.getKey().getType().getDimSize(2);
  AttentionParts parts;
  parts.scale = op.getScale() ? op.getScale()->convertToFloat()
                              : 1.0f / std::sqrt(float(d));
  parts.key = repeatHeads(e, op.getKey(), heads);
  parts.value = repeatHeads(e, op.getValue(), heads);
  Value scores = MatmulOp::create(b, op.getLoc(), op.getQuery(), parts.key,
                                  Value(), b.getBoolAttr(false),
                                  b.getBoolAttr(true), b.getF32FloatAttr(1.0f),
                                  b.getF32FloatAttr(1.0f));
  scores = e.mul(scores, parts.scale);
  if (Value bias = attentionBias(e, op, heads, t, s))
    scores = e.add(scores, bias);
  if (Value mask = op.getMask())
    scores = e.add(scores, mask);
  parts.probs = SoftmaxOp::create(b, op.getLoc(), scores, b.getI64IntegerAttr(3));
  parts.result = MatmulOp::create(b, op.getLoc(), parts.probs, parts.value,
                                  Value(), b.getBoolAttr(false),
                                  b.getBoolAttr(false), b.getF32FloatAttr(1.0f),
                                  b.getF32FloatAttr(1.0f));
  return parts;
}

LogicalResult AttentionOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                          SmallVectorImpl<Value> &og) {
  og.assign(getNumOperands(), Value());
  Value g = rg[0];
  if (!g)
    return success();
  G e(b, getLoc());
  AttentionParts p = buildAttentionFromPrimitives(b, *this);
  auto mm = [&](Value x, Value y, bool ta, bool tb) -> Value {
    return grad::build<MatmulOp>(b, getLoc(), x, y, Value(), b.getBoolAttr(ta),
                            b.getBoolAttr(tb), b.getF32FloatAttr(1.0f),
                            b.getF32FloatAttr(1.0f));
  };
  // dS = P * (dP - rowsum(dP * P)) with dP = dO V^T.
  Value dv = mm(p.probs, g, true, false);
  Value dp = mm(g, p.value, false, true);
  Value ds = e.mul(p.probs, e.sub(dp, e.sumKeep(e.mul(dp, p.probs), {3})));
  Value dsScaled = e.mul(ds, p.scale);
  Value dq = mm(dsScaled, p.key, false, false);
  Value dk = mm(dsScaled, getQuery(), true, false);
  // Query heads that shared a kv head add their gradients.
  auto kt = getKey().getType();
  int64_t heads = getQuery().getType().getDimSize(1);
  int64_t hkv = kt.getDimSize(1);
  auto fold = [&](Value full) -> Value {
    if (hkv == heads)
      return full;
    auto five = RankedTensorType::get(
        {kt.getDimSize(0), hkv, heads / hkv, kt.getDimSize(2), kt.getDimSize(3)},
        b.getF32Type());
    Value x = e.reshape(full, five);
    return grad::build<ReduceSumOp>(b, getLoc(), x, b.getDenseI64ArrayAttr({2}),
                               b.getBoolAttr(false));
  };
  og[0] = dq;
  og[1] = fold(dk);
  og[2] = fold(dv);
  if (getMask())
    og[3] = e.reduceTo(ds, getMask().getType());
  return success();
}

//===----------------------------------------------------------------------===//
// RoPE
//===----------------------------------------------------------------------===//

/// cos and sin tables [T, D] computed in float32 as torch does.
static std::pair<Value, Value> ropeTables(G &e, int64_t t, int64_t d,
                                          float theta, bool interleaved) {
  std::vector<float> cosT(size_t(t * d)), sinT(size_t(t * d));
  for (int64_t i = 0; i < d / 2; ++i) {
    float invFreq = 1.0f / std::pow(theta, float(2 * i) / float(d));
    for (int64_t p = 0; p < t; ++p) {
      float angle = float(p) * invFreq;
      float c = std::cos(angle), s = std::sin(angle);
      int64_t a = interleaved ? 2 * i : i, bIdx = interleaved ? 2 * i + 1 : i + d / 2;
      cosT[size_t(p * d + a)] = cosT[size_t(p * d + bIdx)] = c;
      sinT[size_t(p * d + a)] = sinT[size_t(p * d + bIdx)] = s;
    }
  }
  auto type = RankedTensorType::get({t, d}, e.b.getF32Type());
  Value c = ConstantOp::create(e.b, e.loc,
                               DenseElementsAttr::get(type, ArrayRef<float>(cosT)));
  Value s = ConstantOp::create(e.b, e.loc,
                               DenseElementsAttr::get(type, ArrayRef<float>(sinT)));
  return {c, s};
}

/// Rotates each pair by 90 degrees: (a, b) -> (-b, a).
static Value rotate(G &e, Value x, bool interleaved) {
  auto t = cast<RankedTensorType>(x.getType());
  int64_t rank = t.getRank(), d = t.getShape().back();
  auto slice = [&](Value v, int64_t lo, int64_t hi) -> Value {
    auto vt = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> start(vt.getRank(), 0), stride(vt.getRank(), 1);
    SmallVector<int64_t> limit(vt.getShape());
    start.back() = lo;
    limit.back() = hi;
    return SliceOp::create(e.b, e.loc, v, e.b.getDenseI64ArrayAttr(start),
                           e.b.getDenseI64ArrayAttr(limit),
                           e.b.getDenseI64ArrayAttr(stride));
  };
  if (!interleaved) {
    Value lo = slice(x, 0, d / 2), hi = slice(x, d / 2, d);
    return ConcatOp::create(e.b, e.loc, ValueRange{e.neg(hi), lo},
                            e.b.getI64IntegerAttr(rank - 1));
  }
  SmallVector<int64_t> pairs(t.getShape().drop_back());
  pairs.push_back(d / 2);
  pairs.push_back(2);
  Value p = e.reshape(x, RankedTensorType::get(pairs, t.getElementType()));
  Value a = slice(p, 0, 1), bb = slice(p, 1, 2);
  Value r = ConcatOp::create(e.b, e.loc, ValueRange{e.neg(bb), a},
                             e.b.getI64IntegerAttr(rank));
  return e.reshape(r, t);
}

Value mlir::wse::buildRopeFromPrimitives(OpBuilder &b, Location loc, Value x,
                                         float theta, bool interleaved,
                                         bool transposed) {
  G e(b, loc);
  auto t = cast<RankedTensorType>(x.getType());
  int64_t seq = t.getDimSize(t.getRank() - 2), d = t.getShape().back();
  auto [c, s] = ropeTables(e, seq, d, theta, interleaved);
  // x cos + R(x) sin; the transpose is g cos + R^T(g sin) = g cos - R(g sin).
  if (!transposed)
    return e.add(e.mul(x, c), e.mul(rotate(e, x, interleaved), s));
  return e.sub(e.mul(x, c), rotate(e, e.mul(x, s), interleaved));
}

LogicalResult RopeOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                     SmallVectorImpl<Value> &og) {
  og.assign(1, Value());
  if (rg[0])
    og[0] = buildRopeFromPrimitives(b, getLoc(), rg[0],
                                    getTheta().convertToFloat(),
                                    getInterleaved(), /*transposed=*/true);
  return success();
}
