//===- WseShapeOps.cpp - transpose, concat, slice, gather, cumsum ---------===//
#include "WseOpsCommon.h"

using namespace mlir;
using namespace mlir::wse;
using opdetail::attrOf;
using opdetail::shapeStr;

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            TransposeOp::Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto permAttr = attrOf(adaptor, adaptor.getPermAttr(), "perm");
  if (!permAttr)
    return emitOptionalError(loc, "wse.transpose needs perm");
  ArrayRef<int64_t> perm = permAttr.asArrayRef();
  if (int64_t(perm.size()) != in.getRank())
    return emitOptionalError(loc, "wse.transpose perm has ", perm.size(),
                             " entries for rank ", in.getRank());
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOptionalError(loc, "wse.transpose perm is not a permutation "
                               "of 0..", in.getRank() - 1);
    seen[p] = true;
    shape.push_back(in.getDimSize(p));
  }
  inferred.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         ConcatOp::Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  if (adaptor.getInputs().empty())
    return emitOptionalError(loc, "wse.concat needs at least one input");
  auto axisAttr = attrOf(adaptor, adaptor.getAxisAttr(), "axis");
  if (!axisAttr)
    return emitOptionalError(loc, "wse.concat needs axis");
  auto first = cast<RankedTensorType>(adaptor.getInputs()[0].getType());
  int64_t axis = axisAttr.getInt();
  if (axis < 0 || axis >= first.getRank())
    return emitOptionalError(loc, "wse.concat axis ", axis,
                             " is out of range for rank ", first.getRank());
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (Value v : adaptor.getInputs()) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getElementType() != first.getElementType() ||
        t.getRank() != first.getRank())
      return emitOptionalError(loc, "wse.concat inputs differ in element "
                               "type or rank");
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != axis && t.getDimSize(d) != first.getDimSize(d))
        return emitOptionalError(loc, "wse.concat inputs ",
                                 shapeStr(first.getShape()), " and ",
                                 shapeStr(t.getShape()), " differ off axis ",
                                 axis);
    shape[axis] += t.getDimSize(axis);
  }
  inferred.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *ctx,
                                        std::optional<Location> loc,
                                        SliceOp::Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto s = attrOf(adaptor, adaptor.getStartAttr(), "start");
  auto l = attrOf(adaptor, adaptor.getLimitAttr(), "limit");
  auto st = attrOf(adaptor, adaptor.getStrideAttr(), "stride");
  if (!s || !l || !st)
    return emitOptionalError(loc, "wse.slice needs start, limit and stride");
  int64_t rank = in.getRank();
  if (int64_t(s.size()) != rank || int64_t(l.size()) != rank ||
      int64_t(st.size()) != rank)
    return emitOptionalError(loc, "wse.slice needs one start, limit and "
                             "stride per dim (rank ", rank, ")");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t start = s[d], limit = l[d], stride = st[d], dim = in.getDimSize(d);
    if (stride == 0)
      return emitOptionalError(loc, "wse.slice stride of dim ", d, " is 0");
    int64_t size = stride > 0 ? (limit - start + stride - 1) / stride
                              : (start - limit + (-stride) - 1) / (-stride);
    size = std::max<int64_t>(size, 0);
    if (size > 0) {
      int64_t last = start + (size - 1) * stride;
      if (start < 0 || start >= dim || last < 0 || last >= dim)
        return emitOptionalError(loc, "wse.slice dim ", d, " reads [", start,
                                 ", ", last, "] outside [0, ", dim, ")");
    }
    shape.push_back(size);
  }
  inferred.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         GatherOp::Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto data = cast<RankedTensorType>(adaptor.getData().getType());
  auto idx = cast<RankedTensorType>(adaptor.getIndices().getType());
  auto axisAttr = attrOf(adaptor, adaptor.getAxisAttr(), "axis");
  if (!axisAttr)
    return emitOptionalError(loc, "wse.gather needs axis");
  int64_t axis = axisAttr.getInt();
  if (axis < 0 || axis >= data.getRank())
    return emitOptionalError(loc, "wse.gather axis ", axis,
                             " is out of range for rank ", data.getRank());
  SmallVector<int64_t> shape(data.getShape().take_front(axis));
  llvm::append_range(shape, idx.getShape());
  llvm::append_range(shape, data.getShape().drop_front(axis + 1));
  inferred.push_back(RankedTensorType::get(shape, data.getElementType()));
  return success();
}

LogicalResult CumsumOp::verify() {
  int64_t rank = getInput().getType().getRank();
  int64_t axis = getAxisAttr().getInt();
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank "
                                << rank;
  return success();
}

LogicalResult InsertSliceOp::inferReturnTypes(MLIRContext *ctx,
                                              std::optional<Location> loc,
                                              InsertSliceOp::Adaptor adaptor,
                                              SmallVectorImpl<Type> &inferred) {
  auto dest = cast<RankedTensorType>(adaptor.getDest().getType());
  auto src = cast<RankedTensorType>(adaptor.getSource().getType());
  auto s = attrOf(adaptor, adaptor.getStartAttr(), "start");
  auto st = attrOf(adaptor, adaptor.getStrideAttr(), "stride");
  if (!s || !st)
    return emitOptionalError(loc, "wse.insert_slice needs start and stride");
  int64_t rank = dest.getRank();
  if (src.getRank() != rank || int64_t(s.size()) != rank ||
      int64_t(st.size()) != rank ||
      src.getElementType() != dest.getElementType())
    return emitOptionalError(loc, "wse.insert_slice source and dest differ "
                             "in rank or element type, or start/stride do "
                             "not match the rank");
  for (int64_t d = 0; d < rank; ++d) {
    int64_t n = src.getDimSize(d);
    if (n == 0)
      continue;
    int64_t first = s[d], last = s[d] + (n - 1) * st[d];
    if (st[d] == 0 || first < 0 || first >= dest.getDimSize(d) || last < 0 ||
        last >= dest.getDimSize(d))
      return emitOptionalError(loc, "wse.insert_slice window of dim ", d,
                               " leaves dest ", shapeStr(dest.getShape()));
  }
  inferred.push_back(dest);
  return success();
}

LogicalResult ScatterAddOp::inferReturnTypes(MLIRContext *ctx,
                                             std::optional<Location> loc,
                                             ScatterAddOp::Adaptor adaptor,
                                             SmallVectorImpl<Type> &inferred) {
  auto dest = cast<RankedTensorType>(adaptor.getDest().getType());
  auto idx = cast<RankedTensorType>(adaptor.getIndices().getType());
  auto upd = cast<RankedTensorType>(adaptor.getUpdates().getType());
  auto axisAttr = attrOf(adaptor, adaptor.getAxisAttr(), "axis");
  if (!axisAttr)
    return emitOptionalError(loc, "wse.scatter_add needs axis");
  int64_t axis = axisAttr.getInt();
  if (axis < 0 || axis >= dest.getRank())
    return emitOptionalError(loc, "wse.scatter_add axis ", axis,
                             " is out of range for rank ", dest.getRank());
  SmallVector<int64_t> expect(dest.getShape().take_front(axis));
  llvm::append_range(expect, idx.getShape());
  llvm::append_range(expect, dest.getShape().drop_front(axis + 1));
  if (upd.getShape() != ArrayRef<int64_t>(expect))
    return emitOptionalError(loc, "wse.scatter_add updates should be ",
                             shapeStr(expect), ", got ",
                             shapeStr(upd.getShape()));
  inferred.push_back(dest);
  return success();
}
