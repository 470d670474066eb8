//===- PartitionChoose.cpp - how wse-partition splits a kernel's box ------===//
//
// For each kernel the partitioner tries every split of its iteration box
// over the grid's axes (a dim per axis, or nested: a stack's index per
// group of PEs, another dim within) and keeps the cheapest that fits SRAM:
// local work, operand relayouts and partial sums to combine, in elements
// (mapping.md, "Choosing the split of a box"). operandLayout gives the
// layout a choice induces on each operand.
//
//===----------------------------------------------------------------------===//
#include "Partitioner.h"

#include "wse/Support/Layout.h"

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::mesh;
using ::wsert::AxisSplit;
using ::wsert::Layout;

namespace mlir::wse::mesh::partition {

Layout Partitioner::operandLayout(const Kernel &k, size_t operand,
                                  const Choice &c, bool isOut) const {
  Value v = operand < k.outs.size() ? k.outs[operand]
                                    : k.ins[operand - k.outs.size()];
  std::vector<int64_t> axes, blocks;
  c.boxAxes(k.iter, axes, blocks);
  // A result lacks only reduction dims: it holds partial sums over them.
  Layout l = ::wsert::boxOperandLayout(
      shapeOf(v), {k.maps[operand].begin(), k.maps[operand].end()},
      {k.iter.begin(), k.iter.end()}, axes, blocks, isOut);
  if (!k.slots.empty() && k.slots[operand])
    l.mask = k.mask;
  return l;
}

/// Whether a kernel's partial results are mostly zero rows, which the
/// transfer summing them leaves unsent (sparse rows): a row gather over a
/// split table (a row is nonzero on the one PE holding its table row) or
/// a row scatter-add of split indices (a PE's partial table has a row for
/// each of its indices at most). Not in a micro-batched step, whose
/// transfers cost the same in every micro-batch.
bool Partitioner::sparseRows(const Kernel &k) const {
  return (k.kernel == "gather" || k.kernel == "scatter_add") &&
         microBatchesOf(fn) <= 1;
}

/// Whether a kernel's output `out` is a scatter-add's partial table that
/// only sparse rows move: kept nowhere, each transfer sends the PE's rows
/// as it builds them (fabric.compute `unstored`).
bool Partitioner::unstored(const Kernel &k, const Layout &out) const {
  return k.kernel == "scatter_add" && out.isPartial() && sparseRows(k);
}

/// The wavelets a PE's partial tile `l` of such a kernel sends, expected:
/// a gather's rows spread over the PEs of its split table, a scatter-add's
/// at most one row per index it holds, each row with its header.
double Partitioner::rowsSent(const Kernel &k, const Layout &l,
                             const Choice &c) const {
  auto local = [&](int64_t d) { return double(c.local(d, k.iter)); };
  double rowLength = l.shape.empty() ? 1 : double(l.tileShape().back());
  double rows = double(l.tileElements()) / rowLength;
  double nonzero = k.kernel == "gather"
                       ? rows * local(2) / double(k.iter[2])
                       : std::min(rows, local(0));
  return nonzero * (rowLength + 1);
}

/// The ways to split a box over one grid axis of `pes` PEs: not at all,
/// one dim in blocks, or nested: each index of an outer dim in `stacks` on
/// its own group of PEs, another dim split within the group.
static SmallVector<Choice, 16> axisOptions(const Kernel &k, int a,
                                           int64_t pes,
                                           ArrayRef<int64_t> dims,
                                           ArrayRef<int64_t> stacks) {
  SmallVector<Choice, 16> out;
  out.push_back(Choice());
  if (pes == 1)
    return out;
  for (int64_t d : dims) {
    Choice c;
    AxisSplit s = AxisSplit::split(d, k.iter[d], pes);
    c.dim[a] = d;
    c.block[a] = s.block;
    c.count[a] = s.count;
    out.push_back(c);
  }
  // Sparse kernels iterate slots of plain tiles.
  if (k.mask >= 0)
    return out;
  for (int64_t o : stacks) {
    int64_t groupPes = pes / k.iter[o];
    if (k.reduction[o] || groupPes < 2)
      continue;
    for (int64_t i : dims) {
      if (i == o)
        continue;
      Choice c;
      c.dim[a] = o;
      c.block[a] = 1;
      c.count[a] = k.iter[o];
      c.inner[a] = i;
      c.innerBlock[a] = AxisSplit::split(i, k.iter[i], groupPes).block;
      out.push_back(c);
    }
  }
  return out;
}

FailureOr<Choice> Partitioner::choose(Operation *op, const Kernel &k,
                                      bool host) {
  // The host is one 1x1 "PE" with host memory: nothing to split or fit.
  if (host)
    return Choice();
  int64_t rank = int64_t(k.iter.size());
  SmallVector<int64_t> dims{-1};
  for (int64_t d = 0; d < rank; ++d)
    if (k.iter[d] > 1)
      dims.push_back(d);
  int64_t budget = machine.dataSramBytes() - persistentBytes;
  std::optional<Choice> best, bestCapped;
  double bestCost = 0, bestCappedCost = 0;
  int64_t leastBytes = -1;
  Value largest;
  int64_t largestBytes = 0;
  SmallVector<int64_t> splittable(dims.begin() + 1, dims.end());
  // Box dims that index a stack (experts' weights, laid out a group of
  // PEs per index by defaultLayout, and what is computed from them): the
  // outer dims of nested splits. Nesting other small dims too (attention's
  // batch and heads) made GPT-2's step 8% slower: more, smaller transfers.
  SmallVector<int64_t> stacks;
  size_t operands = k.outs.size() + k.ins.size();
  for (size_t i = 0; i < operands; ++i) {
    Value v = i < k.outs.size() ? k.outs[i] : k.ins[i - k.outs.size()];
    auto h = homes.find(v);
    if (h == homes.end() || isHost(h->second))
      continue;
    for (int a = 0; a < 2; ++a) {
      const AxisSplit &ax = h->second.layout.axis(a);
      if (!ax.nested() || ax.kind != AxisSplit::Split)
        continue;
      int64_t boxDim = k.maps[i][size_t(ax.dim)];
      if (boxDim >= 0 && k.iter[boxDim] == h->second.layout.shape[ax.dim] &&
          !llvm::is_contained(stacks, boxDim))
        stacks.push_back(boxDim);
    }
  }
  if (nestAll)
    for (int64_t d : splittable)
      if (!k.reduction[d] && !llvm::is_contained(stacks, d))
        stacks.push_back(d);
  SmallVector<Choice, 16> xs = axisOptions(k, 0, grid[0], splittable, stacks);
  SmallVector<Choice, 16> ys = axisOptions(k, 1, grid[1], splittable, stacks);
  for (const Choice &cx : xs)
    for (const Choice &cy : ys) {
      int64_t used[4] = {cx.dim[0], cx.inner[0], cy.dim[1], cy.inner[1]};
      bool twice = false;
      for (int i = 0; i < 4; ++i)
        for (int j = i + 1; j < 4; ++j)
          twice |= used[i] >= 0 && used[i] == used[j];
      if (twice)
        continue;
      Choice c = cx;
      c.dim[1] = cy.dim[1];
      c.block[1] = cy.block[1];
      c.count[1] = cy.count[1];
      c.inner[1] = cy.inner[1];
      c.innerBlock[1] = cy.innerBlock[1];
      double work = 1;
      auto local = [&](int64_t d) { return c.local(d, k.iter); };
      if (k.mask >= 0) {
        // A sparse kernel works per slot: the pattern's two box dims
        // become the most slots a PE holds.
        int64_t pat = k.pattern >= 0 ? k.pattern : 0;
        Layout pl = operandLayout(k, size_t(pat), c, size_t(pat) < k.outs.size());
        int64_t kept = maxKept(pl);
        work = double(kept);
        const SmallVector<int64_t> &pm = k.maps[pat];
        if (k.pattern >= 0) {
          for (int64_t d = 0; d < rank; ++d)
            if (!llvm::is_contained(pm, d))
              work *= local(d);
          work += double(kept); // reading each slot's index
        }
      } else if (k.kernel == "gather" || k.kernel == "scatter_add") {
        // Box (n, d, v): a PE looks up each of its indices once, and
        // moves a row's d elements only when the row is one of its own.
        // A scatter-add first zeroes its table's tile; one not stored
        // reads its indices only (its rows go out as sparse rows).
        double n = double(local(0)), d = double(local(1));
        double v = double(local(2)), mine = v / double(k.iter[2]);
        if (k.kernel == "gather")
          work = n * d;
        else if (unstored(k, operandLayout(k, 0, c, true)))
          work = n;
        else
          work = v * d + n + n * d * mine;
      } else {
        for (int64_t d = 0; d < rank; ++d)
          work *= local(d);
      }
      double comm = 0;
      int64_t bytes = 0;
      Value big;
      int64_t bigBytes = 0;
      for (size_t i = 0; i < operands; ++i) {
        bool isOut = i < k.outs.size();
        Value v = isOut ? k.outs[i] : k.ins[i - k.outs.size()];
        Layout l = operandLayout(k, i, c, isOut);
        int64_t tile = isOut && unstored(k, l) ? 0 : storedElements(l);
        auto h = homes.find(v);
        bool placed =
            h != homes.end() && h->second.layout == l && !isHost(h->second);
        // A placed parameter (or state, input) is in the budget already.
        if (!(placed && persistent.count(h->second.sym)))
          bytes += 4 * tile;
        if (4 * tile > bigBytes) {
          bigBytes = 4 * tile;
          big = v;
        }
        if (isOut) {
          if (l.isPartial())
            comm += sparseRows(k) ? rowsSent(k, l, c) : double(tile);
          continue;
        }
        if (!placed && !sources.count(v))
          comm += double(tile);
        // An update away from its parameter's (or state's) home also
        // writes the new value back there.
        if (!placed && h != homes.end() && persistent.count(h->second.sym) &&
            isa<BlockArgument>(v) && k.isUpdate())
          comm += double(tile);
      }
      if (leastBytes < 0 || bytes < leastBytes) {
        leastBytes = bytes;
        largest = big;
        largestBytes = bigBytes;
      }
      if (bytes > budget)
        continue;
      double cost = work + comm;
      if (!best || cost < bestCost) {
        best = c;
        bestCost = cost;
      }
      if (tileCap > 0 && bytes <= tileCap &&
          (!bestCapped || cost < bestCappedCost)) {
        bestCapped = c;
        bestCappedCost = cost;
      }
    }
  if (bestCapped)
    best = bestCapped;
  if (!best) {
    InFlightDiagnostic d = op->emitError("does not fit: '")
                           << op->getName() << "' needs at least "
                           << leastBytes << " bytes per PE for its operand "
                           << "tiles, and a PE has "
                           << machine.dataSramBytes()
                           << " bytes of SRAM for data";
    if (persistentBytes > 0)
      d << ", of which the parameters, state and inputs placed before it "
        << "hold " << persistentBytes;
    if (largest)
      d << "; its largest tile is " << largestBytes << " bytes of a "
        << largest.getType();
    d << ". ";
    if (machine.width < wafer[0] || machine.height < wafer[1])
      d << "A larger mesh (mesh=WxH, up to " << machine.name << "'s "
        << wafer[0] << "x" << wafer[1] << ") or a";
    else
      d << "A";
    d << " smaller batch would make it fit";
    // Weights (in SRAM, or this op's largest tile) are what streaming
    // takes out of SRAM.
    auto arg = dyn_cast_or_null<BlockArgument>(largest);
    bool weight = arg && fn.getArgAttr(arg.getArgNumber(), kParamAttr);
    if (!streaming && (persistentBytes > 0 || weight))
      d << ", as would execution=weight-streaming, which keeps the "
           "parameters and optimizer state in host memory";
    return failure();
  }
  return *best;
}

} // namespace mlir::wse::mesh::partition
