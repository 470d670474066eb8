//===- InterpretOptimizer.cpp - parameter updates in the interpreter ------===//
//
// sgd_update, sgd_momentum_update and adamw_update, elementwise in float as
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

float learningRate(Interp &in, Value lrValue, APFloat lrAttr) {
  if (lrValue)
    return in.get(lrValue).f[0];
  return lrAttr.convertToFloat();
}

LogicalResult sgd(Interp &in, SgdUpdateOp s) {
  HostTensor p = in.get(s.getParam());
  const HostTensor &g = in.get(s.getGrad());
  float lr = learningRate(in, s.getLrValue(), s.getLr());
  for (size_t e = 0; e < p.f.size(); ++e)
    p.f[e] = p.f[e] - lr * g.f[e];
  in.set(s.getResult(), std::move(p));
  return success();
}

LogicalResult sgdMomentum(Interp &in, SgdMomentumUpdateOp s) {
  HostTensor p = in.get(s.getParam());
  HostTensor buf = in.get(s.getBuf());
  const HostTensor &g = in.get(s.getGrad());
  float lr = learningRate(in, s.getLrValue(), s.getLr());
  float momentum = s.getMomentum().convertToFloat();
  float dampening = s.getDampening().convertToFloat();
  float wd = s.getWeightDecay().convertToFloat();
  bool nesterov = s.getNesterov();
  for (size_t e = 0; e < p.f.size(); ++e) {
    float gd = wd != 0.0f ? g.f[e] + wd * p.f[e] : g.f[e];
    float b = momentum * buf.f[e] + (1.0f - dampening) * gd;
    float step = nesterov ? gd + momentum * b : b;
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
  float lr = learningRate(in, a.getLrValue(), a.getLr());
  float beta1 = a.getBeta1().convertToFloat();
  float beta2 = a.getBeta2().convertToFloat();
  float eps = a.getEps().convertToFloat();
  float wd = a.getWeightDecay().convertToFloat();
  // The bias corrections are host scalars (Python floats in torch).
  double bc1 = 1.0 - std::pow(double(beta1), t);
  double bc2 = 1.0 - std::pow(double(beta2), t);
  float stepSize = float(double(lr) / bc1);
  float bc2Sqrt = float(std::sqrt(bc2));
  float decay = float(1.0 - double(lr) * double(wd));
  for (size_t e = 0; e < p.f.size(); ++e) {
    float gr = g.f[e];
    float param = p.f[e] * decay;
    float mm = beta1 * m.f[e] + (1.0f - beta1) * gr;
    float vv = beta2 * v.f[e] + (1.0f - beta2) * gr * gr;
    float denom = std::sqrt(vv) / bc2Sqrt + eps;
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
