//===- WseFlops.cpp - the arithmetic an op of the wse dialect does --------===//
//
// One convention for counting a graph's FLOPs (the reference engine's
// progress line and report): a product's multiply-adds count 2, every
// other arithmetic op one per element it produces (a reduction, one per
// element it reads), compound ops as their primitives would, and moving
// data none. The mesh engine counts what its PEs execute instead
// (docs/roofline.md); both count a matmul alike.
//
//===----------------------------------------------------------------------===//
#include "WseDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::wse;

namespace {

uint64_t elementsOf(Value v) {
  auto t = dyn_cast<ShapedType>(v.getType());
  return t && t.hasStaticShape() ? uint64_t(t.getNumElements()) : 0;
}

int64_t dimFromEnd(Value v, int64_t fromEnd) {
  auto t = cast<ShapedType>(v.getType());
  return t.getDimSize(t.getRank() - fromEnd);
}

} // namespace

uint64_t mlir::wse::arithmeticFlops(Operation *op) {
  if (op->getNumResults() == 0)
    return 0;
  uint64_t out = elementsOf(op->getResult(0));
  return llvm::TypeSwitch<Operation *, uint64_t>(op)
      // Moving data and making values: no arithmetic.
      .Case<ConstantOp, ReshapeOp, BroadcastToOp, TransposeOp, ConcatOp,
            SliceOp, GatherOp, InsertSliceOp, MoeRouteOp>(
          [](Operation *) { return uint64_t(0); })
      .Case<MatmulOp>([&](MatmulOp m) {
        int64_t k = dimFromEnd(m.getA(), m.getTransposeA() ? 2 : 1);
        return 2 * out * uint64_t(k) + (m.getBias() ? out : 0);
      })
      .Case<AttentionOp>([&](AttentionOp a) {
        // q k^T and p v, plus per score: the scale, the mask, the softmax.
        uint64_t d = uint64_t(dimFromEnd(a.getQuery(), 1));
        uint64_t dv = uint64_t(dimFromEnd(a.getValue(), 1));
        uint64_t s = uint64_t(dimFromEnd(a.getKey(), 2));
        uint64_t scores =
            elementsOf(a.getQuery()) / std::max<uint64_t>(d, 1) * s;
        return 2 * scores * (d + dv) + scores * (6 + (a.getMask() ? 1 : 0));
      })
      // max, subtract and exponent, sum, divide (log: subtract the log).
      .Case<SoftmaxOp, LogSoftmaxOp>([&](Operation *) { return 5 * out; })
      // mean, subtract, square, mean, scale by the rsqrt; then the affine.
      .Case<LayerNormOp>([&](LayerNormOp n) {
        return out * (5 + (n.getScale() ? 1 : 0) + (n.getBias() ? 1 : 0));
      })
      .Case<RmsNormOp>(
          [&](RmsNormOp n) { return out * (3 + (n.getScale() ? 1 : 0)); })
      .Case<SoftmaxCrossEntropyOp>([&](SoftmaxCrossEntropyOp s) {
        return 6 * elementsOf(s.getLogits());
      })
      .Case<SoftmaxCrossEntropyGradOp>([&](SoftmaxCrossEntropyGradOp s) {
        return 7 * elementsOf(s.getLogits());
      })
      .Case<MseOp>([&](MseOp m) { return 3 * elementsOf(m.getPrediction()); })
      .Case<RopeOp>([&](Operation *) { return 3 * out; })
      // Per parameter element, as the PE updates charge them.
      .Case<SgdUpdateOp>([&](Operation *) { return 2 * out; })
      .Case<SgdMomentumUpdateOp>([&](Operation *) { return 6 * out; })
      .Case<AdamWUpdateOp>([&](Operation *) { return 16 * out; })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp,
            ArgMaxOp, ArgMinOp, TopKOp>(
          [&](Operation *o) { return elementsOf(o->getOperand(0)); })
      .Case<ScatterAddOp>(
          [&](ScatterAddOp s) { return elementsOf(s.getUpdates()); })
      // Elementwise math, comparisons, logic, select, cast, accumulate,
      // the losses' per-element terms: one per element.
      .Default([&](Operation *o) {
        return o->getDialect() && isa<WseDialect>(o->getDialect()) ? out : 0;
      });
}

uint64_t mlir::wse::stepFlops(func::FuncOp fn) {
  if (fn.isExternal())
    return 0;
  int64_t micro = microBatchesOf(fn);
  FailureOr<DenseMap<Operation *, MicroPhase>> phases =
      micro > 1 ? microBatchPhases(fn) : DenseMap<Operation *, MicroPhase>();
  uint64_t total = 0;
  fn.walk([&](Operation *op) {
    uint64_t times = 1;
    if (micro > 1 && succeeded(phases) &&
        phases->lookup(op) == MicroPhase::PerMicroBatch)
      times = uint64_t(micro);
    total += times * arithmeticFlops(op);
  });
  return total;
}
