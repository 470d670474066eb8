//===- wse-translate.cpp - ONNX import and wafer-program export -----------===//
//
//   wse-translate --import-onnx model.onnx -o model.mlir
//   wse-translate --import-onnx-text model.onnxtext
//   wse-translate --export-wafer-program lowered.mlir -o model.wsebin
//
//===----------------------------------------------------------------------===//
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include "wse/Frontend/ImportOnnx.h"
#include "wse/Target/WaferProgram.h"

using namespace mlir;

/// Imports the main buffer of `sourceMgr` as it is: raw bytes for a binary
/// model, text for ONNX's textual syntax.
static OwningOpRef<Operation *> importOnnx(llvm::SourceMgr &sourceMgr,
                                           MLIRContext *ctx, bool isText) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  return wse::importOnnxModel(buffer->getBuffer(),
                              buffer->getBufferIdentifier(), ctx, isText);
}

static void registerOnnxImport() {
  static TranslateToMLIRRegistration importBinary(
      "import-onnx", "import a binary ONNX model (.onnx) into the wse dialect",
      TranslateRawSourceMgrToMLIRFunction(
          [](llvm::SourceMgr &sourceMgr, MLIRContext *ctx) {
            return importOnnx(sourceMgr, ctx, /*isText=*/false);
          }),
      wse::registerOnnxImportDialects);
  static TranslateToMLIRRegistration importText(
      "import-onnx-text",
      "import an ONNX model in ONNX's textual syntax into the wse dialect",
      TranslateRawSourceMgrToMLIRFunction(
          [](llvm::SourceMgr &sourceMgr, MLIRContext *ctx) {
            return importOnnx(sourceMgr, ctx, /*isText=*/true);
          }),
      wse::registerOnnxImportDialects);
}

int main(int argc, char **argv) {
  registerOnnxImport();
  wse::registerWaferProgramExport();
  return failed(mlirTranslateMain(argc, argv, "wse translation driver\n"));
}
