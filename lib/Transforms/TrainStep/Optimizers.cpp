//===- Optimizers.cpp - gradient clipping, SGD and AdamW ------------------===//
//
// Optimizer state (momentum buffers, Adam moments, the step counter) is
// explicit: an argument and a result marked {wse.state = "<name>"}, starting
// at zero, so a train step is a pure function the simulators iterate.
//
//===----------------------------------------------------------------------===//
#include "TrainStep.h"

#include "wse/WseDialect.h"

using namespace mlir;
using namespace mlir::wse;
using trainstep::Config;
using trainstep::Result;

/// Scales every gradient by min(1, clip / (norm + 1e-6)), where norm is the
/// L2 norm of all gradients together (torch.nn.utils.clip_grad_norm_).
static void clipByGlobalNorm(OpBuilder &b, Location loc,
                             ArrayRef<BlockArgument> params,
                             DenseMap<Value, Value> &grads, double clip) {
  Value total;
  for (BlockArgument p : params) {
    Value g = grads.lookup(p);
    if (!g)
      continue;
    auto t = cast<RankedTensorType>(g.getType());
    SmallVector<int64_t> all;
    for (int64_t i = 0; i < t.getRank(); ++i)
      all.push_back(i);
    Value sq = ReduceSumOp::create(b, loc, MulOp::create(b, loc, g, g),
                                   b.getDenseI64ArrayAttr(all),
                                   b.getBoolAttr(false));
    total = total ? Value(AddOp::create(b, loc, total, sq)) : sq;
  }
  if (!total)
    return;
  Value norm = SqrtOp::create(b, loc, total);
  Value coef = DivOp::create(
      b, loc, buildScalarConstant(b, loc, float(clip)),
      AddOp::create(b, loc, norm, buildScalarConstant(b, loc, 1e-6f)));
  coef = ClampOp::create(b, loc, coef, FloatAttr(), b.getF64FloatAttr(1.0));
  for (BlockArgument p : params)
    if (Value g = grads.lookup(p))
      grads[p] = MulOp::create(b, loc, g, coef);
}

