//===- ImportReduce.cpp - reductions, arg-reductions, cumsum --------------===//
//
// ReduceSum/Mean/Max/Min/Prod map onto the wse reduce ops; the others are
// composed: L1 = sum(|x|), L2 = sqrt(sum(x*x)), SumSquare = sum(x*x),
// LogSum = log(sum(x)), LogSumExp = m + log(sum(exp(x - m))) with
// m = max(x) (stable). Axes are an attribute before opset 18 (13 for
// ReduceSum) and a constant input after.
//
//===----------------------------------------------------------------------===//
#include "OnnxImporter.h"

#include <cmath>

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::onnximport;

/// Folds Sum/Mean/Max/Min/Prod of constant data.
static ConstTensor foldReduce(StringRef type, const ConstTensor &x,
                              ArrayRef<int64_t> axes, bool keep) {
  SmallVector<int64_t> outShape, keptShape;
  for (auto [d, s] : llvm::enumerate(x.shape)) {
    bool reduced = llvm::is_contained(axes, int64_t(d));
    keptShape.push_back(reduced ? 1 : s);
    if (!reduced)
      outShape.push_back(s);
    else if (keep)
      outShape.push_back(1);
  }
  ConstTensor out = ConstTensor::make(x.kind, outShape);
  int64_t n = out.size();
  std::vector<double> acc(n), count(n, 0);
  std::vector<int64_t> iacc(n);
  double dInit = type == "Prod"  ? 1
                 : type == "Max" ? -INFINITY
                 : type == "Min" ? INFINITY
                                 : 0;
  int64_t iInit = type == "Prod"  ? 1
                  : type == "Max" ? INT64_MIN
                  : type == "Min" ? INT64_MAX
                                  : 0;
  std::fill(acc.begin(), acc.end(), dInit);
  std::fill(iacc.begin(), iacc.end(), iInit);
  SmallVector<int64_t> keptStrides(x.shape.size(), 1);
  for (int64_t d = int64_t(x.shape.size()) - 2; d >= 0; --d)
    keptStrides[d] = keptStrides[d + 1] * keptShape[d + 1];
  SmallVector<int64_t> pos(x.shape.size(), 0);
  for (int64_t i = 0, total = x.size(); i < total; ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < pos.size(); ++d)
      o += (keptShape[d] == 1 ? 0 : pos[d]) * keptStrides[d];
    count[o] += 1;
    if (x.isFloat()) {
      double v = x.floats[i];
      if (type == "Sum" || type == "Mean")
        acc[o] += v;
      else if (type == "Prod")
        acc[o] *= v;
      else if (type == "Max")
        acc[o] = std::max(acc[o], v);
      else
        acc[o] = std::min(acc[o], v);
    } else {
      int64_t v = x.ints[i];
      if (type == "Sum" || type == "Mean")
        iacc[o] = int64_t(uint64_t(iacc[o]) + uint64_t(v));
      else if (type == "Prod")
        iacc[o] = int64_t(uint64_t(iacc[o]) * uint64_t(v));
      else if (type == "Max")
        iacc[o] = std::max(iacc[o], v);
      else
        iacc[o] = std::min(iacc[o], v);
    }
    for (int64_t d = int64_t(pos.size()) - 1; d >= 0; --d) {
      if (++pos[d] < x.shape[d])
        break;
      pos[d] = 0;
    }
  }
  for (int64_t o = 0; o < n; ++o) {
    if (x.isFloat())
      out.setDouble(o, type == "Mean" ? acc[o] / count[o] : acc[o]);
    else
      out.setInt(o, type == "Mean" && count[o] ? iacc[o] / int64_t(count[o])
                                               : iacc[o]);
  }
  return out;
}

/// Builds wse.reduce_<kind> over `axes`.
template <typename OpTy>
static FailureOr<Value> reduceOp(OnnxImporter &im, Value x,
                                 ArrayRef<int64_t> axes, bool keep) {
  if (axes.empty())
    return x;
  return im.emit<OpTy>(
      {x},
      {im.builder.getNamedAttr("axes", im.builder.getDenseI64ArrayAttr(axes)),
       im.builder.getNamedAttr("keep_dims", im.builder.getBoolAttr(keep))});
}

