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
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <map>
#include <string>

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace mlir::wse {

/// What the importer cannot learn from the model itself.
struct OnnxImportOptions {
  /// Shapes of graph inputs by name (`--input-shape NAME=2x16x64`), set
  /// before shape inference. A dimension the model fixes must agree.
  std::map<std::string, llvm::SmallVector<int64_t>> inputShapes;
  /// Values of symbolic dimensions (`--dim batch=32`), substituted in the
  /// graph's inputs, outputs and value_info before shape inference.
  std::map<std::string, int64_t> dims;
  /// Import float64 tensors as float32 (off: float64 is an error).
  bool f64AsF32 = false;
  /// torch.onnx.export folds parameters that hold equal values into one
  /// initializer plus Identity nodes named after the others. By default each
  /// such Identity output becomes its own parameter (as in the PyTorch
  /// model); with this set they stay one tied parameter.
  bool keepTiedParams = false;
};

/// Parses `NAME=D0xD1x...` (an empty shape after `=` is a scalar) into
/// `options.inputShapes`, or `SYMBOL=VALUE` into `options.dims`. On a
/// malformed spec returns false and sets `error`.
bool parseInputShapeOption(llvm::StringRef spec, OnnxImportOptions &options,
                           std::string &error);
bool parseDimOption(llvm::StringRef spec, OnnxImportOptions &options,
                    std::string &error);

/// Imports an ONNX model. `bytes` is a serialized ModelProto, or with
/// `isText` ONNX's textual syntax (onnx::OnnxParser). The model is run
/// through onnx::checker::check_model and onnx::shape_inference::InferShapes.
///
/// The result holds `func.func @main`:
///  - float initializers become the first arguments, in initializer order,
///    with `{wse.param = "<name>", wse.init = dense_resource<...>}`;
///  - graph inputs that are not initializers follow, with
///    `{wse.input = "<name>"}` (f32, i64, i32 or i1);
///  - integer and bool initializers, Constant nodes and every shape
///    computation on them are folded at import; they appear as wse.constant
///    where an op needs them as values;
///  - graph outputs are the results, in order.
/// Every op is located at `NameLoc(<node name or <op_type>_<index>>,
/// fileName:0:0)`.
///
/// On failure (unreadable bytes, checker failure, unsupported ops, element
/// types or dynamic dimensions) errors are emitted through the context's
/// diagnostic engine and a null module is returned. Never throws.
OwningOpRef<ModuleOp> importOnnxModel(llvm::StringRef bytes,
                                      llvm::StringRef fileName,
                                      MLIRContext *ctx, bool isText,
                                      const OnnxImportOptions &options = {});

/// Registers the dialects the importer produces (wse, func).
void registerOnnxImportDialects(DialectRegistry &registry);

} // namespace mlir::wse

#endif // WSE_FRONTEND_IMPORTONNX_H
