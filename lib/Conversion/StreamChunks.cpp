//===- StreamChunks.cpp - split products too large to stream at once ------===//
//
// Weight streaming keeps a layer's weights in SRAM only while a kernel
// reads them, but a whole weight matrix (or its gradient) may still be
// more than the mesh holds, and so may the activation tiles a product of
// a large batch needs. Such a product is split in time: into chunks of its
// box (its leading batch dim, rows and columns of its result, and the
// sum), each a product of slices of its operands; chunks of the sum are
// added in order, chunks of the result joined by concats. The fewest
// chunks whose kernel fits wins, columns and sums before rows (a row chunk
// streams the other operand again; so does a batch chunk of a product
// with a broadcast weight). Splitting the sum changes its order of
// additions: the mesh adds partial sums of split reductions already. The
// partitioner streams each slice in on its own and puts each chunk in its
// window of the join as soon as it is computed (in host memory where the
// join is a gradient the host updates), so no more than one chunk's
// weights and result sit in SRAM besides the join.
//
//===----------------------------------------------------------------------===//
#include "Mapping.h"

#include "wse/WseDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::wse;

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// `v[..., lo0:hi0, lo1:hi1]`: a window of the last two dims, the batch
/// dims whole (the whole of it: `v`).
Value sliceLast2(OpBuilder &b, Location loc, Value v, int64_t lo0, int64_t hi0,
                 int64_t lo1, int64_t hi1) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t r = type.getRank();
  if (lo0 == 0 && lo1 == 0 && hi0 == type.getDimSize(r - 2) &&
      hi1 == type.getDimSize(r - 1))
    return v;
  SmallVector<int64_t> shape(type.getShape()), start(r, 0), limit(shape),
      stride(r, 1);
  start[r - 2] = lo0;
  start[r - 1] = lo1;
  limit[r - 2] = hi0;
  limit[r - 1] = hi1;
  shape[r - 2] = hi0 - lo0;
  shape[r - 1] = hi1 - lo1;
  return SliceOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v,
      b.getDenseI64ArrayAttr(start), b.getDenseI64ArrayAttr(limit),
      b.getDenseI64ArrayAttr(stride));
}

/// A product's box: C [b0, rest, M, N] += A [batch?, M, K] B [batch?, K, N],
/// where the batch dims are the leading one (which chunks may split) and
/// the product of the others (the partitioner splits one dim per mesh
/// axis, so the two are separate box dims).
struct ProductBox {
  int64_t b0 = 1, rest = 1, m = 1, n = 1, k = 1;
  bool aBatched = false, bBatched = false; // broadcast operands are not
};

/// The fewest bytes per PE over the splits the partitioner tries (two of
/// the box dims `ext` over the grid's axes, or fewer): `bytes` of the
/// extents each PE's tile has under a split.
int64_t leastTileBytes(ArrayRef<int64_t> ext, int64_t w, int64_t h,
                       llvm::function_ref<int64_t(ArrayRef<int64_t>)> bytes) {
  int rank = int(ext.size());
  SmallVector<int64_t, 4> l(ext.size());
  int64_t best = -1;
  for (int dx = -1; dx < rank; ++dx)
    for (int dy = -1; dy < rank; ++dy) {
      if (dx == dy && dx >= 0)
        continue;
      for (int d = 0; d < rank; ++d)
        l[d] = d == dx   ? ceilDiv(ext[d], w)
               : d == dy ? ceilDiv(ext[d], h)
                         : ext[d];
      int64_t b = bytes(l);
      if (best < 0 || b < best)
        best = b;
    }
  return best;
}

/// The fewest bytes per PE a kernel over `p` needs for its three operand
/// tiles (the batch dims count as one box dim here).
int64_t productTileBytes(const ProductBox &p, int64_t w, int64_t h) {
  return leastTileBytes({p.b0, p.rest, p.m, p.n, p.k}, w, h,
                        [&](ArrayRef<int64_t> l) {
                          int64_t batch = l[0] * l[1];
                          int64_t a = (p.aBatched ? batch : 1) * l[2] * l[4];
                          int64_t b = (p.bBatched ? batch : 1) * l[4] * l[3];
                          return 4 * (a + b + batch * l[2] * l[3]);
                        });
}

