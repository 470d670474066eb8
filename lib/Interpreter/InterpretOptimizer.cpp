//===- InterpretOptimizer.cpp - parameter updates in the interpreter ------===//
//
// sgd_update, sgd_momentum_update and adamw_update, elementwise in Real as
// on a PE. An optional scalar `lr` operand replaces the `lr` attribute. The
// parameter and state are updated in place where nothing reads them later.
//
//===----------------------------------------------------------------------===//
#include "InterpreterImpl.h"
#include "wse/Support/Math.h"

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
  HostTensor p = in.take(s.getParam());
  const HostTensor &g = in.get(s.getGrad());
  Real lr = learningRate(in, s.getLrValue(), s.getLr());
  for (size_t e = 0; e < p.f.size(); ++e)
    p.f[e] = p.f[e] - lr * g.f[e];
  in.set(s.getResult(), std::move(p));
  return success();
}

LogicalResult sgdMomentum(Interp &in, SgdMomentumUpdateOp s) {
  HostTensor p = in.take(s.getParam());
  HostTensor buf = in.take(s.getBuf());
  const HostTensor &g = in.get(s.getGrad());
  ::wsert::math::sgdMomentumUpdate<Real>(
      p.f.data(), g.f.data(), buf.f.data(), int64_t(p.f.size()),
      learningRate(in, s.getLrValue(), s.getLr()),
      s.getMomentum().convertToFloat(), s.getDampening().convertToFloat(),
      s.getWeightDecay().convertToFloat(), s.getNesterov());
  in.set(s.getNewParam(), std::move(p));
  in.set(s.getNewBuf(), std::move(buf));
  return success();
}

LogicalResult adamw(Interp &in, AdamWUpdateOp a) {
  HostTensor p = in.take(a.getParam());
  HostTensor m = in.take(a.getM());
  HostTensor v = in.take(a.getV());
  const HostTensor &g = in.get(a.getGrad());
  ::wsert::math::adamwUpdate<Real>(
      p.f.data(), g.f.data(), m.f.data(), v.f.data(), int64_t(p.f.size()),
      double(in.get(a.getStep()).f[0]),
      learningRate(in, a.getLrValue(), a.getLr()),
      a.getBeta1().convertToFloat(), a.getBeta2().convertToFloat(),
      a.getEps().convertToFloat(), a.getWeightDecay().convertToFloat());
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
