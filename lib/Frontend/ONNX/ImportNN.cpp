//===- ImportNN.cpp - softmax, normalization, losses ----------------------===//
//
// Softmax/LogSoftmax (and Hardmax, as an arg-max mask) along one axis; before
// opset 13 they coerce the input to 2-D at `axis`. LayerNormalization maps
// onto wse.layer_norm (its Mean and InvStdDev outputs are composed).
// SoftmaxCrossEntropyLoss is log_softmax + wse.nll_loss. BatchNormalization
// (inference) and InstanceNormalization are composed.
//
//===----------------------------------------------------------------------===//
#include "OnnxImporter.h"

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::onnximport;

LogicalResult OnnxImporter::importSoftmax() {
  StringRef type = opType();
  FailureOr<Value> xv = inputValue(0);
  if (failed(xv))
    return failure();
  Value x = *xv;
  auto t = cast<RankedTensorType>(x.getType());
  if (!t.getElementType().isF32())
    return fail() << "input must be f32, got " << t.getElementType();
  int64_t rank = t.getRank();
  if (rank == 0)
    return fail() << "input must have rank 1 or more";
  int64_t axis = intAttr("axis", opset >= 13 ? -1 : 1);
  if (failed(normalizeAxis(axis, rank)))
    return failure();
  // Before opset 13 the op works on the input coerced to
  // [d0*...*d(axis-1), d(axis)*...*d(rank-1)]: the same as a one-axis op
  // only when axis is the last dim.
  Value in = x;
  int64_t opAxis = axis;
  if (opset < 13 && axis != rank - 1) {
    in = reshape(x, {numElements(t.getShape().take_front(axis)),
                     numElements(t.getShape().drop_front(axis))});
    opAxis = 1;
  }
  auto inType = cast<RankedTensorType>(in.getType());
  Value r;
  if (type == "Softmax") {
    r = SoftmaxOp::create(builder, loc, inType, in,
                          builder.getI64IntegerAttr(opAxis));
  } else if (type == "LogSoftmax") {
    r = LogSoftmaxOp::create(builder, loc, inType, in,
                             builder.getI64IntegerAttr(opAxis));
  } else {
    // Hardmax: 1 at the (first) arg-max along the axis, 0 elsewhere.
    FailureOr<Value> idx = emit<ArgMaxOp>(
        {in}, {builder.getNamedAttr("axis", builder.getI64IntegerAttr(opAxis)),
               builder.getNamedAttr("keep_dims", builder.getBoolAttr(true))});
    if (failed(idx))
      return failure();
    SmallVector<int64_t> iotaShape(inType.getRank(), 1);
    int64_t n = inType.getDimSize(opAxis);
    if (failed(checkDataSize({n}, "axis")))
      return failure();
    iotaShape[opAxis] = n;
    ConstTensor iota = ConstTensor::make(ElemKind::I64, iotaShape);
    for (int64_t i = 0; i < n; ++i)
      iota.ints[i] = i;
    Value mask = *emit<EqualOp>({*idx, constantOp(iota)});
    r = convert(mask, ElemKind::F32);
  }
  define(0, reshape(r, t.getShape()));
  return success();
}

