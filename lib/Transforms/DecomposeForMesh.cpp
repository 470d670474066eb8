//===- DecomposeForMesh.cpp - composite ops -> mesh-mappable primitives ---===//
//
// The mesh maps elementwise ops, reductions, contractions, data movement,
// row gathers and optimizer updates. Composite ops (normalizations,
// softmax, losses, Gemm's alpha/beta/bias, mean) become those primitives
// here, at the graph level, where the reference interpreter can run the
// result: the decomposed step is checked against the original before the
// mesh ever sees it. Each new op keeps the location of the op it replaces.
//
//===----------------------------------------------------------------------===//
#include "RoutedScatters.h"
#include "wse/Transforms/Passes.h"
#include "wse/WseDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <climits>
#include <cmath>
#include <numeric>

namespace mlir::wse {
#define GEN_PASS_DEF_DECOMPOSEFORMESH
#include "wse/Transforms/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {

/// Builds primitive ops at one location.
struct Builder {
  OpBuilder &b;
  Location loc;

  RankedTensorType type(Value v) { return cast<RankedTensorType>(v.getType()); }
  Value c(float v) { return buildScalarConstant(b, loc, v); }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value neg(Value x) { return NegOp::create(b, loc, x); }
  Value exp(Value x) { return ExpOp::create(b, loc, x); }
  Value log(Value x) { return LogOp::create(b, loc, x); }
  Value rsqrt(Value x) { return RsqrtOp::create(b, loc, x); }
  Value sum(Value x, ArrayRef<int64_t> axes, bool keep) {
    return ReduceSumOp::create(b, loc, x, b.getDenseI64ArrayAttr(axes),
                               b.getBoolAttr(keep));
  }
  Value max(Value x, ArrayRef<int64_t> axes) {
    return ReduceMaxOp::create(b, loc, x, b.getDenseI64ArrayAttr(axes),
                               b.getBoolAttr(true));
  }
  /// The mean as a sum times 1/count.
  Value mean(Value x, ArrayRef<int64_t> axes, bool keep) {
    int64_t n = 1;
    for (int64_t a : axes)
      n *= type(x).getDimSize(a);
    return mul(sum(x, axes, keep), c(1.0f / float(n)));
  }
  Value toF32(Value x) {
    return CastOp::create(b, loc, type(x).clone(b.getF32Type()), x);
  }
  Value reshape(Value x, ArrayRef<int64_t> shape) {
    auto t = type(x).clone(shape);
    return t == type(x) ? x : ReshapeOp::create(b, loc, t, x);
  }
  /// [1, ..., C at `axis`, ..., 1] holding 0..C-1 in the labels' type.
  Value iota(Type elem, int64_t rank, int64_t axis, int64_t c) {
    SmallVector<int64_t> shape(rank, 1);
    shape[axis] = c;
    SmallVector<int64_t> values(c);
    std::iota(values.begin(), values.end(), 0);
    auto t = RankedTensorType::get(shape, elem);
    return ConstantOp::create(b, loc, DenseElementsAttr::get(t, ArrayRef(values)));
  }
  Value bnot(Value x) { return NotOp::create(b, loc, x); }
  Value band(Value x, Value y) { return AndOp::create(b, loc, x, y); }
  Value eq(Value x, Value y) { return EqualOp::create(b, loc, x, y); }
  Value select(Value c, Value x, Value y) {
    return SelectOp::create(b, loc, c, x, y);
  }
  /// The smallest element along `axis`, kept: -max(-x).
  Value min(Value x, int64_t axis) { return neg(max(neg(x), {axis})); }
  /// 1.0 where labels [N, d...] equals the class along `axis` of [N, C, d...].
  Value onehot(Value labels, int64_t axis, int64_t classes) {
    SmallVector<int64_t> shape(type(labels).getShape());
    shape.insert(shape.begin() + axis, 1);
    Value l = reshape(labels, shape);
    Value cls = iota(type(labels).getElementType(), int64_t(shape.size()),
                     axis, classes);
    return toF32(EqualOp::create(b, loc, l, cls));
  }
};

SmallVector<int64_t> trailing(int64_t axis, int64_t rank) {
  SmallVector<int64_t> axes;
  for (int64_t a = axis; a < rank; ++a)
    axes.push_back(a);
  return axes;
}

/// Softmax statistics along the class axis: x - max and log(sum(exp)).
std::pair<Value, Value> logSumExp(Builder &g, Value x, int64_t axis) {
  Value shifted = g.sub(x, g.max(x, {axis}));
  return {shifted, g.log(g.sum(g.exp(shifted), {axis}, true))};
}

/// The mesh ranks f32 only: integers travel as f32 and would round above
/// 2^24.
LogicalResult checkF32(Operation *op, Value x, StringRef what) {
  if (cast<RankedTensorType>(x.getType()).getElementType().isF32())
    return success();
  return op->emitError("the mesh ") << what << " f32 tensors only, not "
                                    << x.getType();
}

/// Top-k along `axis` as k rounds of: the extreme m among the entries not yet
/// taken, the lowest index holding it, then that index marked taken. The
/// index order of ties and the sorted output are wse.top_k's. NaN is not
/// ranked as torch ranks it (reduce_max ignores its order).
FailureOr<std::pair<Value, Value>>
rankAlongAxis(Builder &g, Operation *op, Value input, int64_t axis, int64_t k,
              bool largest) {
  if (failed(checkF32(op, input, "ranks")))
    return failure();
  auto t = g.type(input);
  int64_t n = t.getDimSize(axis);
  Value x = largest ? input : g.neg(input);
  Value iota = g.toF32(g.iota(g.b.getI64Type(), t.getRank(), axis, n));
  Value none = g.c(float(n)), lowest = g.c(-INFINITY);
  Value free; // entries not taken yet (all before the first round)
  SmallVector<Value> vals, idxs;
  for (int64_t j = 0; j < k; ++j) {
    Value m = g.max(x, {axis});
    Value hit = g.eq(x, m);
    if (free)
      hit = g.band(hit, free);
    Value first = g.min(g.select(hit, iota, none), axis);
    vals.push_back(largest ? m : g.neg(m));
    idxs.push_back(CastOp::create(g.b, g.loc, g.type(first).clone(g.b.getI64Type()),
                                  first));
    if (j + 1 == k)
      break;
    Value taken = g.eq(iota, first);
    free = free ? g.band(free, g.bnot(taken)) : g.bnot(taken);
    x = g.select(taken, lowest, x);
  }
  if (k == 1)
    return std::make_pair(vals[0], idxs[0]);
  return std::make_pair(
      Value(ConcatOp::create(g.b, g.loc, vals, g.b.getI64IntegerAttr(axis))),
      Value(ConcatOp::create(g.b, g.loc, idxs, g.b.getI64IntegerAttr(axis))));
}

/// [n, n] ones where row i sums column j: j <= i (j >= i reversed), the
/// diagonal left out when exclusive.
Value triangle(Builder &g, int64_t n, bool exclusive, bool reverse) {
  std::vector<float> tri(size_t(n * n), 0.0f);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      bool in = reverse ? j >= i : j <= i;
      tri[size_t(i * n + j)] = (in && !(exclusive && i == j)) ? 1.0f : 0.0f;
    }
  auto type = RankedTensorType::get({n, n}, g.b.getF32Type());
  return ConstantOp::create(g.b, g.loc,
                            DenseElementsAttr::get(type, ArrayRef(tri)));
}

