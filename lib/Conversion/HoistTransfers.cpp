//===- HoistTransfers.cpp - start transfers as soon as their data is ready
//
// wse-partition emits a transfer where its consumer asks for the layout,
// so a relayout or a partial-sum reduction starts only when the kernel
// that needs it is next, and the PEs wait for its wavelets. This pass
// moves each transfer between mesh regions up to just after the last op
// that writes its source or names its destination: the data moves while
// the kernels in between compute (wse-post-receives then posts the
// receive there and waits for it just before the first use).
//
// The destination tile lives from the transfer on, so a hoisted transfer
// holds SRAM longer. A transfer is not moved past a step where the
// region's live bytes (the sum of the tiles alive there) would rise above
// their peak over the step: hoisting never raises what the step needs.
// Transfers to or from the host (weight streaming) stay where they are,
// since streaming a weight early would keep it in SRAM, and under weight
// streaming the order stays unless hoisting leaves the SRAM peak as it was
// (first-fit packs longer lifetimes less tightly: GPT-3 1.3B on the whole
// WSE-2 went from 19,512 to 31,292 bytes per PE).
//
//===----------------------------------------------------------------------===//
#include "Allocation.h"

#include "fabric/FabricDialect.h"
#include "wse/Conversion/Passes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::wse {
#define GEN_PASS_DEF_HOISTTRANSFERS
#include "wse/Conversion/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse::mesh;

