//===- TrimSparseOperands.cpp - move only what a sparse tile reads or makes
//
// A sparse kernel (`spmap`) runs over the entries its pattern operand
// keeps on each PE. A dense operand indexed by one of the pattern's two
// dims is touched only at the indices of the entries that PE keeps: the
// input of a sparse product along its contraction dim, the output
// gradient along the weight's rows, either input of a weight gradient,
// and the partial sums a product writes. At density 0.1 a PE holding 8
// rows of a weight touches about 57% of the columns.
//
// Where a dense input is a relayout only such kernels read (every writer
// a transfer, every reader a sparse kernel needing the same entries), and
// a PE's entries index at most two thirds of its tile on average, its
// transfers get `need`: each receiving PE takes only those elements, and
// the rest of its tile is neither written nor read. (A filtered transfer
// loses multicast: each receiver takes other elements, so each sender
// sends every receiver its own piece. At density 0.1 GPT-2's tiles index
// 19-57% of their columns and gain; the 1024-wide MLP's 85% and lose.) Where a
// dense output is written from zero by its sparse kernel alone and read only by
// transfers, those get `have`: each sending PE sends only the elements
// its entries reach (the others are zeros, which the receiver fills in
// where no sender has the element). Wavelets then follow the density.
//
//===----------------------------------------------------------------------===//
#include "fabric/FabricDialect.h"
#include "wse/Conversion/Passes.h"

#include "mlir/IR/Builders.h"
#include "wse/Support/Layout.h"

#include "llvm/ADT/StringMap.h"

#include <map>

