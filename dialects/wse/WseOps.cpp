//===- WseOps.cpp - verifiers and type inference of wse ops ---------------===//
#include "WseOpsCommon.h"
#include "wse/WseDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::wse;

LogicalResult mlir::wse::broadcastShapes(ArrayRef<int64_t> a,
                                         ArrayRef<int64_t> b,
                                         SmallVectorImpl<int64_t> &out) {
  size_t rank = std::max(a.size(), b.size());
  out.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return failure();
    out[i] = da == 1 ? db : da;
  }
  return success();
}

Location mlir::wse::argumentUseLoc(BlockArgument arg) {
  Operation *first = nullptr;
  for (Operation *user : arg.getUsers())
    if (user->getBlock() == arg.getOwner() &&
        (!first || user->isBeforeInBlock(first)))
      first = user;
  return first ? first->getLoc() : arg.getLoc();
}

void mlir::wse::eraseDeadWseOps(Operation *root) {
  bool changed = true;
  while (changed) {
    changed = false;
    root->walk([&](Operation *op) {
      if (op->getDialect() && isa<WseDialect>(op->getDialect()) &&
          op->use_empty() && isPure(op)) {
        op->erase();
        changed = true;
      }
    });
  }
}

Value mlir::wse::buildScalarConstant(OpBuilder &b, Location loc, float value) {
  auto type = RankedTensorType::get({}, b.getF32Type());
  return ConstantOp::create(b, loc, DenseElementsAttr::get(type, value));
}

Value mlir::wse::buildScalarConstant(OpBuilder &b, Location loc,
                                     int64_t value) {
  auto type = RankedTensorType::get({}, b.getI64Type());
  return ConstantOp::create(b, loc, DenseElementsAttr::get(type, value));
}

std::string mlir::wse::opdetail::shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? "x" : "") + std::to_string(d);
  return s + "]";
}

LogicalResult mlir::wse::opdetail::normalizeAxis(std::optional<Location> loc,
                                               StringRef op, int64_t &axis,
                                               int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return emitOptionalError(loc, "wse.", op, " axis ", axis,
                             " is out of range for rank ", rank);
  if (axis < 0)
    axis += rank;
  return success();
}

using opdetail::flagOf;
using opdetail::shapeStr;

//===----------------------------------------------------------------------===//
// Micro-batching
//===----------------------------------------------------------------------===//

int64_t mlir::wse::microBatchesOf(func::FuncOp fn) {
  auto n = fn->getAttrOfType<IntegerAttr>(kMicroBatchesAttr);
  return n ? n.getInt() : 1;
}

FailureOr<DenseMap<Operation *, MicroPhase>>
mlir::wse::microBatchPhases(func::FuncOp fn) {
  DenseMap<Operation *, MicroPhase> phases;
  auto phaseOf = [&](Value v) {
    if (auto arg = dyn_cast<BlockArgument>(v))
      return fn.getArgAttr(arg.getArgNumber(), kMicroBatchedAttr)
                 ? MicroPhase::PerMicroBatch
                 : MicroPhase::Invariant;
    Operation *def = v.getDefiningOp();
    if (isa<AccumulateOp>(def))
      return MicroPhase::PerStep;
    return phases.lookup(def);
  };
  int64_t n = microBatchesOf(fn);
  for (Operation &op : fn.getBody().front()) {
    bool micro = false, step = false;
    for (Value v : op.getOperands()) {
      MicroPhase p = phaseOf(v);
      micro |= p == MicroPhase::PerMicroBatch;
      step |= p == MicroPhase::PerStep;
    }
    if (micro && step)
      return op.emitError("reads a value made once per micro-batch and one "
                          "made once per step (after a wse.accumulate); "
                          "which micro-batch's value it means is not "
                          "defined");
    if (auto acc = dyn_cast<AccumulateOp>(op)) {
      if (int64_t(acc.getMicroBatches()) != n)
        return op.emitError("accumulates over ")
               << acc.getMicroBatches() << " micro-batches in a function of "
               << n << " (" << kMicroBatchesAttr << ")";
      if (step)
        return op.emitError("accumulates a value made once per step");
    }
    if (isa<func::ReturnOp>(op)) {
      if (micro)
        return op.emitError("returns a value made once per micro-batch: "
                            "wse.accumulate it over the step");
      continue;
    }
    phases[&op] = micro ? MicroPhase::PerMicroBatch
                 : step ? MicroPhase::PerStep
                        : MicroPhase::Invariant;
  }
  return phases;
}

LogicalResult AccumulateOp::verify() {
  if (getMicroBatches() < 1)
    return emitOpError("micro_batches must be at least 1, got ")
           << getMicroBatches();
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  if (getValue().getType() != getType())
    return emitOpError("value type ")
           << getValue().getType() << " does not match result type "
           << getType();
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// ReshapeOp / BroadcastToOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType();
  auto out = getResult().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("cannot change the element type");
  if (in.getNumElements() != out.getNumElements())
    return emitOpError("cannot reshape ")
           << shapeStr(in.getShape()) << " (" << in.getNumElements()
           << " elements) to " << shapeStr(out.getShape()) << " ("
           << out.getNumElements() << " elements)";
  return success();
}

