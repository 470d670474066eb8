//===- wse-opt.cpp - run wse passes and pipelines -------------------------===//
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

#include "fabric/FabricDialect.h"
#include "pe/PeDialect.h"
#include "wse/Conversion/Passes.h"
#include "wse/Transforms/Passes.h"
#include "wse/WseDialect.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::wse::WseDialect, mlir::fabric::FabricDialect,
                  mlir::pe::PeDialect, mlir::func::FuncDialect>();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::wse::registerWseTransformsPasses();
  mlir::wse::registerWseConversionPasses();
  mlir::wse::registerTrainPipeline();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "wse optimizer driver\n", registry));
}
