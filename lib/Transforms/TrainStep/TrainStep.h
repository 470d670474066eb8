//===- TrainStep.h - pieces of wse-make-train-step ------------*- C++ -*-===//
#ifndef WSE_LIB_TRANSFORMS_TRAINSTEP_H
#define WSE_LIB_TRANSFORMS_TRAINSTEP_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

#include <string>

namespace mlir::wse::trainstep {

/// What the pass options say, resolved; checkMakeTrainStepOptions has
/// checked their values.
struct Config {
  std::string loss = "cross-entropy", reduction = "mean";
  int64_t ignoreIndex = -100;
  double labelSmoothing = 0;
  std::string optimizer = "sgd";
  double lr = 0.01, momentum = 0, dampening = 0, weightDecay = 0;
  bool nesterov = false, lrInput = false;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, clipNorm = 0;
  /// The function's wse.micro_batches: gradients are accumulated over them.
  int64_t microBatches = 1;
};

/// Adds a function input named `name` (a `wse.input`) and returns it.
Value addInput(func::FuncOp fn, OpBuilder &b, Type type, StringRef name);

/// Adds optimizer state: an argument and, later, a result marked
/// `{wse.state = name}` that starts at zero.
Value addState(func::FuncOp fn, OpBuilder &b, Type type, StringRef name);

/// Builds the loss of `output` as the config says.
FailureOr<Value> buildLoss(func::FuncOp fn, OpBuilder &b, Value output,
                           const Config &config);

/// Reverse-mode autodiff: gradients of `loss` for every value that depends
/// on one of `params`, built at the builder's insertion point.
LogicalResult backprop(func::FuncOp fn, OpBuilder &b, Value loss,
                       ArrayRef<BlockArgument> params,
                       DenseMap<Value, Value> &grads);

/// An updated parameter or piece of optimizer state, and how to mark it.
struct Result {
  Value value;
  NamedAttribute mark;
};

/// Clips (if asked) and applies the optimizer to every trained parameter;
/// appends the updated parameters and new optimizer state to `results`.
LogicalResult applyOptimizer(func::FuncOp fn, OpBuilder &b,
                             ArrayRef<BlockArgument> params,
                             DenseMap<Value, Value> &grads,
                             const Config &config,
                             SmallVectorImpl<Result> &results);

} // namespace mlir::wse::trainstep

#endif
