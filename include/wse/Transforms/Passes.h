//===- Passes.h - graph-level passes of wse -------------------*- C++ -*-===//
#ifndef WSE_TRANSFORMS_PASSES_H
#define WSE_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "wse/WseDialect.h"

namespace mlir::wse {

#define GEN_PASS_DECL
#include "wse/Transforms/Passes.h.inc"

/// Checks the values of wse-make-train-step's options (known names, finite
/// positive lr, momentum and betas in [0, 1), eps > 0, options that apply to
/// the chosen loss and optimizer only). Returns an error naming the option,
/// empty if they are fine. The pass and wse-train-pipeline call it where
/// they parse their options.
std::string checkMakeTrainStepOptions(const MakeTrainStepOptions &options);

/// Whether `policy` is one wse-recompute (and the pipelines' recompute=)
/// knows: none or selective.
bool isRecomputePolicy(llvm::StringRef policy);

#define GEN_PASS_REGISTRATION
#include "wse/Transforms/Passes.h.inc"

} // namespace mlir::wse

#endif
