//===- LowerToPe.cpp - fabric graph -> SPMD pe programs (fabric -> pe) ----===//
//
// Each region becomes one pe.program. Each tensor becomes a buffer holding
// its tile; buffers of tensors whose lifetimes (first to last mention in
// program order) do not overlap share SRAM, and parameters, state,
// constants, inputs and outputs live for the whole step. Kernels become
// instructions whose views follow from the operands' tiles and the box;
// transfers become a pe.transfer plus a send and a recv.
//
//===----------------------------------------------------------------------===//
#include "fabric/FabricDialect.h"
#include "pe/PeDialect.h"
#include "wse/Conversion/Passes.h"
#include "wse/Support/Layout.h"
#include "wse/Support/Machine.h"

#include "mlir/IR/Builders.h"

#include <algorithm>
#include <map>

namespace mlir::wse {
#define GEN_PASS_DEF_LOWERTOPE
#include "wse/Conversion/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using ::wsert::Layout;

namespace {

struct TensorInfo {
  mutable fabric::TensorOp op;
  Layout layout;
  int64_t tile = 1;
  int64_t first = -1, last = -1;
  int64_t offset = 0; // bytes
};

std::vector<int64_t> rowMajor(const std::vector<int64_t> &shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    s[d] = s[d + 1] * shape[d + 1];
  return s;
}

/// Whether the module's mesh is a corner of its preset's wafer.
bool smallerThanWafer(fabric::MachineAttr m) {
  auto preset = ::wsert::lookupMachinePreset(m.getName().str());
  return !preset || m.getWidth() < preset->width ||
         m.getHeight() < preset->height;
}

struct LowerToPePass : public mlir::wse::impl::LowerToPeBase<LowerToPePass> {
  void runOnOperation() override;
  LogicalResult lowerGraph(fabric::GraphOp graph, fabric::MachineAttr m);
};

LogicalResult LowerToPePass::lowerGraph(fabric::GraphOp graph,
                                        fabric::MachineAttr m) {
  ModuleOp module = getOperation();
  OpBuilder b(module.getContext());
  auto regions = llvm::to_vector(graph.getBody().front().getOps<fabric::RegionOp>());
  if (regions.size() != 1)
    return graph.emitError("wse-lower-to-pe lowers graphs of one region; "
                           "this one has ")
           << regions.size();
  fabric::RegionOp region = regions.front();
  if (!region.getAt())
    return region.emitError("is not placed: run wse-place first");

  // Masks of sparse layouts, and where their kept entries fall per layout.
  std::map<int64_t, fabric::MaskOp> masks;
  std::map<int64_t, std::vector<uint8_t>> maskBits;
  for (auto mk : graph.getBody().front().getOps<fabric::MaskOp>()) {
    masks[int64_t(mk.getIndex())] = mk;
    auto keep = cast<DenseElementsAttr>(mk.getKeep());
    std::vector<uint8_t> &bits = maskBits[int64_t(mk.getIndex())];
    for (bool k : keep.getValues<bool>())
      bits.push_back(k);
  }
  std::map<std::string, int64_t> keptOf; // layout -> most slots on a PE
  int64_t gridW = region.getGrid()[0], gridH = region.getGrid()[1];
  auto maxKept = [&](const Layout &l) {
    std::string key = l.str();
    for (int64_t d : l.shape)
      key += " " + std::to_string(d);
    auto it = keptOf.find(key);
    if (it == keptOf.end())
      it = keptOf
               .emplace(key, ::wsert::sparseTiles(l, maskBits[l.mask], gridW,
                                                  gridH)
                                 .maxKept)
               .first;
    return it->second;
  };

  // Tensors, their tiles (or slots) and lifetimes.
  std::map<std::string, TensorInfo> tensors;
  std::vector<std::string> order;
  for (auto t : graph.getBody().front().getOps<fabric::TensorOp>()) {
    TensorInfo info;
    info.op = t;
    info.layout = fabric::toLayout(
        t.getLayout(), cast<RankedTensorType>(t.getType()).getShape());
    info.tile = std::max<int64_t>(1, info.layout.mask >= 0
                                         ? maxKept(info.layout)
                                         : info.layout.tileElements());
    tensors[t.getSymName().str()] = info;
    order.push_back(t.getSymName().str());
  }
  // One index buffer per sparse layout a kernel iterates: its slots' tile
  // offsets on each PE, written at load, alive for the whole step.
  std::map<std::string, std::string> indexOf; // layout key -> buffer
  std::vector<std::pair<std::string, Layout>> indexBuffers;
  auto indexFor = [&](Layout l) {
    // Partial sums along an axis hold the same entries as a replica.
    for (int a = 0; a < 2; ++a)
      if (l.axis(a).kind == ::wsert::AxisSplit::Partial)
        l.axis(a).kind = ::wsert::AxisSplit::Replicated;
    std::string key = l.str();
    for (int64_t d : l.shape)
      key += " " + std::to_string(d);
    auto it = indexOf.find(key);
    if (it != indexOf.end())
      return it->second;
    std::string name = "index" + std::to_string(indexBuffers.size());
    indexBuffers.push_back({name, l});
    TensorInfo info;
    info.layout = l;
    info.tile = ::wsert::indexWords(maxKept(l));
    tensors[name] = info;
    order.push_back(name);
    indexOf[key] = name;
    return name;
  };
  auto sparseOperand = [&](fabric::ComputeOp c) -> std::optional<Layout> {
    for (Attribute refs : {c.getOuts(), c.getIns()})
      for (Attribute r : cast<ArrayAttr>(refs)) {
        const TensorInfo &t = tensors[cast<FlatSymbolRefAttr>(r).getValue().str()];
        if (t.layout.mask >= 0)
          return t.layout;
      }
    return std::nullopt;
  };
  for (auto c : graph.getBody().front().getOps<fabric::ComputeOp>())
    if (std::optional<Layout> l = sparseOperand(c))
      indexFor(*l);
  int64_t step = 0, steps = 0;
  std::vector<Operation *> program;
  auto mention = [&](Attribute ref) {
    TensorInfo &t = tensors[cast<FlatSymbolRefAttr>(ref).getValue().str()];
    if (t.first < 0)
      t.first = step;
    t.last = step;
  };
  for (Operation &op : graph.getBody().front()) {
    if (auto c = dyn_cast<fabric::ComputeOp>(op)) {
      for (Attribute r : c.getOuts())
        mention(r);
      for (Attribute r : c.getIns())
        mention(r);
    } else if (auto t = dyn_cast<fabric::TransferOp>(op)) {
      if (!t.getColor())
        return t.emitError("has no color: run wse-route first");
      mention(t.getSrcAttr());
      mention(t.getDstAttr());
    } else if (!isa<fabric::OutputOp>(op)) {
      continue;
    }
    program.push_back(&op);
    ++step;
  }
  steps = step;
  for (auto o : graph.getBody().front().getOps<fabric::OutputOp>()) {
    TensorInfo &t = tensors[o.getTensor().str()];
    t.last = steps;
  }
  for (auto &[name, t] : tensors)
    if (!t.op || t.op.getKind() != "temp" || t.first < 0) {
      t.first = 0;
      t.last = steps;
    }

  // First-fit allocation in order of first use.
  std::vector<std::string> byStart = order;
  std::stable_sort(byStart.begin(), byStart.end(),
                   [&](const std::string &a, const std::string &c) {
                     return tensors[a].first < tensors[c].first;
                   });
  std::vector<std::string> live;
  int64_t peak = 0, budget = m.getSramBytes() - m.getReservedSramBytes();
  std::string peakTensor;
  for (const std::string &name : byStart) {
    TensorInfo &t = tensors[name];
    llvm::erase_if(live, [&](const std::string &o) {
      return tensors[o].last < t.first;
    });
    std::sort(live.begin(), live.end(),
              [&](const std::string &a, const std::string &c) {
                return tensors[a].offset < tensors[c].offset;
              });
    int64_t at = 0, bytes = 4 * t.tile;
    for (const std::string &o : live) {
      const TensorInfo &u = tensors[o];
      if (at + bytes <= u.offset)
        break;
      at = std::max(at, u.offset + 4 * u.tile);
    }
    t.offset = at;
    live.push_back(name);
    if (at + bytes > peak) {
      peak = at + bytes;
      peakTensor = name;
    }
  }
  if (peak > budget) {
    const TensorInfo &p = tensors[peakTensor];
    std::string largest;
    int64_t largestBytes = 0;
    for (auto &[name, t] : tensors)
      if (4 * t.tile > largestBytes) {
        largestBytes = 4 * t.tile;
        largest = name;
      }
    const TensorInfo &l = tensors[largest];
    Location at = p.op ? p.op.getLoc() : graph.getLoc();
    return emitError(at, "does not fit: the step needs ")
           << peak << " bytes of SRAM per PE when @" << peakTensor
           << " is allocated, and a PE has " << budget
           << " bytes for data; the largest buffer is @" << largest << " ("
           << (l.op ? l.op.getType() : Type()) << ", " << largestBytes
           << " bytes per PE). "
           << (smallerThanWafer(m)
                   ? "A larger mesh (mesh=WxH) or a smaller batch"
                   : "A smaller batch")
           << " would make it fit";
  }

  // The program.
  b.setInsertionPoint(graph);
  std::string progName = region.getSymName().str();
  auto prog = pe::ProgramOp::create(b, region.getLoc(),
                                    b.getStringAttr(progName), *region.getAt(),
                                    region.getGrid());
  prog.getBody().push_back(new Block());
  OpBuilder pb = OpBuilder::atBlockEnd(&prog.getBody().front());
  for (const std::string &name : order) {
    const TensorInfo &t = tensors[name];
    pe::BufferOp::create(pb, t.op ? t.op.getLoc() : graph.getLoc(),
                         pb.getStringAttr(name),
                         pb.getI64IntegerAttr(t.tile),
                         pb.getI64IntegerAttr(t.offset));
  }
  auto bufRef = [&](StringRef tensor) -> SymbolRefAttr {
    return FlatSymbolRefAttr::get(b.getContext(), tensor);
  };
  auto fullRef = [&](StringRef tensor) -> SymbolRefAttr {
    return SymbolRefAttr::get(b.getStringAttr(progName),
                              {FlatSymbolRefAttr::get(b.getContext(), tensor)});
  };
  OpBuilder mb(module.getContext());
  mb.setInsertionPoint(graph);
  int64_t transferIndex = 0;
  for (auto t : module.getOps<pe::TransferOp>()) {
    (void)t;
    ++transferIndex;
  }
  for (Operation *op : program) {
    if (auto c = dyn_cast<fabric::ComputeOp>(op)) {
      SmallVector<Attribute> bufs;
      SmallVector<std::string> names;
      for (Attribute r : c.getOuts())
        names.push_back(cast<FlatSymbolRefAttr>(r).getValue().str());
      for (Attribute r : c.getIns())
        names.push_back(cast<FlatSymbolRefAttr>(r).getValue().str());
      for (auto &n : names)
        bufs.push_back(bufRef(n));
      int64_t rank = int64_t(c.getIter().size());
      SmallVector<int64_t> box;
      for (int64_t d = 0; d < rank; ++d) {
        box.push_back(c.getBlocks()[d]);
        box.push_back(c.getAxes()[d]);
        box.push_back(c.getIter()[d]);
      }
      SmallVector<int64_t> ints;
      StringRef kernel = c.getKernel();
      std::optional<Layout> sparse = sparseOperand(c);
      if (kernel == "map" || kernel == "spmap") {
        // A sum starts from 0 and a maximum from -infinity: the kernel
        // writes each output's first term and stores the identity only
        // where no term reaches (no separate fill).
        static constexpr int64_t kFromIdentity[] = {0, 3, 4};
        ints = {rank, kFromIdentity[c.getAcc()]};
        if (kernel == "spmap") {
          // The pattern's two box dims, and which views are slots.
          auto pmap = cast<DenseI64ArrayAttr>(c.getMaps()[*c.getPattern()])
                          .asArrayRef();
          int64_t bits = 0;
          for (size_t i = 0; i < names.size(); ++i)
            if (tensors[names[i]].layout.mask >= 0)
              bits |= int64_t(1) << i;
          ints.append({pmap[0], pmap[1], bits});
        }
        ints.append(box);
        // Per view, its stride along each box dim (none for slots).
        for (size_t i = 0; i < names.size(); ++i) {
          const TensorInfo &t = tensors[names[i]];
          std::vector<int64_t> tileStrides = rowMajor(t.layout.tileShape());
          auto map = cast<DenseI64ArrayAttr>(c.getMaps()[i]).asArrayRef();
          for (int64_t d = 0; d < rank; ++d) {
            int64_t stride = 0;
            for (size_t j = 0; j < map.size(); ++j)
              if (map[j] == d && t.layout.mask < 0)
                stride += tileStrides[j];
            ints.push_back(stride);
          }
        }
        if (kernel == "spmap")
          bufs.push_back(bufRef(indexFor(*sparse)));
      } else if (kernel == "gather" || kernel == "scatter_add") {
        ints.append(box);
      } else {
        ints.append(c.getInts().begin(), c.getInts().end());
        ints.push_back(rank);
        ints.append(box);
        // An update of sparse tensors runs over their slots.
        if (sparse) {
          ints.push_back(1);
          bufs.push_back(bufRef(indexFor(*sparse)));
        }
      }
      pe::InstrOp::create(pb, c.getLoc(), pb.getStringAttr(kernel),
                          c.getFnAttr(), pb.getArrayAttr(bufs),
                          pb.getDenseI64ArrayAttr(ints), c.getFloatsAttr());
    } else if (auto t = dyn_cast<fabric::TransferOp>(op)) {
      const TensorInfo &src = tensors[t.getSrc().str()];
      const TensorInfo &dst = tensors[t.getDst().str()];
      auto dstShape = cast<RankedTensorType>(dst.op.getType()).getShape();
      SmallVector<int64_t> lo(t.getWindowLo()), size(t.getWindowSize());
      if (lo.empty()) {
        lo.assign(dstShape.size(), 0);
        size.assign(dstShape.begin(), dstShape.end());
      }
      std::string name = t.getSymName().str();
      pe::TransferOp::create(
          mb, t.getLoc(), mb.getStringAttr(name), fullRef(t.getSrc()),
          mb.getDenseI64ArrayAttr(
              cast<RankedTensorType>(src.op.getType()).getShape()),
          src.op.getLayout(), fullRef(t.getDst()),
          mb.getDenseI64ArrayAttr(dstShape), dst.op.getLayout(),
          t.getMapAttr(), t.getAffineAttr(), t.getOffsetAttr(),
          mb.getDenseI64ArrayAttr(lo), mb.getDenseI64ArrayAttr(size),
          t.getCombineAttr(), mb.getI64IntegerAttr(*t.getColor()));
      for (auto [instr, tensor] :
           {std::make_pair("send", t.getSrc()), std::make_pair("recv", t.getDst())})
        pe::InstrOp::create(pb, t.getLoc(), pb.getStringAttr(instr),
                            StringAttr(), pb.getArrayAttr({bufRef(tensor)}),
                            pb.getDenseI64ArrayAttr({transferIndex}),
                            pb.getDenseF32ArrayAttr({}));
      ++transferIndex;
    }
  }
  // Masks, index buffers and host bindings.
  for (auto &[index, mk] : masks)
    pe::MaskOp::create(mb, mk.getLoc(), mk.getIndexAttr(), mk.getKeep());
  for (auto &[name, l] : indexBuffers) {
    fabric::MaskOp mk = masks[l.mask];
    pe::BindOp::create(mb, mk.getLoc(), mb.getStringAttr("index"),
                       mb.getStringAttr(name), fullRef(name),
                       TypeAttr::get(mk.getKeep().getType()),
                       fabric::getLayoutAttr(b.getContext(), l), ElementsAttr(),
                       UnitAttr(), DenseI64ArrayAttr());
  }
  for (const std::string &name : order) {
    const TensorInfo &t = tensors[name];
    if (!t.op)
      continue;
    StringRef kind = t.op.getKind();
    if (kind == "temp")
      continue;
    pe::BindOp::create(mb, t.op.getLoc(), mb.getStringAttr(kind),
                       mb.getStringAttr(t.op.getName() ? *t.op.getName()
                                                       : StringRef(name)),
                       fullRef(name), TypeAttr::get(t.op.getType()),
                       t.op.getLayout(), t.op.getInitAttr(), UnitAttr(),
                       t.op.getRangeAttr());
  }
  for (auto o : graph.getBody().front().getOps<fabric::OutputOp>()) {
    const TensorInfo &t = tensors[o.getTensor().str()];
    pe::BindOp::create(mb, o.getLoc(), mb.getStringAttr("output"),
                       o.getNameAttr(), fullRef(o.getTensor()),
                       TypeAttr::get(t.op.getType()), t.op.getLayout(),
                       ElementsAttr(), o.getLossAttr(), DenseI64ArrayAttr(),
                       o.getMetricAttr());
  }
  graph.erase();
  return success();
}

void LowerToPePass::runOnOperation() {
  ModuleOp module = getOperation();
  fabric::MachineAttr m = fabric::getMachine(module);
  if (!m) {
    module.emitError("wse-lower-to-pe needs the module's fabric.machine: run "
                     "wse-partition first");
    return signalPassFailure();
  }
  auto graphs = llvm::to_vector(module.getOps<fabric::GraphOp>());
  if (graphs.empty()) {
    module.emitError("wse-lower-to-pe found no fabric.graph: run "
                     "wse-partition first");
    return signalPassFailure();
  }
  for (auto g : graphs)
    if (failed(lowerGraph(g, m)))
      return signalPassFailure();
}

} // namespace
