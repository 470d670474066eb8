//===- MakeTrainStep.cpp - forward graph -> train step --------------------===//
//
// Adds the loss (Losses.cpp), differentiates it with respect to every
// trained parameter by reverse-mode autodiff (Autodiff.cpp; each op supplies
// its own rule through DifferentiableOpInterface), and applies the optimizer
// (Optimizers.cpp). The result is @train_step: forward, backward, update.
//
//===----------------------------------------------------------------------===//
#include "TrainStep/TrainStep.h"
#include "wse/Transforms/CheckedOptions.h"
#include "wse/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <climits>
#include <cmath>

namespace mlir::wse {
#define GEN_PASS_DEF_MAKETRAINSTEP
#include "wse/Transforms/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

std::string mlir::wse::checkMakeTrainStepOptions(const MakeTrainStepOptions &o) {
  auto fmt = [](double v) {
    std::string s;
    llvm::raw_string_ostream(s) << llvm::format("%g", v);
    return s;
  };
  auto oneOf = [](const std::string &v, std::initializer_list<const char *> ok) {
    return llvm::any_of(ok, [&](const char *k) { return v == k; });
  };
  if (!oneOf(o.loss, {"cross-entropy", "mse", "output"}))
    return "loss='" + o.loss + "' is not one of cross-entropy, mse, output";
  if (!oneOf(o.reduction, {"mean", "sum"}))
    return "reduction='" + o.reduction + "' is not one of mean, sum";
  if (!oneOf(o.optimizer, {"sgd", "adamw"}))
    return "optimizer='" + o.optimizer + "' is not one of sgd, adamw";
  // [lo, hi) or [lo, hi] bounds, NaN fails every comparison.
  auto within = [&](const char *name, double v, double lo, double hi,
                    bool hiIncluded, const char *range) -> std::string {
    if (v >= lo && (hiIncluded ? v <= hi : v < hi))
      return "";
    return std::string(name) + "=" + fmt(v) + " must be in " + range;
  };
  if (!std::isfinite(o.lr) || o.lr <= 0)
    return "lr=" + fmt(o.lr) + " must be a finite positive number";
  if (o.lrInput && o.lr != 0.01)
    return "lr=" + fmt(o.lr) +
           " and lr-input exclude each other (lr-input reads the rate of "
           "each step from the input 'lr')";
  for (std::string e :
       {within("momentum", o.momentum, 0, 1, false, "[0, 1)"),
        within("dampening", o.dampening, 0, 1, true, "[0, 1]"),
        within("beta1", o.beta1, 0, 1, false, "[0, 1)"),
        within("beta2", o.beta2, 0, 1, false, "[0, 1)"),
        within("label-smoothing", o.labelSmoothing, 0, 1, false, "[0, 1)")})
    if (!e.empty())
      return e;
  if (!std::isfinite(o.eps) || o.eps <= 0)
    return "eps=" + fmt(o.eps) + " must be a finite positive number";
  if (!std::isfinite(o.clipNorm) || o.clipNorm < 0)
    return "clip-norm=" + fmt(o.clipNorm) +
           " must be a finite number >= 0 (0: no clipping)";
  // -1 is the default: torch's weight decay for the optimizer.
  if (o.weightDecay != -1.0 &&
      (!std::isfinite(o.weightDecay) || o.weightDecay < 0))
    return "weight-decay=" + fmt(o.weightDecay) +
           " must be a finite number >= 0";
  // Options of the other optimizer or loss would be silently ignored.
  bool sgd = o.optimizer == "sgd";
  if (!sgd && (o.momentum != 0 || o.dampening != 0 || o.nesterov))
    return "momentum, dampening and nesterov are options of optimizer=sgd, "
           "not adamw";
  if (sgd && (o.beta1 != 0.9 || o.beta2 != 0.999 || o.eps != 1e-8))
    return "beta1, beta2 and eps are options of optimizer=adamw, not sgd";
  if (o.nesterov && (o.momentum == 0 || o.dampening != 0))
    return "nesterov needs momentum > 0 and dampening = 0 (as in torch)";
  if (o.loss != "cross-entropy" &&
      (o.labelSmoothing != 0 || o.ignoreIndex != INT64_MIN))
    return "label-smoothing and ignore-index are options of "
           "loss=cross-entropy, not " +
           o.loss;
  if (o.loss == "output" && o.reduction != "mean")
    return "reduction applies to cross-entropy and mse; loss=output takes "
           "the first result as it is";
  for (const std::string &f : o.freeze)
    if (auto p = llvm::GlobPattern::create(f); !p) {
      llvm::consumeError(p.takeError());
      return "freeze='" + f + "' is not a valid glob pattern";
    }
  return "";
}

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

  LogicalResult initializeOptions(
      StringRef options,
      function_ref<LogicalResult(const Twine &)> errorHandler) override {
    return initializeCheckedOptions(
        "wse-make-train-step",
        [&](auto handler) { return Base::initializeOptions(options, handler); },
        [&] { return checkMakeTrainStepOptions(current()); }, errorHandler);
  }

