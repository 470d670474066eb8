//===- wse-opt.cpp - run wse passes and pipelines -------------------------===//
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Debug/Counter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

#include "fabric/FabricDialect.h"
#include "pe/PeDialect.h"
#include "wse/Conversion/Passes.h"
#include "wse/Tools/ToolOptions.h"
#include "wse/Transforms/Passes.h"
#include "wse/WseDialect.h"

int main(int argc, char **argv) {
  wsetools::hidePreregisteredOptions();
  std::vector<char *> args = wsetools::withQuietDiagnostics(argc, argv);
  mlir::DialectRegistry registry;
  registry.insert<mlir::wse::WseDialect, mlir::fabric::FabricDialect,
                  mlir::pe::PeDialect, mlir::func::FuncDialect>();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::wse::registerWseTransformsPasses();
  mlir::wse::registerWseConversionPasses();
  mlir::wse::registerTrainPipeline();
  // MLIR's driver options, registered now so that all but the everyday
  // ones can move to --help-hidden; MlirOptMain registers each only once.
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::tracing::DebugCounter::registerCLOptions();
  mlir::MlirOptMainConfig::registerCLOptions(registry);
  wsetools::moveToHiddenHelp(
      {"pass-pipeline", "split-input-file", "verify-diagnostics",
       "list-passes", "show-dialects", "dump-pass-pipeline",
       "mlir-print-ir-after-all", "mlir-print-ir-after-failure",
       "mlir-print-op-on-diagnostic", "mlir-print-debuginfo",
       "mlir-elide-elementsattrs-if-larger", "mlir-timing",
       "mlir-disable-threading", "mlir-pass-pipeline-crash-reproducer"});
  static llvm::cl::OptionCategory passes("Compiler passes and pipelines");
  wsetools::moveToCategory("wse-train-pipeline", passes);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(int(args.size()), args.data(),
                        "wse optimizer driver\n", registry));
}
