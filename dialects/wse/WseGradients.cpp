//===- WseGradients.cpp - reverse-mode derivative of each wse op ----------===//
//
// Each differentiable op builds the gradients of its operands from the
// gradients of its results. `wse-make-train-step` drives these rules; the
// rules know nothing of the model they are used in.
//
//===----------------------------------------------------------------------===//
#include "WseGradientUtils.h"
#include "wse/WseDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::wse;

using grad::G;

static Value scaled(OpBuilder &b, Location loc, Value x, float factor) {
  return G(b, loc).mul(x, factor);
}

static Value reduceToType(OpBuilder &b, Location loc, Value grad, Type target) {
  return G(b, loc).reduceTo(grad, target);
}

bool &grad::ruleFailed() {
  static thread_local bool failed = false;
  return failed;
}

Value G::reduceTo(Value grad, Type target) {
  if (!grad)
    return Value();
  auto gt = cast<RankedTensorType>(grad.getType());
  auto tt = cast<RankedTensorType>(target);
  if (gt == tt)
    return grad;
  int64_t lead = gt.getRank() - tt.getRank();
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < gt.getRank(); ++d)
    if (d < lead || (tt.getDimSize(d - lead) == 1 && gt.getDimSize(d) != 1))
      axes.push_back(d);
  Value r = grad;
  if (!axes.empty())
    r = sumKeep(grad, axes);
  return reshape(r, tt);
}

SmallVector<int64_t> grad::trailingAxes(int64_t axis, int64_t rank) {
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < rank; ++d)
    axes.push_back(d);
  return axes;
}

RankedTensorType grad::keptType(RankedTensorType input,
                                ArrayRef<int64_t> axes) {
  SmallVector<int64_t> shape(input.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  return RankedTensorType::get(shape, input.getElementType());
}

LogicalResult MatmulOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  Location loc = getLoc();
  Value g = resultGrads[0];
  operandGrads.assign(getNumOperands(), Value());
  if (!g)
    return success();
  bool ta = getTransposeA(), tb = getTransposeB();
  Value ga = scaled(b, loc, g, getAlpha().convertToFloat());
  auto f = b.getBoolAttr(false);
  auto t = b.getBoolAttr(true);
  auto one = b.getF32FloatAttr(1.0f);
  // dA = g op(B)^T, or its transpose when A was used transposed.
  // Batch dims that broadcast are summed back to each operand's shape.
  if (!ta)
    operandGrads[0] = grad::build<MatmulOp>(b, loc, ga, getB(), Value(), f,
                                       b.getBoolAttr(!tb), one, one);
  else
    operandGrads[0] = grad::build<MatmulOp>(b, loc, getB(), ga, Value(),
                                       b.getBoolAttr(tb), t, one, one);
  operandGrads[0] = reduceToType(b, loc, operandGrads[0], getA().getType());
  // dB = op(A)^T g, or its transpose when B was used transposed. A matrix
  // B used at every batch index of a batched A (a linear layer on [B, T,
  // D] activations) gets one contraction over all rows, as torch computes
  // it, rather than a product per batch index summed afterwards.
  auto at = cast<RankedTensorType>(getA().getType());
  auto bt = cast<RankedTensorType>(getB().getType());
  if (bt.getRank() == 2 && at.getRank() > 2 && !ta) {
    int64_t k = at.getDimSize(at.getRank() - 1);
    int64_t n = cast<RankedTensorType>(ga.getType()).getShape().back();
    int64_t rows = at.getNumElements() / std::max<int64_t>(k, 1);
    G gb(b, loc);
    Value a2 = gb.reshape(getA(), RankedTensorType::get({rows, k},
                                                         at.getElementType()));
    Value g2 = gb.reshape(ga, RankedTensorType::get({rows, n},
                                                     at.getElementType()));
    operandGrads[1] =
        tb ? grad::build<MatmulOp>(b, loc, g2, a2, Value(), t, f, one, one)
           : grad::build<MatmulOp>(b, loc, a2, g2, Value(), t, f, one, one);
  } else if (!tb)
    operandGrads[1] = grad::build<MatmulOp>(b, loc, getA(), ga, Value(),
                                       b.getBoolAttr(!ta), f, one, one);
  else
    operandGrads[1] = grad::build<MatmulOp>(b, loc, ga, getA(), Value(), t,
                                       b.getBoolAttr(ta), one, one);
  operandGrads[1] = reduceToType(b, loc, operandGrads[1], getB().getType());
  if (getBias())
    operandGrads[2] = reduceToType(
        b, loc, scaled(b, loc, g, getBeta().convertToFloat()),
        getBias().getType());
  return success();
}

