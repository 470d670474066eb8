//===- LowerToPe.cpp - fabric graph -> SPMD pe programs (fabric -> pe) ----===//
//
// Each region (the mesh's, and the host's under weight streaming) becomes
// one pe.program. Each tensor becomes a buffer holding its tile, at the
// offset Allocation.h gives it (tensors whose lifetimes do not overlap
// share SRAM). Kernels become
// instructions whose views follow from the operands' tiles and the box;
// transfers become a pe.transfer plus a send and a recv.
//
//===----------------------------------------------------------------------===//
#include "Allocation.h"

#include "fabric/FabricDialect.h"
#include "pe/PeDialect.h"
#include "wse/Conversion/Passes.h"
#include "wse/Support/Layout.h"
#include "wse/Support/Machine.h"
#include "wse/WseDialect.h"

#include "mlir/IR/Builders.h"

#include <algorithm>
#include <limits>
#include <map>

namespace mlir::wse {
#define GEN_PASS_DEF_LOWERTOPE
#include "wse/Conversion/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using ::wsert::Layout;

namespace {

using TensorInfo = wse::mesh::GraphAllocation::Tensor;

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
  wse::mesh::GraphAllocation alloc;
  if (failed(wse::mesh::allocateGraph(graph, alloc)))
    return failure();
  std::map<std::string, fabric::RegionOp> &regions = alloc.regions;
  const std::vector<std::string> &regionOrder = alloc.regionOrder;
  if (llvm::count_if(regionOrder, [&](const std::string &n) {
        return !regions[n].getHost();
      }) != 1)
    return graph.emitError("wse-lower-to-pe lowers graphs of one mesh region "
                           "(and at most one host region); this one has ")
           << regionOrder.size() << " regions";
  std::map<std::string, TensorInfo> &tensors = alloc.tensors;
  const std::vector<std::string> &order = alloc.order;
  std::map<int64_t, fabric::MaskOp> &masks = alloc.masks;
  const std::vector<Operation *> &program = alloc.program;
  auto indexFor = [&](const Layout &l, const std::string &region) {
    return alloc.indexFor(l, region);
  };
  auto sparseOperand = [&](fabric::ComputeOp c) {
    return alloc.sparseOperand(c);
  };

  // Each region's buffers must fit a PE's SRAM (the host's memory).
  std::optional<::wsert::MachineDesc> preset =
      ::wsert::lookupMachinePreset(m.getName().str());
  for (const std::string &regionName : regionOrder) {
    bool host = regions[regionName].getHost();
    const wse::mesh::GraphAllocation::Peak &peak = alloc.peaks[regionName];
    int64_t budget = !host    ? m.getSramBytes() - m.getReservedSramBytes()
                     : preset ? preset->hostMemoryBytes
                              : std::numeric_limits<int64_t>::max();
    if (peak.bytes <= budget)
      continue;
    const TensorInfo &p = tensors[peak.tensor];
    Location at = p.op ? p.op.getLoc() : graph.getLoc();
    if (host)
      return emitError(at, "does not fit: the host needs ")
             << peak.bytes << " bytes of memory and " << m.getName()
             << "'s has " << budget;
    std::string largest;
    int64_t largestBytes = 0;
    for (const std::string &name : order)
      if (tensors[name].region == regionName &&
          4 * tensors[name].tile > largestBytes) {
        largestBytes = 4 * tensors[name].tile;
        largest = name;
      }
    const TensorInfo &l = tensors[largest];
    auto recomputedAttr =
        module->getAttrOfType<StringAttr>(wse::kRecomputeAttr);
    StringRef recomputed = recomputedAttr ? recomputedAttr.getValue() : "";
    // What is live at the peak, largest first: where to look first.
    std::vector<std::pair<int64_t, std::string>> live;
    int64_t liveTemps = 0;
    for (const std::string &name : peak.live) {
      const TensorInfo &t = tensors[name];
      live.push_back({4 * t.tile, name});
      if (t.op && t.op.getKind() == "temp")
        liveTemps += 4 * t.tile;
    }
    llvm::sort(live, [](const auto &a, const auto &c) {
      return a.first != c.first ? a.first > c.first : a.second < c.second;
    });
    std::string biggest;
    for (size_t i = 0; i < std::min<size_t>(3, live.size()); ++i) {
      const TensorInfo &t = tensors[live[i].second];
      std::string type;
      llvm::raw_string_ostream os(type);
      if (t.op)
        os << t.op.getType();
      biggest += (i ? ", @" : "@") + live[i].second + " (" + type + ", " +
                 std::to_string(live[i].first) + ")";
    }
    return emitError(at, "does not fit: the step needs ")
           << peak.bytes << " bytes of SRAM per PE when @" << peak.tensor
           << " is allocated, and a PE has " << budget
           << " bytes for data; the largest buffer is @" << largest << " ("
           << (l.op ? l.op.getType() : Type()) << ", " << largestBytes
           << " bytes per PE); live then: " << live.size() << " tensors, "
           << liveTemps << " bytes of them temporaries, the largest " << biggest
           << ". "
           << (smallerThanWafer(m)
                   ? "A larger mesh (mesh=WxH) or a smaller batch"
                   : "A smaller batch")
           << " (micro-batches=N: N slices, gradients accumulated) would "
              "make it fit"
           << (regionOrder.size() == 1
                   ? ", as might execution=weight-streaming, which keeps the "
                     "parameters and optimizer state in host memory"
                   : "")
           << (!module->hasAttr(wse::kRecomputeAttr)
                   ? ", or recompute=selective or full, which recompute "
                     "activations in the backward pass instead of keeping "
                     "them"
               : recomputed == "selective"
                   ? ", or recompute=full, which keeps fewer activations"
                   : "");
  }

