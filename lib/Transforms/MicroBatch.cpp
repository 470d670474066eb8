//===- MicroBatch.cpp - wse-micro-batch: a forward graph over 1/N of its batch
//===//
//
// Gradient accumulation: the forward function is rewritten to take one
// micro-batch (its batch dim divided by N); wse-make-train-step builds the
// step on that and wse.accumulate adds the loss and the gradients over the
// N micro-batches of a step. The batch is dim 0
// of every input that is not a parameter; this file follows it through
// the graph, op by op, and refuses an op that would mix the samples of a
// batch (a sum over it, a matrix product contracting it, a reshape that
// folds it into another dim), since then the micro-batches would not add
// up to the step.
//
//===----------------------------------------------------------------------===//
#include "wse/Transforms/Passes.h"
#include "wse/WseDialect.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::wse {
#define GEN_PASS_DEF_MICROBATCH
#include "wse/Transforms/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

struct Rebatch {
  func::FuncOp fn;
  int64_t n;
  DenseMap<Value, int64_t> dimOf; // the batch dim of each value that has one

  std::optional<int64_t> dim(Value v) const {
    auto it = dimOf.find(v);
    if (it == dimOf.end())
      return std::nullopt;
    return it->second;
  }

  InFlightDiagnostic refuse(Operation *op, const Twine &why) {
    return op->emitError() << "micro-batches=" << n << ": '" << op->getName()
                           << "' " << why;
  }

  /// The result's batch dim of a NumPy-broadcasting op: each batched
  /// operand's dim aligned to the result; other operands must be 1 there.
  FailureOr<int64_t> broadcasting(Operation *op) {
    int64_t rank = typeOf(op->getResult(0)).getRank();
    std::optional<int64_t> at;
    for (Value in : op->getOperands())
      if (auto d = dim(in)) {
        int64_t aligned = *d + rank - typeOf(in).getRank();
        if (at && *at != aligned)
          return refuse(op, "reads the batch along different dims");
        at = aligned;
      }
    for (Value in : op->getOperands()) {
      if (dim(in))
        continue;
      int64_t d = *at - (rank - typeOf(in).getRank());
      if (d >= 0 && typeOf(in).getDimSize(d) != 1)
        return refuse(op, "combines the batch with a value that has a "
                          "batch-sized dim but does not depend on the "
                          "inputs");
    }
    return *at;
  }

