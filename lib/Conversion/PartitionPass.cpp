//===- PartitionPass.cpp - the wse-partition pass and its options --------===//
//
// Checks the machine, mesh and execution options, records the machine on
// the module and runs the partitioner (Partition.cpp) on @train_step.
// Pipelined (execution=pipelined or auto) it first maps the step on a
// copy, quietly, and keeps that when every region's buffers fit
// (Allocation.h); if they do not, it tries again nesting every small dim,
// which saves SRAM; failing that, auto maps the step with weight
// streaming and pipelined maps it as first preferred (wse-lower-to-pe
// then says what does not fit).
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

/// Maps a copy of `fn` pipelined, quietly, and keeps it (erasing `fn`)
/// when every region's buffers fit (Allocation.h); `mapped` says whether
/// the step mapped at all (else no layout would make it fit).
bool pipelinedFits(ModuleOp module, func::FuncOp fn,
                   const ::wsert::MachineDesc &m, int64_t wafer[2],
                   bool nestSmallDims, bool &mapped) {
  OpBuilder b(fn);
  auto copy = cast<func::FuncOp>(b.clone(*fn));
  bool fits = false;
  mapped = false; // when it did, run() erased the copy
  {
    ScopedDiagnosticHandler quiet(module.getContext(),
                                  [](Diagnostic &) { return success(); });
    Partitioner p(module, copy, m, wafer, "pipelined");
    p.nestSmallDims(nestSmallDims);
    mapped = succeeded(p.run());
    if (mapped) {
      mesh::GraphAllocation alloc;
      fits = succeeded(mesh::allocateGraph(lastGraph(module), alloc,
                                           /*placed=*/false)) &&
             llvm::all_of(alloc.peaks, [&](const auto &peak) {
               return peak.second.bytes <= m.dataSramBytes();
             });
    }
  }
  if (fits) {
    fn.erase();
    return true;
  }
  if (fabric::GraphOp g = lastGraph(module); g && g->isBeforeInBlock(fn))
    g.erase();
  if (!mapped)
    copy.erase();
  return false;
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
    if (execution == "weight-streaming") {
      if (failed(Partitioner(module, fn, m, wafer, execution).run()))
        signalPassFailure();
      return;
    }
    // Pipelined when the whole step fits SRAM (parameters, optimizer
    // state and every activation, as wse-lower-to-pe will allocate them):
    // first with the layouts the cost prefers, then, if the step maps but
    // its buffers do not fit, nesting every small dim (fewer replicas,
    // more and smaller transfers: mapping.md, "Stacks").
    bool mapped = false;
    if (pipelinedFits(module, fn, m, wafer, false, mapped) ||
        (mapped && pipelinedFits(module, fn, m, wafer, true, mapped)))
      return;
    // execution=pipelined: the preferred layouts, whose buffers
    // wse-lower-to-pe reports; auto: weight streaming.
    if (execution == "pipelined") {
      if (failed(Partitioner(module, fn, m, wafer, execution).run()))
        signalPassFailure();
      return;
    }
    if (failed(Partitioner(module, fn, m, wafer, "weight-streaming").run()))
      signalPassFailure();
  }
};

} // namespace
