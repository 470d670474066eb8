//===- WseOps.cpp - verifiers and type inference of wse ops ---------------===//
#include "wse/WseDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::wse;

LogicalResult mlir::wse::broadcastShapes(ArrayRef<int64_t> a,
                                         ArrayRef<int64_t> b,
                                         SmallVectorImpl<int64_t> &out) {
  size_t rank = std::max(a.size(), b.size());
  out.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return failure();
    out[i] = da == 1 ? db : da;
  }
  return success();
}

static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? "x" : "") + std::to_string(d);
  return s + "]";
}

/// A boolean attribute seen by type inference. While parsing, inherent
/// attributes are still in the attribute dictionary, not yet in properties.
template <typename AdaptorT>
static bool flagOf(AdaptorT &adaptor, BoolAttr fromProps, StringRef name) {
  if (fromProps)
    return fromProps.getValue();
  if (DictionaryAttr dict = adaptor.getAttributes())
    if (auto a = dict.getAs<BoolAttr>(name))
      return a.getValue();
  return false;
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  if (getValue().getType() != getType())
    return emitOpError("value type ")
           << getValue().getType() << " does not match result type "
           << getType();
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// ReshapeOp / BroadcastToOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType();
  auto out = getResult().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("cannot change the element type");
  if (in.getNumElements() != out.getNumElements())
    return emitOpError("cannot reshape ")
           << shapeStr(in.getShape()) << " (" << in.getNumElements()
           << " elements) to " << shapeStr(out.getShape()) << " ("
           << out.getNumElements() << " elements)";
  return success();
}

LogicalResult BroadcastToOp::verify() {
  auto in = getInput().getType().getShape();
  auto out = getResult().getType().getShape();
  SmallVector<int64_t> b;
  if (failed(broadcastShapes(in, out, b)) || ArrayRef<int64_t>(b) != out)
    return emitOpError("cannot broadcast ")
           << shapeStr(in) << " to " << shapeStr(out);
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult
MatmulOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                           MatmulOp::Adaptor adaptor,
                           SmallVectorImpl<Type> &inferred) {
  auto a = cast<RankedTensorType>(adaptor.getA().getType());
  auto b = cast<RankedTensorType>(adaptor.getB().getType());
  if (a.getRank() != 2 || b.getRank() != 2)
    return emitOptionalError(loc, "wse.matmul takes rank-2 operands, got ",
                             shapeStr(a.getShape()), " and ",
                             shapeStr(b.getShape()));
  bool ta = flagOf(adaptor, adaptor.getTransposeAAttr(), "transpose_a");
  bool tb = flagOf(adaptor, adaptor.getTransposeBAttr(), "transpose_b");
  int64_t m = a.getDimSize(ta ? 1 : 0), ka = a.getDimSize(ta ? 0 : 1);
  int64_t kb = b.getDimSize(tb ? 1 : 0), n = b.getDimSize(tb ? 0 : 1);
  if (ka != kb)
    return emitOptionalError(loc, "wse.matmul contraction sizes differ: ",
                             shapeStr(a.getShape()),
                             ta ? " (transposed)" : "", " x ",
                             shapeStr(b.getShape()), tb ? " (transposed)" : "");
  if (Value bias = adaptor.getBias()) {
    auto c = cast<RankedTensorType>(bias.getType());
    SmallVector<int64_t> out;
    if (failed(broadcastShapes(c.getShape(), {m, n}, out)) ||
        ArrayRef<int64_t>(out) != ArrayRef<int64_t>{m, n})
      return emitOptionalError(loc, "wse.matmul bias ", shapeStr(c.getShape()),
                               " does not broadcast to the result [", m, "x",
                               n, "]");
  }
  inferred.push_back(RankedTensorType::get({m, n}, Float32Type::get(ctx)));
  return success();
}

//===----------------------------------------------------------------------===//
// Broadcasting binary ops
//===----------------------------------------------------------------------===//

template <typename AdaptorT>
static LogicalResult inferBroadcast(MLIRContext *ctx,
                                    std::optional<Location> loc,
                                    AdaptorT adaptor, StringRef name,
                                    SmallVectorImpl<Type> &inferred) {
  auto l = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto r = cast<RankedTensorType>(adaptor.getRhs().getType());
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(l.getShape(), r.getShape(), shape)))
    return emitOptionalError(loc, "wse.", name, " operands ",
                             shapeStr(l.getShape()), " and ",
                             shapeStr(r.getShape()), " do not broadcast");
  inferred.push_back(RankedTensorType::get(shape, Float32Type::get(ctx)));
  return success();
}

