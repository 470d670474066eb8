//===- InterpretShape.cpp - data movement in the reference interpreter ----===//
//
// reshape, broadcast_to, transpose, concat, slice, gather, insert_slice,
// scatter_add and cumsum.
//
//===----------------------------------------------------------------------===//
#include "InterpreterImpl.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::interp;

namespace {

LogicalResult transpose(Interp &in, TransposeOp t) {
  const HostTensor &x = in.get(t.getInput());
  Shape inStrides = stridesOf(x.shape), steps;
  for (int64_t p : t.getPerm())
    steps.push_back(inStrides[p]);
  Shape shape = shapeOf(t.getType());
  in.set(t.getResult(), stridedCopy(x, shape, steps, 0));
  return success();
}

LogicalResult concat(Interp &in, ConcatOp c) {
  int64_t axis = c.getAxis();
  Shape shape = shapeOf(c.getType());
  AxisView ov = axisView(shape, axis);
  HostTensor out = makeTensor(shape, elemOf(c.getType()));
  int64_t at = 0; // offset along the axis
  for (Value v : c.getInputs()) {
    const HostTensor &x = in.get(v);
    AxisView iv = axisView(x.shape, axis);
    int64_t chunk = iv.len * iv.inner;
    for (int64_t o = 0; o < ov.outer; ++o) {
      int64_t src = o * chunk, dst = (o * ov.len + at) * ov.inner;
      if (out.isInt)
        std::copy_n(x.i.begin() + src, chunk, out.i.begin() + dst);
      else
        std::copy_n(x.f.begin() + src, chunk, out.f.begin() + dst);
    }
    at += iv.len;
  }
  in.set(c.getResult(), std::move(out));
  return success();
}

LogicalResult slice(Interp &in, SliceOp s) {
  const HostTensor &x = in.get(s.getInput());
  Shape shape = shapeOf(s.getType());
  Shape inStrides = stridesOf(x.shape), steps(shape.size());
  ArrayRef<int64_t> start = s.getStart(), stride = s.getStride();
  int64_t base = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    steps[d] = stride[d] * inStrides[d];
    if (shape[d] > 0)
      base += start[d] * inStrides[d];
  }
  in.set(s.getResult(), stridedCopy(x, shape, steps, base));
  return success();
}

LogicalResult gather(Interp &in, GatherOp g) {
  const HostTensor &data = in.get(g.getData());
  const HostTensor &idx = in.get(g.getIndices());
  int64_t axis = g.getAxis();
  AxisView v = axisView(data.shape, axis);
  int64_t count = idx.numElements();
  std::vector<int64_t> pos(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    int64_t p = idx.i[k];
    if (p < -v.len || p >= v.len)
      return g.emitError("gather index ")
             << p << " is out of range for axis " << axis << " of size "
             << v.len;
    pos[k] = p < 0 ? p + v.len : p;
  }
  // Result [outer, count, inner].
  std::vector<int64_t> map;
  map.reserve(static_cast<size_t>(v.outer * count * v.inner));
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t k = 0; k < count; ++k)
      for (int64_t i = 0; i < v.inner; ++i)
        map.push_back((o * v.len + pos[k]) * v.inner + i);
  in.set(g.getResult(), gatherElements(data, shapeOf(g.getType()), map));
  return success();
}

LogicalResult insertSlice(Interp &in, InsertSliceOp op) {
  // Into the destination itself when this op reads it last.
  HostTensor out = in.take(op.getDest());
  const HostTensor &src = in.get(op.getSource());
  Shape destStrides = stridesOf(out.shape), steps(src.shape.size());
  ArrayRef<int64_t> start = op.getStart(), stride = op.getStride();
  int64_t base = 0;
  bool empty = src.numElements() == 0;
  for (size_t d = 0; d < src.shape.size(); ++d) {
    steps[d] = stride[d] * destStrides[d];
    if (!empty)
      base += start[d] * destStrides[d];
  }
  // Row by row of the source's last dim (one offset per row).
  size_t rank = src.shape.size();
  int64_t len = rank ? src.shape.back() : 1, step = rank ? steps.back() : 0;
  Shape outer(src.shape.begin(), src.shape.end() - (rank ? 1 : 0));
  Shape outerSteps(steps.begin(), steps.end() - (rank ? 1 : 0));
  std::vector<int64_t> rows = offsetMap(outer, outerSteps);
  for (size_t r = 0; r < rows.size() && len && !empty; ++r) {
    int64_t at = base + rows[r], from = int64_t(r) * len;
    for (int64_t j = 0; j < len; ++j) {
      if (out.isInt)
        out.i[at + j * step] = src.i[from + j];
      else
        out.f[at + j * step] = src.f[from + j];
    }
  }
  in.set(op.getResult(), std::move(out));
  return success();
}

