//===- FuzzOnnxImport.cpp - libFuzzer target: the ONNX importer -----------===//
//
// Any bytes given to `wse-translate --import-onnx` must give a module or
// errors, never a crash, leak or hang.
//
//===----------------------------------------------------------------------===//
#include "wse/Frontend/ImportOnnx.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::DialectRegistry registry;
  mlir::wse::registerOnnxImportDialects(registry);
  // A fresh context per input: nothing one input interns leaks into the next.
  mlir::MLIRContext ctx(registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(
      &ctx, [](mlir::Diagnostic &) { return mlir::success(); });
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  (void)mlir::wse::importOnnxModel(bytes, "fuzz.onnx", &ctx, /*isText=*/false);
  return 0;
}
