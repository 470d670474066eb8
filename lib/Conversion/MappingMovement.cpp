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

/// A row-major reshape from `from` (the source's shape) to `to` (the
/// result's index space) as an affine map, when each source dim is a run
/// of consecutive result dims (the reshape only splits dims): source index
/// j is then the run's indices weighted by their row-major strides.
std::optional<Movement> reshapeAsAffine(Value src, ArrayRef<int64_t> from,
                                        ArrayRef<int64_t> to) {
  int64_t srcRank = int64_t(from.size()), dstRank = int64_t(to.size());
  Movement m;
  m.src = src;
  m.affine = true;
  m.coeffs.assign(srcRank * dstRank, 0);
  m.offset.assign(srcRank, 0);
  int64_t k = 0;
  for (int64_t j = 0; j < srcRank; ++j) {
    if (from[j] == 1)
      continue;
    // The run of result dims (past size-1 ones) whose product is from[j].
    while (k < dstRank && to[k] == 1)
      ++k;
    int64_t begin = k, prod = 1;
    while (k < dstRank && prod < from[j])
      prod *= to[k++];
    if (prod != from[j])
      return std::nullopt;
    int64_t stride = 1;
    for (int64_t d = k - 1; d >= begin; --d) {
      m.coeffs[j * dstRank + d] = stride;
      stride *= to[d];
    }
  }
  return m;
}

} // namespace

std::optional<Movement> mesh::composeMovements(const Movement &outer,
                                               ArrayRef<int64_t> outerShape,
                                               const Movement &inner) {
  if (!inner.windowLo.empty())
    return std::nullopt;
  std::vector<int64_t> mid = typeOf(outer.src).getShape().vec();
  std::vector<int64_t> src = typeOf(inner.src).getShape().vec();
  // A reshape outside: the window index's row-major number is the number
  // of the element of the middle tensor that the inner map reads, so the
  // inner map reads the window renumbered into the middle shape (or into
  // its own reshape, which renumbers the same number again).
  if (!outer.affine) {
    Movement m = inner;
    m.windowLo = outer.windowLo;
    m.windowSize = outer.windowSize;
    if (inner.affine && inner.reshape.empty() &&
        ArrayRef<int64_t>(mid) != outerShape)
      m.reshape.assign(mid.begin(), mid.end());
    return m;
  }
  // An affine map outside that hands its index over unchanged (a window
  // of a concat of the same shape): the inner map reads the window.
  int64_t midRank = int64_t(mid.size());
  bool identity = outer.reshape.empty() && outerShape == ArrayRef(mid) &&
                  llvm::all_of(outer.offset, [](int64_t o) { return o == 0; });
  for (int64_t j = 0; identity && j < midRank; ++j)
    for (int64_t k = 0; k < midRank; ++k)
      identity &= outer.coeffs[j * midRank + k] == (j == k ? 1 : 0);
  if (identity) {
    Movement m = inner;
    m.windowLo = outer.windowLo;
    m.windowSize = outer.windowSize;
    return m;
  }
  // Otherwise both must be affine over the middle index: a reshape that
  // only splits dims is, and so is a renumbering into coarser dims.
  std::optional<Movement> i;
  if (!inner.affine)
    i = reshapeAsAffine(inner.src, src, mid);
  else if (inner.reshape.empty())
    i = inner;
  else if (std::optional<Movement> r =
               reshapeAsAffine(inner.src, inner.reshape, mid)) {
    // The reshape as an affine map from the middle index, then the map.
    int64_t rRank = int64_t(inner.reshape.size());
    int64_t srcRank = int64_t(src.size());
    i = inner;
    i->reshape.clear();
    i->coeffs.assign(srcRank * midRank, 0);
    for (int64_t j = 0; j < srcRank; ++j)
      for (int64_t l = 0; l < rRank; ++l)
        for (int64_t k = 0; k < midRank; ++k)
          i->coeffs[j * midRank + k] +=
              inner.coeffs[j * rRank + l] * r->coeffs[l * midRank + k];
  }
  if (!i)
    return std::nullopt;
  // src = i.offset + I (o.offset + O x) = (i.offset + I o.offset) + (I O) x.
  int64_t srcRank = int64_t(src.size());
  int64_t dstRank = outer.reshape.empty() ? int64_t(outerShape.size())
                                          : int64_t(outer.reshape.size());
  Movement m;
  m.src = inner.src;
  m.affine = true;
  m.windowLo = outer.windowLo;
  m.windowSize = outer.windowSize;
  m.reshape = outer.reshape;
  m.coeffs.assign(srcRank * dstRank, 0);
  m.offset.assign(i->offset.begin(), i->offset.end());
  for (int64_t j = 0; j < srcRank; ++j)
    for (int64_t l = 0; l < midRank; ++l) {
      int64_t c = i->coeffs[j * midRank + l];
      if (c == 0)
        continue;
      m.offset[j] += c * outer.offset[l];
      for (int64_t k = 0; k < dstRank; ++k)
        m.coeffs[j * dstRank + k] += c * outer.coeffs[l * dstRank + k];
    }
  return m;
}

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
