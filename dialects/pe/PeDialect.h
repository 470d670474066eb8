//===- PeDialect.h - per-PE program dialect ---------------------*- C++ -*-===//
#ifndef PE_PEDIALECT_H
#define PE_PEDIALECT_H

#include "fabric/FabricDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"

#include "pe/PeDialect.h.inc"

#define GET_OP_CLASSES
#include "pe/PeOps.h.inc"

#endif
