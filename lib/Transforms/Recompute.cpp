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

#include <cmath>

namespace mlir::wse {
#define GEN_PASS_DEF_RECOMPUTE
#include "wse/Transforms/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {

/// The op that makes the loss: the first result marked `wse.loss` (a
/// micro-batch's, where the step accumulates them).
Operation *lossOp(func::FuncOp fn) {
  if (fn.isExternal())
    return nullptr;
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  for (unsigned i = 0; i < fn.getNumResults(); ++i)
    if (fn.getResultAttr(i, kLossAttr)) {
      Value loss = ret.getOperand(i);
      if (auto acc = loss.getDefiningOp<AccumulateOp>())
        loss = acc.getInput();
      return loss.getDefiningOp();
    }
  return nullptr;
}

struct Recompute : public wse::impl::RecomputeBase<Recompute> {
  using RecomputeBase::RecomputeBase;

  void runOnOperation() override {
    if (!isRecomputePolicy(policy)) {
      getOperation().emitError("wse-recompute: policy must be selective, "
                               "full or none, not '")
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

  /// The forward values that are the only activation live at some point
  /// of the forward pass (a transformer's residual stream between blocks,
  /// an MLP's layer outputs): everything after that point depends on the
  /// activations before it through that value alone, so keeping these and
  /// recomputing the rest recomputes each stretch from its own start.
  static SmallVector<Value> forwardCuts(const DenseSet<Operation *> &forward,
                                        Block &body,
                                        const DenseSet<Value> &fromParams) {
    DenseMap<Operation *, int64_t> index;
    SmallVector<Operation *> order;
    for (Operation &op : body)
      if (forward.count(&op)) {
        index[&op] = int64_t(order.size());
        order.push_back(&op);
      }
    // Activations: forward results that depend on an input (not on
    // parameters and constants alone, like a causal mask every layer
    // reads). Each lives from its op to its last forward use.
    DenseSet<Value> invariant(fromParams.begin(), fromParams.end());
    DenseMap<Value, int64_t> lastUse;
    for (Operation *op : order) {
      if (llvm::all_of(op->getOperands(), [&](Value o) {
            return invariant.count(o) || matchPattern(o, m_Constant());
          })) {
        for (Value r : op->getResults())
          invariant.insert(r);
        continue;
      }
      for (Value r : op->getResults()) {
        int64_t last = -1;
        for (Operation *u : r.getUsers())
          if (auto it = index.find(u); it != index.end())
            last = std::max(last, it->second);
        if (last > index[op])
          lastUse[r] = last;
      }
    }
    // crossing[i]: activations live across the point after op i; alone[i]:
    // the points up to i that one activation crosses alone.
    SmallVector<int64_t> live(order.size() + 1, 0);
    for (auto &[v, last] : lastUse) {
      int64_t def = index[v.getDefiningOp()];
      ++live[size_t(def)];
      --live[size_t(last)];
    }
    int64_t crossing = 0;
    SmallVector<int64_t> alone(order.size() + 1, 0); // alone[i + 1]: up to i
    for (size_t i = 0; i < order.size(); ++i) {
      crossing += live[i];
      alone[i + 1] = alone[i] + (crossing == 1 ? 1 : 0);
    }
    SmallVector<Value> cuts; // in forward order
    for (Operation *op : order)
      for (Value v : op->getResults())
        if (auto it = lastUse.find(v);
            it != lastUse.end() &&
            alone[size_t(it->second)] > alone[size_t(index[op])])
          cuts.push_back(v);
    return cuts;
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
    // policy=full: of the n cuts, every ceil(sqrt(n))-th is kept (Chen et
    // al.'s sqrt(n) checkpoints); the others are recomputed from the kept
    // one before them, and each stretch's other values from its own cut.
    DenseSet<Value> cuts, keptCuts;
    if (policy == "full") {
      SmallVector<Value> all = forwardCuts(forward, body, fromParams);
      int64_t every = int64_t(std::ceil(std::sqrt(double(all.size()))));
      for (size_t i = 0; i < all.size(); ++i) {
        cuts.insert(all[i]);
        if ((int64_t(i) + 1) % std::max<int64_t>(1, every) == 0)
          keptCuts.insert(all[i]);
      }
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
      if (policy == "full")
        return keptCuts.contains(v);
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
    SmallVector<Operation *> made; // forward ops cloned, in order
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
      size_t start = made.size();
      for (Value o : def->getOperands())
        if (!clones.contains(o))
          clones.map(o, cloneOf(o));
      tally(b.clone(*def, clones));
      // A recomputed cut is reused; the values recomputed only to reach it
      // are not: the backward of their own stretch recomputes them again
      // from its cut, so they die here instead of living until then.
      if (cuts.contains(v)) {
        for (size_t i = start; i < made.size(); ++i)
          for (Value r : made[i]->getResults())
            if (!cuts.contains(r))
              clones.erase(r);
        made.resize(start);
      }
      made.push_back(def);
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
  return policy == "none" || policy == "selective" || policy == "full";
}
