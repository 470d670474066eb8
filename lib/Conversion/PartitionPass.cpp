//===- PartitionPass.cpp - the wse-partition pass and its options --------===//
//
// Checks the machine, mesh and execution options, records the machine on
// the module and runs the partitioner (Partition.cpp) on @train_step. With
// execution=auto it first maps the step pipelined on a copy, quietly, and
// keeps that when every region's buffers fit (Allocation.h); otherwise it
// maps the step with weight streaming.
//
//===----------------------------------------------------------------------===//
#include "Allocation.h"
#include "Partitioner.h"

#include "wse/Conversion/Passes.h"
#include "wse/Transforms/CheckedOptions.h"

namespace mlir::wse {
#define GEN_PASS_DEF_PARTITION
#include "wse/Conversion/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

std::string mlir::wse::checkMachineOptions(const std::string &machine,
                                           const std::string &mesh,
                                           const std::string &execution) {
  if (execution != "pipelined" && execution != "weight-streaming" &&
      execution != "auto")
    return "execution='" + execution +
           "' is not pipelined, weight-streaming or auto";
  std::optional<::wsert::MachineDesc> desc =
      ::wsert::lookupMachinePreset(machine);
  if (!desc) {
    std::string names;
    for (auto &n : ::wsert::machinePresetNames())
      names += (names.empty() ? "" : ", ") + n;
    return "unknown machine '" + machine + "' (presets: " + names + ")";
  }
  return ::wsert::applyMeshOption(*desc, mesh);
}

namespace {

using mesh::partition::Partitioner;

/// The fabric.graph wse-partition made last (just before @train_step).
fabric::GraphOp lastGraph(ModuleOp module) {
  fabric::GraphOp last;
  for (auto g : module.getOps<fabric::GraphOp>())
    last = g;
  return last;
}

struct PartitionPass : public mlir::wse::impl::PartitionBase<PartitionPass> {
  using Base::Base;

  LogicalResult initializeOptions(
      StringRef options,
      function_ref<LogicalResult(const Twine &)> errorHandler) override {
    return initializeCheckedOptions(
        "wse-partition",
        [&](auto handler) { return Base::initializeOptions(options, handler); },
        [&] { return checkMachineOptions(machine, mesh, execution); },
        errorHandler);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Options set from C++ have not been through initializeOptions.
    if (std::string err = checkMachineOptions(machine, mesh, execution);
        !err.empty()) {
      module.emitError() << err;
      return signalPassFailure();
    }
    ::wsert::MachineDesc m = *::wsert::lookupMachinePreset(machine);
    int64_t wafer[2] = {m.width, m.height};
    (void)::wsert::applyMeshOption(m, mesh); // checked above
    module->setAttr(fabric::kMachineAttr,
                    fabric::MachineAttr::get(
                        &getContext(), m.name, m.width, m.height, m.sramBytes,
                        m.reservedSramBytes, m.colors, m.clockMhz,
                        m.fmacsPerCycle, m.addsPerCycle, m.hostLinks,
                        m.hostLinkGbps, m.hostFmacsPerCycle));
    auto fn = module.lookupSymbol<func::FuncOp>("train_step");
    if (!fn) {
      module.emitError("wse-partition maps @train_step: run "
                       "wse-make-train-step first");
      return signalPassFailure();
    }
    if (execution != "auto") {
      if (failed(Partitioner(module, fn, m, wafer, execution).run()))
        signalPassFailure();
      return;
    }
    // Pipelined when the whole step fits SRAM (parameters, optimizer
    // state and every activation, as wse-lower-to-pe will allocate them),
    // weight streaming otherwise: try pipelined quietly on a copy first.
    OpBuilder b(fn);
    auto copy = cast<func::FuncOp>(b.clone(*fn));
    bool fits = false, mapped = false; // mapped: run() erased the copy
    {
      ScopedDiagnosticHandler quiet(&getContext(),
                                    [](Diagnostic &) { return success(); });
      mapped =
          succeeded(Partitioner(module, copy, m, wafer, "pipelined").run());
      if (mapped) {
        mesh::GraphAllocation alloc;
        fits = succeeded(mesh::allocateGraph(lastGraph(module), alloc,
                                             /*placed=*/false)) &&
               llvm::all_of(alloc.peaks, [&](const auto &p) {
                 return p.second.bytes <= m.dataSramBytes();
               });
      }
    }
    if (fits) {
      fn.erase();
      return;
    }
    if (fabric::GraphOp g = lastGraph(module); g && g->isBeforeInBlock(fn))
      g.erase();
    if (!mapped)
      copy.erase();
    if (failed(Partitioner(module, fn, m, wafer, "weight-streaming").run()))
      signalPassFailure();
  }
};

} // namespace