  /// The result's batch dim, or an error where the op mixes the batch.
  FailureOr<int64_t> resultDim(Operation *op) {
    auto onlyInput = [&]() -> std::optional<int64_t> {
      for (auto [i, in] : llvm::enumerate(op->getOperands()))
        if (i > 0 && dim(in))
          return std::nullopt;
      return dim(op->getOperand(0));
    };
    // The input's batch dim, and `axis` counted from the front; an error
    // where another operand carries the batch.
    auto inputAndAxis =
        [&](int64_t axis) -> FailureOr<std::pair<int64_t, int64_t>> {
      std::optional<int64_t> d = onlyInput();
      if (!d)
        return refuse(op, "takes the batch in an operand other than its "
                          "input");
      int64_t rank = typeOf(op->getOperand(0)).getRank();
      return std::make_pair(*d, axis < 0 ? axis + rank : axis);
    };
    auto normalizesFrom = [&](int64_t axis) -> FailureOr<int64_t> {
      auto da = inputAndAxis(axis);
      if (failed(da))
        return failure();
      if (da->first >= da->second)
        return refuse(op, "normalizes over the batch dim");
      return da->first;
    };
    auto alongAxis = [&](int64_t axis) -> FailureOr<int64_t> {
      auto da = inputAndAxis(axis);
      if (failed(da))
        return failure();
      if (da->first == da->second)
        return refuse(op, "works along the batch dim");
      return da->first;
    };
    return llvm::TypeSwitch<Operation *, FailureOr<int64_t>>(op)
        .Case<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, EqualOp, LessOp,
              LessEqualOp, GreaterOp, GreaterEqualOp, AndOp, OrOp, XorOp,
              SelectOp>([&](Operation *) { return broadcasting(op); })
        .Case<NegOp, AbsOp, SignOp, ExpOp, LogOp, SqrtOp, RsqrtOp, ReciprocalOp,
              TanhOp, ErfOp, SigmoidOp, SoftplusOp, SiluOp, SinOp, CosOp,
              FloorOp, CeilOp, GeluOp, LeakyReluOp, EluOp, ClampOp, ReluOp,
              CastOp, NotOp>([&](Operation *) -> FailureOr<int64_t> {
          return *dim(op->getOperand(0));
        })
        .Case<SoftmaxOp, LogSoftmaxOp>(
            [&](auto s) { return alongAxis(s.getAxis()); })
        .Case<CumsumOp>([&](CumsumOp s) { return alongAxis(s.getAxis()); })
        // Values and indices alike: the batch stays where it is.
        .Case<TopKOp>([&](TopKOp s) { return alongAxis(s.getAxis()); })
        .Case<LayerNormOp>(
            [&](LayerNormOp s) { return normalizesFrom(s.getAxis()); })
        .Case<RmsNormOp>(
            [&](RmsNormOp s) { return normalizesFrom(s.getAxis()); })
        .Case<RopeOp>([&](RopeOp r) -> FailureOr<int64_t> {
          // Positions run along dim -2, features along -1.
          int64_t rank = typeOf(r.getInput()).getRank();
          int64_t d = *dim(r.getInput());
          if (d >= rank - 2)
            return refuse(op, "takes positions or features along the batch");
          return d;
        })
        .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp,
              ReduceProdOp>([&](auto r) -> FailureOr<int64_t> {
          int64_t d = *dim(r.getInput());
          int64_t before = 0;
          for (int64_t a : r.getAxes()) {
            if (a == d)
              return refuse(op, "reduces over the batch");
            before += a < d;
          }
          return r.getKeepDims() ? d : d - before;
        })
        .Case<MatmulOp>([&](MatmulOp m) -> FailureOr<int64_t> {
          int64_t ra = typeOf(m.getA()).getRank();
          int64_t rb = typeOf(m.getB()).getRank();
          int64_t rank = typeOf(m.getResult()).getRank();
          if (m.getBias() && dim(m.getBias()))
            return refuse(op, "takes the batch in its bias");
          std::optional<int64_t> at;
          if (auto d = dim(m.getA())) {
            int64_t rows = m.getTransposeA() ? ra - 1 : ra - 2;
            if (*d == rows)
              at = rank - 2;
            else if (*d < ra - 2)
              at = *d + rank - ra;
            else
              return refuse(op, "contracts the batch dim");
          }
          if (auto d = dim(m.getB())) {
            int64_t cols = m.getTransposeB() ? rb - 2 : rb - 1;
            int64_t here;
            if (*d == cols)
              here = rank - 1;
            else if (*d < rb - 2)
              here = *d + rank - rb;
            else
              return refuse(op, "contracts the batch dim");
            if (at && *at != here)
              return refuse(op, "reads the batch along different dims");
            at = here;
          }
          return *at;
        })
        .Case<TransposeOp>([&](TransposeOp t) -> FailureOr<int64_t> {
          int64_t d = *dim(t.getInput());
          for (auto [i, p] : llvm::enumerate(t.getPerm()))
            if (p == d)
              return int64_t(i);
          return refuse(op, "has no dim for the batch");
        })
        .Case<ReshapeOp>([&](ReshapeOp r) -> FailureOr<int64_t> {
          // Row-major: a micro-batch is a contiguous stretch of the
          // tensor, so any reshape keeps it one, as long as the batch is
          // the outermost dim on both sides and the new outermost dim
          // splits into N equal stretches.
          if (*dim(r.getInput()) != 0 || typeOf(r.getResult()).getRank() == 0 ||
              typeOf(r.getResult()).getDimSize(0) % n != 0)
            return refuse(op, "moves the batch off the outermost dim");
          return 0;
        })
        .Case<SliceOp>([&](SliceOp s) -> FailureOr<int64_t> {
          int64_t d = *dim(s.getInput());
          if (s.getStart()[d] != 0 || s.getStride()[d] != 1 ||
              s.getLimit()[d] != typeOf(s.getInput()).getDimSize(d) * n)
            return refuse(op, "takes part of the batch");
          return d;
        })
        .Case<ConcatOp>([&](ConcatOp c) -> FailureOr<int64_t> {
          std::optional<int64_t> at;
          for (Value in : c.getInputs()) {
            std::optional<int64_t> d = dim(in);
            if (!d || (at && *at != *d))
              return refuse(op, "joins values with and without the batch");
            at = d;
          }
          if (int64_t(c.getAxis()) == *at)
            return refuse(op, "joins along the batch dim");
          return *at;
        })
        .Case<GatherOp>([&](GatherOp g) -> FailureOr<int64_t> {
          int64_t axis = g.getAxis();
          int64_t rankData = typeOf(g.getData()).getRank();
          if (axis < 0)
            axis += rankData;
          if (dim(g.getData()) && dim(g.getIndices()))
            return refuse(op, "takes the batch in both operands");
          if (auto d = dim(g.getIndices()))
            return axis + *d;
          int64_t d = *dim(g.getData());
          if (d == axis)
            return refuse(op, "indexes along the batch dim");
          return d < axis ? d : d + typeOf(g.getIndices()).getRank() - 1;
        })
        .Case<BroadcastToOp>([&](BroadcastToOp b) -> FailureOr<int64_t> {
          return *dim(b.getInput()) + typeOf(b.getResult()).getRank() -
                 typeOf(b.getInput()).getRank();
        })
        .Case<AttentionOp>([&](AttentionOp a) -> FailureOr<int64_t> {
          for (Value in : {a.getQuery(), a.getKey(), a.getValue()})
            if (dim(in) != std::optional<int64_t>(0))
              return refuse(op, "needs the batch as dim 0 of its query, "
                                "key and value");
          if (Value mask = a.getMask()) {
            auto d = dim(mask);
            auto t = typeOf(mask);
            if (d ? *d != t.getRank() - 4
                  : t.getRank() == 4 && t.getDimSize(0) != 1)
              return refuse(op, "has a mask whose dim 0 is not the batch");
          }
          return 0;
        })
        .Case<MoeRouteOp>([&](Operation *) {
          return refuse(op, "routes with a capacity per expert that depends "
                            "on the tokens of the whole batch");
        })
        .Default([&](Operation *) {
          return refuse(op, "has no rule for how it treats the batch "
                            "(micro-batching knows elementwise ops, norms, "
                            "softmax, reductions, matmul, attention and the "
                            "shape ops)");
        });
  }

