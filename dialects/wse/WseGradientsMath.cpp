//===- WseGradientsMath.cpp - gradients of elementwise math ---------------===//
#include "WseGradientUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::wse;
using grad::G;

namespace {

/// Unary rules: d(input) = g * f'(x), written with x, y = f(x) and g.
template <typename OpTy, typename Rule>
LogicalResult unary(OpTy op, OpBuilder &b, ArrayRef<Value> resultGrads,
                    SmallVectorImpl<Value> &operandGrads, Rule rule) {
  operandGrads.assign(1, Value());
  if (Value g = resultGrads[0]) {
    G e(b, op.getLoc());
    operandGrads[0] = rule(e, op.getInput(), op.getResult(), g);
  }
  return success();
}

} // namespace

#define WSE_UNARY_GRAD(OP, BODY)                                               \
  LogicalResult OP::buildGradients(OpBuilder &b, ArrayRef<Value> rg,           \
                                   SmallVectorImpl<Value> &og) {               \
    return unary(*this, b, rg, og,                                             \
                 [&](G &e, Value x, Value y, Value g) -> Value { BODY });      \
  }

WSE_UNARY_GRAD(NegOp, return e.neg(g);)
WSE_UNARY_GRAD(AbsOp, return e.mul(g, grad::build<SignOp>(e.b, e.loc, x));)
WSE_UNARY_GRAD(ExpOp, return e.mul(g, y);)
WSE_UNARY_GRAD(LogOp, return e.div(g, x);)
WSE_UNARY_GRAD(SqrtOp, return e.div(e.mul(g, 0.5f), y);)
WSE_UNARY_GRAD(RsqrtOp, return e.mul(e.mul(g, -0.5f), e.mul(y, e.mul(y, y)));)
WSE_UNARY_GRAD(ReciprocalOp, return e.neg(e.mul(g, e.mul(y, y)));)
WSE_UNARY_GRAD(TanhOp, return e.mul(g, e.sub(e.c(1.0f), e.mul(y, y)));)
WSE_UNARY_GRAD(ErfOp, {
  // 2 / sqrt(pi) * exp(-x^2)
  Value d = e.mul(e.exp(e.neg(e.mul(x, x))), float(2.0 / std::sqrt(M_PI)));
  return e.mul(g, d);
})
WSE_UNARY_GRAD(SigmoidOp, return e.mul(g, e.mul(y, e.sub(e.c(1.0f), y)));)
WSE_UNARY_GRAD(SoftplusOp, return e.mul(g, e.sigmoid(x));)
WSE_UNARY_GRAD(SiluOp, {
  // s + x s (1 - s)
  Value s = e.sigmoid(x);
  return e.mul(g, e.add(s, e.mul(e.mul(x, s), e.sub(e.c(1.0f), s))));
})
WSE_UNARY_GRAD(SinOp, return e.mul(g, grad::build<CosOp>(e.b, e.loc, x));)
WSE_UNARY_GRAD(CosOp, return e.neg(e.mul(g, grad::build<SinOp>(e.b, e.loc, x)));)
WSE_UNARY_GRAD(LeakyReluOp, {
  Value pos = grad::build<GreaterOp>(e.b, e.loc, x, e.zeros(x.getType()));
  return e.select(pos, g, e.mul(g, getAlpha().convertToFloat()));
})
WSE_UNARY_GRAD(EluOp, {
  Value pos = grad::build<GreaterOp>(e.b, e.loc, x, e.zeros(x.getType()));
  return e.select(pos, g,
                  e.mul(e.mul(g, e.exp(x)), getAlpha().convertToFloat()));
})
#undef WSE_UNARY_GRAD

LogicalResult GeluOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                     SmallVectorImpl<Value> &og) {
  return unary(*this, b, rg, og, [&](G &e, Value x, Value, Value g) -> Value {
    if (!getApproximate()) {
      // Phi(x) + x phi(x)
      Value phi = e.mul(e.exp(e.mul(e.mul(x, x), -0.5f)),
                        float(1.0 / std::sqrt(2.0 * M_PI)));
      Value cdf = e.mul(
          e.add(e.c(1.0f),
                grad::build<ErfOp>(e.b, e.loc, e.mul(x, float(M_SQRT1_2)))),
          0.5f);
      return e.mul(g, e.add(cdf, e.mul(x, phi)));
    }
    // y = 0.5 x (1 + t), t = tanh(k (x + 0.044715 x^3)), k = sqrt(2/pi).
    float k = float(std::sqrt(2.0 / M_PI));
    Value x2 = e.mul(x, x);
    Value inner = e.mul(e.add(x, e.mul(e.mul(x2, x), 0.044715f)), k);
    Value t = e.tanh(inner);
    Value dinner = e.mul(e.add(e.c(1.0f), e.mul(x2, 3.0f * 0.044715f)), k);
    Value dt = e.mul(e.sub(e.c(1.0f), e.mul(t, t)), dinner);
    Value d = e.add(e.mul(e.add(e.c(1.0f), t), 0.5f),
                    e.mul(e.mul(x, dt), 0.5f));
    return e.mul(g, d);
  });
}

