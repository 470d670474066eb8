//===- WseGradientsShape.cpp - gradients of data movement and reductions --===//
#include "WseGradientUtils.h"

using namespace mlir;
using namespace mlir::wse;
using grad::G;

LogicalResult TransposeOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                          SmallVectorImpl<Value> &og) {
  og.assign(1, Value());
  if (!rg[0])
    return success();
  ArrayRef<int64_t> perm = getPerm();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = int64_t(i);
  og[0] = grad::build<TransposeOp>(b, getLoc(), rg[0],
                              b.getDenseI64ArrayAttr(inverse));
  return success();
}

LogicalResult ConcatOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                       SmallVectorImpl<Value> &og) {
  og.assign(getNumOperands(), Value());
  Value g = rg[0];
  if (!g || !getType().getElementType().isF32())
    return success();
  int64_t axis = getAxisAttr().getInt(), offset = 0;
  auto gt = cast<RankedTensorType>(g.getType());
  for (auto [i, in] : llvm::enumerate(getInputs())) {
    auto t = cast<RankedTensorType>(in.getType());
    SmallVector<int64_t> start(gt.getRank(), 0), stride(gt.getRank(), 1);
    SmallVector<int64_t> limit(gt.getShape());
    start[axis] = offset;
    limit[axis] = offset + t.getDimSize(axis);
    offset = limit[axis];
    og[i] = grad::build<SliceOp>(b, getLoc(), g, b.getDenseI64ArrayAttr(start),
                            b.getDenseI64ArrayAttr(limit),
                            b.getDenseI64ArrayAttr(stride));
  }
  return success();
}

LogicalResult SliceOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                      SmallVectorImpl<Value> &og) {
  og.assign(1, Value());
  if (!rg[0] || !getType().getElementType().isF32())
    return success();
  G e(b, getLoc());
  og[0] = grad::build<InsertSliceOp>(b, getLoc(), e.zeros(getInput().getType()),
                                rg[0], getStartAttr(), getStrideAttr());
  return success();
}

LogicalResult InsertSliceOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                            SmallVectorImpl<Value> &og) {
  og.assign(2, Value());
  Value g = rg[0];
  if (!g || !getType().getElementType().isF32())
    return success();
  G e(b, getLoc());
  og[0] = grad::build<InsertSliceOp>(b, getLoc(), g, e.zeros(getSource().getType()),
                                getStartAttr(), getStrideAttr());
  auto src = cast<RankedTensorType>(getSource().getType());
  SmallVector<int64_t> limit;
  for (int64_t d = 0; d < src.getRank(); ++d)
    limit.push_back(getStart()[d] + src.getDimSize(d) * getStride()[d]);
  og[1] = grad::build<SliceOp>(b, getLoc(), g, getStartAttr(),
                          b.getDenseI64ArrayAttr(limit), getStrideAttr());
  return success();
}

LogicalResult GatherOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                       SmallVectorImpl<Value> &og) {
  og.assign(2, Value());
  if (!rg[0] || !getType().getElementType().isF32())
    return success();
  // Rows looked up several times (tied embeddings) accumulate.
  G e(b, getLoc());
  og[0] = grad::build<ScatterAddOp>(b, getLoc(), e.zeros(getData().getType()),
                               getIndices(), rg[0], getAxisAttr());
  return success();
}

LogicalResult ScatterAddOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                           SmallVectorImpl<Value> &og) {
  og.assign(3, Value());
  if (!rg[0])
    return success();
  og[0] = rg[0];
  og[2] = grad::build<GatherOp>(b, getLoc(), rg[0], getIndices(), getAxisAttr());
  return success();
}

LogicalResult CumsumOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                       SmallVectorImpl<Value> &og) {
  og.assign(1, Value());
  if (!rg[0] || !getType().getElementType().isF32())
    return success();
  og[0] = grad::build<CumsumOp>(b, getLoc(), rg[0], getAxisAttr(),
                           getExclusiveAttr(), b.getBoolAttr(!getReverse()));
  return success();
}

/// Puts reduced axes back as size 1 so the gradient broadcasts.
template <typename OpTy>
static Value keptGrad(OpTy op, G &e, Value g) {
  auto in = cast<RankedTensorType>(op.getInput().getType());
  return e.reshape(g, grad::keptType(in, op.getAxes()));
}

LogicalResult ReduceMeanOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                           SmallVectorImpl<Value> &og) {
  og.assign(1, Value());
  if (!rg[0] || !getType().getElementType().isF32())
    return success();
  G e(b, getLoc());
  auto in = getInput().getType();
  int64_t count = 1;
  for (int64_t a : getAxes())
    count *= in.getDimSize(a);
  Value g = e.mul(keptGrad(*this, e, rg[0]), 1.0f / float(count));
  og[0] = grad::build<BroadcastToOp>(b, getLoc(), in, g);
  return success();
}

/// reduce_max/min: the gradient goes to the extreme elements, split evenly
/// among ties.
template <typename OpTy>
static LogicalResult extremeReduceGrad(OpTy op, OpBuilder &b,
                                       ArrayRef<Value> rg,
                                       SmallVectorImpl<Value> &og) {
  og.assign(1, Value());
  if (!rg[0] || !op.getType().getElementType().isF32())
    return success();
  G e(b, op.getLoc());
  Value x = op.getInput();
  Value m = grad::build<OpTy>(b, op.getLoc(), x, op.getAxesAttr(),
                         b.getBoolAttr(true));
  Value mask = e.toF32(grad::build<EqualOp>(b, op.getLoc(), x, m));
  Value count = e.sumKeep(mask, op.getAxes());
  og[0] = e.mul(mask, e.div(keptGrad(op, e, rg[0]), count));
  return success();
}

LogicalResult ReduceMaxOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                          SmallVectorImpl<Value> &og) {
  return extremeReduceGrad(*this, b, rg, og);
}

LogicalResult ReduceMinOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                          SmallVectorImpl<Value> &og) {
  return extremeReduceGrad(*this, b, rg, og);
}