  MakeTrainStepOptions current() const {
    MakeTrainStepOptions o;
    o.loss = loss;
    o.reduction = reduction;
    o.ignoreIndex = ignoreIndex;
    o.labelSmoothing = labelSmoothing;
    o.optimizer = optimizer;
    o.lr = lr;
    o.lrInput = lrInput;
    o.momentum = momentum;
    o.dampening = dampening;
    o.nesterov = nesterov;
    o.weightDecay = weightDecay;
    o.beta1 = beta1;
    o.beta2 = beta2;
    o.eps = eps;
    o.clipNorm = clipNorm;
    o.freeze.assign(freeze.begin(), freeze.end());
    o.funcName = funcName;
    return o;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Options set from C++ have not been through initializeOptions.
    if (std::string e = checkMakeTrainStepOptions(current()); !e.empty()) {
      module.emitError() << "wse-make-train-step: " << e;
      return signalPassFailure();
    }
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
    for (const std::string &f : freeze) // checkMakeTrainStepOptions parsed them
      patterns.push_back(cantFail(llvm::GlobPattern::create(f)));
    SmallVector<BlockArgument> params;
    llvm::SmallBitVector used(patterns.size());
    std::string names;
    for (BlockArgument arg : fn.getBody().front().getArguments()) {
      auto name = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kParamAttr);
      if (!name)
        continue;
      // A stacked parameter (wse-stack-experts) is its parts: all of them
      // are frozen or none.
      SmallVector<StringRef> parts;
      if (auto list = fn.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(),
                                                     kParamPartsAttr))
        for (Attribute p : list)
          parts.push_back(cast<StringAttr>(p).getValue());
      else
        parts.push_back(name.getValue());
      size_t frozenParts = 0;
      for (StringRef part : parts) {
        names += (names.empty() ? "" : ", ") + part.str();
        bool frozen = false;
        for (auto [i, p] : llvm::enumerate(patterns))
          if (p.match(part)) {
            used.set(i);
            frozen = true;
          }
        frozenParts += frozen;
      }
      if (frozenParts && frozenParts != parts.size())
        return getOperation().emitError()
               << "wse-make-train-step: freeze= freezes " << frozenParts
               << " of the " << parts.size() << " parts of '" << name.getValue()
               << "' (stacked by wse-stack-experts), which train together; "
                  "freeze all of them, or keep them apart with the "
                  "pipeline's stack-experts=false";
      if (!frozenParts)
        params.push_back(arg);
    }
    // A pattern that freezes nothing is a typo more often than not.
    for (auto [i, f] : llvm::enumerate(freeze))
      if (!used.test(i)) {
        if (names.size() > 300)
          names = names.substr(0, 300) + ", ...";
        return getOperation().emitError()
               << "wse-make-train-step: freeze='" << f
               << "' matches no parameter (parameters: " << names << ")";
      }
    return params;
  }

  LogicalResult build(func::FuncOp fn) {
    if (fn.getBody().getBlocks().size() != 1)
      return fn.emitError("the forward function must have a single block");
    Block &body = fn.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    if (ret.getNumOperands() == 0)
      return fn.emitError("the forward function returns nothing to train on");
    trainstep::Config c = config();
    FailureOr<SmallVector<BlockArgument>> params = trainedParams(fn);
    if (failed(params))
      return failure();

    // Micro-batched (wse-micro-batch): the step's loss and gradients are
    // the micro-batches' added up, which equals the whole batch's for a
    // sum and for a mean over equal micro-batches, not for a mean over the
    // labels not ignored or for a loss the model computes itself.
    c.microBatches = microBatchesOf(fn);
    if (c.microBatches > 1 && c.loss == "output")
      return fn.emitError("a micro-batched step needs loss=cross-entropy or "
                          "mse: how an output loss reduces over the batch is "
                          "unknown");
    if (c.microBatches > 1 && c.ignoreIndex != INT64_MIN &&
        c.reduction == "mean")
      return fn.emitError("a micro-batched step cannot take the mean over "
                          "labels that are not ignored (ignore-index): "
                          "micro-batches would count different labels; use "
                          "reduction=sum");
    unsigned inputsBefore = body.getNumArguments();
    OpBuilder b(ret);
    FailureOr<Value> lossValue = trainstep::buildLoss(fn, b, ret.getOperand(0), c);
    if (failed(lossValue))
      return failure();
    // The labels (or targets) the loss added come in micro-batches too.
    if (c.microBatches > 1)
      for (unsigned a = inputsBefore; a < body.getNumArguments(); ++a)
        if (cast<RankedTensorType>(body.getArgument(a).getType()).getRank() > 0)
          fn.setArgAttr(a, kMicroBatchedAttr, b.getUnitAttr());
    DenseMap<Value, Value> grads;
    if (failed(trainstep::backprop(fn, b, *lossValue, *params, grads)))
      return failure();
    SmallVector<trainstep::Result> updates;
    if (failed(trainstep::applyOptimizer(fn, b, *params, grads, c, updates)))
      return failure();
    Value stepLoss = *lossValue;
    if (c.microBatches > 1)
      stepLoss = AccumulateOp::create(
          b, stepLoss.getLoc(), stepLoss.getType(), stepLoss,
          b.getI64IntegerAttr(c.microBatches),
          c.reduction == "mean" ? b.getUnitAttr() : UnitAttr());

    // Results: the loss, then updated parameters and state, then the
    // forward's metrics (other forward results go away).
    SmallVector<Value> results{stepLoss};
    SmallVector<Attribute> resultAttrs{
        b.getDictionaryAttr(b.getNamedAttr(kLossAttr, b.getUnitAttr()))};
    for (auto &u : updates) {
      results.push_back(u.value);
      resultAttrs.push_back(b.getDictionaryAttr(u.mark));
    }
    for (unsigned i = 1; i < ret.getNumOperands(); ++i)
      if (auto name = fn.getResultAttrOfType<StringAttr>(i, kMetricAttr)) {
        results.push_back(ret.getOperand(i));
        resultAttrs.push_back(
            b.getDictionaryAttr(b.getNamedAttr(kMetricAttr, name)));
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