struct Chunking {
  int64_t b0 = 1, m = 1, n = 1, k = 1; // chunks along each box dim
};

/// The most chunks one product may take: beyond it, the step's program
/// would grow with the layer rather than with the mesh.
constexpr int64_t kMaxChunks = 1024;

/// The chunking of a product with the fewest chunks (at most kMaxChunks)
/// whose kernels fit `limit` bytes per PE, or nullopt if none does (the
/// batch dims stay whole). Among equals it prefers splitting the result's
/// columns, then the sum (k), then the rows: rows re-stream the whole
/// other operand per chunk.
std::optional<Chunking> chooseChunking(const ProductBox &p, int64_t w,
                                       int64_t h, int64_t limit) {
  std::optional<Chunking> best;
  int64_t bestCount = 0, bestRank = 0;
  for (int64_t cb = 1; cb <= p.b0 && cb <= kMaxChunks; cb *= 2)
    for (int64_t cm = 1; cm <= p.m && cb * cm <= kMaxChunks; cm *= 2)
      for (int64_t cn = 1; cn <= p.n && cb * cm * cn <= kMaxChunks; cn *= 2)
        for (int64_t ck = 1; ck <= p.k && cb * cm * cn * ck <= kMaxChunks;
             ck *= 2) {
          ProductBox c = p;
          c.b0 = ceilDiv(p.b0, cb);
          c.m = ceilDiv(p.m, cm);
          c.n = ceilDiv(p.n, cn);
          c.k = ceilDiv(p.k, ck);
          if (productTileBytes(c, w, h) > limit)
            continue;
          int64_t count = cb * cm * cn * ck;
          // Fewer row chunks first; batch chunks re-stream B only when it
          // is broadcast (a weight), and then count as rows.
          int64_t rank = (cm * (p.bBatched ? 1 : cb)) * 1000000 + ck * 1000 +
                         (p.bBatched ? cb : 0);
          if (!best || count < bestCount ||
              (count == bestCount && rank < bestRank)) {
            best = Chunking{cb, cm, cn, ck};
            bestCount = count;
            bestRank = rank;
          }
        }
  return best;
}

/// The least bytes per PE the operand tiles of a row gather or scatter
/// (table [V, D], indices [N], rows [N, D]) need on a w x h grid.
int64_t rowOpTileBytes(int64_t v, int64_t d, int64_t n, int64_t w, int64_t h) {
  return leastTileBytes({v, d, n}, w, h, [](ArrayRef<int64_t> l) {
    return 4 * (l[0] * l[1] + l[2] + l[2] * l[1]);
  });
}