Value product(Builder &g, Value a, Value b) {
  return MatmulOp::create(g.b, g.loc, a, b, Value(), g.b.getBoolAttr(false),
                          g.b.getBoolAttr(false), g.b.getF32FloatAttr(1.0f),
                          g.b.getF32FloatAttr(1.0f));
}

/// Up to this length a running sum is one product with an [n, n]
/// triangle; longer ones go by blocks.
constexpr int64_t kDirectScan = 128;

/// A running sum as products with triangular matrices of ones: the mesh's
/// contractions do the summing. Up to kDirectScan, one [n, n] triangle;
/// beyond, in B blocks of L ~ sqrt(n): the sums within each block (an
/// [L, L] triangle over all blocks at once) plus those of the blocks
/// before it (a [B, B] triangle over the block totals), O(n sqrt(n)) work
/// and O(n) constants instead of O(n^2) each (a router's running count
/// over k N choices: 4 MB of constant at N = 512, k = 2, directly). Exact
/// for the small integer counts a router's cumsum makes; other sums round
/// as the contractions' splits order them.
Value cumsumAsMatmul(Builder &g, Value input, int64_t axis, bool exclusive,
                     bool reverse) {
  auto t = g.type(input);
  int64_t n = t.getDimSize(axis), rank = t.getRank();
  SmallVector<int64_t> perm{axis}, back(rank), moved{n};
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis) {
      perm.push_back(d);
      moved.push_back(t.getDimSize(d));
    }
  for (int64_t d = 0; d < rank; ++d)
    back[perm[d]] = d;
  Value x = input;
  if (axis != 0)
    x = TransposeOp::create(g.b, g.loc, x, g.b.getDenseI64ArrayAttr(perm));
  int64_t rest = n ? t.getNumElements() / n : 0;
  x = g.reshape(x, {n, rest});
  Value y;
  if (n <= kDirectScan) {
    y = product(g, triangle(g, n, exclusive, reverse), x);
  } else {
    int64_t l = int64_t(std::ceil(std::sqrt(double(n))));
    int64_t blocks = (n + l - 1) / l, padded = blocks * l;
    // Zero rows at the end change no running sum of the rows before them,
    // nor, reversed, of any row.
    if (padded > n) {
      auto zt = RankedTensorType::get({padded - n, rest}, g.b.getF32Type());
      Value zeros =
          ConstantOp::create(g.b, g.loc, DenseElementsAttr::get(zt, 0.0f));
      x = ConcatOp::create(g.b, g.loc, ValueRange{x, zeros},
                           g.b.getI64IntegerAttr(0));
    }
    Value xb = g.reshape(x, {blocks, l, rest});
    Value within = product(g, triangle(g, l, exclusive, reverse), xb);
    Value totals = g.sum(xb, {1}, false); // [B, rest]
    Value before = product(g, triangle(g, blocks, true, reverse), totals);
    y = g.add(within, g.reshape(before, {blocks, 1, rest}));
    y = g.reshape(y, {padded, rest});
    if (padded > n)
      y = SliceOp::create(g.b, g.loc, g.type(y).clone({n, rest}), y,
                          g.b.getDenseI64ArrayAttr({0, 0}),
                          g.b.getDenseI64ArrayAttr({n, rest}),
                          g.b.getDenseI64ArrayAttr({1, 1}));
  }
  y = g.reshape(y, moved);
  if (axis != 0)
    y = TransposeOp::create(g.b, g.loc, y, g.b.getDenseI64ArrayAttr(back));
  return y;
}

