//===- Mapping.h - how each wse op runs on a region of PEs ------*- C++ -*-===//
//
// The per-op half of the mesh mapping, kept beside the op families it
// describes (Mapping*.cpp): an op either becomes one kernel, an
// instruction of the pe instruction set over an iteration box whose dims
// the partitioner may split over the region's x and y axes, or a data
// movement, a set of transfers that build its result from its operands.
// Everything the op says (attributes, options) is either honoured here or
// an error naming it; nothing is dropped.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_LIB_CONVERSION_MAPPING_H
#define WSE_LIB_CONVERSION_MAPPING_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <functional>
#include <string>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace mlir::wse::mesh {

/// One kernel: `kernel` (a pe instruction) over an iteration box.
struct Kernel {
  std::string kernel;                 // map, gather, scatter_add, adamw, ...
  std::string fn;                     // map's elementwise function
  int64_t acc = 0;                    // map: 0 assign, 1 add, 2 max
  SmallVector<int64_t> iter;          // global extent of each box dim
  SmallVector<bool> reduction;        // a dim whose split leaves partial sums
  SmallVector<Value> outs, ins;       // the op's results and operands
  SmallVector<SmallVector<int64_t>> maps; // outs then ins: box dim per dim
  SmallVector<int64_t> ints;          // instruction fields before the box
  SmallVector<float> floats;
  /// How partial results along a split reduction dim combine: 1 add, 2 max.
  int64_t combine = 1;
  /// An optimizer update (sgd, sgd_momentum, adamw).
  bool isUpdate() const {
    return kernel == "sgd" || kernel == "sgd_momentum" || kernel == "adamw";
  }
  /// Sparse kernels (set by the partitioner, not by mappings): the mask
  /// whose kept entries the kernel runs over, and for each operand (outs
  /// then ins) whether it is stored as that mask's slots. An `spmap`
  /// iterates the slots of operand `pattern`; a sparse update runs over
  /// the slots of all its tensors.
  int64_t mask = -1;
  int64_t pattern = -1;
  SmallVector<bool> slots;
};

/// One transfer that writes (part of) a data movement's result.
struct Movement {
  Value src;
  bool affine = false;           // else: row-major reshape
  SmallVector<int64_t, 4> coeffs; // src rank x dst rank
  SmallVector<int64_t, 4> offset; // src rank
  SmallVector<int64_t, 4> windowLo, windowSize; // empty: the whole result
  // Affine only: the index the map reads is the window index renumbered
  // row-major into this shape (empty: the window index itself).
  SmallVector<int64_t, 4> reshape;
};

/// `outer` (whose indices run over `outerShape`: its window, or its
/// result) reading the result of `inner` (a movement writing its whole
/// result), as one movement from `inner`'s source, when that is an index
/// map a transfer can carry: affine maps compose, a reshape that only
/// splits dims is affine, two reshapes are one. std::nullopt otherwise (a
/// reshape merging dims after an affine map needs a division).
std::optional<Movement> composeMovements(const Movement &outer,
                                         ArrayRef<int64_t> outerShape,
                                         const Movement &inner);

/// What an op is on the mesh.
struct OpMapping {
  enum Kind { Compute, Move, Constant, Failed } kind = Compute;
  Kernel kernel;                  // Compute
  SmallVector<Movement, 2> moves; // Move, in order (later ones overwrite)
};

/// The mapping of `op`, or an error at its location naming what the mesh
/// cannot honour.
FailureOr<OpMapping> mapOp(Operation *op);

// Op families, each in its own file: std::nullopt for ops outside the
// family, a mapping of kind Failed after emitting an error.
std::optional<OpMapping> mapElementwise(Operation *op);
std::optional<OpMapping> mapStructured(Operation *op);
std::optional<OpMapping> mapMovement(Operation *op);

/// What the partitioner knows of values zero outside a static mask.
struct SparseFacts {
  /// The mask `v` is zero outside (and stored sparse for), or -1.
  std::function<int64_t(Value)> patternOf;
  /// The mask `v` is, as a 0/1 f32 constant, or -1.
  std::function<int64_t(Value)> maskConstOf;
};

/// Turns `k` (the mapping of `op`) into a kernel over a mask's kept
/// entries where that gives the same result (MappingSparse.cpp); false
/// leaves it dense.
bool sparsifyKernel(Operation *op, Kernel &k, const SparseFacts &f);

/// `v[lo:hi]` along `dim`, the other dims whole; `v` itself when that is
/// all of it (StreamChunks.cpp).
Value sliceDim(OpBuilder &b, Location loc, Value v, int64_t dim, int64_t lo,
               int64_t hi);

/// Weight streaming (StreamChunks.cpp): splits each 2-D product of `fn`
/// whose kernel on a w x h grid needs more than `limitBytes` per PE for its
/// operand tiles into products of slices (summed, and joined by concats),
/// and each row gather or scatter-add that does into chunks of its indices
/// (joined by a concat, or summed). Returns how many ops it split; an error
/// at an op no chunking of at most 1024 chunks fits.
FailureOr<int64_t> chunkForStreaming(func::FuncOp fn, int64_t w, int64_t h,
                                     int64_t limitBytes);

/// The mapping of an op the mesh cannot honour, after `diag` was emitted.
inline OpMapping failedMapping(InFlightDiagnostic &&diag) {
  (void)diag;
  OpMapping m;
  m.kind = OpMapping::Failed;
  return m;
}

} // namespace mlir::wse::mesh

#endif
