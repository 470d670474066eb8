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

#include "llvm/ADT/StringSet.h"

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

/// Maps a copy of `fn` as `execution`, quietly, and keeps it (erasing
/// `fn`) when every region's buffers fit (Allocation.h); `mapped` says
/// whether the step mapped at all (else no layout would make it fit).
bool mapsAndFits(ModuleOp module, func::FuncOp fn,
                 const ::wsert::MachineDesc &m, int64_t wafer[2],
                 StringRef execution, bool nestSmallDims, int64_t tileCap,
                 bool &mapped) {
  OpBuilder b(fn);
  auto copy = cast<func::FuncOp>(b.clone(*fn));
  bool fits = false;
  mapped = false; // when it did, run() erased the copy
  {
    ScopedDiagnosticHandler quiet(module.getContext(),
                                  [](Diagnostic &) { return success(); });
    Partitioner p(module, copy, m, wafer, execution);
    p.nestSmallDims(nestSmallDims);
    p.preferTilesOf(tileCap);
    mapped = succeeded(p.run());
    if (mapped) {
      fabric::GraphOp graph = lastGraph(module);
      // Weight streaming's host region holds host memory.
      llvm::StringSet<> host;
      for (auto r : graph.getBody().front().getOps<fabric::RegionOp>())
        if (r.getHost())
          host.insert(r.getSymName());
      mesh::GraphAllocation alloc;
      fits = succeeded(mesh::allocateGraph(graph, alloc, /*placed=*/false)) &&
             llvm::all_of(alloc.peaks, [&](const auto &peak) {
               return peak.second.bytes <= (host.contains(peak.first)
                                                ? m.hostMemoryBytes
                                                : m.dataSramBytes());
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

/// Maps `fn` as `execution` so that its buffers fit, if some layouts do:
/// first those the cost prefers; if the step maps but its buffers do not
/// fit, nesting every small dim (fewer replicas, more and smaller
/// transfers: mapping.md, "Stacks"), then also preferring for each kernel
/// the splits whose tiles take at most a quarter, then a sixteenth of a
/// PE's data SRAM (a split gather table instead of a replicated one).
bool mapToFit(ModuleOp module, func::FuncOp fn, const ::wsert::MachineDesc &m,
              int64_t wafer[2], StringRef execution) {
  bool mapped = false;
  if (mapsAndFits(module, fn, m, wafer, execution, false, 0, mapped))
    return true;
  for (int64_t cap : {int64_t(0), m.dataSramBytes() / 4,
                      m.dataSramBytes() / 16}) {
    if (!mapped)
      return false;
    if (mapsAndFits(module, fn, m, wafer, execution, true, cap, mapped))
      return true;
  }
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
    // Pipelined when the whole step fits SRAM (parameters, optimizer
    // state and every activation, as wse-lower-to-pe will allocate them),
    // else (auto) streamed; each with the layouts that fit. When none do,
    // the preferred layouts, whose buffers wse-lower-to-pe reports.
    if (execution != "weight-streaming") {
      if (mapToFit(module, fn, m, wafer, "pipelined"))
        return;
      if (execution == "pipelined") {
        if (failed(Partitioner(module, fn, m, wafer, execution).run()))
          signalPassFailure();
        return;
      }
    }
    if (mapToFit(module, fn, m, wafer, "weight-streaming"))
      return;
    if (failed(Partitioner(module, fn, m, wafer, "weight-streaming").run()))
      signalPassFailure();
  }
};

} // namespace
