//===- Passes.h - graph-level passes of wse -------------------*- C++ -*-===//
#ifndef WSE_TRANSFORMS_PASSES_H
#define WSE_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "wse/WseDialect.h"

namespace mlir::wse {

#define GEN_PASS_DECL
#include "wse/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "wse/Transforms/Passes.h.inc"

} // namespace mlir::wse

#endif
