//===- Autodiff.cpp - reverse-mode differentiation of a wse function ------===//
//
// Walks the forward ops in reverse and asks each op for the gradients of its
// operands (DifferentiableOpInterface). Only values that depend on a trained
// parameter get gradients; a value used several times gets the sum.
//
//===----------------------------------------------------------------------===//
#include "TrainStep.h"

#include "wse/WseDialect.h"
#include "wse/WseGradientUtils.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace mlir::wse;

LogicalResult trainstep::backprop(func::FuncOp fn, OpBuilder &b, Value loss,
                                  ArrayRef<BlockArgument> params,
                                  DenseMap<Value, Value> &grads) {
  Block &body = fn.getBody().front();
  llvm::DenseSet<Value> active(params.begin(), params.end());
  SmallVector<Operation *> forward;
  for (Operation &op : body.without_terminator()) {
    forward.push_back(&op);
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return active.contains(v); }))
      for (Value r : op.getResults())
        active.insert(r);
  }
  auto accumulate = [&](Value v, Value g) {
    auto [it, inserted] = grads.try_emplace(v, g);
    if (!inserted)
      it->second = AddOp::create(b, g.getLoc(), it->second, g);
  };
  accumulate(loss, buildScalarConstant(b, loss.getLoc(), 1.0f));

  for (Operation *op : llvm::reverse(forward)) {
    if (!llvm::any_of(op->getResults(),
                      [&](Value r) { return grads.count(r); }))
      continue;
    if (!llvm::any_of(op->getOperands(),
                      [&](Value v) { return active.contains(v); }))
      continue;
    auto diff = dyn_cast<DifferentiableOpInterface>(op);
    if (!diff)
      return op->emitError() << "'" << op->getName()
                             << "' has no gradient rule "
                                "(DifferentiableOpInterface); it lies between "
                                "a parameter and the loss";
    SmallVector<Value> resultGrads;
    for (Value r : op->getResults())
      resultGrads.push_back(grads.lookup(r));
    SmallVector<Value> operandGrads;
    grad::ruleFailed() = false;
    LogicalResult built = diff.buildGradients(b, resultGrads, operandGrads);
    if (grad::ruleFailed()) {
      grad::ruleFailed() = false;
      return op->emitError() << "the gradient rule of '" << op->getName()
                             << "' is wrong (see the error above); please "
                                "report it";
    }
    if (failed(built))
      return failure();
    for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads))
      if (g && active.contains(operand))
        accumulate(operand, g);
  }
  return success();
}
