//===- PartitionTransfers.cpp - when and how wse-partition moves data ----===//
//
// The partitioner's transfers beyond a plain relayout: a chain of data
// movements read as one index map (throughPending), partial sums wanted
// on every PE of their axis summed in two steps (allReduceMiddle), and
// gradients moved into their update's layout as soon as they are final
// (sendToUpdates). mapping.md describes each with its measured effect.
//
//===----------------------------------------------------------------------===//
#include "Partitioner.h"

#include "wse/WseDialect.h"

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::mesh;
using ::wsert::AxisSplit;
using ::wsert::Layout;

namespace mlir::wse::mesh::partition {

/// `base` with axis `a` splitting, over `count` PEs, the dim (not one the
/// other axis splits) that leaves the smallest tile; none if no split
/// makes the tile smaller.
static std::optional<Layout> splitOverAxis(const Layout &base, int a,
                                           int64_t count) {
  std::optional<Layout> best;
  int64_t bestTile = base.tileElements();
  for (int64_t d = 0; d < int64_t(base.shape.size()); ++d) {
    if (base.axis(1 - a).splits(d))
      continue;
    AxisSplit s = AxisSplit::split(d, base.shape[size_t(d)], count);
    if (s.count < 2)
      continue;
    Layout mid = base;
    mid.axis(a) = s;
    if (mid.tileElements() < bestTile) {
      bestTile = mid.tileElements();
      best = mid;
    }
  }
  return best;
}

/// Partial sums over c PEs wanted replicated over those same PEs: each
/// receiver would take in the other c - 1 tiles. Summed first into a
/// layout that splits the tile over them (each PE takes in c - 1 parts
/// of 1/k of a tile), then gathered (each takes in the other k - 1
/// parts), the PEs take in far fewer wavelets for one more transfer's
/// latency. The middle layout, when that is cheaper.
std::optional<Layout> Partitioner::allReduceMiddle(const Layout &from,
                                                   const Layout &want) const {
  if (from.mask >= 0)
    return std::nullopt;
  for (int a = 0; a < 2; ++a) {
    const AxisSplit &p = from.axis(a), &r = want.axis(a);
    const AxisSplit &other = from.axis(1 - a);
    if (p.nested() || r.nested() || other.nested() ||
        p.kind != AxisSplit::Partial || r.kind != AxisSplit::Replicated ||
        r.count != p.count || other != want.axis(1 - a) ||
        other.kind == AxisSplit::Partial)
      continue;
    std::optional<Layout> best = splitOverAxis(want, a, p.count);
    if (!best)
      return std::nullopt;
    // Wavelets each PE takes in, plus a crossing of the axis for the
    // second transfer.
    int64_t c = p.count, tile = want.tileElements();
    int64_t direct = (c - 1) * tile;
    int64_t twoSteps = (c - 1) * best->tileElements() + tile + c;
    return twoSteps < direct ? best : std::nullopt;
  }
  return std::nullopt;
}

/// A data movement (a reshape, slice, transpose) of partial sums over c
/// PEs into a layout `want` that keeps several copies of each element
/// (the activations of a stacked expert product, replicated along the
/// axis that splits its outputs): built straight from the partial tiles,
/// each copy's receiver takes in all c partial copies of its tile. Summed
/// first where the partial axis splits the source instead (each PE takes
/// in c - 1 parts of 1/c of its tile), the movement then sends sums.
std::optional<Layout> Partitioner::sumBeforeMoving(const Layout &from,
                                                   const Layout &want) const {
  if (from.mask >= 0 || want.mask >= 0 || want.numElements() == 0)
    return std::nullopt;
  // With one copy of each element the direct movement sums it once where
  // it lands, a reduce-scatter already: summing first only adds a hop.
  int64_t tile = want.tileElements();
  int64_t copies = want.x.pes() * want.y.pes() * tile / want.numElements();
  if (copies < 2)
    return std::nullopt;
  for (int a = 0; a < 2; ++a) {
    const AxisSplit &p = from.axis(a), &other = from.axis(1 - a);
    if (p.kind != AxisSplit::Partial || p.nested() || other.partial())
      continue;
    std::optional<Layout> best = splitOverAxis(from, a, p.count);
    if (!best)
      return std::nullopt;
    int64_t bestTile = best->tileElements();
    // Wavelets a PE takes in (in the movement, also those a PE of the
    // middle layout sends: each element to every copy), plus a crossing
    // of the axis for the second transfer.
    int64_t c = p.count;
    int64_t direct = (c - 1) * tile;
    int64_t twoSteps =
        (c - 1) * bestTile + std::max(tile, bestTile * copies) + c;
    return twoSteps < direct ? best : std::nullopt;
  }
  return std::nullopt;
}

Movement Partitioner::throughPending(Movement m, Value v) const {
  std::vector<int64_t> shape =
      m.windowSize.empty()
          ? shapeOf(v)
          : std::vector<int64_t>(m.windowSize.begin(), m.windowSize.end());
  // A chain of movements (a slice, reshaped, transposed) is one transfer
  // from where the data is, not one per link.
  for (;;) {
    auto p = pending.find(m.src);
    if (p == pending.end() || p->second.size() != 1 || homes.count(m.src) ||
        streamedParts.count(m.src))
      return m;
    // Partial sums are added where the movement reading them lands: a
    // value read by more than one consumer is summed once, in the middle
    // tensor, rather than by each consumer's transfer.
    auto h = homes.find(p->second[0].src);
    if (h != homes.end() && h->second.layout.isPartial() &&
        !(v.hasOneUse() && m.src.hasOneUse()))
      return m;
    std::optional<Movement> c = composeMovements(m, shape, p->second[0]);
    if (!c)
      return m;
    m = std::move(*c);
  }
}

/// The optimizer updates run after the backward pass, each reading its
/// gradient in its parameter's layout. A gradient is final long before:
/// moving it there as soon as the update's last operand is computed lets
/// the transfer (a sum of partials, mostly) run while the backward pass
/// goes on, instead of in a chain of transfers after it. The moved copies
/// live until the updates, so SRAM counts them with the step-long tensors,
/// up to half of it.
LogicalResult Partitioner::sendToUpdates(Operation &op) {
  SmallVector<Operation *> ready;
  for (Value r : op.getResults())
    for (Operation *user : r.getUsers()) {
      // Through the train step's gradient masking (a masked product's
      // alias).
      SmallVector<Operation *, 2> candidates{user};
      if (isa<MulOp>(user))
        llvm::append_range(candidates, user->getResult(0).getUsers());
      for (Operation *u : candidates)
        if (isa<SgdUpdateOp, SgdMomentumUpdateOp, AdamWUpdateOp>(u) &&
            u->getBlock() == op.getBlock() && !sentToUpdate.count(u) &&
            llvm::all_of(u->getOperands(), [&](Value v) {
              // Scalars (a learning rate computed last) are
              // not what the choice of layout turns on.
              return typeOf(v).getRank() == 0 || homes.count(v) ||
                     sources.count(v) || pending.count(v);
            }))
          ready.push_back(u);
    }
  for (Operation *u : ready) {
    if (!sentToUpdate.insert(u).second)
      continue;
    FailureOr<OpMapping> m = mapOp(u);
    if (failed(m) || m->kind != OpMapping::Compute)
      continue;
    Kernel &k = m->kernel;
    sparsifyKernel(u, k, facts());
    FailureOr<Choice> c = choose(u, k, /*host=*/false);
    if (failed(c))
      return failure();
    for (size_t i = 0; i < k.ins.size(); ++i) {
      Layout l = operandLayout(k, k.outs.size() + i, *c, false);
      Value v = k.ins[i];
      auto h = homes.find(v);
      bool moved = h == homes.end() && pending.count(v);
      if ((!moved && (h == homes.end() || h->second.layout == l ||
                      persistent.count(h->second.sym))) ||
          l.shape.empty())
        continue;
      int64_t bytes = 4 * storedElements(l);
      if (persistentBytes + bytes > machine.dataSramBytes() / 2)
        continue;
      if (failed(ensure(v, l, u->getLoc())))
        return failure();
      persistentBytes += bytes;
    }
  }
  return success();
}

} // namespace mlir::wse::mesh::partition
