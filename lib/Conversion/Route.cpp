//===- Route.cpp - colors for transfers -----------------------------------===//
//
// Every transfer moves along dimension-ordered (x, then y) paths between
// the PEs its layouts pair up; the simulator charges each piece its hops.
// Transfers run one after another in program order on a region, so
// consecutive transfers take different colors (round robin over the
// machine's colors) and a transfer's wavelets never share a color with the
// one before or after it.
//
//===----------------------------------------------------------------------===//
#include "fabric/FabricDialect.h"
#include "wse/Conversion/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::wse {
#define GEN_PASS_DEF_ROUTE
#include "wse/Conversion/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;

namespace {
struct RoutePass : public mlir::wse::impl::RouteBase<RoutePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    fabric::MachineAttr m = fabric::getMachine(module);
    if (!m) {
      module.emitError("wse-route needs the module's fabric.machine: run "
                       "wse-partition first");
      return signalPassFailure();
    }
    Builder b(module.getContext());
    int64_t next = 0;
    module.walk([&](fabric::TransferOp t) {
      t.setColorAttr(b.getI64IntegerAttr(next));
      next = (next + 1) % m.getColors();
    });
  }
};
} // namespace