  static RankedTensorType divided(RankedTensorType t, int64_t d, int64_t n) {
    SmallVector<int64_t> shape(t.getShape());
    shape[size_t(d)] /= n;
    return t.clone(shape);
  }

  LogicalResult run(SmallVectorImpl<unsigned> &batched) {
    Block &body = fn.getBody().front();
    std::optional<int64_t> batch;
    BlockArgument first;
    for (BlockArgument arg : body.getArguments()) {
      if (fn.getArgAttr(arg.getArgNumber(), kParamAttr))
        continue;
      auto t = typeOf(arg);
      if (t.getRank() == 0)
        continue;
      if (!batch) {
        batch = t.getDimSize(0);
        first = arg;
      }
      if (t.getDimSize(0) != *batch)
        return emitError(argumentUseLoc(arg))
               << "micro-batches=" << n << ": inputs split their batch along "
               << "dim 0, and this one's is " << t.getDimSize(0)
               << " where the first input's is " << *batch;
      if (*batch % n != 0)
        return emitError(argumentUseLoc(arg))
               << "micro-batches=" << n << " does not divide the batch of "
               << *batch;
      batched.push_back(arg.getArgNumber());
      dimOf[arg] = 0;
      arg.setType(divided(t, 0, n));
    }
    if (!batch)
      return fn.emitError() << "micro-batches=" << n
                            << ": the forward function has no input with a "
                               "batch (dim 0) to split";
    for (Operation &op : body.without_terminator()) {
      if (llvm::none_of(op.getOperands(),
                        [&](Value v) { return dimOf.count(v); }))
        continue;
      // (Every result of an op with several has the batch at that dim.)
      FailureOr<int64_t> d = resultDim(&op);
      if (failed(d))
        return failure();
      for (Value result : op.getResults()) {
        auto t = typeOf(result);
        if (*d < 0 || *d >= t.getRank() || t.getDimSize(*d) % n != 0)
          return refuse(&op, "has no batch dim that micro-batches divide");
      }
      if (auto s = dyn_cast<SliceOp>(op)) {
        SmallVector<int64_t> limit(s.getLimit());
        limit[size_t(*d)] /= n;
        s.setLimit(limit);
      }
      for (Value result : op.getResults()) {
        result.setType(divided(typeOf(result), *d, n));
        dimOf[result] = *d;
      }
    }
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    fn.setType(FunctionType::get(fn.getContext(), body.getArgumentTypes(),
                                 ret.getOperandTypes()));
    return success();
  }
};

struct MicroBatchPass : public mlir::wse::impl::MicroBatchBase<MicroBatchPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (microBatches < 1) {
      module.emitError() << "wse-micro-batch: micro-batches="
                         << int64_t(microBatches) << " must be at least 1";
      return signalPassFailure();
    }
    if (microBatches == 1)
      return;
    func::FuncOp fn;
    for (auto f : module.getOps<func::FuncOp>())
      if (funcName.empty() ? f.isPublic() : f.getSymName() == funcName) {
        if (fn) {
          module.emitError("wse-micro-batch: more than one public function; "
                           "name the forward function with func=<name>");
          return signalPassFailure();
        }
        fn = f;
      }
    if (!fn || fn.isExternal() || !fn.getBody().hasOneBlock()) {
      module.emitError("wse-micro-batch: no forward function with a body");
      return signalPassFailure();
    }
    if (fn->hasAttr(kMicroBatchesAttr)) {
      fn.emitError("wse-micro-batch: the function is micro-batched already");
      return signalPassFailure();
    }
    Rebatch r{fn, microBatches, DenseMap<Value, int64_t>()};
    SmallVector<unsigned> batched;
    if (failed(r.run(batched)))
      return signalPassFailure();
    OpBuilder b(fn);
    fn->setAttr(kMicroBatchesAttr, b.getI64IntegerAttr(microBatches));
    for (unsigned a : batched)
      fn.setArgAttr(a, kMicroBatchedAttr, b.getUnitAttr());
  }
};

} // namespace
