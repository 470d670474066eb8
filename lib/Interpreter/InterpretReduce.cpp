//===- InterpretReduce.cpp - reductions of the reference interpreter ------===//
//
// reduce_{sum,mean,max,min,prod} over a set of axes, and argmax/argmin along
// one. f32 sums and products accumulate in double and round once. Over an
// empty set, sum is 0, prod 1, max -inf (the type's minimum for integers),
// min +inf (the maximum), mean NaN, as ONNX specifies.
//
//===----------------------------------------------------------------------===//
#include "InterpreterImpl.h"

#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::interp;

namespace {

enum class Reduce { Sum, Mean, Max, Min, Prod };

LogicalResult reduce(Interp &in, Operation *op, ArrayRef<int64_t> axes,
                     Reduce kind) {
  const HostTensor &x = in.get(op->getOperand(0));
  Type resultType = op->getResult(0).getType();
  Elem e = elemOf(resultType);
  // The result with the reduced dims kept as 1, and for every input element
  // the output element it folds into.
  Shape kept = x.shape;
  int64_t count = 1;
  for (int64_t ax : axes) {
    count *= kept[ax];
    kept[ax] = 1;
  }
  Shape keptStrides = stridesOf(kept), steps(kept.size(), 0);
  for (size_t d = 0; d < kept.size(); ++d)
    if (!llvm::is_contained(axes, int64_t(d)))
      steps[d] = keptStrides[d];
  int64_t n = numElementsOf(kept);
  HostTensor out = makeTensor(shapeOf(resultType), e);
  if (!x.isInt) {
    double init = kind == Reduce::Prod  ? 1.0
                  : kind == Reduce::Max ? -std::numeric_limits<double>::infinity()
                  : kind == Reduce::Min ? std::numeric_limits<double>::infinity()
                                        : 0.0;
    std::vector<double> acc(static_cast<size_t>(n), init);
    // Every element folds into its output in element order. Axes that are
    // one run of dims view the input as [outer, len, inner] (output (o, i)
    // takes x[o, 0..len, i]), walked in plain loops; others through a
    // table of each element's output.
    bool run = !axes.empty();
    for (size_t j = 1; j < axes.size(); ++j)
      run &= axes[j] == axes[j - 1] + 1;
    auto fold = [&](auto step) {
      if (!run) {
        std::vector<int64_t> dst = offsetMap(x.shape, steps);
        for (size_t k = 0; k < dst.size(); ++k)
          step(acc[dst[k]], double(x.f[k]));
        return;
      }
      int64_t outer = 1, len = 1, inner = 1;
      for (int64_t d = 0; d < int64_t(x.shape.size()); ++d)
        (d < axes.front() ? outer : d > axes.back() ? inner : len) *= x.shape[d];
      int64_t o = 0;
      if (inner == 1) {
        // Each output's sum is one dependent chain: fold kRows outputs at
        // once so their chains overlap (each still in element order).
        constexpr int64_t kRows = 8;
        for (; o + kRows <= outer; o += kRows) {
          double a[kRows];
          const Real *src = x.f.data() + o * len;
          for (int64_t r = 0; r < kRows; ++r)
            a[r] = acc[o + r];
          for (int64_t l = 0; l < len; ++l)
            for (int64_t r = 0; r < kRows; ++r)
              step(a[r], double(src[r * len + l]));
          for (int64_t r = 0; r < kRows; ++r)
            acc[o + r] = a[r];
        }
      }
      for (; o < outer; ++o) {
        double *a = acc.data() + o * inner;
        const Real *src = x.f.data() + o * len * inner;
        for (int64_t l = 0; l < len; ++l, src += inner)
          for (int64_t i = 0; i < inner; ++i)
            step(a[i], double(src[i]));
      }
    };
    switch (kind) {
    case Reduce::Sum:
    case Reduce::Mean:
      fold([](double &a, double v) { a += v; });
      break;
    case Reduce::Prod:
      fold([](double &a, double v) { a *= v; });
      break;
    case Reduce::Max: // NaN propagates, as in NumPy and torch.
      fold([](double &a, double v) {
        if (std::isnan(v) || v > a)
          a = std::isnan(a) ? a : v;
      });
      break;
    case Reduce::Min:
      fold([](double &a, double v) {
        if (std::isnan(v) || v < a)
          a = std::isnan(a) ? a : v;
      });
      break;
    }
    for (int64_t k = 0; k < n; ++k)
      out.f[k] = kind == Reduce::Mean ? Real(acc[k] / double(count))
                                      : Real(acc[k]);
  } else {
    if (kind == Reduce::Mean && count == 0 && n > 0)
      return op->emitError("integer mean over an empty set");
    int64_t lo = e == Elem::I32 ? std::numeric_limits<int32_t>::min()
                                : std::numeric_limits<int64_t>::min();
    int64_t hi = e == Elem::I32 ? std::numeric_limits<int32_t>::max()
                                : std::numeric_limits<int64_t>::max();
    int64_t init = kind == Reduce::Prod  ? 1
                   : kind == Reduce::Max ? lo
                   : kind == Reduce::Min ? hi
                                         : 0;
    std::vector<int64_t> acc(static_cast<size_t>(n), init);
    std::vector<int64_t> dst = offsetMap(x.shape, steps);
    for (size_t k = 0; k < dst.size(); ++k) {
      int64_t v = x.i[k];
      int64_t &a = acc[dst[k]];
      switch (kind) {
      case Reduce::Sum:
      case Reduce::Mean:
        a = addWrap(a, v);
        break;
      case Reduce::Prod:
        a = mulWrap(a, v);
        break;
      case Reduce::Max:
        a = std::max(a, v);
        break;
      case Reduce::Min:
        a = std::min(a, v);
        break;
      }
    }
    // Integer mean truncates toward zero (the exact sum, then C division).
    for (int64_t k = 0; k < n; ++k)
      out.i[k] = wrapInt(kind == Reduce::Mean ? acc[k] / count : acc[k], e);
  }
  in.set(op->getResult(0), std::move(out));
  return success();
}

/// Whether candidate `v` replaces the best `b` so far. NaN counts as the
/// extreme (NumPy's and torch's argmax/argmin return the first NaN).
template <typename T>
bool better(T v, T b, bool isMax, bool last) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(b))
      return last && std::isnan(v);
    if (std::isnan(v))
      return true;
  }
  if (v == b)
    return last;
  return isMax ? v > b : v < b;
}

