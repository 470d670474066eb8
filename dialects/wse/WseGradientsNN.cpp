//===- WseGradientsNN.cpp - gradients of softmax, norms and nll -----------===//
#include "WseGradientUtils.h"

using namespace mlir;
using namespace mlir::wse;
using grad::G;

LogicalResult SoftmaxOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                        SmallVectorImpl<Value> &og) {
  og.assign(1, Value());
  if (Value g = rg[0]) {
    // y * (g - sum(g * y))
    G e(b, getLoc());
    Value y = getResult();
    int64_t axis = getAxisAttr().getInt();
    og[0] = e.mul(y, e.sub(g, e.sumKeep(e.mul(g, y), {axis})));
  }
  return success();
}

LogicalResult LogSoftmaxOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                           SmallVectorImpl<Value> &og) {
  og.assign(1, Value());
  if (Value g = rg[0]) {
    // g - softmax * sum(g)
    G e(b, getLoc());
    int64_t axis = getAxisAttr().getInt();
    og[0] = e.sub(g, e.mul(e.exp(getResult()), e.sumKeep(g, {axis})));
  }
  return success();
}

LogicalResult LayerNormOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                          SmallVectorImpl<Value> &og) {
  og.assign(getNumOperands(), Value());
  Value g = rg[0];
  if (!g)
    return success();
  G e(b, getLoc());
  Value x = getInput();
  SmallVector<int64_t> axes = grad::trailingAxes(
      getAxisAttr().getInt(), getInput().getType().getRank());
  // Recompute the statistics rather than keeping them alive.
  Value xc = e.sub(x, e.meanKeep(x, axes));
  Value rstd = e.rsqrt(e.add(e.meanKeep(e.mul(xc, xc), axes),
                             e.c(getEpsilon().convertToFloat())));
  Value xhat = e.mul(xc, rstd);
  Value gs = getScale() ? e.mul(g, getScale()) : g;
  // dx = rstd * (gs - mean(gs) - xhat * mean(gs * xhat))
  Value dx = e.mul(rstd, e.sub(e.sub(gs, e.meanKeep(gs, axes)),
                               e.mul(xhat, e.meanKeep(e.mul(gs, xhat), axes))));
  og[0] = dx;
  unsigned next = 1;
  if (getScale())
    og[next++] = e.reduceTo(e.mul(g, xhat), getScale().getType());
  if (getBias())
    og[next] = e.reduceTo(g, getBias().getType());
  return success();
}

LogicalResult RmsNormOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                        SmallVectorImpl<Value> &og) {
  og.assign(getNumOperands(), Value());
  Value g = rg[0];
  if (!g)
    return success();
  G e(b, getLoc());
  Value x = getInput();
  SmallVector<int64_t> axes = grad::trailingAxes(
      getAxisAttr().getInt(), getInput().getType().getRank());
  Value r = e.rsqrt(e.add(e.meanKeep(e.mul(x, x), axes),
                          e.c(getEpsilon().convertToFloat())));
  Value gs = getScale() ? e.mul(g, getScale()) : g;
  // dx = r * gs - x * r^3 * mean(gs * x)
  Value r3 = e.mul(r, e.mul(r, r));
  og[0] = e.sub(e.mul(r, gs), e.mul(e.mul(x, r3), e.meanKeep(e.mul(gs, x), axes)));
  if (getScale())
    og[1] = e.reduceTo(e.mul(g, e.mul(x, r)), getScale().getType());
  return success();
}

LogicalResult NllLossOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                        SmallVectorImpl<Value> &og) {
  og.assign(getNumOperands(), Value());
  if (Value g = rg[0])
    og[0] = grad::build<NllLossGradOp>(b, getLoc(), getInput(), getLabels(),
                                  getWeight(), g, getReductionAttr(),
                                  getIgnoreIndexAttr());
  return success();
}

LogicalResult TopKOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                     SmallVectorImpl<Value> &og) {
  og.assign(1, Value());
  Value g = rg[0];
  if (!g || !getValues().getType().getElementType().isF32())
    return success();
  // dx[.., i, ..] = sum_j (indices[.., j, ..] == i) * g[.., j, ..]: the
  // choices get a new axis after `axis` that runs over the input's entries.
  G e(b, getLoc());
  auto in = cast<RankedTensorType>(getInput().getType());
  auto sel = cast<RankedTensorType>(getIndices().getType());
  int64_t axis = getAxis(), n = in.getDimSize(axis);
  SmallVector<int64_t> choices(sel.getShape()), iotaShape(in.getRank() + 1, 1);
  choices.insert(choices.begin() + axis + 1, 1);
  iotaShape[axis + 1] = n;
  SmallVector<int64_t> iota(n);
  for (int64_t i = 0; i < n; ++i)
    iota[i] = i;
  auto iotaType = RankedTensorType::get(iotaShape, b.getI64Type());
  Value iotaC = grad::build<ConstantOp>(
      b, getLoc(), DenseElementsAttr::get(iotaType, ArrayRef<int64_t>(iota)));
  Value idx = e.reshape(getIndices(),
                        RankedTensorType::get(choices, b.getI64Type()));
  Value hit = e.toF32(grad::build<EqualOp>(b, getLoc(), idx, iotaC));
  Value gx = e.mul(hit, e.reshape(g, RankedTensorType::get(choices, b.getF32Type())));
  og[0] = grad::build<ReduceSumOp>(b, getLoc(), gx, b.getDenseI64ArrayAttr({axis}),
                                   b.getBoolAttr(false));
  return success();
}
