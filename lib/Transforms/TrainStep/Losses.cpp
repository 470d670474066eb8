//===- Losses.cpp - the loss a train step minimizes -----------------------===//
#include "TrainStep.h"

#include "wse/WseDialect.h"

using namespace mlir;
using namespace mlir::wse;
using trainstep::Config;

/// Appends an argument with `attrs` to `fn`; null if that fails.
static Value appendArgument(func::FuncOp fn, Type type, DictionaryAttr attrs) {
  unsigned idx = fn.getNumArguments();
  if (failed(fn.insertArgument(idx, type, attrs, fn.getLoc())))
    return Value();
  return fn.getBody().front().getArgument(idx);
}

Value trainstep::addInput(func::FuncOp fn, OpBuilder &b, Type type,
                          StringRef name) {
  return appendArgument(
      fn, type,
      b.getDictionaryAttr(b.getNamedAttr(kInputAttr, b.getStringAttr(name))));
}

Value trainstep::addState(func::FuncOp fn, OpBuilder &b, Type type,
                          StringRef name) {
  auto zeros = DenseElementsAttr::get(cast<RankedTensorType>(type), 0.0f);
  return appendArgument(
      fn, type,
      b.getDictionaryAttr({b.getNamedAttr(kStateAttr, b.getStringAttr(name)),
                           b.getNamedAttr(kInitAttr, zeros)}));
}

/// Cross-entropy over logits [N, C] or [B, T, C] (classes last) with
/// integer labels, as torch.nn.CrossEntropyLoss.
static FailureOr<Value> crossEntropy(func::FuncOp fn, OpBuilder &b,
                                     Value output, const Config &c) {
  Location loc = output.getLoc();
  auto type = cast<RankedTensorType>(output.getType());
  if (type.getRank() != 2 && type.getRank() != 3)
    return emitError(loc) << "loss=cross-entropy needs logits [N, C] or "
                             "[B, T, C] as the first result, got "
                          << type;
  ArrayRef<int64_t> lead = type.getShape().drop_back();
  Value labels = trainstep::addInput(
      fn, b, RankedTensorType::get(lead, b.getI64Type()), "labels");
  if (!labels)
    return failure();
  int64_t classes = type.getShape().back();
  int64_t rows = type.getNumElements() / classes;
  Value logits = output;
  Value flatLabels = labels;
  if (type.getRank() == 3) {
    logits = ReshapeOp::create(
        b, loc, RankedTensorType::get({rows, classes}, b.getF32Type()), output);
    flatLabels = ReshapeOp::create(
        b, loc, RankedTensorType::get({rows}, b.getI64Type()), labels);
  }
  bool ignore = c.ignoreIndex != INT64_MIN;
  // The fused op (which the mesh kernels implement) when nothing special is
  // asked for.
  if (c.reduction == "mean" && c.labelSmoothing == 0.0 && !ignore)
    return Value(SoftmaxCrossEntropyOp::create(b, loc, logits, flatLabels));

  Value logp = LogSoftmaxOp::create(b, loc, logits, b.getI64IntegerAttr(1));
  IntegerAttr ignoreAttr = ignore ? b.getI64IntegerAttr(c.ignoreIndex)
                                  : IntegerAttr();
  Value nll = NllLossOp::create(b, loc, logp, flatLabels, Value(),
                                b.getStringAttr(c.reduction), ignoreAttr);
  if (c.labelSmoothing == 0.0)
    return nll;
  // torch: (1 - eps) * nll + eps * mean over counted rows of -sum(logp) / C.
  float eps = float(c.labelSmoothing);
  Value rowLoss = MulOp::create(
      b, loc,
      ReduceSumOp::create(b, loc, logp, b.getDenseI64ArrayAttr({1}),
                          b.getBoolAttr(false)),
      buildScalarConstant(b, loc, -1.0f / float(classes)));
  auto rowType = RankedTensorType::get({rows}, b.getF32Type());
  Value mask = buildScalarConstant(b, loc, 1.0f);
  if (ignore) {
    Value kept = NotOp::create(
        b, loc,
        EqualOp::create(b, loc, flatLabels, buildScalarConstant(b, loc, c.ignoreIndex)));
    mask = CastOp::create(b, loc, rowType, kept);
  }
  auto all = b.getDenseI64ArrayAttr({0});
  Value smooth = ReduceSumOp::create(b, loc, MulOp::create(b, loc, rowLoss, mask),
                                     all, b.getBoolAttr(false));
  if (c.reduction == "mean") {
    Value count = ignore ? Value(ReduceSumOp::create(b, loc, mask, all,
                                                     b.getBoolAttr(false)))
                         : buildScalarConstant(b, loc, float(rows));
    smooth = DivOp::create(b, loc, smooth, count);
  }
  return Value(AddOp::create(
      b, loc, MulOp::create(b, loc, nll, buildScalarConstant(b, loc, 1.0f - eps)),
      MulOp::create(b, loc, smooth, buildScalarConstant(b, loc, eps))));
}

FailureOr<Value> trainstep::buildLoss(func::FuncOp fn, OpBuilder &b,
                                      Value output, const Config &c) {
  Location loc = output.getLoc();
  auto outType = cast<RankedTensorType>(output.getType());
  if (c.loss == "cross-entropy")
    return crossEntropy(fn, b, output, c);
  if (c.loss == "mse") {
    Value targets = addInput(fn, b, outType, "targets");
    if (!targets)
      return failure();
    if (c.reduction == "mean")
      return Value(MseOp::create(b, loc, output, targets));
    Value d = SubOp::create(b, loc, output, targets);
    SmallVector<int64_t> all;
    for (int64_t i = 0; i < outType.getRank(); ++i)
      all.push_back(i);
    return Value(ReduceSumOp::create(b, loc, MulOp::create(b, loc, d, d),
                                     b.getDenseI64ArrayAttr(all),
                                     b.getBoolAttr(false)));
  }
  if (c.loss == "output") {
    if (outType.getRank() != 0)
      return emitError(loc) << "loss=output needs a scalar tensor<f32> first "
                               "result, got "
                            << outType;
    return output;
  }
  llvm_unreachable("checkMakeTrainStepOptions accepts no other loss");
}
