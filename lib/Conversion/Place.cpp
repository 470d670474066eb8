//===- Place.cpp - floorplan fabric regions on the mesh -------------------===//
//
// Regions go along shelves from the north-west corner in the order they
// appear, `gap` free columns between neighbours. The partitioner makes one
// region the size of the mesh today, placed at the origin. The host region
// of weight streaming is off the mesh: it is placed at [0, 0] of its own.
//
//===----------------------------------------------------------------------===//
#include "fabric/FabricDialect.h"
#include "wse/Conversion/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::wse {
#define GEN_PASS_DEF_PLACE
#include "wse/Conversion/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;

namespace {
struct PlacePass : public mlir::wse::impl::PlaceBase<PlacePass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    fabric::MachineAttr m = fabric::getMachine(module);
    if (!m) {
      module.emitError("wse-place needs the module's fabric.machine: run "
                       "wse-partition first");
      return signalPassFailure();
    }
    Builder b(module.getContext());
    int64_t x = 0, y = 0, shelf = 0;
    WalkResult r = module.walk([&](fabric::RegionOp region) {
      if (region.getHost()) {
        region.setAtAttr(b.getDenseI64ArrayAttr({0, 0}));
        return WalkResult::advance();
      }
      int64_t w = region.getGrid()[0], h = region.getGrid()[1];
      if (x > 0 && x + w > m.getWidth()) {
        x = 0;
        y += shelf + gap;
        shelf = 0;
      }
      if (x + w > m.getWidth() || y + h > m.getHeight()) {
        region.emitError("does not fit on the ")
            << m.getWidth() << "x" << m.getHeight() << " mesh next to the "
            << "regions placed before it (grid " << w << "x" << h << ")";
        return WalkResult::interrupt();
      }
      region.setAtAttr(b.getDenseI64ArrayAttr({x, y}));
      x += w + gap;
      shelf = std::max(shelf, h);
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