LogicalResult BroadcastToOp::verify() {
  auto in = getInput().getType().getShape();
  auto out = getResult().getType().getShape();
  SmallVector<int64_t> b;
  if (failed(broadcastShapes(in, out, b)) || ArrayRef<int64_t>(b) != out)
    return emitOpError("cannot broadcast ")
           << shapeStr(in) << " to " << shapeStr(out);
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult
MatmulOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                           MatmulOp::Adaptor adaptor,
                           SmallVectorImpl<Type> &inferred) {
  auto a = cast<RankedTensorType>(adaptor.getA().getType());
  auto b = cast<RankedTensorType>(adaptor.getB().getType());
  if (a.getRank() < 2 || b.getRank() < 2)
    return emitOptionalError(loc, "wse.matmul takes operands of rank 2 or "
                             "more, got ", shapeStr(a.getShape()), " and ",
                             shapeStr(b.getShape()));
  bool ta = flagOf(adaptor, adaptor.getTransposeAAttr(), "transpose_a");
  bool tb = flagOf(adaptor, adaptor.getTransposeBAttr(), "transpose_b");
  int64_t ra = a.getRank(), rb = b.getRank();
  int64_t m = a.getDimSize(ta ? ra - 1 : ra - 2);
  int64_t ka = a.getDimSize(ta ? ra - 2 : ra - 1);
  int64_t kb = b.getDimSize(tb ? rb - 1 : rb - 2);
  int64_t n = b.getDimSize(tb ? rb - 2 : rb - 1);
  if (ka != kb)
    return emitOptionalError(loc, "wse.matmul contraction sizes differ: ",
                             shapeStr(a.getShape()),
                             ta ? " (transposed)" : "", " x ",
                             shapeStr(b.getShape()), tb ? " (transposed)" : "");
  // Leading (batch) dims broadcast.
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(a.getShape().drop_back(2),
                             b.getShape().drop_back(2), shape)))
    return emitOptionalError(loc, "wse.matmul batch dims of ",
                             shapeStr(a.getShape()), " and ",
                             shapeStr(b.getShape()), " do not broadcast");
  shape.push_back(m);
  shape.push_back(n);
  if (Value bias = adaptor.getBias()) {
    auto c = cast<RankedTensorType>(bias.getType());
    SmallVector<int64_t> out;
    if (failed(broadcastShapes(c.getShape(), shape, out)) ||
        ArrayRef<int64_t>(out) != ArrayRef<int64_t>(shape))
      return emitOptionalError(loc, "wse.matmul bias ", shapeStr(c.getShape()),
                               " does not broadcast to the result ",
                               shapeStr(shape));
  }
  inferred.push_back(RankedTensorType::get(shape, Float32Type::get(ctx)));
  return success();
}

//===----------------------------------------------------------------------===//
// Broadcasting binary ops
//===----------------------------------------------------------------------===//

template <typename AdaptorT>
static LogicalResult inferBroadcast(MLIRContext *ctx,
                                    std::optional<Location> loc,
                                    AdaptorT adaptor, StringRef name,
                                    SmallVectorImpl<Type> &inferred,
                                    Type resultElement = {}) {
  auto l = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto r = cast<RankedTensorType>(adaptor.getRhs().getType());
  if (l.getElementType() != r.getElementType())
    return emitOptionalError(loc, "wse.", name, " operands have different "
                             "element types: ", l.getElementType(), " and ",
                             r.getElementType());
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(l.getShape(), r.getShape(), shape)))
    return emitOptionalError(loc, "wse.", name, " operands ",
                             shapeStr(l.getShape()), " and ",
                             shapeStr(r.getShape()), " do not broadcast");
  inferred.push_back(RankedTensorType::get(
      shape, resultElement ? resultElement : l.getElementType()));
  return success();
}

#define WSE_BROADCAST_INFER(OP, NAME, ELEMENT)                                 \
  LogicalResult OP::inferReturnTypes(MLIRContext *ctx,                         \
                                     std::optional<Location> loc,              \
                                     OP::Adaptor adaptor,                      \
                                     SmallVectorImpl<Type> &inferred) {        \
    return inferBroadcast(ctx, loc, adaptor, NAME, inferred, ELEMENT);         \
  }
