//===- FuzzWseOpt.cpp - libFuzzer target: parse, verify, pipeline ---------===//
//
// wse-opt's path for any text: parse, verify, and run the pipeline a user
// would (the mesh pipeline on a train step, else the train pipeline) on a
// small mesh. Errors are fine; crashes, leaks and hangs are not.
//
//===----------------------------------------------------------------------===//
#include "fabric/FabricDialect.h"
#include "pe/PeDialect.h"
#include "wse/Conversion/Passes.h"
#include "wse/Transforms/Passes.h"
#include "wse/WseDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  mlir::registerCSEPass();
  mlir::wse::registerWseTransformsPasses();
  mlir::wse::registerWseConversionPasses();
  mlir::wse::registerTrainPipeline();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::wse::WseDialect, mlir::fabric::FabricDialect,
                  mlir::pe::PeDialect, mlir::func::FuncDialect>();
  mlir::MLIRContext ctx(registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(
      &ctx, [](mlir::Diagnostic &) { return mlir::success(); });
  // NUL-terminated, as the file buffers wse-opt hands the parser are: MLIR's
  // lexer relies on that terminator.
  std::string text(reinterpret_cast<const char *>(data), size);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &ctx, "fuzz.mlir");
  if (!module || mlir::failed(mlir::verify(*module)))
    return 0;
  bool hasStep = module->lookupSymbol<mlir::func::FuncOp>("train_step") !=
                 nullptr;
  mlir::PassManager pm(&ctx);
  if (mlir::failed(mlir::parsePassPipeline(
          hasStep ? "builtin.module(wse-mesh-pipeline{mesh=4x4})"
                  : "builtin.module(wse-train-pipeline{mesh=4x4 lr=0.1})",
          pm)))
    return 0;
  (void)pm.run(*module);
  return 0;
}