/// Row gathers (embedding lookups) and scatter-adds (their gradients) whose
/// rows need more than `limitBytes` per PE run in chunks of their indices:
/// a gather's chunks are joined by a concat, a scatter's (each into zeros)
/// added in order. Returns how many ops it split.
FailureOr<int64_t> chunkRowOps(func::FuncOp fn, int64_t w, int64_t h,
                               int64_t limitBytes) {
  SmallVector<Operation *> ops;
  fn.walk([&](Operation *op) {
    if (auto g = dyn_cast<GatherOp>(op);
        g && g.getAxis() == 0 && g.getData().getType().getRank() == 2 &&
        g.getIndices().getType().getRank() == 1)
      ops.push_back(op);
    if (auto s = dyn_cast<ScatterAddOp>(op);
        s && s.getAxis() == 0 && s.getDest().getType().getRank() == 2 &&
        s.getIndices().getType().getRank() == 1 &&
        s.getDest().getDefiningOp<ConstantOp>())
      ops.push_back(op);
  });
  int64_t split = 0;
  for (Operation *op : ops) {
    auto g = dyn_cast<GatherOp>(op);
    auto sc = dyn_cast<ScatterAddOp>(op);
    auto table = cast<RankedTensorType>(g ? g.getData().getType()
                                          : sc.getDest().getType());
    Value idx = g ? g.getIndices() : sc.getIndices();
    int64_t v = table.getDimSize(0), d = table.getDimSize(1);
    int64_t n = cast<RankedTensorType>(idx.getType()).getDimSize(0);
    if (rowOpTileBytes(v, d, n, w, h) <= limitBytes)
      continue;
    int64_t chunks = 2;
    while (chunks <= std::min(n, kMaxChunks) &&
           rowOpTileBytes(v, d, ceilDiv(n, chunks), w, h) > limitBytes)
      ++chunks;
    if (chunks > std::min(n, kMaxChunks))
      return op->emitError("does not fit even streamed: in ")
             << std::min(n, kMaxChunks) << " chunks of its indices or "
             << "fewer, a kernel of this row " << (g ? "gather" : "scatter")
             << " still needs more than " << limitBytes
             << " bytes per PE for its operand tiles (a "
             << "quarter of a PE's data SRAM) on the " << w << "x" << h
             << " mesh. A larger mesh (mesh=WxH) or a smaller batch would "
             << "make it fit";
    int64_t step = ceilDiv(n, chunks);
    OpBuilder b(op);
    Location loc = op->getLoc();
    SmallVector<Value> parts;
    Value acc;
    for (int64_t n0 = 0; n0 < n; n0 += step) {
      int64_t n1 = std::min(n, n0 + step);
      Value ids = mesh::sliceDim(b, loc, idx, 0, n0, n1);
      if (g) {
        parts.push_back(
            GatherOp::create(b, loc, g.getData(), ids, g.getAxisAttr()));
        continue;
      }
      Value part = ScatterAddOp::create(
          b, loc, sc.getDest(), ids,
          mesh::sliceDim(b, loc, sc.getUpdates(), 0, n0, n1), sc.getAxisAttr());
      acc = acc ? Value(AddOp::create(b, loc, acc, part)) : part;
    }
    Value joined =
        g ? Value(ConcatOp::create(b, loc, parts, b.getI64IntegerAttr(0)))
          : acc;
    op->getResult(0).replaceAllUsesWith(joined);
    op->erase();
    ++split;
  }
  return split;
}

} // namespace

Value mlir::wse::mesh::sliceDim(OpBuilder &b, Location loc, Value v,
                                int64_t dim, int64_t lo, int64_t hi) {
  auto type = cast<RankedTensorType>(v.getType());
  if (lo == 0 && hi == type.getDimSize(dim))
    return v;
  SmallVector<int64_t> shape(type.getShape()), start(type.getRank(), 0),
      limit(shape), stride(type.getRank(), 1);
  start[dim] = lo;
  limit[dim] = hi;
  shape[dim] = hi - lo;
  return SliceOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v,
      b.getDenseI64ArrayAttr(start), b.getDenseI64ArrayAttr(limit),
      b.getDenseI64ArrayAttr(stride));
}