  // The programs, one per region.
  b.setInsertionPoint(graph);
  std::map<std::string, OpBuilder> builders;
  for (const std::string &regionName : regionOrder) {
    fabric::RegionOp region = regions[regionName];
    auto prog = pe::ProgramOp::create(
        b, region.getLoc(), b.getStringAttr(regionName), *region.getAt(),
        region.getGrid(), region.getHost());
    prog.getBody().push_back(new Block());
    OpBuilder pb = OpBuilder::atBlockEnd(&prog.getBody().front());
    for (const std::string &name : order) {
      const TensorInfo &t = tensors[name];
      if (t.region != regionName)
        continue;
      pe::BufferOp::create(pb, t.op ? t.op.getLoc() : graph.getLoc(),
                           pb.getStringAttr(name), pb.getI64IntegerAttr(t.tile),
                           pb.getI64IntegerAttr(t.offset));
    }
    builders.emplace(regionName, pb);
  }
  auto bufRef = [&](StringRef tensor) -> SymbolRefAttr {
    return FlatSymbolRefAttr::get(b.getContext(), tensor);
  };
  auto fullRef = [&](StringRef tensor) -> SymbolRefAttr {
    return SymbolRefAttr::get(b.getStringAttr(tensors[tensor.str()].region),
                              {FlatSymbolRefAttr::get(b.getContext(), tensor)});
  };
  OpBuilder mb(module.getContext());
  mb.setInsertionPoint(graph);
  int64_t transferIndex = 0;
  for (auto t : module.getOps<pe::TransferOp>()) {
    (void)t;
    ++transferIndex;
  }
  // A kernel's box: (block, axis, global) per dim.
  auto boxOf = [](fabric::ComputeOp c) {
    SmallVector<int64_t> box;
    for (size_t d = 0; d < c.getIter().size(); ++d) {
      box.push_back(c.getBlocks()[d]);
      box.push_back(c.getAxes()[d]);
      box.push_back(c.getIter()[d]);
    }
    return box;
  };
  for (Operation *op : program) {
    if (auto c = dyn_cast<fabric::ComputeOp>(op)) {
      OpBuilder &pb = builders.at(c.getRegion().str());
      SmallVector<Attribute> bufs;
      SmallVector<std::string> names;
      for (Attribute r : c.getOuts())
        names.push_back(cast<FlatSymbolRefAttr>(r).getValue().str());
      for (Attribute r : c.getIns())
        names.push_back(cast<FlatSymbolRefAttr>(r).getValue().str());
      for (auto &n : names)
        bufs.push_back(bufRef(n));
      int64_t rank = int64_t(c.getIter().size());
      SmallVector<int64_t> box = boxOf(c);
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
          bufs.push_back(bufRef(indexFor(*sparse, c.getRegion().str())));
      } else if (kernel == "gather" || kernel == "scatter_add") {
        ints.append(box);
        if (c.getUnstored())
          ints.push_back(1);
      } else {
        ints.append(c.getInts().begin(), c.getInts().end());
        ints.push_back(rank);
        ints.append(box);
        // An update of sparse tensors runs over their slots.
        if (sparse) {
          ints.push_back(1);
          bufs.push_back(bufRef(indexFor(*sparse, c.getRegion().str())));
        }
      }
      auto instr = pe::InstrOp::create(
          pb, c.getLoc(), pb.getStringAttr(kernel), c.getFnAttr(),
          pb.getArrayAttr(bufs), pb.getDenseI64ArrayAttr(ints),
          c.getFloatsAttr());
      if (c->hasAttr(wse::kOnceAttr))
        instr->setAttr(wse::kOnceAttr, pb.getUnitAttr());
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
      auto x = pe::TransferOp::create(
          mb, t.getLoc(), mb.getStringAttr(name), fullRef(t.getSrc()),
          mb.getDenseI64ArrayAttr(
              cast<RankedTensorType>(src.op.getType()).getShape()),
          src.op.getLayout(), fullRef(t.getDst()),
          mb.getDenseI64ArrayAttr(dstShape), dst.op.getLayout(), t.getMapAttr(),
          t.getAffineAttr(), t.getOffsetAttr(), mb.getDenseI64ArrayAttr(lo),
          mb.getDenseI64ArrayAttr(size), t.getCombineAttr(),
          mb.getI64IntegerAttr(*t.getColor()), t.getReshapeAttr(),
          /*need=*/nullptr, /*need_shape=*/nullptr, /*need_dims=*/nullptr,
          /*have=*/nullptr, /*have_shape=*/nullptr, /*have_dims=*/nullptr,
          t.getSparseRowsAttr(), /*rows=*/nullptr, /*rows_box=*/nullptr);
      // A table not stored: the send builds the rows from its kernel's ins.
      if (auto rows = alloc.rowsOf.find(t.getSrc().str());
          rows != alloc.rowsOf.end()) {
        SmallVector<Attribute> refs;
        for (Attribute r : rows->second.getIns())
          refs.push_back(fullRef(cast<FlatSymbolRefAttr>(r).getValue()));
        x.setRowsAttr(mb.getArrayAttr(refs));
        x.setRowsBoxAttr(mb.getDenseI64ArrayAttr(boxOf(rows->second)));
      }
      auto maskShape = [&](fabric::LayoutAttr l) {
        return mb.getDenseI64ArrayAttr(
            cast<ShapedType>(masks.at(l.getMask()).getKeep().getType())
                .getShape());
      };
      if (fabric::LayoutAttr need = t.getNeedAttr()) {
        x.setNeedAttr(need);
        x.setNeedShapeAttr(maskShape(need));
        x.setNeedDimsAttr(t.getNeedDimsAttr());
      }
      if (fabric::LayoutAttr have = t.getHaveAttr()) {
        x.setHaveAttr(have);
        x.setHaveShapeAttr(maskShape(have));
        x.setHaveDimsAttr(t.getHaveDimsAttr());
      }
      for (auto [instr, tensor] : {std::make_pair("send", t.getSrc()),
                                   std::make_pair("recv", t.getDst())}) {
        OpBuilder &pb = builders.at(tensors[tensor.str()].region);
        auto in = pe::InstrOp::create(
            pb, t.getLoc(), pb.getStringAttr(instr), StringAttr(),
            pb.getArrayAttr({bufRef(tensor)}),
            pb.getDenseI64ArrayAttr({transferIndex}),
            pb.getDenseF32ArrayAttr({}));
        if (t->hasAttr(wse::kOnceAttr))
          in->setAttr(wse::kOnceAttr, pb.getUnitAttr());
      }
      ++transferIndex;
    }
  }
  // Masks, index buffers and host bindings.
  for (auto &[index, mk] : masks)
    pe::MaskOp::create(mb, mk.getLoc(), mk.getIndexAttr(), mk.getKeep());
  for (auto &[name, l] : alloc.indexBuffers) {
    fabric::MaskOp mk = masks[l.mask];
    pe::BindOp::create(mb, mk.getLoc(), mb.getStringAttr("index"),
                       mb.getStringAttr(name), fullRef(name),
                       TypeAttr::get(mk.getKeep().getType()),
                       fabric::getLayoutAttr(b.getContext(), l), ElementsAttr(),
                       UnitAttr(), DenseI64ArrayAttr(), UnitAttr(), ArrayAttr());
  }
  for (const std::string &name : order) {
    const TensorInfo &t = tensors[name];
    if (!t.op)
      continue;
    StringRef kind = t.op.getKind();
    if (kind == "temp" || kind == "accumulator")
      continue;
    pe::BindOp::create(
        mb, t.op.getLoc(), mb.getStringAttr(kind),
        mb.getStringAttr(t.op.getName() ? *t.op.getName() : StringRef(name)),
        fullRef(name), TypeAttr::get(t.op.getType()), t.op.getLayout(),
        t.op.getInitAttr(), UnitAttr(), t.op.getRangeAttr(), UnitAttr(),
        t.op.getPartsAttr());
  }
  for (auto o : graph.getBody().front().getOps<fabric::OutputOp>()) {
    const TensorInfo &t = tensors[o.getTensor().str()];
    pe::BindOp::create(mb, o.getLoc(), mb.getStringAttr("output"),
                       o.getNameAttr(), fullRef(o.getTensor()),
                       TypeAttr::get(t.op.getType()), t.op.getLayout(),
                       ElementsAttr(), o.getLossAttr(), DenseI64ArrayAttr(),
                       o.getMetricAttr(), ArrayAttr());
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
