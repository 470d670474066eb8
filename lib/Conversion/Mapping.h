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

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

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
};

/// One transfer that writes (part of) a data movement's result.
struct Movement {
  Value src;
  bool affine = false;           // else: row-major reshape
  SmallVector<int64_t, 4> coeffs; // src rank x dst rank
  SmallVector<int64_t, 4> offset; // src rank
  SmallVector<int64_t, 4> windowLo, windowSize; // empty: the whole result
};

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

/// The mapping of an op the mesh cannot honour, after `diag` was emitted.
inline OpMapping failedMapping(InFlightDiagnostic &&diag) {
  (void)diag;
  OpMapping m;
  m.kind = OpMapping::Failed;
  return m;
}

} // namespace mlir::wse::mesh

#endif