/// moe_route from primitives: each choice's position among its expert's
/// choices is a running count (cumsum of one-hot choices in priority
/// order), kept below the capacity; each slot's token is a scatter-add of
/// (token - N) onto N, dropped choices landing on a padding row. With
/// `choices`, also each slot's choice as t k + c (k N for an empty slot),
/// the same way.
struct Route {
  Value slot, src, choiceOfSlot;
};
Route routeFromPrimitives(Builder &g, MoeRouteOp r, bool choices) {
  OpBuilder &b = g.b;
  auto ct = g.type(r.getChoices());
  int64_t n = ct.getDimSize(0), k = ct.getDimSize(1), len = n * k;
  int64_t experts = r.getExperts(), cap = r.getCapacity();
  bool choiceMajor = r.getChoiceMajor();
  Value ordered = r.getChoices();
  if (choiceMajor)
    ordered = TransposeOp::create(b, g.loc, ordered,
                                  b.getDenseI64ArrayAttr({1, 0}));
  Value flat = g.reshape(ordered, {len});
  Value onehot = g.onehot(flat, 1, experts); // [len, E]
  Value counted = cumsumAsMatmul(g, onehot, 0, false, false);
  Value pos = g.sum(g.mul(onehot, g.sub(counted, g.c(1.0f))), {1}, false);
  Value expert = g.toF32(flat);
  Value kept = LessOp::create(b, g.loc, pos, g.c(float(cap)));
  Value p = r.getExpertMajor()
                ? g.add(g.mul(expert, g.c(float(cap))), pos)
                : g.add(g.mul(pos, g.c(float(experts))), expert);
  Value slotF = g.select(kept, p, g.c(float(experts * cap)));
  auto i64 = [&](Value v) {
    return Value(CastOp::create(b, g.loc, g.type(v).clone(b.getI64Type()), v));
  };
  Value slot = choiceMajor ? g.reshape(slotF, {k, n}) : g.reshape(slotF, {n, k});
  if (choiceMajor)
    slot = TransposeOp::create(b, g.loc, slot, b.getDenseI64ArrayAttr({1, 0}));
  // Token (t) and choice (t k + c) of each entry of `flat`.
  std::vector<float> token(len), choice(len);
  for (int64_t l = 0; l < len; ++l) {
    int64_t t = choiceMajor ? l % n : l / k, c = choiceMajor ? l / n : l % k;
    token[l] = float(t);
    choice[l] = float(t * k + c);
  }
  Value slotIdx = i64(slotF);
  // Each slot's value of `of`, `none` for an empty slot: a scatter-add of
  // (value - none) onto none.
  auto perSlot = [&](ArrayRef<float> of, float none) {
    std::vector<float> shifted(of.begin(), of.end());
    for (float &v : shifted)
      v -= none;
    auto colType = RankedTensorType::get({len, 1}, b.getF32Type());
    Value upd = ConstantOp::create(
        b, g.loc, DenseElementsAttr::get(colType, ArrayRef(shifted)));
    Value used = scatterRows(b, g.loc, upd, slotIdx, experts * cap);
    return i64(g.add(g.reshape(used, {experts * cap}), g.c(none)));
  };
  Route out{i64(slot), perSlot(token, float(n)), nullptr};
  if (choices)
    out.choiceOfSlot = perSlot(choice, float(len));
  return out;
}

