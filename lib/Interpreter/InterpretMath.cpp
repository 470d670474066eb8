//===- InterpretMath.cpp - elementwise ops of the reference interpreter ---===//
//
// Unary math, broadcasting arithmetic, comparisons, logic, select, cast,
// clamp and the activation functions. f32 math stays in Real, as on a PE.
//
//===----------------------------------------------------------------------===//
#include "InterpreterImpl.h"
#include "wse/Support/Math.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::interp;

namespace {

//===----------------------------------------------------------------------===//
// Scalar helpers
//===----------------------------------------------------------------------===//

Real sigmoidF(Real x) { return ::wsert::math::sigmoid(x); }
Real softplusF(Real x) { return ::wsert::math::softplus(x); }
Real geluF(Real x, bool approximate) {
  return ::wsert::math::gelu(x, approximate);
}
Real signF(Real x) { return ::wsert::math::sign(x); }
Real maxF(Real a, Real b) { return ::wsert::math::maximum(a, b); }
Real minF(Real a, Real b) { return ::wsert::math::minimum(a, b); }

/// The range of an integer element kind.
int64_t intMin(Elem e) {
  return e == Elem::I32   ? std::numeric_limits<int32_t>::min()
         : e == Elem::I1 ? 0
                         : std::numeric_limits<int64_t>::min();
}
int64_t intMax(Elem e) {
  return e == Elem::I32   ? std::numeric_limits<int32_t>::max()
         : e == Elem::I1 ? 1
                         : std::numeric_limits<int64_t>::max();
}

/// Float to an integer kind: truncation toward zero, saturating at the
/// type's range; NaN becomes 0. (To i1, any non-zero value, NaN included,
/// is true.)
int64_t floatToInt(double x, Elem e) {
  if (e == Elem::I1)
    return x != 0.0 ? 1 : 0;
  if (std::isnan(x))
    return 0;
  x = std::trunc(x);
  // 2^63 and 2^31 are exact doubles; the limits themselves may not be.
  double hi = e == Elem::I32 ? 2147483648.0 : 9223372036854775808.0;
  if (x >= hi)
    return intMax(e);
  if (x < -hi)
    return intMin(e);
  return int64_t(x);
}

/// Integer power with wrap-around; a negative exponent gives the truncated
/// real result (1, -1 or 0). Fails for 0 to a negative power.
std::optional<int64_t> powInt(int64_t base, int64_t exp) {
  if (exp < 0) {
    if (base == 0)
      return std::nullopt;
    if (base == 1)
      return 1;
    if (base == -1)
      return (exp & 1) ? -1 : 1;
    return 0;
  }
  int64_t result = 1;
  while (exp) {
    if (exp & 1)
      result = mulWrap(result, base);
    base = mulWrap(base, base);
    exp >>= 1;
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Op families
//===----------------------------------------------------------------------===//

template <typename F>
LogicalResult unaryFloat(Interp &in, Operation *op, F f) {
  HostTensor t = in.take(op->getOperand(0));
  for (Real &v : t.f)
    v = f(v);
  in.set(op->getResult(0), std::move(t));
  return success();
}

/// A unary op on f32, i64 or i32.
template <typename FF, typename FI>
LogicalResult unaryNumeric(Interp &in, Operation *op, FF ff, FI fi) {
  HostTensor t = in.take(op->getOperand(0));
  Elem e = elemOf(op->getResult(0).getType());
  if (t.isInt)
    for (int64_t &v : t.i)
      v = wrapInt(fi(v), e);
  else
    for (Real &v : t.f)
      v = ff(v);
  in.set(op->getResult(0), std::move(t));
  return success();
}

/// Broadcasting binary arithmetic: `ff` on floats, `fi` on integers; `fi`
/// returns std::nullopt for an invalid operation, reported with `what`.
template <typename FF, typename FI>
LogicalResult binaryNumeric(Interp &in, Operation *op, FF ff, FI fi,
                            const char *what = "") {
  const HostTensor &l = in.get(op->getOperand(0));
  const HostTensor &r = in.get(op->getOperand(1));
  Shape shape = shapeOf(op->getResult(0).getType());
  Elem e = elemOf(op->getResult(0).getType());
  // Into an operand this op reads last when it has the result's shape
  // (each element is read before it is written): no fresh tensor.
  bool floats = e == Elem::F32;
  int into = -1; // the operand written in place
  for (int k : {0, 1})
    if (into < 0 && floats && (k ? r : l).shape == shape &&
        in.dying.contains(op->getOperand(k)))
      into = k;
  if (floats) {
    // Rows of the last dim, each operand contiguous or one repeated value.
    RowBroadcast lr = broadcastRows(l.shape, shape);
    RowBroadcast rr = broadcastRows(r.shape, shape);
    HostTensor out =
        into >= 0 ? in.take(op->getOperand(into)) : makeTensor(shape, e);
    const Real *lf = into == 0 ? out.f.data() : l.f.data();
    const Real *rf = into == 1 ? out.f.data() : r.f.data();
    int64_t len = lr.len;
    Real *o = out.f.data();
    // o is a fresh tensor or exactly one operand (element k read, then
    // written): no dependence between elements, so the loops vectorize
    // without the overlap check that would send o == a to scalar code.
    for (size_t row = 0; row < lr.base.size() && len; ++row, o += len) {
      const Real *a = lf + lr.base[row], *b = rf + rr.base[row];
      if (lr.step && rr.step) {
#pragma clang loop vectorize(assume_safety)
        for (int64_t k = 0; k < len; ++k)
          o[k] = ff(a[k], b[k]);
      } else if (lr.step) {
        Real bv = *b;
#pragma clang loop vectorize(assume_safety)
        for (int64_t k = 0; k < len; ++k)
          o[k] = ff(a[k], bv);
      } else if (rr.step) {
        Real av = *a;
#pragma clang loop vectorize(assume_safety)
        for (int64_t k = 0; k < len; ++k)
          o[k] = ff(av, b[k]);
      } else {
        Real v = ff(*a, *b);
        for (int64_t k = 0; k < len; ++k)
          o[k] = v;
      }
    }
    in.set(op->getResult(0), std::move(out));
    return success();
  }
  HostTensor out = makeTensor(shape, e);
  {
    std::vector<int64_t> li = broadcastIndex(l.shape, shape);
    std::vector<int64_t> ri = broadcastIndex(r.shape, shape);
    for (size_t k = 0; k < li.size(); ++k) {
      std::optional<int64_t> v = fi(l.i[li[k]], r.i[ri[k]]);
      if (!v)
        return op->emitError() << what << " (" << l.i[li[k]] << " and "
                               << r.i[ri[k]] << ")";
      out.i[k] = wrapInt(*v, e);
    }
  }
  in.set(op->getResult(0), std::move(out));
  return success();
}

/// Comparisons on any element type, giving an i1 mask.
template <typename Cmp>
LogicalResult compare(Interp &in, Operation *op, Cmp cmp) {
  const HostTensor &l = in.get(op->getOperand(0));
  const HostTensor &r = in.get(op->getOperand(1));
  Shape shape = shapeOf(op->getResult(0).getType());
  HostTensor out = HostTensor::ints(shape);
  std::vector<int64_t> li = broadcastIndex(l.shape, shape);
  std::vector<int64_t> ri = broadcastIndex(r.shape, shape);
  for (size_t k = 0; k < li.size(); ++k)
    out.i[k] = (l.isInt ? cmp(l.i[li[k]], r.i[ri[k]])
                        : cmp(l.f[li[k]], r.f[ri[k]]))
                   ? 1
                   : 0;
  in.set(op->getResult(0), std::move(out));
  return success();
}

/// Logic on i1 masks: a comparison of their truth values.
template <typename F>
LogicalResult logical(Interp &in, Operation *op, F f) {
  return compare(in, op, [&](auto a, auto b) { return f(a != 0, b != 0); });
}

LogicalResult select(Interp &in, SelectOp s) {
  const HostTensor &c = in.get(s.getCond());
  const HostTensor &l = in.get(s.getLhs());
  const HostTensor &r = in.get(s.getRhs());
  Shape shape = shapeOf(s.getType());
  HostTensor out = makeTensor(shape, elemOf(s.getType()));
  std::vector<int64_t> ci = broadcastIndex(c.shape, shape);
  std::vector<int64_t> li = broadcastIndex(l.shape, shape);
  std::vector<int64_t> ri = broadcastIndex(r.shape, shape);
  for (size_t k = 0; k < ci.size(); ++k) {
    bool take = c.i[ci[k]] != 0;
    if (out.isInt)
      out.i[k] = take ? l.i[li[k]] : r.i[ri[k]];
    else
      out.f[k] = take ? l.f[li[k]] : r.f[ri[k]];
  }
  in.set(s.getResult(), std::move(out));
  return success();
}

LogicalResult castOp(Interp &in, CastOp c) {
  const HostTensor &x = in.get(c.getInput());
  Elem to = elemOf(c.getType());
  HostTensor out = makeTensor(x.shape, to);
  int64_t n = x.numElements();
  for (int64_t k = 0; k < n; ++k) {
    if (!x.isInt && !out.isInt)
      out.f[k] = x.f[k];
    else if (!x.isInt)
      out.i[k] = floatToInt(double(x.f[k]), to);
    else if (!out.isInt)
      out.f[k] = Real(x.i[k]); // round to nearest
    else
      out.i[k] = wrapInt(x.i[k], to);
  }
  in.set(c.getResult(), std::move(out));
  return success();
}

LogicalResult clamp(Interp &in, ClampOp c) {
  HostTensor t = in.get(c.getInput());
  FloatAttr lo = c.getMinAttr(), hi = c.getMaxAttr();
  if (!t.isInt) {
    // The bounds are rounded to f32 and compared in f32; NaN stays NaN.
    Real l = lo ? Real(lo.getValueAsDouble()) : 0.0f;
    Real h = hi ? Real(hi.getValueAsDouble()) : 0.0f;
    for (Real &v : t.f) {
      if (std::isnan(v))
        continue;
      if (lo && v < l)
        v = l;
      if (hi && v > h)
        v = h;
    }
  } else {
    // Integer bounds: the attribute truncated (saturating) to the type.
    Elem e = elemOf(c.getType());
    int64_t l = lo ? floatToInt(lo.getValueAsDouble(), e) : 0;
    int64_t h = hi ? floatToInt(hi.getValueAsDouble(), e) : 0;
    for (int64_t &v : t.i) {
      if (lo && v < l)
        v = l;
      if (hi && v > h)
        v = h;
    }
  }
  in.set(c.getResult(), std::move(t));
  return success();
}

} // namespace

Handled interp::interpretMathOp(Interp &in, Operation *op) {
  using Opt = std::optional<int64_t>;
  return llvm::TypeSwitch<Operation *, Handled>(op)
      // Unary, numeric.
      .Case<NegOp>([&](auto o) {
        return unaryNumeric(
            in, o, [](Real x) { return -x; },
            [](int64_t x) { return subWrap(0, x); });
      })
      .Case<AbsOp>([&](auto o) {
        return unaryNumeric(
            in, o, [](Real x) { return std::fabs(x); },
            [](int64_t x) { return x < 0 ? subWrap(0, x) : x; });
      })
      .Case<SignOp>([&](auto o) {
        return unaryNumeric(in, o, signF, [](int64_t x) -> int64_t {
          return (x > 0) - (x < 0);
        });
      })
      // Unary, f32.
      .Case<ExpOp>([&](auto o) {
        return unaryFloat(in, o, [](Real x) { return std::exp(x); });
      })
      .Case<LogOp>([&](auto o) {
        return unaryFloat(in, o, [](Real x) { return std::log(x); });
      })
      .Case<SqrtOp>([&](auto o) {
        return unaryFloat(in, o, [](Real x) { return std::sqrt(x); });
      })
      .Case<RsqrtOp>([&](auto o) {
        return unaryFloat(in, o, [](Real x) { return 1.0f / std::sqrt(x); });
      })
      .Case<ReciprocalOp>([&](auto o) {
        return unaryFloat(in, o, [](Real x) { return 1.0f / x; });
      })
      .Case<TanhOp>([&](auto o) {
        return unaryFloat(in, o, [](Real x) { return ::wsert::math::tanh(x); });
      })
      .Case<ErfOp>([&](auto o) {
        return unaryFloat(in, o, [](Real x) { return std::erf(x); });
      })
      .Case<SigmoidOp>([&](auto o) { return unaryFloat(in, o, sigmoidF); })
      .Case<SoftplusOp>([&](auto o) { return unaryFloat(in, o, softplusF); })
      .Case<SiluOp>([&](auto o) {
        return unaryFloat(in, o, [](Real x) { return x * sigmoidF(x); });
      })
      .Case<SinOp>([&](auto o) {
        return unaryFloat(in, o, [](Real x) { return std::sin(x); });
      })
      .Case<CosOp>([&](auto o) {
        return unaryFloat(in, o, [](Real x) { return std::cos(x); });
      })
      .Case<FloorOp>([&](auto o) {
        return unaryFloat(in, o, [](Real x) { return std::floor(x); });
      })
      .Case<CeilOp>([&](auto o) {
        return unaryFloat(in, o, [](Real x) { return std::ceil(x); });
      })
      .Case<ReluOp>([&](auto o) {
        // max(x, 0); NaN propagates as in torch and NumPy.
        return unaryFloat(in, o, [](Real x) {
          return std::isnan(x) ? x : x > 0.0f ? x : 0.0f;
        });
      })
      .Case<GeluOp>([&](GeluOp o) {
        bool approx = o.getApproximate();
        return unaryFloat(in, o, [&](Real x) { return geluF(x, approx); });
      })
      .Case<LeakyReluOp>([&](LeakyReluOp o) {
        Real alpha = o.getAlpha().convertToFloat();
        return unaryFloat(in, o,
                          [&](Real x) { return x >= 0.0f ? x : alpha * x; });
      })
      .Case<EluOp>([&](EluOp o) {
        Real alpha = o.getAlpha().convertToFloat();
        return unaryFloat(in, o, [&](Real x) {
          return x > 0.0f ? x : alpha * std::expm1(x);
        });
      })
      .Case<ClampOp>([&](ClampOp o) { return clamp(in, o); })
      .Case<NotOp>([&](NotOp o) -> LogicalResult {
        HostTensor t = in.get(o.getInput());
        for (int64_t &v : t.i)
          v = v != 0 ? 0 : 1;
        in.set(o.getResult(), std::move(t));
        return success();
      })
      // Binary arithmetic.
      .Case<AddOp>([&](auto o) {
        return binaryNumeric(
            in, o, [](Real a, Real b) { return a + b; },
            [](int64_t a, int64_t b) -> Opt { return addWrap(a, b); });
      })
      .Case<SubOp>([&](auto o) {
        return binaryNumeric(
            in, o, [](Real a, Real b) { return a - b; },
            [](int64_t a, int64_t b) -> Opt { return subWrap(a, b); });
      })
      .Case<MulOp>([&](auto o) {
        return binaryNumeric(
            in, o, [](Real a, Real b) { return a * b; },
            [](int64_t a, int64_t b) -> Opt { return mulWrap(a, b); });
      })
      .Case<DivOp>([&](auto o) {
        return binaryNumeric(
            in, o, [](Real a, Real b) { return a / b; },
            [](int64_t a, int64_t b) -> Opt {
              if (b == 0)
                return std::nullopt;
              if (b == -1) // INT64_MIN / -1 wraps instead of trapping.
                return subWrap(0, a);
              return a / b; // C truncates toward zero, as ONNX Div does.
            },
            "integer division by zero");
      })
      .Case<PowOp>([&](auto o) {
        return binaryNumeric(
            in, o, [](Real a, Real b) { return std::pow(a, b); }, powInt,
            "integer 0 raised to a negative power");
      })
      .Case<MaxOp>([&](auto o) {
        return binaryNumeric(in, o, maxF, [](int64_t a, int64_t b) -> Opt {
          return std::max(a, b);
        });
      })
      .Case<MinOp>([&](auto o) {
        return binaryNumeric(in, o, minF, [](int64_t a, int64_t b) -> Opt {
          return std::min(a, b);
        });
      })
      // Comparisons and logic.
      .Case<EqualOp>([&](auto o) {
        return compare(in, o, [](auto a, auto b) { return a == b; });
      })
      .Case<LessOp>([&](auto o) {
        return compare(in, o, [](auto a, auto b) { return a < b; });
      })
      .Case<LessEqualOp>([&](auto o) {
        return compare(in, o, [](auto a, auto b) { return a <= b; });
      })
      .Case<GreaterOp>([&](auto o) {
        return compare(in, o, [](auto a, auto b) { return a > b; });
      })
      .Case<GreaterEqualOp>([&](auto o) {
        return compare(in, o, [](auto a, auto b) { return a >= b; });
      })
      .Case<AndOp>([&](auto o) {
        return logical(in, o, [](bool a, bool b) { return a && b; });
      })
      .Case<OrOp>([&](auto o) {
        return logical(in, o, [](bool a, bool b) { return a || b; });
      })
      .Case<XorOp>([&](auto o) {
        return logical(in, o, [](bool a, bool b) { return a != b; });
      })
      .Case<SelectOp>([&](SelectOp o) { return select(in, o); })
      .Case<CastOp>([&](CastOp o) { return castOp(in, o); })
      // The gradient of relu.
      .Case<ReluGradOp>([&](ReluGradOp r) -> LogicalResult {
        HostTensor g = in.get(r.getGrad());
        const HostTensor &x = in.get(r.getInput());
        for (size_t e = 0; e < g.f.size(); ++e)
          g.f[e] = x.f[e] > 0.0f ? g.f[e] : 0.0f;
        in.set(r.getResult(), std::move(g));
        return success();
      })
      .Default([](Operation *) -> Handled { return std::nullopt; });
}
