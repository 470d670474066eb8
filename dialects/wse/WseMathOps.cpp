//===- WseMathOps.cpp - select and cast -----------------------------------===//
#include "WseOpsCommon.h"

using namespace mlir;
using namespace mlir::wse;
using opdetail::shapeStr;

LogicalResult SelectOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         SelectOp::Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto c = cast<RankedTensorType>(adaptor.getCond().getType());
  auto l = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto r = cast<RankedTensorType>(adaptor.getRhs().getType());
  if (l.getElementType() != r.getElementType())
    return emitOptionalError(loc, "wse.select branches have different "
                             "element types: ", l.getElementType(), " and ",
                             r.getElementType());
  SmallVector<int64_t> lr, shape;
  if (failed(broadcastShapes(l.getShape(), r.getShape(), lr)) ||
      failed(broadcastShapes(c.getShape(), lr, shape)))
    return emitOptionalError(loc, "wse.select operands ",
                             shapeStr(c.getShape()), ", ",
                             shapeStr(l.getShape()), " and ",
                             shapeStr(r.getShape()), " do not broadcast");
  inferred.push_back(RankedTensorType::get(shape, l.getElementType()));
  return success();
}

LogicalResult CastOp::verify() {
  if (getInput().getType().getShape() != getResult().getType().getShape())
    return emitOpError("cannot change the shape: ")
           << shapeStr(getInput().getType().getShape()) << " -> "
           << shapeStr(getResult().getType().getShape());
  return success();
}