template <typename OpT>
LogicalResult argReduce(Interp &in, OpT op, bool isMax) {
  const HostTensor &x = in.get(op.getInput());
  int64_t axis = op.getAxis();
  bool last = op.getSelectLastIndex();
  AxisView v = axisView(x.shape, axis);
  HostTensor out = HostTensor::ints(shapeOf(op.getType()));
  if (v.len == 0 && v.outer * v.inner > 0)
    return op.emitError("arg-reduction over an empty axis ") << axis;
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i) {
      int64_t base = o * v.len * v.inner + i, best = 0;
      for (int64_t k = 1; k < v.len; ++k) {
        int64_t at = base + k * v.inner, bestAt = base + best * v.inner;
        if (x.isInt ? better(x.i[at], x.i[bestAt], isMax, last)
                    : better(x.f[at], x.f[bestAt], isMax, last))
          best = k;
      }
      out.i[o * v.inner + i] = best;
    }
  in.set(op.getResult(), std::move(out));
  return success();
}

/// The k best of each row along the axis, best first; ties keep index
/// order (`better` ranks NaN first, as torch does).
LogicalResult topK(Interp &in, TopKOp op) {
  const HostTensor &x = in.get(op.getInput());
  int64_t axis = op.getAxis(), k = op.getK();
  bool isMax = op.getLargest();
  AxisView v = axisView(x.shape, axis);
  Shape shape = shapeOf(op.getValues().getType());
  HostTensor vals = x.isInt ? HostTensor::ints(shape) : HostTensor::floats(shape);
  HostTensor idx = HostTensor::ints(shape);
  std::vector<int64_t> order(v.len);
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i) {
      int64_t base = o * v.len * v.inner + i;
      std::iota(order.begin(), order.end(), 0);
      // Ties (neither better) go by index: a total order, so any sort gives
      // the same result.
      std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        int64_t at = base + a * v.inner, bt = base + b * v.inner;
        bool ab = x.isInt ? better(x.i[at], x.i[bt], isMax, false)
                          : better(x.f[at], x.f[bt], isMax, false);
        bool ba = x.isInt ? better(x.i[bt], x.i[at], isMax, false)
                          : better(x.f[bt], x.f[at], isMax, false);
        return ab || (!ba && a < b);
      });
      for (int64_t j = 0; j < k; ++j) {
        int64_t from = base + order[j] * v.inner;
        int64_t to = o * k * v.inner + j * v.inner + i;
        idx.i[to] = order[j];
        if (x.isInt)
          vals.i[to] = x.i[from];
        else
          vals.f[to] = x.f[from];
      }
    }
  in.set(op.getValues(), std::move(vals));
  in.set(op.getIndices(), std::move(idx));
  return success();
}

} // namespace

Handled interp::interpretReduceOp(Interp &in, Operation *op) {
  return llvm::TypeSwitch<Operation *, Handled>(op)
      .Case<ReduceSumOp>([&](auto o) {
        return reduce(in, o, o.getAxes(), Reduce::Sum);
      })
      .Case<ReduceMeanOp>([&](auto o) {
        return reduce(in, o, o.getAxes(), Reduce::Mean);
      })
      .Case<ReduceMaxOp>([&](auto o) {
        return reduce(in, o, o.getAxes(), Reduce::Max);
      })
      .Case<ReduceMinOp>([&](auto o) {
        return reduce(in, o, o.getAxes(), Reduce::Min);
      })
      .Case<ReduceProdOp>([&](auto o) {
        return reduce(in, o, o.getAxes(), Reduce::Prod);
      })
      .Case<ArgMaxOp>([&](auto o) { return argReduce(in, o, true); })
      .Case<ArgMinOp>([&](auto o) { return argReduce(in, o, false); })
      .Case<TopKOp>([&](TopKOp o) { return topK(in, o); })
      .Default([](Operation *) -> Handled { return std::nullopt; });
}
