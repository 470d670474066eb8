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
