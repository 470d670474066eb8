//===- FabricDialect.h - placement and routing dialect ----------*- C++ -*-===//
#ifndef FABRIC_FABRICDIALECT_H
#define FABRIC_FABRICDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "wse/Support/Layout.h"

#include "fabric/FabricDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "fabric/FabricAttrs.h.inc"

#define GET_OP_CLASSES
#include "fabric/FabricOps.h.inc"

namespace mlir::fabric {
/// The module attribute that holds the target machine.
constexpr llvm::StringLiteral kMachineAttr = "fabric.machine";

/// The machine of the module enclosing `op`, or null.
MachineAttr getMachine(Operation *op);

/// The shared layout struct of a layout attribute on a tensor of `shape`.
wsert::Layout toLayout(LayoutAttr attr, ArrayRef<int64_t> shape);
LayoutAttr getLayoutAttr(MLIRContext *ctx, const wsert::Layout &layout);
} // namespace mlir::fabric

#endif