LogicalResult OnnxImporter::importLayerNorm() {
  FailureOr<Value> x = inputValue(0);
  if (failed(x))
    return failure();
  auto t = cast<RankedTensorType>(x->getType());
  if (!t.getElementType().isF32())
    return fail() << "input must be f32";
  int64_t rank = t.getRank();
  int64_t axis = intAttr("axis", -1);
  if (failed(normalizeAxis(axis, rank)))
    return failure();
  float eps = floatAttr("epsilon", 1e-5f);
  Value scale, bias;
  FailureOr<Value> s = inputValue(1);
  if (failed(s))
    return failure();
  scale = *s;
  if (hasInput(2)) {
    FailureOr<Value> b = inputValue(2);
    if (failed(b))
      return failure();
    bias = *b;
  }
  auto broadcastsToTail = [&](Value v) {
    ArrayRef<int64_t> tail = t.getShape().drop_front(axis);
    auto vt = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> out;
    return vt.getElementType().isF32() &&
           vt.getRank() <= int64_t(tail.size()) &&
           succeeded(broadcastShapes(vt.getShape(), tail, out)) &&
           ArrayRef<int64_t>(out) == tail;
  };
  if (!broadcastsToTail(scale) || (bias && !broadcastsToTail(bias)))
    return fail() << "Scale and B must be f32 and broadcast to the "
                     "normalized dims "
                  << shapeStr(t.getShape().drop_front(axis));
  define(0, LayerNormOp::create(builder, loc, t, *x, scale, bias,
                                builder.getI64IntegerAttr(axis),
                                builder.getF32FloatAttr(eps))
                .getResult());

  // Mean and InvStdDev (optional outputs): over the normalized dims, kept.
  if (hasOutput(1) || hasOutput(2)) {
    SmallVector<int64_t> axes;
    for (int64_t d = axis; d < rank; ++d)
      axes.push_back(d);
    SmallVector<NamedAttribute> attrs{
        builder.getNamedAttr("axes", builder.getDenseI64ArrayAttr(axes)),
        builder.getNamedAttr("keep_dims", builder.getBoolAttr(true))};
    Value mean = *emit<ReduceMeanOp>({*x}, attrs);
    if (hasOutput(1))
      define(1, mean);
    if (hasOutput(2)) {
      Value d = *emit<SubOp>({*x, mean});
      Value var = *emit<ReduceMeanOp>({*emit<MulOp>({d, d})}, attrs);
      Value shifted = *emit<AddOp>({var, splat(ElemKind::F32, eps)});
      define(2, RsqrtOp::create(builder, loc, shifted.getType(), shifted)
                    .getResult());
    }
  }
  return success();
}

