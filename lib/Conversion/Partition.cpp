//===- Partition.cpp - train step -> kernels on PE grids (wse -> fabric) --===//
//
// Recognizes the chain of linear layers (optionally followed by relu) that
// feeds a softmax cross-entropy loss, checks that every other op of the
// train step is part of their backward pass or SGD update, and maps each
// layer onto a weight-stationary `linear` kernel and the loss onto a
// `softmax_cross_entropy` kernel. Any op outside what these kernels cover is
// an error that names it.
//
//===----------------------------------------------------------------------===//
#include "wse/Conversion/Kernels.h"
#include "wse/Conversion/Passes.h"
#include "wse/Support/Machine.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::wse {
#define GEN_PASS_DEF_PARTITION
#include "wse/Conversion/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {

/// How a parameter is updated, as the linear kernel's config spells it.
struct Update {
  std::string opt; // sgd, momentum, adamw
  float lr = 0, momentum = 0, weightDecay = 0, beta1 = 0, beta2 = 0, eps = 0;
  bool nesterov = false;
  bool operator==(const Update &o) const {
    return opt == o.opt && lr == o.lr && momentum == o.momentum &&
           weightDecay == o.weightDecay && beta1 == o.beta1 &&
           beta2 == o.beta2 && eps == o.eps && nesterov == o.nesterov;
  }
};

struct Layer {
  MatmulOp matmul;
  ReluOp relu; // null when the layer has no activation
  BlockArgument weight, bias;
  Update update;
  std::string region;
};

struct TrainStep {
  func::FuncOp fn;
  SmallVector<Layer> layers; // input to output
  SoftmaxCrossEntropyOp loss;
  BlockArgument input, labels;
};

static StringRef paramName(func::FuncOp fn, BlockArgument arg) {
  auto a = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kParamAttr);
  return a ? a.getValue() : StringRef();
}

static std::string inputName(func::FuncOp fn, BlockArgument arg) {
  if (auto a = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kInputAttr))
    return a.getValue().str();
  return "arg" + std::to_string(arg.getArgNumber());
}