LogicalResult ClampOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                      SmallVectorImpl<Value> &og) {
  return unary(*this, b, rg, og, [&](G &e, Value x, Value, Value g) -> Value {
    // Gradient flows where min <= x <= max, as in torch.clamp.
    Value out = g;
    Value zero = e.zeros(x.getType());
    if (auto lo = getMin())
      out = e.select(
          grad::build<GreaterEqualOp>(e.b, e.loc, x, e.c(float(lo->convertToDouble()))),
          out, zero);
    if (auto hi = getMax())
      out = e.select(
          grad::build<LessEqualOp>(e.b, e.loc, x, e.c(float(hi->convertToDouble()))),
          out, zero);
    return out;
  });
}

LogicalResult DivOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                    SmallVectorImpl<Value> &og) {
  og.assign(2, Value());
  Value g = rg[0];
  if (!g)
    return success();
  G e(b, getLoc());
  og[0] = e.reduceTo(e.div(g, getRhs()), getLhs().getType());
  og[1] = e.reduceTo(e.neg(e.div(e.mul(g, getResult()), getRhs())),
                     getRhs().getType());
  return success();
}

LogicalResult PowOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                    SmallVectorImpl<Value> &og) {
  og.assign(2, Value());
  Value g = rg[0];
  if (!g)
    return success();
  G e(b, getLoc());
  Value a = getLhs(), p = getRhs();
  Value da = e.mul(e.mul(g, p), grad::build<PowOp>(b, getLoc(), a,
                                              e.sub(p, e.c(1.0f))));
  og[0] = e.reduceTo(da, a.getType());
  og[1] = e.reduceTo(e.mul(e.mul(g, getResult()), e.log(a)), p.getType());
  return success();
}

/// max/min: the larger (smaller) operand takes the gradient; ties split it
/// evenly, as torch.maximum does.
template <typename OpTy, typename CmpOp>
static LogicalResult extremumGrad(OpTy op, OpBuilder &b, ArrayRef<Value> rg,
                                  SmallVectorImpl<Value> &og) {
  og.assign(2, Value());
  Value g = rg[0];
  if (!g)
    return success();
  G e(b, op.getLoc());
  Value l = op.getLhs(), r = op.getRhs();
  Value zero = e.zeros(g.getType());
  Value half = e.mul(g, 0.5f);
  Value eq = grad::build<EqualOp>(b, op.getLoc(), l, r);
  Value lWins = grad::build<CmpOp>(b, op.getLoc(), l, r);
  Value rWins = grad::build<CmpOp>(b, op.getLoc(), r, l);
  og[0] = e.reduceTo(e.select(lWins, g, e.select(eq, half, zero)),
                     l.getType());
  og[1] = e.reduceTo(e.select(rWins, g, e.select(eq, half, zero)),
                     r.getType());
  return success();
}

LogicalResult MaxOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                    SmallVectorImpl<Value> &og) {
  return extremumGrad<MaxOp, GreaterOp>(*this, b, rg, og);
}

LogicalResult MinOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                    SmallVectorImpl<Value> &og) {
  return extremumGrad<MinOp, LessOp>(*this, b, rg, og);
}

LogicalResult SelectOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                       SmallVectorImpl<Value> &og) {
  og.assign(3, Value());
  Value g = rg[0];
  if (!g || !getType().getElementType().isF32())
    return success();
  G e(b, getLoc());
  Value zero = e.zeros(g.getType());
  og[1] = e.reduceTo(e.select(getCond(), g, zero), getLhs().getType());
  og[2] = e.reduceTo(e.select(getCond(), zero, g), getRhs().getType());
  return success();
}

LogicalResult CastOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                     SmallVectorImpl<Value> &og) {
  og.assign(1, Value());
  // Only a float-to-float cast passes a gradient.
  if (rg[0] && getInput().getType().getElementType().isF32() &&
      getType().getElementType().isF32())
    og[0] = rg[0];
  return success();
}
