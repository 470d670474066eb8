//===- Allocation.cpp - SRAM for a fabric graph's tensors -----------------===//
//
// Tensors whose lifetimes (first to last mention in program order) do not
// overlap share memory; parameters, state, constants, inputs, outputs and
// index buffers live for the whole step. Offsets are first-fit in order of
// first use, per region.
//
//===----------------------------------------------------------------------===//
#include "Allocation.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::wse::mesh;
using ::wsert::Layout;

int64_t GraphAllocation::maxKept(const Layout &l, const std::string &region) {
  std::string key = region + " " + l.str();
  for (int64_t d : l.shape)
    key += " " + std::to_string(d);
  auto it = keptOf.find(key);
  if (it == keptOf.end()) {
    fabric::RegionOp r = regions.at(region);
    it = keptOf
             .emplace(key, ::wsert::sparseTiles(l, maskBits[l.mask],
                                                r.getGrid()[0], r.getGrid()[1])
                               .maxKept)
             .first;
  }
  return it->second;
}

const std::string &GraphAllocation::indexFor(Layout l,
                                             const std::string &region) {
  // Partial sums along an axis hold the same entries as a replica.
  for (int a = 0; a < 2; ++a) {
    if (l.axis(a).kind == ::wsert::AxisSplit::Partial)
      l.axis(a).kind = ::wsert::AxisSplit::Replicated;
    if (l.axis(a).innerKind == ::wsert::AxisSplit::Partial)
      l.axis(a).innerKind = ::wsert::AxisSplit::Replicated;
  }
  std::string key = region + " " + l.str();
  for (int64_t d : l.shape)
    key += " " + std::to_string(d);
  auto it = indexOf.find(key);
  if (it != indexOf.end())
    return it->second;
  std::string name = "index" + std::to_string(indexBuffers.size());
  indexBuffers.push_back({name, l});
  Tensor info;
  info.layout = l;
  info.region = region;
  info.tile = ::wsert::indexWords(maxKept(l, region));
  tensors[name] = info;
  order.push_back(name);
  return indexOf.emplace(key, name).first->second;
}

std::optional<Layout>
GraphAllocation::sparseOperand(fabric::ComputeOp c) const {
  for (Attribute refs : {c.getOuts(), c.getIns()})
    for (Attribute r : cast<ArrayAttr>(refs)) {
      const Tensor &t = tensors.at(cast<FlatSymbolRefAttr>(r).getValue().str());
      if (t.layout.mask >= 0)
        return t.layout;
    }
  return std::nullopt;
}

LogicalResult mlir::wse::mesh::allocateGraph(fabric::GraphOp graph,
                                             GraphAllocation &out,
                                             bool placed) {
  Block &body = graph.getBody().front();
  for (auto r : body.getOps<fabric::RegionOp>()) {
    if (placed && !r.getAt())
      return r.emitError("is not placed: run wse-place first");
    out.regions[r.getSymName().str()] = r;
    out.regionOrder.push_back(r.getSymName().str());
  }
  for (auto mk : body.getOps<fabric::MaskOp>()) {
    out.masks[int64_t(mk.getIndex())] = mk;
    std::vector<uint8_t> &bits = out.maskBits[int64_t(mk.getIndex())];
    for (bool k : cast<DenseElementsAttr>(mk.getKeep()).getValues<bool>())
      bits.push_back(k);
  }
  for (auto t : body.getOps<fabric::TensorOp>()) {
    GraphAllocation::Tensor info;
    info.op = t;
    info.region = t.getRegion().str();
    info.layout = fabric::toLayout(
        t.getLayout(), cast<RankedTensorType>(t.getType()).getShape());
    info.tile = std::max<int64_t>(1, info.layout.mask >= 0
                                         ? out.maxKept(info.layout, info.region)
                                         : info.layout.tileElements());
    out.tensors[t.getSymName().str()] = info;
    out.order.push_back(t.getSymName().str());
  }
  // One index buffer per sparse layout (and region) a kernel iterates: its
  // slots' tile offsets on each PE, written at load.
  for (auto c : body.getOps<fabric::ComputeOp>())
    if (std::optional<Layout> l = out.sparseOperand(c))
      out.indexFor(*l, c.getRegion().str());
  // A table not stored takes a placeholder word; its rows and indices live
  // until the last transfer that sends from it.
  for (auto c : body.getOps<fabric::ComputeOp>())
    if (c.getUnstored())
      for (Attribute r : c.getOuts()) {
        std::string name = cast<FlatSymbolRefAttr>(r).getValue().str();
        out.tensors[name].tile = 1;
        out.rowsOf[name] = c;
      }

  int64_t step = 0;
  auto mention = [&](Attribute ref) {
    GraphAllocation::Tensor &t =
        out.tensors[cast<FlatSymbolRefAttr>(ref).getValue().str()];
    if (t.first < 0)
      t.first = step;
    t.last = step;
  };
  for (Operation &op : body) {
    if (auto c = dyn_cast<fabric::ComputeOp>(op)) {
      for (Attribute r : c.getOuts())
        mention(r);
      for (Attribute r : c.getIns())
        mention(r);
    } else if (auto t = dyn_cast<fabric::TransferOp>(op)) {
      if (placed && !t.getColor())
        return t.emitError("has no color: run wse-route first");
      mention(t.getSrcAttr());
      mention(t.getDstAttr());
      if (auto c = out.rowsOf.find(t.getSrc().str()); c != out.rowsOf.end())
        for (Attribute r : c->second.getIns())
          mention(r);
    } else if (!isa<fabric::OutputOp>(op)) {
      continue;
    }
    out.program.push_back(&op);
    ++step;
  }
  int64_t steps = step;
  for (auto o : body.getOps<fabric::OutputOp>())
    out.tensors[o.getTensor().str()].last = steps;
  for (auto &[name, t] : out.tensors)
    if (!t.op || t.op.getKind() != "temp" || t.first < 0) {
      t.first = 0;
      t.last = steps;
    }

  // First-fit in order of first use, per region. The live tensors are
  // kept sorted by offset (pointers: name lookups in the loop made large
  // graphs quadratic in string compares).
  for (const std::string &region : out.regionOrder) {
    std::vector<std::pair<const std::string *, GraphAllocation::Tensor *>>
        byStart;
    for (const std::string &name : out.order) {
      GraphAllocation::Tensor &t = out.tensors[name];
      if (t.region == region)
        byStart.push_back({&name, &t});
    }
    std::stable_sort(byStart.begin(), byStart.end(),
                     [](const auto &a, const auto &c) {
                       return a.second->first < c.second->first;
                     });
    using Entry = std::pair<const std::string *, GraphAllocation::Tensor *>;
    std::vector<Entry> live; // by offset
    GraphAllocation::Peak &peak = out.peaks[region];
    for (auto [name, t] : byStart) {
      int64_t first = t->first;
      llvm::erase_if(live,
                     [&](const Entry &o) { return o.second->last < first; });
      int64_t at = 0, bytes = 4 * t->tile;
      for (auto [_, u] : live) {
        if (at + bytes <= u->offset)
          break;
        at = std::max(at, u->offset + 4 * u->tile);
      }
      t->offset = at;
      live.insert(std::upper_bound(live.begin(), live.end(), at,
                                   [](int64_t off, const Entry &u) {
                                     return off < u.second->offset;
                                   }),
                  Entry{name, t});
      if (at + bytes > peak.bytes) {
        peak.bytes = at + bytes;
        peak.tensor = *name;
        peak.live.clear();
        for (auto [n, _] : live)
          peak.live.push_back(*n);
      }
    }
  }
  return success();
}