namespace mlir::wse {
#define GEN_PASS_DEF_TRIMSPARSEOPERANDS
#include "wse/Conversion/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;

namespace {

StringRef name(Attribute ref) {
  return cast<FlatSymbolRefAttr>(ref).getValue();
}

/// Which entries of a dense operand a sparse kernel touches: those whose
/// index along `dim` is the index along `maskDim` of an entry `pattern`
/// keeps on the PE.
struct Touch {
  fabric::LayoutAttr pattern;
  int64_t maskDim, dim;
  Operation *kernel;
  bool operator==(const Touch &o) const {
    return pattern == o.pattern && maskDim == o.maskDim && dim == o.dim;
  }
};

/// The most a receiver filter may leave of what a PE takes in.
constexpr double kNeedShareLimit = 2.0 / 3.0;

/// The mean share of its tile's extent along `maskDim` that the entries
/// a PE keeps under `pattern` index, over the region's PEs.
double touchedShare(Block &body, const Touch &t) {
  fabric::MaskOp mask;
  for (auto m : body.getOps<fabric::MaskOp>())
    if (int64_t(m.getIndex()) == t.pattern.getMask())
      mask = m;
  StringRef regionName = cast<fabric::ComputeOp>(t.kernel).getRegion();
  fabric::RegionOp region;
  for (auto r : body.getOps<fabric::RegionOp>())
    if (r.getSymName() == regionName)
      region = r;
  if (!mask || !region)
    return 1;
  auto keep = cast<DenseElementsAttr>(mask.getKeep());
  std::vector<uint8_t> bits;
  for (bool k : keep.getValues<bool>())
    bits.push_back(k);
  wsert::Layout l =
      fabric::toLayout(t.pattern, cast<ShapedType>(keep.getType()).getShape());
  int64_t w = region.getGrid()[0], h = region.getGrid()[1];
  wsert::SparseTiles tiles = wsert::sparseTiles(l, bits, w, h);
  int64_t extent = l.tileShape()[size_t(t.maskDim)];
  if (extent <= 0)
    return 1;
  double sum = 0;
  for (int64_t py = 0; py < h; ++py)
    for (int64_t px = 0; px < w; ++px)
      sum += double(wsert::keptIndices(l, tiles, t.maskDim, px, py).size()) /
             double(extent);
  return sum / double(std::max<size_t>(1, tiles.offsets.size()));
}

void trim(fabric::GraphOp graph) {
  Block &body = graph.getBody().front();
  llvm::StringMap<fabric::TensorOp> tensors;
  for (auto t : body.getOps<fabric::TensorOp>())
    tensors[t.getSymName()] = t;
  // Per tensor: the transfers that write it and read it, and every op that
  // names it (a compute once per operand).
  llvm::StringMap<SmallVector<fabric::TransferOp>> writers, readers;
  llvm::StringMap<int64_t> mentions;
  for (Operation &op : body) {
    if (auto t = dyn_cast<fabric::TransferOp>(op)) {
      writers[t.getDst()].push_back(t);
      readers[t.getSrc()].push_back(t);
      ++mentions[t.getDst()];
      ++mentions[t.getSrc()];
    } else if (auto c = dyn_cast<fabric::ComputeOp>(op)) {
      for (ArrayAttr refs : {c.getOuts(), c.getIns()})
        for (Attribute r : refs)
          ++mentions[name(r)];
    } else if (auto o = dyn_cast<fabric::OutputOp>(op)) {
      ++mentions[o.getTensor()];
    }
  }
  // What the sparse kernels touch of each dense temp they read or write.
  llvm::StringMap<SmallVector<Touch>> reads, writes;
  for (auto c : body.getOps<fabric::ComputeOp>()) {
    if (c.getKernel() != "spmap" || !c.getPattern())
      continue;
    size_t nOuts = c.getOuts().size();
    auto operand = [&](size_t i) {
      return name(i < nOuts ? c.getOuts()[i] : c.getIns()[i - nOuts]);
    };
    size_t pattern = size_t(*c.getPattern());
    fabric::TensorOp pat = tensors.lookup(operand(pattern));
    auto pm = cast<DenseI64ArrayAttr>(c.getMaps()[pattern]).asArrayRef();
    if (!pat || pm.size() != 2)
      continue;
    for (size_t i = 0; i < nOuts + c.getIns().size(); ++i) {
      fabric::TensorOp t = tensors.lookup(operand(i));
      if (i == pattern || !t || t.getKind() != "temp" ||
          t.getLayout().getMask() >= 0 || t.getRegion() != c.getRegion())
        continue;
      // Indexed by exactly one of the pattern's dims.
      auto map = cast<DenseI64ArrayAttr>(c.getMaps()[i]).asArrayRef();
      std::optional<Touch> touch;
      int64_t hits = 0;
      for (size_t j = 0; j < map.size(); ++j)
        for (int64_t m = 0; m < 2; ++m)
          if (map[j] == pm[m]) {
            touch = Touch{pat.getLayout(), m, int64_t(j), c};
            ++hits;
          }
      if (hits != 1)
        continue;
      // An output must start from zero here: accumulated (acc 1) into a
      // tensor nothing wrote before.
      if (i < nOuts && c.getAcc() != 1)
        continue;
      (i < nOuts ? writes : reads)[operand(i)].push_back(*touch);
    }
  }
  Builder b(graph.getContext());
  std::map<std::pair<const void *, int64_t>, double> shares;
  auto same = [](ArrayRef<Touch> list) {
    return llvm::all_of(list, [&](const Touch &t) { return t == list[0]; });
  };
  for (auto &[tensor, list] : reads) {
    auto w = writers.find(tensor);
    if (w == writers.end() || !same(list) ||
        mentions[tensor] != int64_t(w->second.size() + list.size()))
      continue;
    // A filtered transfer cannot multicast one piece to all its
    // receivers (each takes other elements): it pays only where it cuts
    // what a PE takes in by a third or more.
    auto key =
        std::make_pair(list[0].pattern.getAsOpaquePointer(), list[0].maskDim);
    auto [share, added] = shares.try_emplace(key, 0.0);
    if (added)
      share->second = touchedShare(body, list[0]);
    if (share->second > kNeedShareLimit)
      continue;
    for (fabric::TransferOp x : w->second) {
      x.setNeedAttr(list[0].pattern);
      x.setNeedDimsAttr(b.getDenseI64ArrayAttr({list[0].maskDim, list[0].dim}));
    }
  }
  for (auto &[tensor, list] : writes) {
    auto r = readers.find(tensor);
    if (list.size() != 1 || r == readers.end() ||
        mentions[tensor] != int64_t(r->second.size() + 1))
      continue;
    for (fabric::TransferOp x : r->second) {
      x.setHaveAttr(list[0].pattern);
      x.setHaveDimsAttr(b.getDenseI64ArrayAttr({list[0].maskDim, list[0].dim}));
    }
  }
}

struct TrimSparseOperandsPass
    : public mlir::wse::impl::TrimSparseOperandsBase<TrimSparseOperandsPass> {
  void runOnOperation() override {
    getOperation().walk([](fabric::GraphOp g) { trim(g); });
  }
};

} // namespace
