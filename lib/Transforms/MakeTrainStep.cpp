//===- MakeTrainStep.cpp - forward graph -> train step --------------------===//
//
// Adds the loss, differentiates it with respect to every parameter by
// reverse-mode autodiff (each op supplies its own rule through
// DifferentiableOpInterface), and appends the optimizer update.
//
//===----------------------------------------------------------------------===//
#include "wse/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::wse {
#define GEN_PASS_DEF_MAKETRAINSTEP
#include "wse/Transforms/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {

/// Finds the forward function: the named one, else the only public one.
static func::FuncOp findForward(ModuleOp module, StringRef name) {
  func::FuncOp found;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (!name.empty() ? f.getSymName() == name : f.isPublic()) {
      if (found && name.empty()) {
        module.emitError("more than one public function; name the forward "
                         "function with func=<name>");
        return {};
      }
      found = f;
    }
  }
  if (!found)
    module.emitError() << "no forward function"
                       << (name.empty() ? "" : (" named '" + name + "'").str());
  return found;
}

struct MakeTrainStepPass
    : public mlir::wse::impl::MakeTrainStepBase<MakeTrainStepPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp fn = findForward(module, funcName);
    if (!fn || failed(buildTrainStep(fn)))
      return signalPassFailure();
  }

  LogicalResult buildTrainStep(func::FuncOp fn);
  FailureOr<Value> buildLoss(func::FuncOp fn, OpBuilder &b, Value output);
  LogicalResult backprop(func::FuncOp fn, OpBuilder &b, Value loss,
                         DenseMap<Value, Value> &grads);
};

FailureOr<Value> MakeTrainStepPass::buildLoss(func::FuncOp fn, OpBuilder &b,
                                              Value output) {
  Location loc = output.getLoc();
  auto outType = cast<RankedTensorType>(output.getType());
  Block &body = fn.getBody().front();
  auto addInput = [&](Type type, StringRef name) -> Value {
    unsigned idx = fn.getNumArguments();
    if (failed(fn.insertArgument(idx, type,
                                 b.getDictionaryAttr(b.getNamedAttr(
                                     kInputAttr, b.getStringAttr(name))),
                                 fn.getLoc())))
      return Value();
    return body.getArgument(idx);
  };
  if (loss == "cross-entropy") {
    if (outType.getRank() != 2)
      return emitError(loc) << "loss=cross-entropy needs logits [N, C] as the "
                               "first result, got "
                            << outType;
    Value labels = addInput(
        RankedTensorType::get({outType.getDimSize(0)}, b.getI64Type()),
        "labels");
    if (!labels)
      return failure();
    return Value(SoftmaxCrossEntropyOp::create(b, loc, output, labels));
  }
  if (loss == "mse") {
    Value targets = addInput(outType, "targets");
    if (!targets)
      return failure();
    return Value(MseOp::create(b, loc, output, targets));
  }
  if (loss == "output") {
    if (outType.getRank() != 0)
      return emitError(loc) << "loss=output needs a scalar tensor<f32> first "
                               "result, got "
                            << outType;
    return output;
  }
  return fn.emitError() << "unknown loss '" << loss
                        << "' (expected cross-entropy, mse or output)";
}

LogicalResult MakeTrainStepPass::backprop(func::FuncOp fn, OpBuilder &b,
                                          Value loss,
                                          DenseMap<Value, Value> &grads) {
  Block &body = fn.getBody().front();
  // Values that depend on a parameter: only they need a gradient.
  llvm::DenseSet<Value> active;
  for (BlockArgument arg : body.getArguments())
    if (fn.getArgAttr(arg.getArgNumber(), kParamAttr))
      active.insert(arg);
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
  auto one = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                    1.0f);
  accumulate(loss, ConstantOp::create(b, loss.getLoc(), one));

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
    if (failed(diff.buildGradients(b, resultGrads, operandGrads)))
      return failure();
    for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads))
      if (g && active.contains(operand))
        accumulate(operand, g);
  }
  return success();
}

LogicalResult MakeTrainStepPass::buildTrainStep(func::FuncOp fn) {
  if (optimizer != "sgd")
    return fn.emitError() << "unknown optimizer '" << optimizer
                          << "' (expected sgd)";
  if (fn.getBody().getBlocks().size() != 1)
    return fn.emitError("the forward function must have a single block");
  Block &body = fn.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() == 0)
    return fn.emitError("the forward function returns nothing to train on");

  OpBuilder b(ret);
  FailureOr<Value> loss = buildLoss(fn, b, ret.getOperand(0));
  if (failed(loss))
    return failure();

  DenseMap<Value, Value> grads;
  if (failed(backprop(fn, b, *loss, grads)))
    return failure();

  // Update each parameter where its gradient is.
  SmallVector<Value> results{*loss};
  SmallVector<Attribute> resultAttrs{
      b.getDictionaryAttr(b.getNamedAttr(kLossAttr, b.getUnitAttr()))};
  for (BlockArgument arg : body.getArguments()) {
    auto name = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kParamAttr);
    if (!name)
      continue;
    Value updated = arg;
    if (Value g = grads.lookup(arg)) {
      Location gradLoc =
          NameLoc::get(b.getStringAttr(name.getValue() + ".grad"), g.getLoc());
      g.getDefiningOp()->setLoc(gradLoc);
      updated = SgdUpdateOp::create(b, NameLoc::get(name, arg.getLoc()), arg,
                                    g, b.getF32FloatAttr(lr));
    }
    results.push_back(updated);
    resultAttrs.push_back(
        b.getDictionaryAttr(b.getNamedAttr(kParamAttr, name)));
  }
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();

  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  fn.setType(FunctionType::get(fn.getContext(), body.getArgumentTypes(),
                               resultTypes));
  fn.setAllResultAttrs(resultAttrs);
  fn.setSymName("train_step");

  // Forward values nothing uses any more (the old outputs) go away.
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (op->use_empty() && isPure(op))
      op->erase();
  return success();
}

} // namespace
