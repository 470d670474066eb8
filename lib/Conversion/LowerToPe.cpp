//===- LowerToPe.cpp - placed, routed fabric -> per-region pe programs ----===//
#include "wse/Conversion/Kernels.h"
#include "wse/Conversion/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::wse {
#define GEN_PASS_DEF_LOWERTOPE
#include "wse/Conversion/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {

struct LowerToPePass : public mlir::wse::impl::LowerToPeBase<LowerToPePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<fabric::GraphOp> graphs(module.getOps<fabric::GraphOp>());
    for (fabric::GraphOp g : graphs)
      if (failed(lower(g)))
        return signalPassFailure();
  }

  LogicalResult lower(fabric::GraphOp graph);
};

/// @program::@buffer for a region's port.
static FailureOr<SymbolRefAttr> portRef(Operation *op, fabric::RegionOp region,
                                        StringRef port) {
  const Kernel *k = lookupKernel(region.getKernel());
  std::optional<std::string> buf = k->portBuffer(port);
  if (!buf)
    return op->emitError() << "kernel '" << region.getKernel()
                           << "' has no port '" << port << "'";
  MLIRContext *ctx = op->getContext();
  return SymbolRefAttr::get(ctx, region.getSymName(),
                            {FlatSymbolRefAttr::get(ctx, *buf)});
}

LogicalResult LowerToPePass::lower(fabric::GraphOp graph) {
  MLIRContext *ctx = graph.getContext();
  OpBuilder b(graph);
  llvm::StringMap<RegionPorts> ports;
  for (auto s : graph.getBody().getOps<fabric::StreamOp>()) {
    if (!s.getColor() || !s.getPath())
      return s.emitError() << "stream @" << s.getSymName()
                           << " is not routed: run wse-route first";
    ports[s.getSrc()].outColor[s.getSrcPort()] = *s.getColor();
    ports[s.getDst()].inColor[s.getDstPort()] = *s.getColor();
  }
  for (auto c : graph.getBody().getOps<fabric::ChainOp>()) {
    if (!c.getColors())
      return c.emitError() << "chain @" << c.getSymName()
                           << " is not routed: run wse-route first";
    StringRef kind = c.getSymName().rsplit('.').second;
    ports[c.getRegion()].chainColors[kind] = {(*c.getColors())[0],
                                              (*c.getColors())[1]};
  }

  for (auto r : graph.getBody().getOps<fabric::RegionOp>()) {
    if (!r.getAt())
      return r.emitError() << "region @" << r.getSymName()
                           << " is not placed: run wse-place first";
    const Kernel *k = lookupKernel(r.getKernel());
    if (!k)
      return r.emitError() << "no kernel '" << r.getKernel() << "'";
    int64_t width = r.getGrid()[0];
    auto prog = pe::ProgramOp::create(b, r.getLoc(), r.getSymName(),
                                      b.getDenseI64ArrayAttr(*r.getAt()),
                                      b.getDenseI64ArrayAttr({width, 1}));
    OpBuilder pb = OpBuilder::atBlockBegin(&prog.getBody().emplaceBlock());
    int64_t offset = 0;
    for (const KernelBuffer &buf : k->buffers(r.getConfig(), width)) {
      Type t = buf.isInt ? Type(pb.getI32Type()) : Type(pb.getF32Type());
      pe::BufferOp::create(pb, r.getLoc(), buf.name, buf.length, t, offset);
      offset += 4 * buf.length;
    }
    if (offset != static_cast<int64_t>(r.getSram()))
      return r.emitError() << "kernel buffers take " << offset
                           << " bytes, partition sized " << r.getSram();
    if (failed(k->emit(pb, r.getLoc(), r.getConfig(), width,
                       ports[r.getSymName()])))
      return failure();
  }

  auto regionOf = [&](FlatSymbolRefAttr ref) {
    return cast<fabric::RegionOp>(
        SymbolTable::lookupSymbolIn(graph, ref.getAttr()));
  };
  for (Operation &op : graph.getBody().front()) {
    if (auto s = dyn_cast<fabric::StreamOp>(op)) {
      pe::RouteOp::create(b, s.getLoc(), s.getSymName(), *s.getColor(),
                          b.getDenseI64ArrayAttr(*s.getPath()));
    } else if (auto c = dyn_cast<fabric::ChainOp>(op)) {
      pe::ChainOp::create(b, c.getLoc(), c.getSymNameAttr(),
                          FlatSymbolRefAttr::get(ctx, c.getRegion()),
                          b.getDenseI64ArrayAttr(*c.getColors()));
    } else if (auto in = dyn_cast<fabric::InputOp>(op)) {
      auto ref = portRef(in, regionOf(in.getRegionAttr()), in.getPort());
      if (failed(ref))
        return failure();
      pe::InputOp::create(b, in.getLoc(), in.getName(), *ref, in.getType());
    } else if (auto out = dyn_cast<fabric::OutputOp>(op)) {
      auto ref = portRef(out, regionOf(out.getRegionAttr()), out.getPort());
      if (failed(ref))
        return failure();
      pe::OutputOp::create(b, out.getLoc(), out.getName(), *ref,
                           out.getType(), out.getLoss());
    } else if (auto p = dyn_cast<fabric::ParamOp>(op)) {
      auto ref = portRef(p, regionOf(p.getRegionAttr()), p.getPort());
      if (failed(ref))
        return failure();
      pe::ParamOp::create(b, p.getLoc(), p.getName(), *ref, p.getType(),
                          p.getInitAttr());
    }
  }
  graph.erase();
  return success();
}

} // namespace