/// argmax/argmin: the first round of rankAlongAxis (the last index on
/// select_last_index: the first of the reversed axis).
FailureOr<Value> argExtreme(Builder &g, Operation *op, Value input,
                            int64_t axis, bool keep, bool largest, bool last) {
  if (last)
    return op->emitError("the mesh takes the first index of an extreme; "
                         "select_last_index is not mapped");
  FailureOr<std::pair<Value, Value>> r =
      rankAlongAxis(g, op, input, axis, 1, largest);
  if (failed(r))
    return failure();
  if (keep)
    return r->second;
  SmallVector<int64_t> shape(g.type(r->second).getShape());
  shape.erase(shape.begin() + axis);
  return g.reshape(r->second, shape);
}

FailureOr<Value> decompose(Operation *op) {
  OpBuilder b(op);
  Builder g{b, op->getLoc()};
  return llvm::TypeSwitch<Operation *, FailureOr<Value>>(op)
      .Case<SoftmaxOp>([&](SoftmaxOp s) -> FailureOr<Value> {
        int64_t axis = s.getAxis();
        Value x = s.getInput();
        Value e = g.exp(g.sub(x, g.max(x, {axis})));
        return g.div(e, g.sum(e, {axis}, true));
      })
      .Case<LogSoftmaxOp>([&](LogSoftmaxOp s) -> FailureOr<Value> {
        auto [shifted, lse] = logSumExp(g, s.getInput(), s.getAxis());
        return g.sub(shifted, lse);
      })
      .Case<LayerNormOp>([&](LayerNormOp n) -> FailureOr<Value> {
        Value x = n.getInput();
        auto axes = trailing(n.getAxis(), g.type(x).getRank());
        Value d = g.sub(x, g.mean(x, axes, true));
        Value var = g.mean(g.mul(d, d), axes, true);
        Value y = g.mul(d, g.rsqrt(g.add(var, g.c(n.getEpsilon().convertToFloat()))));
        if (n.getScale())
          y = g.mul(y, n.getScale());
        if (n.getBias())
          y = g.add(y, n.getBias());
        return y;
      })
      .Case<RmsNormOp>([&](RmsNormOp n) -> FailureOr<Value> {
        Value x = n.getInput();
        auto axes = trailing(n.getAxis(), g.type(x).getRank());
        Value ms = g.mean(g.mul(x, x), axes, true);
        Value y = g.mul(x, g.rsqrt(g.add(ms, g.c(n.getEpsilon().convertToFloat()))));
        return n.getScale() ? g.mul(y, n.getScale()) : y;
      })
      .Case<SoftmaxCrossEntropyOp, SoftmaxCrossEntropyGradOp>(
          [&](auto s) -> FailureOr<Value> {
            constexpr bool isGrad =
                std::is_same_v<decltype(s), SoftmaxCrossEntropyGradOp>;
            Value x = s.getLogits();
            int64_t rows = g.type(x).getDimSize(0), cols = g.type(x).getDimSize(1);
            auto [shifted, lse] = logSumExp(g, x, 1);
            if constexpr (isGrad) {
              Value p = g.exp(g.sub(shifted, lse));
              Value diff = g.sub(p, g.onehot(s.getLabels(), 1, cols));
              return g.mul(diff, g.mul(s.getDloss(), g.c(1.0f / float(rows))));
            } else {
              Value picked = g.sum(
                  g.mul(shifted, g.onehot(s.getLabels(), 1, cols)), {1}, true);
              return g.mul(g.sum(g.sub(lse, picked), {0, 1}, false),
                           g.c(1.0f / float(rows)));
            }
          })
      .Case<NllLossOp, NllLossGradOp>([&](auto n) -> FailureOr<Value> {
        constexpr bool isGrad = std::is_same_v<decltype(n), NllLossGradOp>;
        if (n.getWeight())
          return n.emitError("class weights of nll_loss have no mesh "
                             "mapping yet; train without them or on the "
                             "reference engine");
        Value x = n.getInput();
        int64_t classes = g.type(x).getDimSize(1);
        Value labels = n.getLabels();
        Value hot = g.onehot(labels, 1, classes);
        // Counted positions: labels other than ignore_index.
        Value valid;
        if (auto ignore = n.getIgnoreIndex()) {
          Value ig = ConstantOp::create(
              b, n.getLoc(),
              DenseElementsAttr::get(
                  RankedTensorType::get({}, g.type(labels).getElementType()),
                  ArrayRef<int64_t>{int64_t(*ignore)}));
          valid = g.toF32(NotOp::create(b, n.getLoc(),
                                        EqualOp::create(b, n.getLoc(), labels, ig)));
        }
        SmallVector<int64_t> keptShape(g.type(labels).getShape());
        keptShape.insert(keptShape.begin() + 1, 1);
        StringRef red = n.getReduction();
        int64_t rank = g.type(labels).getRank();
        SmallVector<int64_t> all(rank);
        std::iota(all.begin(), all.end(), 0);
        Value count = valid ? g.sum(valid, all, false)
                            : g.c(float(g.type(labels).getNumElements()));
        if constexpr (!isGrad) {
          Value per = g.reshape(g.neg(g.sum(g.mul(x, hot), {1}, true)),
                                g.type(labels).getShape());
          if (valid)
            per = g.mul(per, valid);
          if (red == "none")
            return per;
          Value total = g.sum(per, all, false);
          return red == "sum" ? total : g.div(total, count);
        } else {
          Value scale = n.getDloss();
          if (red == "none")
            scale = g.reshape(scale, keptShape);
          else if (red == "mean")
            scale = g.div(scale, count);
          Value grad = g.neg(g.mul(hot, scale));
          if (valid)
            grad = g.mul(grad, g.reshape(valid, keptShape));
          return grad;
        }
      })
      .Case<MseOp>([&](MseOp m) -> FailureOr<Value> {
        Value d = g.sub(m.getPrediction(), m.getTarget());
        int64_t rank = g.type(d).getRank();
        SmallVector<int64_t> all(rank);
        std::iota(all.begin(), all.end(), 0);
        return g.mean(g.mul(d, d), all, false);
      })
      .Case<ReduceMeanOp>([&](ReduceMeanOp r) -> FailureOr<Value> {
        return g.mean(r.getInput(), r.getAxes(), r.getKeepDims());
      })
      .Case<MatmulOp>([&](MatmulOp m) -> FailureOr<Value> {
        float alpha = m.getAlpha().convertToFloat();
        float beta = m.getBeta().convertToFloat();
        if (alpha == 1.0f && !m.getBias())
          return Value();
        Value y = MatmulOp::create(b, m.getLoc(), m.getA(), m.getB(), Value(),
                                   b.getBoolAttr(m.getTransposeA()),
                                   b.getBoolAttr(m.getTransposeB()),
                                   b.getF32FloatAttr(1.0f),
                                   b.getF32FloatAttr(1.0f));
        if (alpha != 1.0f)
          y = g.mul(y, g.c(alpha));
        if (Value bias = m.getBias())
          y = g.add(y, beta == 1.0f ? bias : g.mul(bias, g.c(beta)));
        return y;
      })
      .Case<GatherOp>([&](GatherOp gth) -> FailureOr<Value> {
        auto data = g.type(gth.getData());
        auto idx = g.type(gth.getIndices());
        if (gth.getAxis() != 0)
          return gth.emitError("the mesh gathers rows (axis 0) only; this "
                               "gather is along axis ")
                 << gth.getAxis();
        if (data.getRank() == 2 && idx.getRank() == 1)
          return Value();
        int64_t rows = data.getDimSize(0);
        int64_t width = data.getRank() ? data.getNumElements() / std::max<int64_t>(rows, 1) : 1;
        Value table = g.reshape(gth.getData(), {rows, width});
        Value flat = g.reshape(gth.getIndices(), {idx.getNumElements()});
        Value rowsOut = GatherOp::create(b, gth.getLoc(), table, flat,
                                         b.getI64IntegerAttr(0));
        return g.reshape(rowsOut, g.type(gth.getResult()).getShape());
      })
      .Case<ScatterAddOp>([&](ScatterAddOp s) -> FailureOr<Value> {
        auto dest = g.type(s.getDest());
        auto idx = g.type(s.getIndices());
        if (s.getAxis() != 0)
          return s.emitError("the mesh scatters rows (axis 0) only; this "
                             "scatter_add is along axis ")
                 << s.getAxis();
        auto c = s.getDest().getDefiningOp<ConstantOp>();
        auto dv = c ? dyn_cast<DenseElementsAttr>(c.getValue()) : nullptr;
        bool zeroDest = dv && dv.isSplat() && dv.getSplatValue<float>() == 0.0f;
        if (zeroDest && dest.getRank() == 2 && idx.getRank() == 1)
          return Value();
        int64_t rows = dest.getDimSize(0);
        int64_t width = dest.getNumElements() / std::max<int64_t>(rows, 1);
        auto tableType = RankedTensorType::get({rows, width}, b.getF32Type());
        Value zeros = ConstantOp::create(b, s.getLoc(),
                                         DenseElementsAttr::get(tableType, 0.0f));
        Value flat = g.reshape(s.getIndices(), {idx.getNumElements()});
        Value upd = g.reshape(s.getUpdates(), {idx.getNumElements(), width});
        Value rowsOut = ScatterAddOp::create(b, s.getLoc(), zeros, flat, upd,
                                             b.getI64IntegerAttr(0));
        Value scattered = g.reshape(rowsOut, dest.getShape());
        return zeroDest ? scattered : g.add(s.getDest(), scattered);
      })
      .Case<CumsumOp>([&](CumsumOp c) -> FailureOr<Value> {
        if (failed(checkF32(c, c.getInput(), "sums running totals of")))
          return failure();
        return cumsumAsMatmul(g, c.getInput(), c.getAxis(), c.getExclusive(),
                              c.getReverse());
      })
      .Case<ArgMaxOp, ArgMinOp>([&](auto a) -> FailureOr<Value> {
        return argExtreme(g, a, a.getInput(), a.getAxis(), a.getKeepDims(),
                          isa<ArgMaxOp>(a.getOperation()),
                          a.getSelectLastIndex());
      })
      .Default([](Operation *) -> FailureOr<Value> { return Value(); });
}

