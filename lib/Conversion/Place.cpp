//===- Place.cpp - floorplan fabric regions on the mesh -------------------===//
//
// Shelf packing in dataflow order from the north-west corner: regions go
// left to right with `gap` free columns between them, and a new shelf starts
// below the tallest region of the current one when the row is full. Cost
// grows with the number of regions, never with the mesh.
//
//===----------------------------------------------------------------------===//
#include "wse/Conversion/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::wse {
#define GEN_PASS_DEF_PLACE
#include "wse/Conversion/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {

struct PlacePass : public mlir::wse::impl::PlaceBase<PlacePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    fabric::MachineAttr m = fabric::getMachine(module);
    if (!m) {
      module.emitError("no fabric.machine on the module: run wse-partition "
                       "first");
      return signalPassFailure();
    }
    if (gap < 0) {
      module.emitError("gap must be >= 0");
      return signalPassFailure();
    }
    int64_t x = 0, y = 0, shelf = 0;
    WalkResult r = module.walk([&](fabric::RegionOp region) {
      int64_t w = region.getGrid()[0], h = region.getGrid()[1];
      if (x > 0 && x + w > m.getWidth()) { // next shelf
        x = 0;
        y += shelf + gap;
        shelf = 0;
      }
      if (x + w > m.getWidth() || y + h > m.getHeight()) {
        region.emitError() << "region @" << region.getSymName() << " (" << w
                           << "x" << h << " PEs) does not fit on the "
                           << m.getWidth() << "x" << m.getHeight()
                           << " mesh after the regions placed before it; "
                              "use a larger mesh=";
        return WalkResult::interrupt();
      }
      region.setAtAttr(OpBuilder(region).getDenseI64ArrayAttr({x, y}));
      x += w + gap;
      shelf = std::max(shelf, h);
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