FailureOr<int64_t> mlir::wse::mesh::chunkForStreaming(func::FuncOp fn,
                                                      int64_t w, int64_t h,
                                                      int64_t limitBytes) {
  SmallVector<MatmulOp> products;
  fn.walk([&](MatmulOp mm) {
    if (!mm.getBias() && mm.getAlpha().convertToFloat() == 1.0f &&
        cast<RankedTensorType>(mm.getA().getType()).getRank() >= 2 &&
        cast<RankedTensorType>(mm.getB().getType()).getRank() >= 2)
      products.push_back(mm);
  });
  int64_t split = 0;
  for (MatmulOp mm : products) {
    // C [..., M, N] = op(A) [..., M, K] op(B) [..., K, N]: the batch dims
    // stay whole in every chunk.
    auto cType = cast<RankedTensorType>(mm.getType());
    auto aType = cast<RankedTensorType>(mm.getA().getType());
    auto bType = cast<RankedTensorType>(mm.getB().getType());
    int64_t r = cType.getRank();
    ProductBox box;
    box.m = cType.getDimSize(r - 2);
    box.n = cType.getDimSize(r - 1);
    box.k = aType.getDimSize(aType.getRank() - (mm.getTransposeA() ? 2 : 1));
    int64_t batch =
        cType.getNumElements() / std::max<int64_t>(1, box.m * box.n);
    box.b0 = r > 2 ? cType.getDimSize(0) : 1;
    box.rest = batch / std::max<int64_t>(1, box.b0);
    box.aBatched = aType.getRank() > 2;
    box.bBatched = bType.getRank() > 2;
    // An operand is sliced along the leading batch dim where it has it
    // (not broadcast over it).
    auto hasB0 = [&](RankedTensorType t) {
      return r > 2 && t.getRank() == r && t.getDimSize(0) == box.b0;
    };
    bool sliceA = hasB0(aType), sliceB = hasB0(bType);
    if (!sliceA && !sliceB) {
      box.rest *= box.b0;
      box.b0 = 1;
    }
    int64_t m = box.m, n = box.n, k = box.k;
    if (productTileBytes(box, w, h) <= limitBytes)
      continue;
    std::optional<Chunking> c = chooseChunking(box, w, h, limitBytes);
    if (!c)
      return mm.emitError("does not fit even streamed: in ")
             << kMaxChunks << " chunks or fewer, a kernel of this product "
             << "still needs more than " << limitBytes
             << " bytes per PE for its operand tiles (a quarter of a PE's "
             << "data SRAM) on the " << w << "x" << h
             << " mesh. A larger mesh (mesh=WxH) or a smaller batch would "
             << "make it fit";
    int64_t sm = ceilDiv(m, c->m), sn = ceilDiv(n, c->n), sk = ceilDiv(k, c->k);
    int64_t sb = ceilDiv(box.b0, c->b0);
    OpBuilder b(mm);
    Location loc = mm.getLoc();
    bool ta = mm.getTransposeA(), tb = mm.getTransposeB();
    SmallVector<Value> batches;
    for (int64_t b0 = 0; b0 < box.b0; b0 += sb) {
      int64_t b1 = std::min(box.b0, b0 + sb);
      Value opA =
          sliceA ? mesh::sliceDim(b, loc, mm.getA(), 0, b0, b1) : mm.getA();
      Value opB =
          sliceB ? mesh::sliceDim(b, loc, mm.getB(), 0, b0, b1) : mm.getB();
      SmallVector<Value> rows;
      for (int64_t m0 = 0; m0 < m; m0 += sm) {
        int64_t m1 = std::min(m, m0 + sm);
        SmallVector<Value> cols;
        for (int64_t n0 = 0; n0 < n; n0 += sn) {
          int64_t n1 = std::min(n, n0 + sn);
          // A sum split in time adds its chunks in order.
          Value acc;
          for (int64_t k0 = 0; k0 < k; k0 += sk) {
            int64_t k1 = std::min(k, k0 + sk);
            Value a = ta ? sliceLast2(b, loc, opA, k0, k1, m0, m1)
                         : sliceLast2(b, loc, opA, m0, m1, k0, k1);
            Value bv = tb ? sliceLast2(b, loc, opB, n0, n1, k0, k1)
                          : sliceLast2(b, loc, opB, k0, k1, n0, n1);
            Value part = MatmulOp::create(
                b, loc, a, bv, Value(), mm.getTransposeAAttr(),
                mm.getTransposeBAttr(), mm.getAlphaAttr(), mm.getBetaAttr());
            acc = acc ? Value(AddOp::create(b, loc, acc, part)) : part;
          }
          cols.push_back(acc);
        }
        rows.push_back(cols.size() == 1
                           ? cols.front()
                           : Value(ConcatOp::create(
                                 b, loc, cols, b.getI64IntegerAttr(r - 1))));
      }
      batches.push_back(rows.size() == 1
                            ? rows.front()
                            : Value(ConcatOp::create(
                                  b, loc, rows, b.getI64IntegerAttr(r - 2))));
    }
    Value joined =
        batches.size() == 1
            ? batches.front()
            : Value(ConcatOp::create(b, loc, batches, b.getI64IntegerAttr(0)));
    mm.replaceAllUsesWith(joined);
    mm.erase();
    ++split;
  }
  FailureOr<int64_t> rows = chunkRowOps(fn, w, h, limitBytes);
  if (failed(rows))
    return failure();
  return split + *rows;
}