LogicalResult trainstep::applyOptimizer(func::FuncOp fn, OpBuilder &b,
                                        ArrayRef<BlockArgument> params,
                                        DenseMap<Value, Value> &grads,
                                        const Config &c,
                                        SmallVectorImpl<Result> &results) {
  Location loc = fn.getLoc();
  // torch starts the momentum buffer at the first gradient undamped; a
  // zero buffer matches that only without dampening.
  if (c.dampening != 0)
    return fn.emitError("dampening is not supported yet: torch.optim.SGD "
                        "does not damp the first step, a zero-initialized "
                        "buffer would");
  // A micro-batched step updates once, with the gradients of its
  // micro-batches added up (averaged for a mean loss).
  if (c.microBatches > 1)
    for (BlockArgument p : params)
      if (Value g = grads.lookup(p))
        grads[p] = AccumulateOp::create(
            b, g.getLoc(), g.getType(), g, b.getI64IntegerAttr(c.microBatches),
            c.reduction == "mean" ? b.getUnitAttr() : UnitAttr());
  // Entries a wse.mask fixes at zero (wse-sparsify) get no gradient, so
  // clipping, optimizer state and updates see only the trained ones.
  DenseMap<Value, Value> masks;
  for (BlockArgument p : params) {
    auto mask =
        fn.getArgAttrOfType<DenseElementsAttr>(p.getArgNumber(), kMaskAttr);
    if (!mask)
      continue;
    auto type = cast<RankedTensorType>(p.getType());
    if (mask.getType().getShape() != type.getShape() ||
        !mask.getElementType().isInteger(1))
      return emitError(p.getLoc())
             << "wse.mask of this parameter is " << mask.getType()
             << ", not an i1 tensor of its shape " << type;
    // A mask that keeps every entry (density 1) drops nothing.
    if (mask.isSplat() && mask.getSplatValue<bool>())
      continue;
    SmallVector<float> ones;
    ones.reserve(size_t(type.getNumElements()));
    for (bool keep : mask.getValues<bool>())
      ones.push_back(keep ? 1.0f : 0.0f);
    Value m = ConstantOp::create(b, p.getLoc(),
                                 DenseElementsAttr::get(type, ArrayRef<float>(ones)));
    masks[p] = m;
    if (Value g = grads.lookup(p))
      grads[p] = MulOp::create(b, p.getLoc(), g, m);
  }
  if (c.clipNorm > 0)
    clipByGlobalNorm(b, loc, params, grads, c.clipNorm);
  Value lr = c.lrInput ? addInput(fn, b, RankedTensorType::get({}, b.getF32Type()),
                                  "lr")
                       : Value();
  auto f32 = [&](double v) { return b.getF32FloatAttr(float(v)); };

  Value step;
  if (c.optimizer == "adamw") {
    Value prev = addState(fn, b, RankedTensorType::get({}, b.getF32Type()), "step");
    step = AddOp::create(b, loc, prev, buildScalarConstant(b, loc, 1.0f));
    results.push_back({step, b.getNamedAttr(kStateAttr, b.getStringAttr("step"))});
  }
  for (BlockArgument p : params) {
    auto name = fn.getArgAttrOfType<StringAttr>(p.getArgNumber(), kParamAttr);
    auto mark = [&](StringRef suffix) {
      return b.getNamedAttr(kStateAttr,
                            b.getStringAttr(name.getValue() + suffix));
    };
    Value g = grads.lookup(p);
    Location ploc = NameLoc::get(name, p.getLoc());
    if (g)
      g.getDefiningOp()->setLoc(
          NameLoc::get(b.getStringAttr(name.getValue() + ".grad"), g.getLoc()));
    Value updated = p;
    // Optimizer state of a masked parameter is zero where the mask is (its
    // gradient is), and says so, so the mesh stores it sparse too.
    auto maskAttr = fn.getArgAttr(p.getArgNumber(), kMaskAttr);
    auto addMaskedState = [&](StringRef suffix) {
      Value s = addState(fn, b, p.getType(), (name.getValue() + suffix).str());
      if (maskAttr && g && masks.count(p))
        fn.setArgAttr(cast<BlockArgument>(s).getArgNumber(), kMaskAttr,
                      maskAttr);
      return s;
    };
    if (!g) {
      // A parameter the loss does not depend on keeps its value.
    } else if (c.optimizer == "adamw") {
      Value m = addMaskedState(".exp_avg");
      Value v = addMaskedState(".exp_avg_sq");
      auto op = AdamWUpdateOp::create(b, ploc, p, g, m, v, step, lr, f32(c.lr),
                                      f32(c.beta1), f32(c.beta2), f32(c.eps),
                                      f32(c.weightDecay));
      updated = op.getNewParam();
      results.push_back({op.getNewM(), mark(".exp_avg")});
      results.push_back({op.getNewV(), mark(".exp_avg_sq")});
    } else if (c.momentum != 0 || c.weightDecay != 0) {
      Value buf = addMaskedState(".momentum_buffer");
      auto op = SgdMomentumUpdateOp::create(
          b, ploc, p, g, buf, lr, f32(c.lr), f32(c.momentum), f32(c.dampening),
          f32(c.weightDecay), b.getBoolAttr(c.nesterov));
      updated = op.getNewParam();
      results.push_back({op.getNewBuf(), mark(".momentum_buffer")});
    } else {
      updated = SgdUpdateOp::create(b, ploc, p, g, lr, f32(c.lr));
    }
    // ... and the masked weights stay exactly zero (weight decay of a zero
    // is zero; the mask makes that hold whatever the optimizer does).
    if (Value m = masks.lookup(p); m && g)
      updated = MulOp::create(b, ploc, updated, m);
    results.push_back({updated, b.getNamedAttr(kParamAttr, name)});
  }
  return success();
}
