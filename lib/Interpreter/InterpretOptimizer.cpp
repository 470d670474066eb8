//===- InterpretOptimizer.cpp - parameter updates in the interpreter ------===//
//
// sgd_update, sgd_momentum_update and adamw_update, elementwise in Real as
// on a PE. An optional scalar `lr` operand replaces the `lr` attribute.
//
//===----------------------------------------------------------------------===//
#include "InterpreterImpl.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::interp;

namespace {

Real learningRate(Interp &in, Value lrValue, APFloat lrAttr) {
  if (lrValue)
    return in.get(lrValue).f[0];
  return lrAttr.convertToFloat();
}

LogicalResult sgd(Interp &in, SgdUpdateOp s) {
  HostTensor p = in.get(s.getParam());
  const HostTensor &g = in.get(s.getGrad());
  Real lr = learningRate(in, s.getLrValue(), s.getLr());
  for (size_t e = 0; e < p.f.size(); ++e)
    p.f[e] = p.f[e] - lr * g.f[e];
  in.set(s.getResult(), std::move(p));
  return success();
}

LogicalResult sgdMomentum(Interp &in, SgdMomentumUpdateOp s) {
  HostTensor p = in.get(s.getParam());
  HostTensor buf = in.get(s.getBuf());
  const HostTensor &g = in.get(s.getGrad());
  Real lr = learningRate(in, s.getLrValue(), s.getLr());
  Real momentum = s.getMomentum().convertToFloat();
  Real dampening = s.getDampening().convertToFloat();
  Real wd = s.getWeightDecay().convertToFloat();
  bool nesterov = s.getNesterov();
  for (size_t e = 0; e < p.f.size(); ++e) {
    Real gd = wd != 0.0f ? g.f[e] + wd * p.f[e] : g.f[e];
    Real b = momentum * buf.f[e] + (1.0f - dampening) * gd;
    Real step = nesterov ? gd + momentum * b : b;
    buf.f[e] = b;
    p.f[e] = p.f[e] - lr * step;
  }
  in.set(s.getNewParam(), std::move(p));
  in.set(s.getNewBuf(), std::move(buf));
  return success();
}

LogicalResult adamw(Interp &in, AdamWUpdateOp a) {
  HostTensor p = in.get(a.getParam());
  HostTensor m = in.get(a.getM());
  HostTensor v = in.get(a.getV());
  const HostTensor &g = in.get(a.getGrad());
  double t = in.get(a.getStep()).f[0];
  Real lr = learningRate(in, a.getLrValue(), a.getLr());
  Real beta1 = a.getBeta1().convertToFloat();
  Real beta2 = a.getBeta2().convertToFloat();
  Real eps = a.getEps().convertToFloat();
  Real wd = a.getWeightDecay().convertToFloat();
  // The bias corrections are host scalars (Python floats in torch).
  double bc1 = 1.0 - std::pow(double(beta1), t);
  double bc2 = 1.0 - std::pow(double(beta2), t);
  Real stepSize = Real(double(lr) / bc1);
  Real bc2Sqrt = Real(std::sqrt(bc2));
  Real decay = Real(1.0 - double(lr) * double(wd));
  for (size_t e = 0; e < p.f.size(); ++e) {
    Real gr = g.f[e];
    Real param = p.f[e] * decay;
    Real mm = beta1 * m.f[e] + (1.0f - beta1) * gr;
    Real vv = beta2 * v.f[e] + (1.0f - beta2) * gr * gr;
    Real denom = std::sqrt(vv) / bc2Sqrt + eps;
    p.f[e] = param - stepSize * (mm / denom);
    m.f[e] = mm;
    v.f[e] = vv;
  }
  in.set(a.getNewParam(), std::move(p));
  in.set(a.getNewM(), std::move(m));
  in.set(a.getNewV(), std::move(v));
  return success();
}

} // namespace

Handled interp::interpretOptimizerOp(Interp &in, Operation *op) {
  return llvm::TypeSwitch<Operation *, Handled>(op)
      .Case<SgdUpdateOp>([&](SgdUpdateOp o) { return sgd(in, o); })
      .Case<SgdMomentumUpdateOp>(
          [&](SgdMomentumUpdateOp o) { return sgdMomentum(in, o); })
      .Case<AdamWUpdateOp>([&](AdamWUpdateOp o) { return adamw(in, o); })
      .Default([](Operation *) -> Handled { return std::nullopt; });
}