#define WSE_BROADCAST_INFER(OP, NAME)                                          \
  LogicalResult OP::inferReturnTypes(MLIRContext *ctx,                         \
                                     std::optional<Location> loc,              \
                                     OP::Adaptor adaptor,                      \
                                     SmallVectorImpl<Type> &inferred) {        \
    return inferBroadcast(ctx, loc, adaptor, NAME, inferred);                  \
  }
WSE_BROADCAST_INFER(AddOp, "add")
WSE_BROADCAST_INFER(SubOp, "sub")
WSE_BROADCAST_INFER(MulOp, "mul")
#undef WSE_BROADCAST_INFER

//===----------------------------------------------------------------------===//
// ReduceSumOp
//===----------------------------------------------------------------------===//

LogicalResult
ReduceSumOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                              ReduceSumOp::Adaptor adaptor,
                              SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  DenseI64ArrayAttr axesAttr = adaptor.getAxesAttr();
  if (!axesAttr && adaptor.getAttributes())
    axesAttr = adaptor.getAttributes().template getAs<DenseI64ArrayAttr>("axes");
  if (!axesAttr)
    return emitOptionalError(loc, "wse.reduce_sum needs axes");
  ArrayRef<int64_t> axes = axesAttr.asArrayRef();
  SmallVector<int64_t> shape;
  int64_t prev = -1;
  for (int64_t ax : axes) {
    if (ax < 0 || ax >= in.getRank())
      return emitOptionalError(loc, "wse.reduce_sum axis ", ax,
                               " is out of range for rank ", in.getRank());
    if (ax <= prev)
      return emitOptionalError(loc,
                               "wse.reduce_sum axes must be sorted and unique");
    prev = ax;
  }
  for (int64_t d = 0; d < in.getRank(); ++d) {
    bool reduced = llvm::is_contained(axes, d);
    if (!reduced)
      shape.push_back(in.getDimSize(d));
    else if (flagOf(adaptor, adaptor.getKeepDimsAttr(), "keep_dims"))
      shape.push_back(1);
  }
  inferred.push_back(RankedTensorType::get(shape, Float32Type::get(ctx)));
  return success();
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

static LogicalResult verifyLogitsLabels(std::optional<Location> loc,
                                        Type logitsT, Type labelsT,
                                        StringRef name) {
  auto logits = cast<RankedTensorType>(logitsT);
  auto labels = cast<RankedTensorType>(labelsT);
  if (logits.getRank() != 2)
    return emitOptionalError(loc, "wse.", name, " expects logits [N, C], got ",
                             shapeStr(logits.getShape()));
  if (labels.getRank() != 1 || labels.getDimSize(0) != logits.getDimSize(0))
    return emitOptionalError(loc, "wse.", name, " expects labels [",
                             logits.getDimSize(0), "], got ",
                             shapeStr(labels.getShape()));
  return success();
}

LogicalResult SoftmaxCrossEntropyOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc,
    SoftmaxCrossEntropyOp::Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  if (failed(verifyLogitsLabels(loc, adaptor.getLogits().getType(),
                                adaptor.getLabels().getType(),
                                "softmax_cross_entropy")))
    return failure();
  inferred.push_back(RankedTensorType::get({}, Float32Type::get(ctx)));
  return success();
}

LogicalResult SoftmaxCrossEntropyGradOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc,
    SoftmaxCrossEntropyGradOp::Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  if (failed(verifyLogitsLabels(loc, adaptor.getLogits().getType(),
                                adaptor.getLabels().getType(),
                                "softmax_cross_entropy_grad")))
    return failure();
  inferred.push_back(adaptor.getLogits().getType());
  return success();
}

LogicalResult MseOp::inferReturnTypes(MLIRContext *ctx,
                                      std::optional<Location> loc,
                                      MseOp::Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  if (adaptor.getPrediction().getType() != adaptor.getTarget().getType())
    return emitOptionalError(loc, "wse.mse expects prediction and target of ",
                             "the same type, got ",
                             adaptor.getPrediction().getType(), " and ",
                             adaptor.getTarget().getType());
  inferred.push_back(RankedTensorType::get({}, Float32Type::get(ctx)));
  return success();
}

#define GET_OP_CLASSES
#include "wse/WseOps.cpp.inc"
