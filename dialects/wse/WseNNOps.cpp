//===- WseNNOps.cpp - softmax, norms, arg-reductions, nll -----------------===//
#include "WseOpsCommon.h"

using namespace mlir;
using namespace mlir::wse;
using opdetail::attrOf;
using opdetail::flagOf;
using opdetail::shapeStr;

/// The softmax axis must index the input (a scalar has axis 0).
static LogicalResult verifySoftmaxAxis(Operation *op, int64_t axis,
                                       int64_t rank) {
  if (axis < 0 || axis >= std::max<int64_t>(rank, 1))
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << rank;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifySoftmaxAxis(*this, getAxisAttr().getInt(),
                           getInput().getType().getRank());
}

LogicalResult LogSoftmaxOp::verify() {
  return verifySoftmaxAxis(*this, getAxisAttr().getInt(),
                           getInput().getType().getRank());
}

/// Checks that an optional scale or bias broadcasts to dims [axis, rank).
static LogicalResult checkAffine(std::optional<Location> loc, StringRef op,
                                 StringRef what, Value v,
                                 RankedTensorType in, int64_t axis) {
  if (!v)
    return success();
  auto t = cast<RankedTensorType>(v.getType());
  ArrayRef<int64_t> tail = in.getShape().drop_front(axis);
  SmallVector<int64_t> out;
  if (t.getRank() > int64_t(tail.size()) ||
      failed(broadcastShapes(t.getShape(), tail, out)) ||
      ArrayRef<int64_t>(out) != tail)
    return emitOptionalError(loc, "wse.", op, " ", what, " ",
                             shapeStr(t.getShape()),
                             " does not broadcast to the normalized dims ",
                             shapeStr(tail));
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            LayerNormOp::Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto axisAttr = attrOf(adaptor, adaptor.getAxisAttr(), "axis");
  if (!axisAttr)
    return emitOptionalError(loc, "wse.layer_norm needs axis");
  int64_t axis = axisAttr.getInt();
  if (axis < 0 || axis >= in.getRank())
    return emitOptionalError(loc, "wse.layer_norm axis ", axis,
                             " is out of range for rank ", in.getRank());
  if (failed(checkAffine(loc, "layer_norm", "scale", adaptor.getScale(), in,
                         axis)) ||
      failed(checkAffine(loc, "layer_norm", "bias", adaptor.getBias(), in,
                         axis)))
    return failure();
  inferred.push_back(in);
  return success();
}

LogicalResult RmsNormOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          RmsNormOp::Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto axisAttr = attrOf(adaptor, adaptor.getAxisAttr(), "axis");
  if (!axisAttr)
    return emitOptionalError(loc, "wse.rms_norm needs axis");
  int64_t axis = axisAttr.getInt();
  if (axis < 0 || axis >= in.getRank())
    return emitOptionalError(loc, "wse.rms_norm axis ", axis,
                             " is out of range for rank ", in.getRank());
  if (failed(checkAffine(loc, "rms_norm", "scale", adaptor.getScale(), in,
                         axis)))
    return failure();
  inferred.push_back(in);
  return success();
}