struct DecomposeForMeshPass
    : public mlir::wse::impl::DecomposeForMeshBase<DecomposeForMeshPass> {
  using DecomposeForMeshBase::DecomposeForMeshBase;
  void runOnOperation() override {
    // The mesh compares and gathers with integer inputs; the host checks
    // their values on entry against these ranges.
    for (auto fn : getOperation().getOps<func::FuncOp>())
      annotateInputRanges(fn);
    // Routes first: their gathers become scatters (RoutedScatters.h).
    SmallVector<MoeRouteOp> routes;
    getOperation().walk([&](MoeRouteOp r) { routes.push_back(r); });
    for (MoeRouteOp route : routes) {
      OpBuilder b(route);
      Builder g{b, route.getLoc()};
      RoutedGathers gathers =
          routedScatters ? findRoutedGathers(route) : RoutedGathers();
      Route r = routeFromPrimitives(g, route, !gathers.bySlot.empty());
      auto slotType = g.type(r.slot);
      if (!gathers.empty())
        scatterRoutedGathers(gathers,
                             g.reshape(r.slot, {slotType.getNumElements()}),
                             r.choiceOfSlot, slotType.getDimSize(1));
      route.getSlot().replaceAllUsesWith(r.slot);
      route.getSrc().replaceAllUsesWith(r.src);
      route.erase();
    }
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (op->getDialect() &&
          op->getDialect()->getNamespace() == WseDialect::getDialectNamespace())
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (auto topK = dyn_cast<TopKOp>(op)) {
        OpBuilder b(op);
        Builder g{b, op->getLoc()};
        auto r = rankAlongAxis(g, op, topK.getInput(), topK.getAxis(),
                               topK.getK(), topK.getLargest());
        if (failed(r))
          return signalPassFailure();
        topK.getValues().replaceAllUsesWith(r->first);
        topK.getIndices().replaceAllUsesWith(r->second);
        op->erase();
        continue;
      }
      FailureOr<Value> v = decompose(op);
      if (failed(v))
        return signalPassFailure();
      if (!*v)
        continue;
      op->getResult(0).replaceAllUsesWith(*v);
      op->erase();
    }
  }
};

} // namespace
