//===- Recompute.cpp - activations recomputed in the backward pass --------===//
//
// A train step keeps every forward value its backward pass reads alive from
// the forward pass to that use: on the wafer, that is the whole model's
// activations in SRAM at the turn from forward to backward. This pass
// trades compute for that memory: a forward value the policy does not keep
// is cloned, with the forward ops it needs, right before its first
// backward use, so the forward's copy dies at its last forward use and the
// clone lives only through the backward of its own layer.
//
//===----------------------------------------------------------------------===//
#include "wse/Transforms/Passes.h"
#include "wse/WseDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::wse {
#define GEN_PASS_DEF_RECOMPUTE
#include "wse/Transforms/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {

/// The op that makes the loss: the first result marked `wse.loss`.
Operation *lossOp(func::FuncOp fn) {
  if (fn.isExternal())
    return nullptr;
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  for (unsigned i = 0; i < fn.getNumResults(); ++i)
    if (fn.getResultAttr(i, kLossAttr))
      return ret.getOperand(i).getDefiningOp();
  return nullptr;
}

struct Recompute : public wse::impl::RecomputeBase<Recompute> {
  using RecomputeBase::RecomputeBase;

  void runOnOperation() override {
    if (!isRecomputePolicy(policy)) {
      getOperation().emitError("wse-recompute: policy must be selective or "
                               "none, not '")
          << policy << "'";
      return signalPassFailure();
    }
    if (policy == "none")
      return;
    bool any = false;
    for (auto fn : getOperation().getOps<func::FuncOp>())
      if (Operation *loss = lossOp(fn)) {
        recompute(fn, loss);
        any = true;
      }
    if (!any) {
      getOperation().emitError(
          "wse-recompute: no train step (a function whose result is marked "
          "wse.loss); run wse-make-train-step first");
      return signalPassFailure();
    }
    // The wafer program (and so wse-sim's report) says what the step did.
    getOperation()->setAttr(kRecomputeAttr,
                            StringAttr::get(&getContext(), policy));
  }

  void recompute(func::FuncOp fn, Operation *loss) {
    Block &body = fn.getBody().front();
    // The forward pass: every op up to the loss's; the backward pass (and
    // the update) the rest.
    DenseSet<Operation *> forward;
    SmallVector<Operation *> backward;
    for (Operation &op : body) {
      if (forward.count(loss))
        backward.push_back(&op);
      else
        forward.insert(&op);
    }
    // Values made from parameters alone (a transposed or masked weight):
    // recomputing them reads only the weight, which is there anyway.
    DenseSet<Value> fromParams;
    for (BlockArgument a : fn.getArguments())
      if (fn.getArgAttr(a.getArgNumber(), kParamAttr))
        fromParams.insert(a);
    for (Operation &op : body) {
      if (!forward.count(&op))
        break;
      if (op.getNumOperands() > 0 && isMemoryEffectFree(&op) &&
          llvm::all_of(op.getOperands(),
                       [&](Value v) { return fromParams.count(v); }))
        for (Value r : op.getResults())
          fromParams.insert(r);
    }
    auto kept = [&](Value v) {
      Operation *def = v.getDefiningOp();
      if (!def || !forward.count(def))
        return true;
      if (!isMemoryEffectFree(def) || def->getNumRegions() > 0 ||
          matchPattern(v, m_Constant()))
        return true;
      if (fromParams.count(v))
        return false;
      // A product with a weight, a lookup in a table: recomputing it would
      // read (and, streamed, stream) the matrix again. A bias or a norm's
      // scale (a vector) is cheap to read again.
      return llvm::any_of(def->getOperands(), [&](Value o) {
        auto t = dyn_cast<RankedTensorType>(o.getType());
        return fromParams.count(o) && t && t.getRank() >= 2;
      });
    };

    int64_t values = 0, elements = 0;
    auto tally = [&](Operation *clone) {
      for (Value r : clone->getResults()) {
        ++values;
        if (auto t = dyn_cast<RankedTensorType>(r.getType()))
          elements += t.getNumElements();
      }
    };
    IRMapping clones;
    OpBuilder b(fn.getContext());
    // The clone of `v` (a forward value not kept), built at the builder's
    // insertion point (before the backward op reading it) with
    // the clones of its own operands that are not kept either.
    std::function<Value(Value)> cloneOf = [&](Value v) -> Value {
      if (kept(v))
        return v;
      if (Value c = clones.lookupOrNull(v))
        return c;
      Operation *def = v.getDefiningOp();
      for (Value o : def->getOperands())
        if (!clones.contains(o))
          clones.map(o, cloneOf(o));
      tally(b.clone(*def, clones));
      return clones.lookup(v);
    };
    // The step's results (the loss, metrics) stay the forward's values.
    for (Operation *op : backward)
      if (!op->hasTrait<OpTrait::IsTerminator>())
        for (OpOperand &use : op->getOpOperands()) {
          Value v = use.get();
          if (kept(v))
            continue;
          b.setInsertionPoint(op);
          use.set(cloneOf(v));
        }
    emitRemark(loss->getLoc(), "wse-recompute: the backward pass recomputes ")
        << values << " values (" << elements
        << " elements) instead of keeping them from the forward pass";
  }
};

} // namespace

bool mlir::wse::isRecomputePolicy(llvm::StringRef policy) {
  return policy == "none" || policy == "selective";
}