LogicalResult AddOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  Value g = resultGrads[0];
  operandGrads.assign(2, Value());
  if (!g)
    return success();
  operandGrads[0] = reduceToType(b, getLoc(), g, getLhs().getType());
  operandGrads[1] = reduceToType(b, getLoc(), g, getRhs().getType());
  return success();
}

LogicalResult SubOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  Value g = resultGrads[0];
  operandGrads.assign(2, Value());
  if (!g)
    return success();
  operandGrads[0] = reduceToType(b, getLoc(), g, getLhs().getType());
  operandGrads[1] =
      reduceToType(b, getLoc(), scaled(b, getLoc(), g, -1.0f), getRhs().getType());
  return success();
}

LogicalResult MulOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  Value g = resultGrads[0];
  operandGrads.assign(2, Value());
  if (!g)
    return success();
  Location loc = getLoc();
  operandGrads[0] =
      reduceToType(b, loc, grad::build<MulOp>(b, loc, g, getRhs()), getLhs().getType());
  operandGrads[1] =
      reduceToType(b, loc, grad::build<MulOp>(b, loc, g, getLhs()), getRhs().getType());
  return success();
}

LogicalResult ReluOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(1, Value());
  if (resultGrads[0])
    operandGrads[0] = grad::build<ReluGradOp>(b, getLoc(), resultGrads[0], getInput());
  return success();
}

LogicalResult ReshapeOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(1, Value());
  if (resultGrads[0] && isa<FloatType>(getInput().getType().getElementType()))
    operandGrads[0] = grad::build<ReshapeOp>(b, getLoc(), getInput().getType(),
                                        resultGrads[0]);
  return success();
}

LogicalResult ReduceSumOp::buildGradients(OpBuilder &b,
                                          ArrayRef<Value> resultGrads,
                                          SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(1, Value());
  Value g = resultGrads[0];
  if (!g)
    return success();
  Location loc = getLoc();
  auto in = getInput().getType();
  // Put the reduced axes back as size 1, then broadcast.
  SmallVector<int64_t> kept(in.getShape());
  for (int64_t ax : getAxes())
    kept[ax] = 1;
  auto keptType = RankedTensorType::get(kept, in.getElementType());
  if (g.getType() != keptType)
    g = grad::build<ReshapeOp>(b, loc, keptType, g);
  operandGrads[0] = grad::build<BroadcastToOp>(b, loc, in, g);
  return success();
}

LogicalResult BroadcastToOp::buildGradients(OpBuilder &b,
                                            ArrayRef<Value> resultGrads,
                                            SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(1, Value());
  if (resultGrads[0])
    operandGrads[0] =
        reduceToType(b, getLoc(), resultGrads[0], getInput().getType());
  return success();
}

LogicalResult SoftmaxCrossEntropyOp::buildGradients(
    OpBuilder &b, ArrayRef<Value> resultGrads,
    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(2, Value());
  if (resultGrads[0])
    operandGrads[0] = grad::build<SoftmaxCrossEntropyGradOp>(b, getLoc(), getLogits(), getLabels(), resultGrads[0]);
  return success();
}

LogicalResult MseOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(2, Value());
  Value g = resultGrads[0];
  if (!g)
    return success();
  Location loc = getLoc();
  // d/dp mean((p - t)^2) = 2 (p - t) / numel.
  auto type = getPrediction().getType();
  float k = 2.0f / static_cast<float>(type.getNumElements());
  Value diff = grad::build<SubOp>(b, loc, getPrediction(), getTarget());
  Value dp = grad::build<MulOp>(b, loc, scaled(b, loc, diff, k), g);
  operandGrads[0] = dp;
  operandGrads[1] = scaled(b, loc, dp, -1.0f);
  return success();
}