/// A symbol-friendly region name: "fc1.weight" -> "fc1".
static std::string regionName(StringRef param) {
  StringRef base = param;
  base.consume_back(".weight");
  std::string s;
  for (char c : base)
    s += (isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  if (s.empty() || isdigit(static_cast<unsigned char>(s[0])))
    s = "l" + s;
  return s;
}

struct PartitionPass : public mlir::wse::impl::PartitionBase<PartitionPass> {
  using Base::Base;

  void runOnOperation() override;
  FailureOr<TrainStep> recognize(func::FuncOp fn);
  LogicalResult checkCovered(TrainStep &ts);
  LogicalResult build(TrainStep &ts, const ::wsert::MachineDesc &machine);
};

FailureOr<TrainStep> PartitionPass::recognize(func::FuncOp fn) {
  TrainStep ts;
  ts.fn = fn;
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  if (ret.getNumOperands() == 0 || !fn.getResultAttr(0, kLossAttr))
    return fn.emitError("wse-partition maps a train step: run "
                        "wse-make-train-step first (no {wse.loss} result)");
  ts.loss = ret.getOperand(0).getDefiningOp<SoftmaxCrossEntropyOp>();
  if (!ts.loss)
    return emitError(ret.getOperand(0).getLoc(),
                     "the fabric kernels cover loss=cross-entropy only; "
                     "this loss is computed by ")
           << (ret.getOperand(0).getDefiningOp()
                   ? ret.getOperand(0).getDefiningOp()->getName().getStringRef()
                   : StringRef("a function argument"));

  // Walk from the logits back to the input through linear (+relu) layers.
  Value v = ts.loss.getLogits();
  ReluOp pendingRelu;
  while (true) {
    auto mm = v.getDefiningOp<MatmulOp>();
    if (!mm)
      return (v.getDefiningOp() ? v.getDefiningOp()->emitError()
                                : fn.emitError())
             << "the fabric kernels cover chains of linear layers "
                "(wse.matmul with a parameter weight, optional bias and "
                "relu) feeding softmax cross-entropy on [N, C] logits; "
                "this value is not one";
    auto w = dyn_cast<BlockArgument>(mm.getB());
    auto bias = dyn_cast_or_null<BlockArgument>(mm.getBias());
    if (mm.getTransposeA() || !mm.getTransposeB() ||
        mm.getAlpha().convertToFloat() != 1.0f ||
        mm.getBeta().convertToFloat() != 1.0f || !w ||
        paramName(fn, w).empty() || (mm.getBias() && !bias) ||
        (bias && (paramName(fn, bias).empty() ||
                  cast<RankedTensorType>(bias.getType()).getRank() != 1)))
      return mm.emitError("the linear kernel needs x * W^T + b with W [out, "
                          "in] and b [out] parameters (transpose_b, alpha = "
                          "beta = 1)");
    ts.layers.insert(ts.layers.begin(), Layer{mm, pendingRelu, w, bias, Update{}, ""});
    pendingRelu = {};
    Value a = mm.getA();
    if (auto arg = dyn_cast<BlockArgument>(a)) {
      if (!paramName(fn, arg).empty())
        return mm.emitError("the first layer's input must be a model input");
      ts.input = arg;
      break;
    }
    if (auto relu = a.getDefiningOp<ReluOp>()) {
      pendingRelu = relu;
      a = relu.getInput();
    }
    v = a;
  }
  if (pendingRelu)
    return pendingRelu.emitError("relu on the model input has no kernel");
  ts.labels = dyn_cast<BlockArgument>(ts.loss.getLabels());
  if (!ts.labels)
    return ts.loss.emitError("the loss kernel takes labels [N] straight "
                             "from the host; here they are computed");
  return ts;
}

LogicalResult PartitionPass::checkCovered(TrainStep &ts) {
  func::FuncOp fn = ts.fn;
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  // Every parameter result is an optimizer update of a layer's parameter;
  // state results come from those updates or are AdamW's step counter.
  llvm::DenseMap<Value, Update> updateOf;
  llvm::DenseSet<Operation *> stepCounters;
  auto isStepCounter = [&](Operation *op) {
    auto add = dyn_cast_or_null<AddOp>(op);
    auto arg = add ? dyn_cast<BlockArgument>(add.getLhs()) : BlockArgument();
    auto c = add ? add.getRhs().getDefiningOp<ConstantOp>() : ConstantOp();
    auto v = c ? dyn_cast<DenseElementsAttr>(c.getValue()) : DenseElementsAttr();
    return arg && v && v.isSplat() && v.getSplatValue<float>() == 1.0f &&
           fn.getArgAttr(arg.getArgNumber(), kStateAttr);
  };
  for (unsigned i = 1; i < ret.getNumOperands(); ++i) {
    Value r = ret.getOperand(i);
    Operation *def = r.getDefiningOp();
    if (fn.getResultAttr(i, kStateAttr)) {
      if (isStepCounter(def)) {
        stepCounters.insert(def);
        continue;
      }
      if (isa_and_nonnull<SgdMomentumUpdateOp, AdamWUpdateOp>(def))
        continue;
      return emitError(r.getLoc(), "optimizer state result ")
             << i << " does not come from an optimizer update";
    }
    Update u;
    Value param, lrValue;
    if (auto s = dyn_cast_or_null<SgdUpdateOp>(def)) {
      u = {"sgd", s.getLr().convertToFloat()};
      param = s.getParam();
      lrValue = s.getLrValue();
    } else if (auto s = dyn_cast_or_null<SgdMomentumUpdateOp>(def)) {
      u = {"momentum", s.getLr().convertToFloat(),
           s.getMomentum().convertToFloat(),
           s.getWeightDecay().convertToFloat()};
      u.nesterov = s.getNesterov();
      param = s.getParam();
      lrValue = s.getLrValue();
    } else if (auto a = dyn_cast_or_null<AdamWUpdateOp>(def)) {
      u = {"adamw", a.getLr().convertToFloat(), 0,
           a.getWeightDecay().convertToFloat(), a.getBeta1().convertToFloat(),
           a.getBeta2().convertToFloat(), a.getEps().convertToFloat()};
      param = a.getParam();
      lrValue = a.getLrValue();
      if (!isStepCounter(a.getStep().getDefiningOp()))
        return a.emitError("the linear kernel counts AdamW steps itself; "
                           "this step number is computed otherwise");
    } else {
      return emitError(r.getLoc(), "the fabric kernels apply sgd (with or "
                                   "without momentum) and adamw; result ")
             << i << " is not such an update";
    }
    if (lrValue)
      return emitError(r.getLoc(), "a per-step learning rate input "
                                   "(lr-input) is not mapped onto the mesh "
                                   "yet");
    updateOf[param] = u;
  }
  for (Layer &l : ts.layers) {
    if (!updateOf.count(l.weight) || (l.bias && !updateOf.count(l.bias)))
      return l.matmul.emitError("every layer parameter must be trained");
    l.update = updateOf[l.weight];
    if (l.bias && !(updateOf[l.bias] == l.update))
      return l.matmul.emitError("weight and bias of a layer need one "
                                "optimizer setting");
  }
  // The rest must be the backward pass these kernels implement.
  llvm::DenseSet<Operation *> forward = {ts.loss};
  for (Layer &l : ts.layers) {
    forward.insert(l.matmul);
    if (l.relu)
      forward.insert(l.relu);
  }
  for (Operation &op : fn.getBody().front().without_terminator()) {
    if (forward.contains(&op) ||
        isa<MatmulOp, ReduceSumOp, ReluGradOp, SgdUpdateOp,
            SgdMomentumUpdateOp, AdamWUpdateOp, ReshapeOp>(op) ||
        stepCounters.contains(&op))
      continue;
    if (auto g = dyn_cast<SoftmaxCrossEntropyGradOp>(op)) {
      auto c = g.getDloss().getDefiningOp<ConstantOp>();
      auto v = c ? dyn_cast<DenseElementsAttr>(c.getValue())
                 : DenseElementsAttr();
      if (!v || v.getSplatValue<float>() != 1.0f)
        return g.emitError("the loss kernel needs d(loss) = 1");
      continue;
    }
    if (isa<ConstantOp>(op))
      continue;
    return op.emitError() << "'" << op.getName()
                          << "' is not covered by the fabric kernel library "
                             "(linear, softmax_cross_entropy)";
  }
  return success();
}

LogicalResult PartitionPass::build(TrainStep &ts,
                                   const ::wsert::MachineDesc &machine) {
  func::FuncOp fn = ts.fn;
  MLIRContext *ctx = fn.getContext();
  OpBuilder b(fn);
  auto graph = fabric::GraphOp::create(b, fn.getLoc(), "train_step");
  graph.getBody().emplaceBlock();
  b.setInsertionPointToStart(&graph.getBody().front());
  auto input = cast<RankedTensorType>(ts.input.getType());
  int64_t batch = input.getDimSize(0);

  auto sym = [&](StringRef s) { return FlatSymbolRefAttr::get(ctx, s); };
  auto regionOp = [&](Location loc, StringRef name, StringRef kernel,
                      DictionaryAttr config, int64_t minWidth,
                      int64_t maxWidth) -> LogicalResult {
    const Kernel *k = lookupKernel(kernel);
    int64_t limit = machine.dataSramBytes();
    int64_t outDim = configInt(config, "out");
    for (int64_t w = minWidth; w <= maxWidth && w <= machine.width; ++w) {
      if (outDim && outDim % w)
        continue;
      int64_t bytes = sramBytesOf(k->buffers(config, w));
      if (bytes <= limit) {
        fabric::RegionOp::create(b, loc, name, kernel,
                                 b.getDenseI64ArrayAttr({w, 1}), bytes,
                                 nullptr, config);
        return success();
      }
    }
    return emitError(loc) << "kernel '" << kernel << "' for " << name
                          << " does not fit: no split over up to "
                          << std::min(maxWidth, machine.width)
                          << " PEs in a row brings it under " << limit
                          << " bytes of SRAM per PE";
  };

  for (auto [i, l] : llvm::enumerate(ts.layers)) {
    auto w = cast<RankedTensorType>(l.weight.getType());
    l.region = regionName(paramName(fn, l.weight));
    SmallVector<NamedAttribute> cfg = {
        b.getNamedAttr("batch", b.getI64IntegerAttr(batch)),
        b.getNamedAttr("in", b.getI64IntegerAttr(w.getDimSize(1))),
        b.getNamedAttr("out", b.getI64IntegerAttr(w.getDimSize(0))),
        b.getNamedAttr("relu", b.getBoolAttr(bool(l.relu))),
        b.getNamedAttr("bias", b.getBoolAttr(bool(l.bias))),
        b.getNamedAttr("dx", b.getBoolAttr(i > 0)),
        b.getNamedAttr("lr", b.getF32FloatAttr(l.update.lr)),
        b.getNamedAttr("opt", b.getStringAttr(l.update.opt))};
    if (l.update.opt == "momentum") {
      cfg.push_back(b.getNamedAttr("momentum",
                                   b.getF32FloatAttr(l.update.momentum)));
      cfg.push_back(b.getNamedAttr("nesterov",
                                   b.getBoolAttr(l.update.nesterov)));
    }
    if (l.update.opt == "adamw") {
      cfg.push_back(b.getNamedAttr("beta1", b.getF32FloatAttr(l.update.beta1)));
      cfg.push_back(b.getNamedAttr("beta2", b.getF32FloatAttr(l.update.beta2)));
      cfg.push_back(b.getNamedAttr("eps", b.getF32FloatAttr(l.update.eps)));
    }
    if (l.update.opt != "sgd")
      cfg.push_back(b.getNamedAttr("weight_decay",
                                   b.getF32FloatAttr(l.update.weightDecay)));
    int64_t out = w.getDimSize(0);
    if (failed(regionOp(l.matmul.getLoc(), l.region, "linear",
                        b.getDictionaryAttr(cfg), out > 1 ? 2 : 1, out)))
      return failure();
  }
  auto logits = cast<RankedTensorType>(ts.loss.getLogits().getType());
  SmallVector<NamedAttribute> lossCfg = {
      b.getNamedAttr("batch", b.getI64IntegerAttr(batch)),
      b.getNamedAttr("classes", b.getI64IntegerAttr(logits.getDimSize(1)))};
  if (failed(regionOp(ts.loss.getLoc(), "loss", "softmax_cross_entropy",
                      b.getDictionaryAttr(lossCfg), 1, 1)))
    return failure();

  // Streams: activations forward, gradients backward.
  auto stream = [&](StringRef src, StringRef srcPort, StringRef dst,
                    StringRef dstPort, int64_t elements) {
    fabric::StreamOp::create(b, fn.getLoc(),
                             b.getStringAttr(src + "." + srcPort), sym(src),
                             b.getStringAttr(srcPort), sym(dst),
                             b.getStringAttr(dstPort),
                             b.getI64IntegerAttr(elements), nullptr, nullptr);
  };
  for (size_t i = 0; i + 1 < ts.layers.size(); ++i) {
    auto out = cast<RankedTensorType>(ts.layers[i].matmul.getType());
    stream(ts.layers[i].region, "y", ts.layers[i + 1].region, "x",
           out.getNumElements());
  }
  StringRef last = ts.layers.back().region;
  stream(last, "y", "loss", "logits", logits.getNumElements());
  stream("loss", "dlogits", last, "dy", logits.getNumElements());
  for (size_t i = ts.layers.size() - 1; i > 0; --i) {
    auto in = cast<RankedTensorType>(ts.layers[i].matmul.getA().getType());
    stream(ts.layers[i].region, "dx", ts.layers[i - 1].region, "dy",
           in.getNumElements());
  }
  for (Layer &l : ts.layers) {
    auto region = cast<fabric::RegionOp>(
        SymbolTable::lookupSymbolIn(graph, b.getStringAttr(l.region)));
    for (auto &[chain, elements] :
         linearKernel().chains(region.getConfig(), region.getGrid()[0]))
      fabric::ChainOp::create(b, fn.getLoc(),
                              b.getStringAttr(l.region + "." + chain),
                              sym(l.region), b.getI64IntegerAttr(elements),
                              nullptr);
  }

  // Host bindings.
  fabric::InputOp::create(b, ts.input.getLoc(),
                          b.getStringAttr(inputName(fn, ts.input)),
                          sym(ts.layers.front().region), b.getStringAttr("x"),
                          TypeAttr::get(ts.input.getType()));
  fabric::InputOp::create(b, ts.labels.getLoc(),
                          b.getStringAttr(inputName(fn, ts.labels)),
                          sym("loss"), b.getStringAttr("labels"),
                          TypeAttr::get(ts.labels.getType()));
  fabric::OutputOp::create(b, ts.loss.getLoc(), b.getStringAttr("loss"),
                           sym("loss"), b.getStringAttr("loss"),
                           TypeAttr::get(ts.loss.getType()),
                           b.getUnitAttr());
  auto param = [&](BlockArgument arg, StringRef region, StringRef port) {
    auto init = fn.getArgAttrOfType<ElementsAttr>(arg.getArgNumber(), kInitAttr);
    fabric::ParamOp::create(b, arg.getLoc(),
                            b.getStringAttr(paramName(fn, arg)), sym(region),
                            b.getStringAttr(port), TypeAttr::get(arg.getType()),
                            init);
  };
  for (Layer &l : ts.layers) {
    param(l.weight, l.region, "weight");
    if (l.bias)
      param(l.bias, l.region, "bias");
  }
  fn.erase();
  return success();
}

void PartitionPass::runOnOperation() {
  ModuleOp module = getOperation();
  std::optional<::wsert::MachineDesc> machineDesc =
      ::wsert::lookupMachinePreset(machine);
  if (!machineDesc) {
    std::string names;
    for (auto &n : ::wsert::machinePresetNames())
      names += (names.empty() ? "" : ", ") + n;
    module.emitError() << "unknown machine '" << machine << "' (presets: "
                       << names << ")";
    return signalPassFailure();
  }
  if (std::string err = ::wsert::applyMeshOption(*machineDesc, mesh);
      !err.empty()) {
    module.emitError() << err;
    return signalPassFailure();
  }
  const ::wsert::MachineDesc &m = *machineDesc;
  module->setAttr(fabric::kMachineAttr,
                  fabric::MachineAttr::get(
                      &getContext(), m.name, m.width, m.height, m.sramBytes,
                      m.reservedSramBytes, m.colors, m.clockMhz,
                      m.fmacsPerCycle, m.addsPerCycle));

  auto fn = module.lookupSymbol<func::FuncOp>("train_step");
  if (!fn) {
    module.emitError("wse-partition maps @train_step: run "
                     "wse-make-train-step first");
    return signalPassFailure();
  }
  FailureOr<TrainStep> ts = recognize(fn);
  if (failed(ts) || failed(checkCovered(*ts)) || failed(build(*ts, m)))
    return signalPassFailure();
}

} // namespace
