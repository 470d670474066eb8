// composeMovements (lib/Conversion/MappingMovement.cpp) folds a chain of
// two data movements into one index map. Checked against applying the two
// maps one after the other, index by index, on random chains of
// transposes, slices, broadcasts and reshapes (splitting or merging dims),
// some writing into a window.
#include "Mapping.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>

using namespace mlir;
using mlir::wse::mesh::composeMovements;
using mlir::wse::mesh::Movement;
using Index = std::vector<int64_t>;

namespace {

int64_t product(ArrayRef<int64_t> s) {
  return std::accumulate(s.begin(), s.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

Index unflatten(int64_t lin, ArrayRef<int64_t> shape) {
  Index out(shape.size());
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    out[d] = lin % shape[d];
    lin /= shape[d];
  }
  return out;
}

int64_t flatten(const Index &i, ArrayRef<int64_t> shape) {
  int64_t lin = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    lin = lin * shape[d] + i[d];
  return lin;
}

/// The source index `m` reads for result index `i` (inside its window),
/// as the transfer planner computes it.
Index apply(const Movement &m, const Index &i, ArrayRef<int64_t> result,
            ArrayRef<int64_t> src) {
  Index rel = i;
  Index window(result.begin(), result.end());
  if (!m.windowLo.empty())
    for (size_t d = 0; d < i.size(); ++d) {
      rel[d] -= m.windowLo[d];
      window[d] = m.windowSize[d];
    }
  if (!m.affine)
    return unflatten(flatten(rel, window), src);
  Index in =
      m.reshape.empty() ? rel : unflatten(flatten(rel, window), m.reshape);
  Index out(src.size());
  for (size_t j = 0; j < src.size(); ++j) {
    out[j] = m.offset[j];
    for (size_t k = 0; k < in.size(); ++k)
      out[j] += m.coeffs[j * in.size() + k] * in[k];
  }
  return out;
}

struct Chain {
  MLIRContext ctx;
  OwningOpRef<func::FuncOp> fn;
  Block *block;
  std::mt19937 rng{7};

  Chain() {
    ctx.loadDialect<func::FuncDialect>();
    OpBuilder b(&ctx);
    fn = func::FuncOp::create(b, UnknownLoc::get(&ctx), "f",
                              b.getFunctionType({}, {}));
    block = fn->addEntryBlock();
  }
  Value tensor(ArrayRef<int64_t> shape) {
    return block->addArgument(
        RankedTensorType::get(shape, Float32Type::get(&ctx)),
        UnknownLoc::get(&ctx));
  }
  int64_t pick(int64_t n) { return int64_t(rng() % uint64_t(n)); }

  /// A random movement reading `src` (shape `from`); sets `to`, the shape
  /// it produces.
  Movement random(Value src, const Index &from, Index &to) {
    Movement m;
    m.src = src;
    int64_t rank = int64_t(from.size());
    auto identityAffine = [&](const Index &out) {
      m.affine = true;
      m.coeffs.assign(rank * int64_t(out.size()), 0);
      m.offset.assign(rank, 0);
    };
    switch (pick(4)) {
    case 0: { // transpose
      Index perm(rank);
      std::iota(perm.begin(), perm.end(), 0);
      std::shuffle(perm.begin(), perm.end(), rng);
      to.resize(rank);
      for (int64_t k = 0; k < rank; ++k)
        to[k] = from[perm[k]];
      identityAffine(to);
      for (int64_t k = 0; k < rank; ++k)
        m.coeffs[perm[k] * rank + k] = 1;
      return m;
    }
    case 1: { // slice with a stride
      to = from;
      identityAffine(to);
      for (int64_t j = 0; j < rank; ++j) {
        int64_t stride = from[j] > 2 ? 1 + pick(2) : 1;
        int64_t start = pick(std::max<int64_t>(1, from[j] / 3));
        to[j] = std::max<int64_t>(1, (from[j] - start) / stride);
        m.coeffs[j * rank + j] = stride;
        m.offset[j] = start;
      }
      return m;
    }
    case 2: { // broadcast a new leading dim
      to = from;
      to.insert(to.begin(), 2 + pick(2));
      identityAffine(to);
      for (int64_t j = 0; j < rank; ++j)
        m.coeffs[j * (rank + 1) + j + 1] = 1;
      return m;
    }
    default: { // reshape: split a dim, or merge two neighbours
      to = from;
      int64_t d = pick(rank);
      if (rank > 1 && d + 1 < rank && pick(2)) {
        to[d] *= to[d + 1];
        to.erase(to.begin() + d + 1);
      } else {
        for (int64_t f : {2, 3, 5})
          if (to[d] % f == 0 && to[d] > f) {
            int64_t rest = to[d] / f;
            to[d] = f;
            to.insert(to.begin() + d + 1, rest);
            break;
          }
      }
      return m; // linear
    }
    }
  }
};

} // namespace

TEST(ComposeMovements, AgreesWithTheTwoMovesOneAfterTheOther) {
  Chain c;
  int composed = 0, reshaped = 0, windowed = 0;
  for (int trial = 0; trial < 400; ++trial) {
    Index src = {int64_t(2 + c.pick(4)), int64_t(6 + c.pick(7))};
    if (c.pick(2))
      src.push_back(4 + c.pick(3));
    Index mid, dst;
    Movement inner = c.random(c.tensor(src), src, mid);
    Value midValue = c.tensor(mid);
    Movement outer = c.random(midValue, mid, dst);
    // Sometimes the outer move writes into a window of a larger result
    // (a concat's part).
    Index result = dst;
    if (c.pick(3) == 0) {
      outer.windowLo.assign(dst.size(), 0);
      outer.windowSize.assign(dst.begin(), dst.end());
      outer.windowLo[0] = 1;
      result[0] += 2;
    }
    std::optional<Movement> m = composeMovements(outer, dst, inner);
    if (!m)
      continue;
    ++composed;
    reshaped += !m->reshape.empty();
    windowed += !m->windowLo.empty();
    EXPECT_EQ(m->src, inner.src);
    for (int64_t lin = 0; lin < product(dst); ++lin) {
      Index i = unflatten(lin, dst);
      if (!outer.windowLo.empty())
        for (size_t d = 0; d < i.size(); ++d)
          i[d] += outer.windowLo[d];
      Index want = apply(inner, apply(outer, i, result, mid), mid, src);
      Index got = apply(*m, i, result, src);
      ASSERT_EQ(got, want) << "trial " << trial << ", result index " << lin;
    }
  }
  // Every kind of fold happens: plain, through a reshape, into a window.
  EXPECT_GT(composed, 150);
  EXPECT_GT(reshaped, 10);
  EXPECT_GT(windowed, 10);
}
