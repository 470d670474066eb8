//===- WseDialect.h - the wse graph dialect ---------------------*- C++ -*-===//
#ifndef WSE_WSEDIALECT_H
#define WSE_WSEDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "wse/WseDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "wse/WseAttrs.h.inc"
#include "wse/WseInterfaces.h.inc"

#define GET_OP_CLASSES
#include "wse/WseOps.h.inc"

#include <string>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace mlir::wse {

/// Attribute names shared by the importer, the train-step builder, the
/// partitioner and the simulators.
constexpr llvm::StringLiteral kParamAttr = "wse.param";
constexpr llvm::StringLiteral kInitAttr = "wse.init";
constexpr llvm::StringLiteral kLossAttr = "wse.loss";
/// A result the engines report each step under this name (e.g. a mixture of
/// experts' load); wse-make-train-step keeps it as a train-step result.
constexpr llvm::StringLiteral kMetricAttr = "wse.metric";
constexpr llvm::StringLiteral kInputAttr = "wse.input";
constexpr llvm::StringLiteral kStateAttr = "wse.state";
/// On an integer input: the values it may hold, [lo, hi) plus an optional
/// ignored value, as the ops reading it need (labels, token ids).
constexpr llvm::StringLiteral kRangeAttr = "wse.range";
/// On a parameter: its static sparsity mask, a dense i1 tensor of its shape
/// (true: trained, false: fixed at zero). Set by wse-sparsify.
constexpr llvm::StringLiteral kMaskAttr = "wse.mask";
/// On a parameter: it stacks these parameters along dim 0, one slice each
/// (wse-stack-experts); the engines read and write them under these names.
constexpr llvm::StringLiteral kParamPartsAttr = "wse.param_parts";
/// On the module: the activation recomputation policy wse-recompute applied
/// (the wafer program and wse-sim's report carry it).
constexpr llvm::StringLiteral kRecomputeAttr = "wse.recompute";
/// On a train step: how many micro-batches one step feeds it (gradient
/// accumulation, wse-make-train-step's micro-batches; see wse.accumulate).
constexpr llvm::StringLiteral kMicroBatchesAttr = "wse.micro_batches";
/// On an argument of such a step: it takes the step's batch in N slices
/// along dim 0, one per micro-batch.
constexpr llvm::StringLiteral kMicroBatchedAttr = "wse.micro_batched";
/// On the module after wse-partition: the names of the micro-batched
/// inputs (the wafer program marks their bindings).
constexpr llvm::StringLiteral kMicroBatchedInputsAttr =
    "wse.micro_batched_inputs";
/// On a fabric compute or transfer and a pe instruction: it runs in the
/// last micro-batch of a step only (the optimizer update after gradient
/// accumulation, and writing the step's results).
constexpr llvm::StringLiteral kOnceAttr = "once";

/// Erases the pure wse ops under `root` whose results nothing uses, until
/// none is left (what a raising pass leaves of the pattern it replaced).
void eraseDeadWseOps(Operation *root);

/// Where a diagnostic about a function argument (a parameter) points: its
/// first use in program order, else the argument itself. An imported
/// function declares every argument on its one (long) signature line; the
/// use is the layer it belongs to, on a line of its own.
Location argumentUseLoc(BlockArgument arg);

/// A rank-0 f32 or i64 constant; it broadcasts against any shape.
Value buildScalarConstant(OpBuilder &b, Location loc, float value);
Value buildScalarConstant(OpBuilder &b, Location loc, int64_t value);

/// Sets `wse.range` on every integer argument of `fn` that indexes a
/// gather or scatter_add or gives the labels of a loss: [0, size) of the
/// axis it indexes ([-size, size) for a gather from a table that is not a
/// parameter, as ONNX Gather wraps negative indices), plus the ignored label (INT64_MIN for labels of a loss
/// without an ignore index, so errors can point to the option). Where
/// several ops read it, the range all of them accept.
void annotateInputRanges(func::FuncOp fn);

/// The micro-batches one step of `fn` feeds it (1 unless marked).
int64_t microBatchesOf(func::FuncOp fn);

/// When a value of a micro-batched function is made: from arguments that
/// are not micro-batched and constants alone (the same in every
/// micro-batch), once per micro-batch, or once per step (from a
/// wse.accumulate).
enum class MicroPhase { Invariant = 0, PerMicroBatch = 1, PerStep = 2 };

/// The phase of every op's results in `fn`'s body (an accumulate's result
/// is PerStep, the accumulate itself runs per micro-batch). Fails, with an
/// error at the op, where an op reads values of both other phases, or a
/// result of the function is made per micro-batch.
FailureOr<DenseMap<Operation *, MicroPhase>> microBatchPhases(func::FuncOp fn);

/// The FLOPs `op` does by the graph's convention: 2 per multiply-add of a
/// product, one per element an arithmetic op makes (a reduction, one per
/// element it reads), compound ops (softmax, norms, attention, losses,
/// optimizer updates) as their primitives would, data movement none.
uint64_t arithmeticFlops(Operation *op);

/// The FLOPs of one call of `fn`: its ops' arithmeticFlops, those made per
/// micro-batch counted once per micro-batch.
uint64_t stepFlops(func::FuncOp fn);

/// NumPy broadcasting of two static shapes; fails if they are incompatible.
LogicalResult broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b,
                              SmallVectorImpl<int64_t> &out);

} // namespace mlir::wse



namespace mlir::wse {
class AttentionOp;

/// The primitive-op form of an attention op, built at the builder's
/// insertion point: the key/value heads repeated to the query heads, the
/// softmax probabilities [B, H, T, S], the scale, and the result.
struct AttentionParts {
  Value key, value, probs, result;
  float scale;
};
AttentionParts buildAttentionFromPrimitives(OpBuilder &b, AttentionOp op);

/// Rotary embedding from primitive ops; with `transposed`, the transpose of
/// the rotation (its gradient).
Value buildRopeFromPrimitives(OpBuilder &b, Location loc, Value x, float theta,
                              bool interleaved, bool transposed);
} // namespace mlir::wse
#endif