namespace {

StringRef name(Attribute ref) {
  return cast<FlatSymbolRefAttr>(ref).getValue();
}

bool contains(ArrayAttr refs, StringRef tensor) {
  return llvm::any_of(refs, [&](Attribute r) { return name(r) == tensor; });
}

/// Whether `op` writes `src` or names `dst`: a transfer reading `src` into
/// `dst` cannot move above it.
bool blocks(Operation *op, StringRef src, StringRef dst) {
  if (auto c = dyn_cast<fabric::ComputeOp>(op))
    return contains(c.getOuts(), src) || contains(c.getOuts(), dst) ||
           contains(c.getIns(), dst);
  if (auto t = dyn_cast<fabric::TransferOp>(op))
    return t.getDst() == src || t.getDst() == dst || t.getSrc() == dst;
  return isa<fabric::OutputOp>(op);
}

LogicalResult hoist(fabric::GraphOp graph, int64_t sramBudget) {
  GraphAllocation alloc;
  if (failed(allocateGraph(graph, alloc, /*placed=*/false)))
    return failure();
  Block &body = graph.getBody().front();
  std::vector<Operation *> original;
  for (Operation &op : body)
    original.push_back(&op);
  // Positions: step i at 2i; a hoisted transfer sits in the gap before the
  // step it moved above (odd), after any moved there earlier.
  int64_t steps = int64_t(alloc.program.size());
  DenseMap<Operation *, int64_t> pos;
  for (int64_t i = 0; i < steps; ++i)
    pos[alloc.program[size_t(i)]] = 2 * i;
  std::map<std::string, std::vector<int64_t>> live; // per region, per slot
  std::map<std::string, int64_t> peak;
  for (const std::string &r : alloc.regionOrder)
    live[r].assign(size_t(2 * steps + 1), 0);
  for (auto &[n, t] : alloc.tensors)
    for (int64_t s = 2 * t.first; s <= 2 * t.last && s <= 2 * steps; ++s)
      live[t.region][size_t(s)] += 4 * t.tile;
  for (auto &[r, l] : live)
    peak[r] = l.empty() ? 0 : *std::max_element(l.begin(), l.end());
  auto onHost = [&](StringRef tensor) {
    return alloc.regions.at(alloc.tensors.at(tensor.str()).region).getHost();
  };

  for (Operation *op : alloc.program) {
    auto t = dyn_cast<fabric::TransferOp>(op);
    if (!t || onHost(t.getSrc()) || onHost(t.getDst()))
      continue;
    GraphAllocation::Tensor &dst = alloc.tensors.at(t.getDst().str());
    int64_t at = pos[op];
    // A destination first written here lives longer when this moves up.
    int64_t grows = 2 * dst.first == at ? 4 * dst.tile : 0;
    std::vector<int64_t> &l = live[dst.region];
    Operation *above = nullptr; // the step to move above
    for (Operation *p = op->getPrevNode(); p; p = p->getPrevNode()) {
      auto it = pos.find(p);
      if (it == pos.end())
        continue; // a declaration
      if (blocks(p, t.getSrc(), t.getDst()))
        break;
      int64_t s = it->second;
      if (l[size_t(s)] + grows > peak[dst.region] ||
          l[size_t(s + 1)] + grows > peak[dst.region])
        break;
      above = p;
    }
    if (!above)
      continue;
    int64_t to = pos[above] % 2 == 0 ? pos[above] - 1 : pos[above];
    for (int64_t s = std::max<int64_t>(to, 0); s < at; ++s)
      l[size_t(s)] += grows;
    if (grows)
      dst.first = to / 2; // no later move reads it as first written here
    op->moveBefore(above);
    pos[op] = to;
  }
  // Keep each temp declared before its first use (one walk: ordering
  // queries after moves would renumber the block each time).
  llvm::DenseSet<Operation *> declared;
  for (Operation &op : llvm::make_early_inc_range(body)) {
    if (isa<fabric::TensorOp>(op)) {
      declared.insert(&op);
      continue;
    }
    auto declare = [&](StringRef tensor) {
      auto it = alloc.tensors.find(tensor.str());
      if (it == alloc.tensors.end() || !it->second.op)
        return;
      // Inputs, parameters, state and constants live for the whole step
      // and keep their order (the host binds them in it).
      fabric::TensorOp decl = it->second.op;
      if (decl.getKind() == "temp" && declared.insert(decl).second)
        decl->moveBefore(&op);
    };
    if (auto t = dyn_cast<fabric::TransferOp>(op)) {
      declare(t.getSrc());
      declare(t.getDst());
    } else if (auto c = dyn_cast<fabric::ComputeOp>(op)) {
      for (ArrayAttr refs : {c.getOuts(), c.getIns()})
        for (Attribute r : refs)
          declare(name(r));
    }
  }
  // The live-bytes bound ignores how first-fit packs the tiles: where
  // the hoisted step no longer fits a PE's SRAM (and the original did),
  // keep the original order. Under weight streaming, where SRAM is what
  // decides which models train, keep it too if the peak rose at all.
  bool streaming = llvm::any_of(
      alloc.regions, [](auto &r) { return bool(r.second.getHost()); });
  GraphAllocation after;
  if (failed(allocateGraph(graph, after, /*placed=*/false)))
    return failure();
  for (const std::string &r : alloc.regionOrder) {
    if (alloc.regions.at(r).getHost())
      continue;
    int64_t before = alloc.peaks[r].bytes, now = after.peaks[r].bytes;
    if ((now > sramBudget && before <= sramBudget) ||
        (streaming && now > before)) {
      for (Operation *op : original)
        op->moveBefore(&body, body.end());
      break;
    }
  }
  return success();
}

struct HoistTransfersPass
    : public mlir::wse::impl::HoistTransfersBase<HoistTransfersPass> {
  void runOnOperation() override {
    fabric::MachineAttr m = fabric::getMachine(getOperation());
    if (!m) {
      getOperation().emitError("wse-hoist-transfers needs the module's "
                               "fabric.machine: run wse-partition first");
      return signalPassFailure();
    }
    int64_t budget = m.getSramBytes() - m.getReservedSramBytes();
    WalkResult r = getOperation().walk([&](fabric::GraphOp g) {
      return failed(hoist(g, budget)) ? WalkResult::interrupt()
                                      : WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