LogicalResult scatterAdd(Interp &in, ScatterAddOp op) {
  HostTensor out = in.take(op.getDest());
  const HostTensor &idx = in.get(op.getIndices());
  const HostTensor &upd = in.get(op.getUpdates());
  int64_t axis = op.getAxis();
  AxisView v = axisView(out.shape, axis);
  int64_t count = idx.numElements();
  std::vector<int64_t> pos(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    int64_t p = idx.i[k];
    if (p < -v.len || p >= v.len)
      return op.emitError("scatter_add index ")
             << p << " is out of range for axis " << axis << " of size "
             << v.len;
    pos[k] = p < 0 ? p + v.len : p;
  }
  // updates is [outer, count, inner]; repeated indices accumulate in order.
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t k = 0; k < count; ++k)
      for (int64_t i = 0; i < v.inner; ++i)
        out.f[(o * v.len + pos[k]) * v.inner + i] +=
            upd.f[(o * count + k) * v.inner + i];
  in.set(op.getResult(), std::move(out));
  return success();
}

LogicalResult cumsum(Interp &in, CumsumOp c) {
  const HostTensor &x = in.get(c.getInput());
  Elem e = elemOf(c.getType());
  AxisView v = axisView(x.shape, c.getAxis());
  bool exclusive = c.getExclusive(), reverse = c.getReverse();
  HostTensor out = makeTensor(x.shape, e);
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i) {
      double accF = 0.0; // f32 sums run in double, rounded per element
      int64_t accI = 0;
      for (int64_t step = 0; step < v.len; ++step) {
        int64_t k = reverse ? v.len - 1 - step : step;
        int64_t at = (o * v.len + k) * v.inner + i;
        if (x.isInt) {
          if (!exclusive)
            accI = addWrap(accI, x.i[at]);
          out.i[at] = wrapInt(accI, e);
          if (exclusive)
            accI = addWrap(accI, x.i[at]);
        } else {
          if (!exclusive)
            accF += x.f[at];
          out.f[at] = Real(accF);
          if (exclusive)
            accF += x.f[at];
        }
      }
    }
  in.set(c.getResult(), std::move(out));
  return success();
}

} // namespace

Handled interp::interpretShapeOp(Interp &in, Operation *op) {
  return llvm::TypeSwitch<Operation *, Handled>(op)
      .Case<ReshapeOp>([&](ReshapeOp r) -> LogicalResult {
        HostTensor t = in.take(r.getInput());
        t.shape = shapeOf(r.getType());
        in.set(r.getResult(), std::move(t));
        return success();
      })
      .Case<BroadcastToOp>([&](BroadcastToOp b) -> LogicalResult {
        const HostTensor &x = in.get(b.getInput());
        Shape shape = shapeOf(b.getType());
        in.set(b.getResult(),
               gatherElements(x, shape, broadcastIndex(x.shape, shape)));
        return success();
      })
      .Case<TransposeOp>([&](TransposeOp o) { return transpose(in, o); })
      .Case<ConcatOp>([&](ConcatOp o) { return concat(in, o); })
      .Case<SliceOp>([&](SliceOp o) { return slice(in, o); })
      .Case<GatherOp>([&](GatherOp o) { return gather(in, o); })
      .Case<CumsumOp>([&](CumsumOp o) { return cumsum(in, o); })
      .Case<InsertSliceOp>([&](InsertSliceOp o) { return insertSlice(in, o); })
      .Case<ScatterAddOp>([&](ScatterAddOp o) { return scatterAdd(in, o); })
      .Default([](Operation *) -> Handled { return std::nullopt; });
}
