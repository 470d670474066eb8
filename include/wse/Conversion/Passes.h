//===- Passes.h - wse -> fabric -> pe passes ------------------*- C++ -*-===//
#ifndef WSE_CONVERSION_PASSES_H
#define WSE_CONVERSION_PASSES_H

#include "fabric/FabricDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "pe/PeDialect.h"
#include "wse/WseDialect.h"

namespace mlir::wse {

#define GEN_PASS_DECL
#include "wse/Conversion/Passes.h.inc"

/// Checks `machine` (a preset name), `mesh` (empty or a WxH corner of it)
/// and `execution` (pipelined, weight-streaming or auto). Returns an error
/// naming the option, empty if all are fine.
std::string checkMachineOptions(const std::string &machine,
                                const std::string &mesh,
                                const std::string &execution = "auto");

#define GEN_PASS_REGISTRATION
#include "wse/Conversion/Passes.h.inc"

/// Registers `wse-train-pipeline`: train step, partition, place, route and
/// lowering to pe programs, from an imported forward graph.
void registerTrainPipeline();

} // namespace mlir::wse

#endif