LogicalResult OnnxImporter::importReduce() {
  StringRef type = opType();
  StringRef kind = type.drop_front(strlen("Reduce"));
  FailureOr<OnnxValue> in = input(0);
  if (failed(in))
    return failure();
  RankedTensorType t = typeOf(*in);
  int64_t rank = t.getRank();
  ElemKind ek = *kindOf(t.getElementType());
  if (ek == ElemKind::I1)
    return fail() << "cannot reduce bool tensors";

  bool axesAsInput = opset >= 18 || (kind == "Sum" && opset >= 13);
  SmallVector<int64_t> axes;
  if (axesAsInput) {
    if (hasInput(1)) {
      FailureOr<SmallVector<int64_t>> a = intsInput(1, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
  } else if (std::optional<SmallVector<int64_t>> a = intsAttr("axes")) {
    axes = *a;
  }
  bool keep = intAttr("keepdims", 1) != 0;
  if (axes.empty() && intAttr("noop_with_empty_axes", 0) == 0)
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  if (failed(normalizeAxes(axes, rank)))
    return failure();

  if (in->isConstant() && (kind == "Sum" || kind == "Mean" || kind == "Max" ||
                           kind == "Min" || kind == "Prod")) {
    defineConst(0, foldReduce(kind, *in->data, axes, keep));
    return success();
  }

  Value x = materialize(*in);
  // LogSum, LogSumExp and L2 compute in f32; integer results truncate back.
  bool needsFloat = kind == "L2" || kind == "LogSum" || kind == "LogSumExp";
  if (needsFloat)
    x = convert(x, ElemKind::F32);
  Type xt = x.getType();
  FailureOr<Value> r;
  if (kind == "Sum")
    r = reduceOp<ReduceSumOp>(*this, x, axes, keep);
  else if (kind == "Mean")
    r = reduceOp<ReduceMeanOp>(*this, x, axes, keep);
  else if (kind == "Max")
    r = reduceOp<ReduceMaxOp>(*this, x, axes, keep);
  else if (kind == "Min")
    r = reduceOp<ReduceMinOp>(*this, x, axes, keep);
  else if (kind == "Prod")
    r = reduceOp<ReduceProdOp>(*this, x, axes, keep);
  else if (kind == "L1")
    r = reduceOp<ReduceSumOp>(*this, AbsOp::create(builder, loc, xt, x), axes,
                              keep);
  else if (kind == "SumSquare" || kind == "L2") {
    r = reduceOp<ReduceSumOp>(*this, *emit<MulOp>({x, x}), axes, keep);
    if (succeeded(r) && kind == "L2")
      r = SqrtOp::create(builder, loc, r->getType(), *r).getResult();
  } else if (kind == "LogSum") {
    r = reduceOp<ReduceSumOp>(*this, x, axes, keep);
    if (succeeded(r))
      r = LogOp::create(builder, loc, r->getType(), *r).getResult();
  } else if (kind == "LogSumExp") {
    // m + log(sum(exp(x - m))), m = max(x) over the axes (kept for the
    // subtraction, reshaped to the result for the addition).
    FailureOr<Value> m = reduceOp<ReduceMaxOp>(*this, x, axes, true);
    if (failed(m))
      return failure();
    Value shifted = ExpOp::create(builder, loc, xt, *emit<SubOp>({x, *m}));
    r = reduceOp<ReduceSumOp>(*this, shifted, axes, keep);
    if (succeeded(r)) {
      Value lg = LogOp::create(builder, loc, r->getType(), *r);
      Value mr = reshape(*m, cast<RankedTensorType>(lg.getType()).getShape());
      r = emit<AddOp>({lg, mr});
    }
  } else {
    return fail() << "is not a reduction";
  }
  if (failed(r))
    return failure();
  Value result = *r;
  if (needsFloat)
    result = convert(result, ek);
  define(0, result);
  return success();
}

LogicalResult OnnxImporter::importGlobalPool() {
  FailureOr<Value> x = inputValue(0);
  if (failed(x))
    return failure();
  auto t = cast<RankedTensorType>(x->getType());
  if (t.getRank() < 3)
    return fail() << "input must be [N, C, d...], got "
                  << shapeStr(t.getShape());
  if (!t.getElementType().isF32())
    return fail() << "input must be f32";
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < t.getRank(); ++d)
    axes.push_back(d);
  FailureOr<Value> r = opType() == "GlobalAveragePool"
                           ? reduceOp<ReduceMeanOp>(*this, *x, axes, true)
                           : reduceOp<ReduceMaxOp>(*this, *x, axes, true);
  if (failed(r))
    return failure();
  define(0, *r);
  return success();
}

LogicalResult OnnxImporter::importArgReduce() {
  FailureOr<Value> x = inputValue(0);
  if (failed(x))
    return failure();
  auto t = cast<RankedTensorType>(x->getType());
  if (t.getElementType().isInteger(1))
    return fail() << "cannot take the arg-max/min of bool tensors";
  int64_t axis = intAttr("axis", 0);
  if (failed(normalizeAxis(axis, t.getRank())))
    return failure();
  SmallVector<NamedAttribute> attrs{
      builder.getNamedAttr("axis", builder.getI64IntegerAttr(axis)),
      builder.getNamedAttr("keep_dims",
                           builder.getBoolAttr(intAttr("keepdims", 1) != 0)),
      builder.getNamedAttr(
          "select_last_index",
          builder.getBoolAttr(intAttr("select_last_index", 0) != 0))};
  FailureOr<Value> r = opType() == "ArgMax" ? emit<ArgMaxOp>({*x}, attrs)
                                            : emit<ArgMinOp>({*x}, attrs);
  if (failed(r))
    return failure();
  define(0, *r);
  return success();
}

LogicalResult OnnxImporter::importCumSum() {
  FailureOr<Value> x = inputValue(0);
  if (failed(x))
    return failure();
  FailureOr<SmallVector<int64_t>> axisV = intsInput(1, "axis");
  if (failed(axisV))
    return failure();
  if (axisV->size() != 1)
    return fail() << "axis must be a scalar";
  auto t = cast<RankedTensorType>(x->getType());
  if (t.getElementType().isInteger(1))
    return fail() << "cannot sum bool tensors";
  int64_t axis = (*axisV)[0];
  if (failed(normalizeAxis(axis, t.getRank())))
    return failure();
  define(0,
         CumsumOp::create(builder, loc, t, *x, builder.getI64IntegerAttr(axis),
                          builder.getBoolAttr(intAttr("exclusive", 0) != 0),
                          builder.getBoolAttr(intAttr("reverse", 0) != 0))
             .getResult());
  return success();
}

LogicalResult OnnxImporter::importTopK() {
  FailureOr<Value> x = inputValue(0);
  if (failed(x))
    return failure();
  auto t = cast<RankedTensorType>(x->getType());
  if (t.getElementType().isInteger(1))
    return fail() << "cannot rank bool tensors";
  int64_t k;
  if (opset < 10) {
    k = intAttr("k", -1);
  } else {
    FailureOr<SmallVector<int64_t>> kv = intsInput(1, "K");
    if (failed(kv))
      return failure();
    if (kv->size() != 1)
      return fail() << "K must hold one value, got " << kv->size();
    k = (*kv)[0];
  }
  int64_t axis = intAttr("axis", -1);
  if (failed(normalizeAxis(axis, t.getRank())))
    return failure();
  if (k < 1 || k > t.getDimSize(axis))
    return fail() << "K = " << k << " is not in [1, " << t.getDimSize(axis)
                  << "], the size of axis " << axis;
  // sorted=0 leaves the order to the implementation: sorted is one.
  auto op = TopKOp::create(builder, loc, *x, builder.getI64IntegerAttr(k),
                           builder.getI64IntegerAttr(axis),
                           builder.getBoolAttr(intAttr("largest", 1) != 0));
  define(0, op.getValues());
  if (node->output_size() > 1)
    define(1, op.getIndices());
  return success();
}