template <typename AdaptorT>
static LogicalResult inferArg(MLIRContext *ctx, std::optional<Location> loc,
                              AdaptorT adaptor, StringRef name,
                              SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto axisAttr = attrOf(adaptor, adaptor.getAxisAttr(), "axis");
  if (!axisAttr)
    return emitOptionalError(loc, "wse.", name, " needs axis");
  int64_t axis = axisAttr.getInt();
  if (axis < 0 || axis >= in.getRank())
    return emitOptionalError(loc, "wse.", name, " axis ", axis,
                             " is out of range for rank ", in.getRank());
  bool keep = flagOf(adaptor, adaptor.getKeepDimsAttr(), "keep_dims", true);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (d != axis)
      shape.push_back(in.getDimSize(d));
    else if (keep)
      shape.push_back(1);
  inferred.push_back(RankedTensorType::get(shape, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         ArgMaxOp::Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return inferArg(ctx, loc, adaptor, "argmax", inferred);
}

LogicalResult MoeRouteOp::inferReturnTypes(MLIRContext *ctx,
                                           std::optional<Location> loc,
                                           MoeRouteOp::Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getChoices().getType());
  auto eAttr = attrOf(adaptor, adaptor.getExpertsAttr(), "experts");
  auto cAttr = attrOf(adaptor, adaptor.getCapacityAttr(), "capacity");
  if (!eAttr || !cAttr)
    return emitOptionalError(loc, "wse.moe_route needs experts and capacity");
  if (in.getRank() != 2)
    return emitOptionalError(loc, "wse.moe_route takes choices [N, k], not ",
                             in);
  int64_t e = eAttr.getInt(), c = cAttr.getInt();
  if (e < 1 || c < 1)
    return emitOptionalError(loc, "wse.moe_route needs experts >= 1 and "
                                  "capacity >= 1, got ", e, " and ", c);
  inferred.push_back(in);
  inferred.push_back(RankedTensorType::get({e * c}, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *ctx,
                                       std::optional<Location> loc,
                                       TopKOp::Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto axisAttr = attrOf(adaptor, adaptor.getAxisAttr(), "axis");
  auto kAttr = attrOf(adaptor, adaptor.getKAttr(), "k");
  if (!axisAttr || !kAttr)
    return emitOptionalError(loc, "wse.top_k needs k and axis");
  int64_t axis = axisAttr.getInt(), k = kAttr.getInt();
  if (axis < 0 || axis >= in.getRank())
    return emitOptionalError(loc, "wse.top_k axis ", axis,
                             " is out of range for rank ", in.getRank());
  if (k < 1 || k > in.getDimSize(axis))
    return emitOptionalError(loc, "wse.top_k k = ", k, " is not in [1, ",
                             in.getDimSize(axis), "] (the size of axis ",
                             axis, ")");
  SmallVector<int64_t> shape(in.getShape());
  shape[axis] = k;
  inferred.push_back(RankedTensorType::get(shape, in.getElementType()));
  inferred.push_back(RankedTensorType::get(shape, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult ArgMinOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         ArgMinOp::Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return inferArg(ctx, loc, adaptor, "argmin", inferred);
}

LogicalResult NllLossOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          NllLossOp::Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto labels = cast<RankedTensorType>(adaptor.getLabels().getType());
  if (in.getRank() < 2)
    return emitOptionalError(loc, "wse.nll_loss expects input [N, C, d...], "
                             "got ", shapeStr(in.getShape()));
  SmallVector<int64_t> expect{in.getDimSize(0)};
  llvm::append_range(expect, in.getShape().drop_front(2));
  if (labels.getShape() != ArrayRef<int64_t>(expect))
    return emitOptionalError(loc, "wse.nll_loss expects labels ",
                             shapeStr(expect), ", got ",
                             shapeStr(labels.getShape()));
  if (Value w = adaptor.getWeight()) {
    auto wt = cast<RankedTensorType>(w.getType());
    if (wt.getShape() != ArrayRef<int64_t>{in.getDimSize(1)})
      return emitOptionalError(loc, "wse.nll_loss expects weight [",
                               in.getDimSize(1), "], got ",
                               shapeStr(wt.getShape()));
  }
  auto red = attrOf(adaptor, adaptor.getReductionAttr(), "reduction");
  StringRef reduction = red ? red.getValue() : "mean";
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return emitOptionalError(loc, "wse.nll_loss reduction must be none, sum "
                             "or mean, not '", reduction, "'");
  if (reduction == "none")
    inferred.push_back(RankedTensorType::get(expect, in.getElementType()));
  else
    inferred.push_back(RankedTensorType::get({}, in.getElementType()));
  return success();
}

LogicalResult NllLossGradOp::inferReturnTypes(MLIRContext *ctx,
                                              std::optional<Location> loc,
                                              NllLossGradOp::Adaptor adaptor,
                                              SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  if (in.getRank() < 2)
    return emitOptionalError(loc, "wse.nll_loss_grad expects input [N, C, "
                             "d...]");
  inferred.push_back(in);
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            AttentionOp::Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto q = cast<RankedTensorType>(adaptor.getQuery().getType());
  auto k = cast<RankedTensorType>(adaptor.getKey().getType());
  auto v = cast<RankedTensorType>(adaptor.getValue().getType());
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return emitOptionalError(loc, "wse.attention takes q, k, v of rank 4 "
                             "[B, H, T, D], got ", shapeStr(q.getShape()),
                             ", ", shapeStr(k.getShape()), ", ",
                             shapeStr(v.getShape()));
  int64_t b = q.getDimSize(0), h = q.getDimSize(1), t = q.getDimSize(2),
          d = q.getDimSize(3);
  int64_t hkv = k.getDimSize(1), s = k.getDimSize(2);
  if (k.getDimSize(0) != b || k.getDimSize(3) != d ||
      v.getShape() != k.getShape())
    return emitOptionalError(loc, "wse.attention k and v must be [", b, "x",
                             hkv, "x", s, "x", d, "] like each other, got ",
                             shapeStr(k.getShape()), " and ",
                             shapeStr(v.getShape()));
  if (hkv < 1 || h % hkv)
    return emitOptionalError(loc, "wse.attention query heads (", h,
                             ") must be a multiple of kv heads (", hkv, ")");
  auto nh = attrOf(adaptor, adaptor.getNumHeadsAttr(), "num_heads");
  auto nkv = attrOf(adaptor, adaptor.getNumKvHeadsAttr(), "num_kv_heads");
  if (!nh || !nkv || nh.getInt() != h || nkv.getInt() != hkv)
    return emitOptionalError(loc, "wse.attention num_heads and num_kv_heads "
                             "must be ", h, " and ", hkv, " (the operands' "
                             "head dims)");
  if (t > s)
    return emitOptionalError(loc, "wse.attention has more queries (", t,
                             ") than keys (", s, ")");
  if (Value m = adaptor.getMask()) {
    auto mt = cast<RankedTensorType>(m.getType());
    SmallVector<int64_t> out;
    if (failed(broadcastShapes(mt.getShape(), {b, h, t, s}, out)) ||
        ArrayRef<int64_t>(out) != ArrayRef<int64_t>{b, h, t, s})
      return emitOptionalError(loc, "wse.attention mask ",
                               shapeStr(mt.getShape()),
                               " does not broadcast to [", b, "x", h, "x", t,
                               "x", s, "]");
  }
  if (auto w = attrOf(adaptor, adaptor.getWindowAttr(), "window"))
    if (w.getInt() < 1)
      return emitOptionalError(loc, "wse.attention window must be >= 1");
  bool alibi = flagOf(adaptor, adaptor.getAlibiAttr(), "alibi");
  if (alibi && (h & (h - 1)))
    return emitOptionalError(loc, "wse.attention alibi needs a power-of-two "
                             "head count, got ", h);
  inferred.push_back(q);
  return success();
}

LogicalResult RopeOp::verify() {
  auto t = getInput().getType();
  if (t.getRank() < 2 || t.getShape().back() % 2)
    return emitOpError("needs [.., T, D] with an even D, got ")
           << shapeStr(t.getShape());
  return success();
}
