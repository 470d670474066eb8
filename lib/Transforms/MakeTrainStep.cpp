//===- MakeTrainStep.cpp - forward graph -> train step --------------------===//
//
// Adds the loss (Losses.cpp), differentiates it with respect to every
// trained parameter by reverse-mode autodiff (Autodiff.cpp; each op supplies
// its own rule through DifferentiableOpInterface), and applies the optimizer
// (Optimizers.cpp). The result is @train_step: forward, backward, update.
//
//===----------------------------------------------------------------------===//
#include "TrainStep/TrainStep.h"
#include "wse/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/GlobPattern.h"

namespace mlir::wse {
#define GEN_PASS_DEF_MAKETRAINSTEP
#include "wse/Transforms/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {

/// The forward function: the named one, else the only public one.
func::FuncOp findForward(ModuleOp module, StringRef name) {
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
    if (!fn || failed(build(fn)))
      return signalPassFailure();
  }

  trainstep::Config config() const {
    trainstep::Config c;
    c.loss = loss;
    c.reduction = reduction;
    c.ignoreIndex = ignoreIndex;
    c.labelSmoothing = labelSmoothing;
    c.optimizer = optimizer;
    c.lr = lr;
    c.lrInput = lrInput;
    c.momentum = momentum;
    c.dampening = dampening;
    c.nesterov = nesterov;
    // torch's defaults: SGD 0, AdamW 0.01.
    c.weightDecay = weightDecay >= 0 ? double(weightDecay)
                                     : (optimizer == "adamw" ? 0.01 : 0.0);
    c.beta1 = beta1;
    c.beta2 = beta2;
    c.eps = eps;
    c.clipNorm = clipNorm;
    return c;
  }

  /// Parameters not matched by a freeze pattern.
  FailureOr<SmallVector<BlockArgument>> trainedParams(func::FuncOp fn) {
    SmallVector<llvm::GlobPattern> patterns;
    for (const std::string &f : freeze) {
      auto p = llvm::GlobPattern::create(f);
      if (!p) {
        llvm::consumeError(p.takeError());
        return fn.emitError() << "bad freeze pattern '" << f << "'";
      }
      patterns.push_back(*p);
    }
    SmallVector<BlockArgument> params;
    for (BlockArgument arg : fn.getBody().front().getArguments()) {
      auto name = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kParamAttr);
      if (name && llvm::none_of(patterns, [&](const llvm::GlobPattern &p) {
            return p.match(name.getValue());
          }))
        params.push_back(arg);
    }
    return params;
  }

  LogicalResult build(func::FuncOp fn) {
    if (fn.getBody().getBlocks().size() != 1)
      return fn.emitError("the forward function must have a single block");
    if (labelSmoothing < 0 || labelSmoothing >= 1)
      return fn.emitError("label-smoothing must be in [0, 1)");
    Block &body = fn.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    if (ret.getNumOperands() == 0)
      return fn.emitError("the forward function returns nothing to train on");
    trainstep::Config c = config();
    FailureOr<SmallVector<BlockArgument>> params = trainedParams(fn);
    if (failed(params))
      return failure();

    OpBuilder b(ret);
    FailureOr<Value> lossValue = trainstep::buildLoss(fn, b, ret.getOperand(0), c);
    if (failed(lossValue))
      return failure();
    DenseMap<Value, Value> grads;
    if (failed(trainstep::backprop(fn, b, *lossValue, *params, grads)))
      return failure();
    SmallVector<trainstep::Result> updates;
    if (failed(trainstep::applyOptimizer(fn, b, *params, grads, c, updates)))
      return failure();

    // Results: the loss, then updated parameters and state.
    SmallVector<Value> results{*lossValue};
    SmallVector<Attribute> resultAttrs{
        b.getDictionaryAttr(b.getNamedAttr(kLossAttr, b.getUnitAttr()))};
    for (auto &u : updates) {
      results.push_back(u.value);
      resultAttrs.push_back(b.getDictionaryAttr(u.mark));
    }
    func::ReturnOp::create(b, ret.getLoc(), results);
    ret.erase();
    SmallVector<Type> types;
    for (Value v : results)
      types.push_back(v.getType());
    fn.setType(FunctionType::get(fn.getContext(), body.getArgumentTypes(), types));
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
};

} // namespace
