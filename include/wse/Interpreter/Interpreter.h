//===- Interpreter.h - reference semantics of the wse dialect --*- C++ -*-===//
//
// The oracle: what a wse program means. The mesh simulator is checked
// against it, and it against PyTorch and ONNX's expected outputs.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_INTERPRETER_INTERPRETER_H
#define WSE_INTERPRETER_INTERPRETER_H

#include "wse/Support/HostTensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <vector>

namespace mlir::wse {

/// Reads a constant tensor (dense or dense_resource, f32 or integer).
FailureOr<::wsert::HostTensor> tensorFromAttr(Location loc, Attribute attr);

/// Whether a host tensor fits a tensor type (shape and element kind).
bool tensorMatchesType(const ::wsert::HostTensor &t, Type type);

/// Runs `fn` on `args` and returns its results; a bad op or input is a
/// located error. f32 data is computed in float, as on a PE. The arguments
/// are taken by value: a caller that moves them in (a training loop's
/// parameters and state) saves a copy of each per step.
FailureOr<std::vector<::wsert::HostTensor>>
interpret(func::FuncOp fn, std::vector<::wsert::HostTensor> args);

/// The same semantics with f32 data computed in double (the float64 mode of
/// finite-difference gradient checks). Link WseInterpreter64.
FailureOr<::wsert::HostTensor64> tensorFromAttr64(Location loc, Attribute attr);
bool tensorMatchesType(const ::wsert::HostTensor64 &t, Type type);
FailureOr<std::vector<::wsert::HostTensor64>>
interpret(func::FuncOp fn, std::vector<::wsert::HostTensor64> args);

} // namespace mlir::wse

#endif