/// wse.nll_loss of log-probabilities with ONNX's reduction and ignore_index.
static FailureOr<Value> nllLoss(OnnxImporter &im, Value logp, Value labels,
                                Value weight) {
  std::string reduction = im.stringAttr("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return im.fail() << "reduction must be none, sum or mean, not '"
                     << reduction << "'";
  auto lt = cast<RankedTensorType>(labels.getType());
  if (!lt.getElementType().isInteger(64) && !lt.getElementType().isInteger(32))
    return im.fail() << "labels must be int64 or int32";
  SmallVector<NamedAttribute> attrs{im.builder.getNamedAttr(
      "reduction", im.builder.getStringAttr(reduction))};
  if (im.attr("ignore_index"))
    attrs.push_back(im.builder.getNamedAttr(
        "ignore_index",
        im.builder.getI64IntegerAttr(im.intAttr("ignore_index", 0))));
  SmallVector<Value> operands{logp, labels};
  if (weight)
    operands.push_back(weight);
  return im.emit<NllLossOp>(operands, attrs);
}

/// The inputs both loss nodes take: f32 [N, C, d...] (scores or
/// log-probabilities), labels, and an optional class weight.
struct LossInputs {
  Value x, labels, weight;
};
static FailureOr<LossInputs> lossInputs(OnnxImporter &im, StringRef what) {
  FailureOr<Value> x = im.inputValue(0), labels = im.inputValue(1);
  if (failed(x) || failed(labels))
    return failure();
  auto t = cast<RankedTensorType>(x->getType());
  if (!t.getElementType().isF32() || t.getRank() < 2)
    return im.fail() << what << " must be f32 [N, C, d...], got "
                     << t.getElementType() << " " << shapeStr(t.getShape());
  LossInputs in{*x, *labels, Value()};
  if (im.hasInput(2)) {
    FailureOr<Value> w = im.inputValue(2);
    if (failed(w))
      return failure();
    in.weight = *w;
  }
  return in;
}

LogicalResult OnnxImporter::importSoftmaxCrossEntropy() {
  FailureOr<LossInputs> in = lossInputs(*this, "scores");
  if (failed(in))
    return failure();
  Value logp = LogSoftmaxOp::create(builder, loc, in->x.getType(), in->x,
                                    builder.getI64IntegerAttr(1));
  FailureOr<Value> loss = nllLoss(*this, logp, in->labels, in->weight);
  if (failed(loss))
    return failure();
  define(0, *loss);
  if (hasOutput(1))
    define(1, logp);
  return success();
}

LogicalResult OnnxImporter::importNllLoss() {
  FailureOr<LossInputs> in = lossInputs(*this, "input");
  if (failed(in))
    return failure();
  FailureOr<Value> loss = nllLoss(*this, in->x, in->labels, in->weight);
  if (failed(loss))
    return failure();
  define(0, *loss);
  return success();
}

/// Reshapes a per-channel [C] vector to [C, 1, ...] against an [N, C, ...]
/// input of `rank`.
static FailureOr<Value> perChannel(OnnxImporter &im, int i, int64_t channels,
                                   int64_t rank, StringRef what) {
  FailureOr<Value> v = im.inputValue(i);
  if (failed(v))
    return failure();
  auto t = cast<RankedTensorType>(v->getType());
  if (!t.getElementType().isF32() ||
      t.getShape() != ArrayRef<int64_t>{channels})
    return im.fail() << what << " must be f32 [" << channels << "], got "
                     << t.getElementType() << " " << shapeStr(t.getShape());
  SmallVector<int64_t> shape(rank - 1, 1);
  shape[0] = channels;
  return im.reshape(*v, shape);
}

LogicalResult OnnxImporter::importBatchNorm() {
  if (intAttr("training_mode", 0) != 0)
    return fail() << "training-mode BatchNormalization (batch statistics and "
                     "running-mean updates) is not supported; export with "
                     "model.eval()";
  FailureOr<Value> x = inputValue(0);
  if (failed(x))
    return failure();
  auto t = cast<RankedTensorType>(x->getType());
  if (!t.getElementType().isF32() || t.getRank() < 2)
    return fail() << "input must be f32 [N, C, ...]";
  int64_t c = t.getDimSize(1), rank = t.getRank();
  FailureOr<Value> scale = perChannel(*this, 1, c, rank, "scale"),
                   bias = perChannel(*this, 2, c, rank, "B"),
                   mean = perChannel(*this, 3, c, rank, "mean"),
                   var = perChannel(*this, 4, c, rank, "var");
  if (failed(scale) || failed(bias) || failed(mean) || failed(var))
    return failure();
  // (x - mean) * (scale / sqrt(var + eps)) + B
  float eps = floatAttr("epsilon", 1e-5f);
  Value shifted = *emit<AddOp>({*var, splat(ElemKind::F32, eps)});
  Value inv = RsqrtOp::create(builder, loc, shifted.getType(), shifted);
  Value k = *emit<MulOp>({*scale, inv});
  Value centered = *emit<SubOp>({*x, *mean});
  define(0, *emit<AddOp>({*emit<MulOp>({centered, k}), *bias}));
  return success();
}

LogicalResult OnnxImporter::importInstanceNorm() {
  FailureOr<Value> x = inputValue(0);
  if (failed(x))
    return failure();
  auto t = cast<RankedTensorType>(x->getType());
  if (!t.getElementType().isF32() || t.getRank() < 3)
    return fail() << "input must be f32 [N, C, d...]";
  int64_t c = t.getDimSize(1), rank = t.getRank();
  FailureOr<Value> scale = perChannel(*this, 1, c, rank, "scale"),
                   bias = perChannel(*this, 2, c, rank, "B");
  if (failed(scale) || failed(bias))
    return failure();
  // Normalize each (n, c) over the spatial dims, then scale and shift.
  Value norm = LayerNormOp::create(
      builder, loc, t, *x, Value(), Value(), builder.getI64IntegerAttr(2),
      builder.getF32FloatAttr(floatAttr("epsilon", 1e-5f)));
  define(0, *emit<AddOp>({*emit<MulOp>({norm, *scale}), *bias}));
  return success();
}
