//===- ImportOnnx.h - ONNX model -> wse dialect -----------------*- C++ -*-===//
//
// Imports an ONNX ModelProto (binary, or ONNX's textual syntax) into a module
// with one `func.func @main` of wse ops.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_FRONTEND_IMPORTONNX_H
#define WSE_FRONTEND_IMPORTONNX_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace mlir::wse {

/// Imports an ONNX model. `bytes` is a serialized ModelProto, or with
/// `isText` ONNX's textual syntax (onnx::OnnxParser). The model is run
/// through onnx::checker::check_model and onnx::shape_inference::InferShapes.
///
/// The result holds `func.func @main`:
///  - float32 initializers become the first arguments, in initializer order,
///    with `{wse.param = "<name>", wse.init = dense_resource<...>}`;
///  - graph inputs that are not initializers follow, with
///    `{wse.input = "<name>"}`;
///  - graph outputs are the results, in order.
/// Every op is located at `NameLoc(<node name or <op_type>_<index>>,
/// fileName:0:0)`.
///
/// On failure (unreadable bytes, checker failure, unsupported ops, element
/// types or dynamic dimensions) errors are emitted through the context's
/// diagnostic engine and a null module is returned. Never throws.
OwningOpRef<ModuleOp> importOnnxModel(llvm::StringRef bytes,
                                      llvm::StringRef fileName,
                                      MLIRContext *ctx, bool isText);

/// Registers the dialects the importer produces (wse, func).
void registerOnnxImportDialects(DialectRegistry &registry);

} // namespace mlir::wse

#endif // WSE_FRONTEND_IMPORTONNX_H
