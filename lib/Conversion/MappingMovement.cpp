//===- MappingMovement.cpp - shape ops as transfers -----------------------===//
//
// reshape, transpose, broadcast_to, slice, concat and insert_slice move
// data and compute nothing: each becomes transfers whose index map takes a
// result index to its source index (row-major for reshapes, affine for the
// rest). The partitioner fuses them with the relayout their consumer
// needs, so a transpose feeding a matmul is one transfer, not two.
//
//===----------------------------------------------------------------------===//
#include "Mapping.h"

#include "wse/WseDialect.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::mesh;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// An affine movement src[j] = offset[j] + sum_k coeffs[j][k] * dst[k].
Movement affine(Value src, int64_t dstRank) {
  Movement m;
  m.src = src;
  m.affine = true;
  int64_t srcRank = typeOf(src).getRank();
  m.coeffs.assign(srcRank * dstRank, 0);
  m.offset.assign(srcRank, 0);
  return m;
}

OpMapping moves(SmallVector<Movement> list) {
  OpMapping m;
  m.kind = OpMapping::Move;
  m.moves = std::move(list);
  return m;
}

} // namespace

std::optional<OpMapping> mesh::mapMovement(Operation *op) {
  using R = std::optional<OpMapping>;
  return llvm::TypeSwitch<Operation *, R>(op)
      .Case<ReshapeOp>([](ReshapeOp r) -> R {
        Movement m;
        m.src = r.getInput();
        return OpMapping(moves({m}));
      })
      .Case<TransposeOp>([](TransposeOp t) -> R {
        int64_t rank = typeOf(t.getResult()).getRank();
        Movement m = affine(t.getInput(), rank);
        // Result dim k is input dim perm[k].
        for (int64_t k = 0; k < rank; ++k)
          m.coeffs[t.getPerm()[k] * rank + k] = 1;
        return OpMapping(moves({m}));
      })
      .Case<BroadcastToOp>([](BroadcastToOp b) -> R {
        auto in = typeOf(b.getInput());
        int64_t rank = typeOf(b.getResult()).getRank();
        int64_t lead = rank - in.getRank();
        Movement m = affine(b.getInput(), rank);
        for (int64_t j = 0; j < in.getRank(); ++j)
          if (in.getDimSize(j) != 1)
            m.coeffs[j * rank + lead + j] = 1;
        return OpMapping(moves({m}));
      })
      .Case<SliceOp>([](SliceOp s) -> R {
        int64_t rank = typeOf(s.getResult()).getRank();
        Movement m = affine(s.getInput(), rank);
        for (int64_t j = 0; j < rank; ++j) {
          m.coeffs[j * rank + j] = s.getStride()[j];
          m.offset[j] = s.getStart()[j];
        }
        return OpMapping(moves({m}));
      })
      .Case<ConcatOp>([](ConcatOp c) -> R {
        auto out = typeOf(c.getResult());
        int64_t rank = out.getRank(), axis = c.getAxis();
        SmallVector<Movement> list;
        int64_t at = 0;
        for (Value in : c.getInputs()) {
          Movement m = affine(in, rank);
          for (int64_t j = 0; j < rank; ++j)
            m.coeffs[j * rank + j] = 1;
          m.windowLo.assign(rank, 0);
          m.windowSize.assign(out.getShape().begin(), out.getShape().end());
          m.windowLo[axis] = at;
          m.windowSize[axis] = typeOf(in).getDimSize(axis);
          at += m.windowSize[axis];
          list.push_back(m);
        }
        return OpMapping(moves(list));
      })
      .Case<InsertSliceOp>([](InsertSliceOp s) -> R {
        auto out = typeOf(s.getResult());
        int64_t rank = out.getRank();
        for (int64_t st : s.getStride())
          if (st != 1)
            return failedMapping(s.emitError(
                "the mesh inserts contiguous windows only; this "
                "insert_slice has a stride other than 1"));
        Movement dest = affine(s.getDest(), rank);
        Movement src = affine(s.getSource(), rank);
        for (int64_t j = 0; j < rank; ++j) {
          dest.coeffs[j * rank + j] = 1;
          src.coeffs[j * rank + j] = 1;
        }
        auto st = typeOf(s.getSource());
        src.windowLo.assign(s.getStart().begin(), s.getStart().end());
        src.windowSize.assign(st.getShape().begin(), st.getShape().end());
        return OpMapping(moves({dest, src}));
      })
      .Default([](Operation *) -> R { return std::nullopt; });
}

FailureOr<OpMapping> mesh::mapOp(Operation *op) {
  if (isa<ConstantOp>(op)) {
    OpMapping m;
    m.kind = OpMapping::Constant;
    return m;
  }
  for (auto family : {mapMovement, mapStructured, mapElementwise})
    if (std::optional<OpMapping> m = family(op)) {
      if (m->kind == OpMapping::Failed)
        return failure();
      return *m;
    }
  return op->emitError("'")
         << op->getName()
         << "' has no mesh mapping: the mesh maps elementwise ops, "
            "reductions (sum, max), contractions, shape ops, row gathers and "
            "scatter-adds and optimizer updates; run wse-decompose-for-mesh "
            "for composites, or train on the reference engine";
}