WSE_BROADCAST_INFER(AddOp, "add", Type())
WSE_BROADCAST_INFER(SubOp, "sub", Type())
WSE_BROADCAST_INFER(MulOp, "mul", Type())
WSE_BROADCAST_INFER(DivOp, "div", Type())
WSE_BROADCAST_INFER(PowOp, "pow", Type())
WSE_BROADCAST_INFER(MaxOp, "max", Type())
WSE_BROADCAST_INFER(MinOp, "min", Type())
WSE_BROADCAST_INFER(EqualOp, "equal", IntegerType::get(ctx, 1))
WSE_BROADCAST_INFER(LessOp, "less", IntegerType::get(ctx, 1))
WSE_BROADCAST_INFER(LessEqualOp, "less_equal", IntegerType::get(ctx, 1))
WSE_BROADCAST_INFER(GreaterOp, "greater", IntegerType::get(ctx, 1))
WSE_BROADCAST_INFER(GreaterEqualOp, "greater_equal", IntegerType::get(ctx, 1))
WSE_BROADCAST_INFER(AndOp, "and", Type())
WSE_BROADCAST_INFER(OrOp, "or", Type())
WSE_BROADCAST_INFER(XorOp, "xor", Type())
#undef WSE_BROADCAST_INFER

//===----------------------------------------------------------------------===//
// ReduceSumOp
//===----------------------------------------------------------------------===//

template <typename AdaptorT>
static LogicalResult inferReduce(std::optional<Location> loc, AdaptorT adaptor,
                                 StringRef name,
                                 SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  DenseI64ArrayAttr axesAttr =
      opdetail::attrOf(adaptor, adaptor.getAxesAttr(), "axes");
  if (!axesAttr)
    return emitOptionalError(loc, "wse.", name, " needs axes");
  ArrayRef<int64_t> axes = axesAttr.asArrayRef();
  int64_t prev = -1;
  for (int64_t ax : axes) {
    if (ax < 0 || ax >= in.getRank())
      return emitOptionalError(loc, "wse.", name, " axis ", ax,
                               " is out of range for rank ", in.getRank());
    if (ax <= prev)
      return emitOptionalError(loc, "wse.", name,
                               " axes must be sorted and unique");
    prev = ax;
  }
  bool keep = flagOf(adaptor, adaptor.getKeepDimsAttr(), "keep_dims");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (!llvm::is_contained(axes, d))
      shape.push_back(in.getDimSize(d));
    else if (keep)
      shape.push_back(1);
  }
  inferred.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

#define WSE_REDUCE_INFER(OP, NAME)                                             \
  LogicalResult OP::inferReturnTypes(MLIRContext *ctx,                         \
                                     std::optional<Location> loc,              \
                                     OP::Adaptor adaptor,                      \
                                     SmallVectorImpl<Type> &inferred) {        \
    return inferReduce(loc, adaptor, NAME, inferred);                          \
  }
WSE_REDUCE_INFER(ReduceSumOp, "reduce_sum")
WSE_REDUCE_INFER(ReduceMeanOp, "reduce_mean")
WSE_REDUCE_INFER(ReduceMaxOp, "reduce_max")
WSE_REDUCE_INFER(ReduceMinOp, "reduce_min")
WSE_REDUCE_INFER(ReduceProdOp, "reduce_prod")
#undef WSE_REDUCE_INFER

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

static LogicalResult verifyLogitsLabels(std::optional<Location> loc,
                                        Type logitsT, Type labelsT,
                                        StringRef name) {
  auto logits = cast<RankedTensorType>(logitsT);
  auto labels = cast<RankedTensorType>(labelsT);
  if (logits.getRank() != 2)
    return emitOptionalError(loc, "wse.", name, " expects logits [N, C], got ",
                             shapeStr(logits.getShape()));
  if (labels.getRank() != 1 || labels.getDimSize(0) != logits.getDimSize(0))
    return emitOptionalError(loc, "wse.", name, " expects labels [",
                             logits.getDimSize(0), "], got ",
                             shapeStr(labels.getShape()));
  return success();
}

LogicalResult SoftmaxCrossEntropyOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc,
    SoftmaxCrossEntropyOp::Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  if (failed(verifyLogitsLabels(loc, adaptor.getLogits().getType(),
                                adaptor.getLabels().getType(),
                                "softmax_cross_entropy")))
    return failure();
  inferred.push_back(RankedTensorType::get({}, Float32Type::get(ctx)));
  return success();
}

LogicalResult SoftmaxCrossEntropyGradOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc,
    SoftmaxCrossEntropyGradOp::Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  if (failed(verifyLogitsLabels(loc, adaptor.getLogits().getType(),
                                adaptor.getLabels().getType(),
                                "softmax_cross_entropy_grad")))
    return failure();
  inferred.push_back(adaptor.getLogits().getType());
  return success();
}

LogicalResult MseOp::inferReturnTypes(MLIRContext *ctx,
                                      std::optional<Location> loc,
                                      MseOp::Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  if (adaptor.getPrediction().getType() != adaptor.getTarget().getType())
    return emitOptionalError(loc, "wse.mse expects prediction and target of ",
                             "the same type, got ",
                             adaptor.getPrediction().getType(), " and ",
                             adaptor.getTarget().getType());
  inferred.push_back(RankedTensorType::get({}, Float32Type::get(ctx)));
  return success();
}

#define GET_OP_CLASSES
#include "wse/WseOps.cpp.inc"
