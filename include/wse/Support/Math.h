//===- Math.h - numeric kernels shared by both engines ---------*- C++ -*-===//
//
// The reference interpreter and the mesh simulator compute the same local
// math with these routines, in the same order, so the mesh engine differs
// from the reference only where the mapping changes the order of a sum
// (reduction chains across PEs). Accumulation is in float, as on a PE.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_SUPPORT_MATH_H
#define WSE_SUPPORT_MATH_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace wsert::math {

// Elementwise functions whose exact form both engines share (the
// interpreter's ops and the pe instruction set's `map` functions).

namespace detail {
/// e^x for finite x in [-745.2, 709.79], in double: 2^k e^r with r = x - k ln2
/// (|r| <= ln2/2, ln2 split so k ln2hi is exact) and e^r by its Taylor
/// series to degree 13 (truncation < 1e-17 relative). Only IEEE operations
/// on plain values, and no branch: the compiler vectorizes callers' loops,
/// and every target gives the same bits (no FMA; see -ffp-contract=off).
inline double expCore(double x) {
  const double kLog2e = 1.4426950408889634, kLn2Hi = 6.93147180369123816490e-01,
               kLn2Lo = 1.90821492927058770002e-10;
  double k = std::nearbyint(x * kLog2e);
  double r = (x - k * kLn2Hi) - k * kLn2Lo;
  double p = 1.0 / 6227020800.0; // 1/13!
  const double kInvFact[] = {1.0 / 479001600.0, 1.0 / 39916800.0,
                             1.0 / 3628800.0,   1.0 / 362880.0,
                             1.0 / 40320.0,     1.0 / 5040.0,
                             1.0 / 720.0,       1.0 / 120.0,
                             1.0 / 24.0,        1.0 / 6.0,
                             0.5,               1.0,
                             1.0};
  for (double c : kInvFact)
    p = p * r + c;
  // 2^k as two normal powers of two, so that a subnormal result rounds once.
  int64_t ki = int64_t(k), k1 = ki / 2, k2 = ki - k1;
  auto pow2 = [](int64_t e) {
    uint64_t bits = uint64_t(e + 1023) << 52;
    double d;
    __builtin_memcpy(&d, &bits, sizeof d);
    return d;
  };
  return p * pow2(k1) * pow2(k2);
}
} // namespace detail

/// std::max folded over x[0, n) from `init`, in four independent lanes
/// (a serial fold waits 4 cycles an element). The same value as the serial
/// fold: a NaN element is skipped either way (std::max keeps its first
/// argument), a NaN init stays NaN; only the sign of a zero maximum may
/// differ, which no caller can see (they subtract it).
template <typename T, typename X>
inline T foldMax(const X *x, int64_t n, T init) {
  T m[4] = {init, init, init, init};
  int64_t k = 0;
  for (; k + 4 <= n; k += 4)
    for (int q = 0; q < 4; ++q)
      m[q] = std::max(m[q], T(x[k + q]));
  for (; k < n; ++k)
    m[0] = std::max(m[0], T(x[k]));
  return std::max(std::max(m[0], m[1]), std::max(m[2], m[3]));
}

/// e^x in double, within about 2 ulp; overflow gives +inf, underflow 0,
/// NaN stays NaN. Written to vectorize (softmax and loss rows call it).
inline double expd(double x) {
  // Outside the range the result is replaced below: the core runs on 0
  // there (on -745.2 its product went subnormal, a microcode assist of
  // ~100 cycles for every masked score of a softmax).
  double c = x > 709.79 || x < -745.2 ? 0.0 : x;
  c = c == c ? c : 0.0;
  double e = detail::expCore(c);
  e = x > 709.782712893384 ? std::numeric_limits<double>::infinity() : e;
  e = x < -745.1332191019412 ? 0.0 : e;
  return x == x ? e : x;
}

/// exps[k] = e^(x[k] - shift) for k < n, in a loop of their own (it
/// vectorizes), and their sum in order (the softmax and loss rows).
template <typename X>
inline double expShiftSum(const X *x, int64_t n, double shift, double *exps) {
  for (int64_t k = 0; k < n; ++k)
    exps[k] = expd(double(x[k]) - shift);
  double sum = 0.0;
  for (int64_t k = 0; k < n; ++k)
    sum += exps[k];
  return sum;
}

/// tanh of an f32, computed in double from e^2|x| and rounded once: within
/// 1 ulp of f32 (the double result is exact to about 1e-12 relative), the
/// same bits on every target, and written to vectorize.
inline float tanhF(float xf) {
  double x = xf, ax = std::fabs(x);
  // Below 2^-13, tanh x rounds to x; above 9.5 to +-1.
  double a = ax < 0x1p-13 ? 0.0 : ax > 9.5 ? 9.5 : ax;
  a = a == a ? a : 0.0;
  double e = detail::expCore(2.0 * a);
  double t = (e - 1.0) / (e + 1.0);
  t = ax < 0x1p-13 ? ax : ax > 9.5 ? 1.0 : t;
  t = std::copysign(t, x);
  return x == x ? float(t) : xf;
}
template <typename T> T tanh(T x) {
  if constexpr (sizeof(T) == sizeof(float))
    return tanhF(x);
  else
    return std::tanh(x);
}

/// Stable in both directions: e^-|x| never overflows.
template <typename T> T sigmoid(T x) {
  if (x >= T(0))
    return T(1) / (T(1) + std::exp(-x));
  T e = std::exp(x);
  return e / (T(1) + e);
}

/// log(1 + e^x) = max(x, 0) + log1p(e^-|x|).
template <typename T> T softplus(T x) {
  if (std::isnan(x))
    return x;
  return std::max(x, T(0)) + std::log1p(std::exp(-std::fabs(x)));
}

template <typename T> T gelu(T x, bool approximate) {
  if (approximate) {
    const T kBeta = T(M_SQRT2 * M_2_SQRTPI * 0.5); // sqrt(2/pi)
    const T kKappa = 0.044715f;
    T inner = kBeta * (x + kKappa * x * x * x);
    return T(0.5) * x * (T(1) + math::tanh(inner));
  }
  return T(0.5) * x * (T(1) + std::erf(x * T(M_SQRT1_2)));
}

template <typename T> T sign(T x) {
  if (std::isnan(x))
    return x;
  return x > T(0) ? T(1) : x < T(0) ? T(-1) : T(0);
}

/// NumPy/torch maximum and minimum: NaN wins.
template <typename T> T maximum(T a, T b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<T>::quiet_NaN();
  return a > b ? a : b;
}
template <typename T> T minimum(T a, T b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<T>::quiet_NaN();
  return a < b ? a : b;
}

/// C[m,n] (+)= op(A)[m,k] op(B)[k,n], all row-major; op transposes when
/// asked. A is [m,k] (or [k,m] transposed), B is [k,n] (or [n,k]).
/// Each output sums its products in k order from zero (the program fixes
/// every sum's order); products of 2^20 multiply-adds or more split their
/// rows over setGemmThreads threads, which changes no sum.
template <typename T>
void matmul(T *c, const T *a, const T *b, int64_t m, int64_t n, int64_t k,
            bool transA, bool transB, bool accumulate);

/// Threads a large matmul may split its rows over (default 1).
void setGemmThreads(int threads);

/// The widest float matmul kernel to use: 2 AVX-512 (the default), 1 AVX2,
/// 0 the baseline; the CPU may allow less. Every kernel gives the same
/// bits; tests compare them.
void setGemmVectorWidth(int widest);

/// Capacity routing of a mixture of experts (wse.moe_route): choices
/// [n, k] (experts in [0, e), checked by the caller) get slots in priority
/// order (choice-major: every token's first choice before any second;
/// else token by token), `cap` per expert; slot p = x * cap + c
/// (expert-major) or c * e + x. Fills slot [n, k] (e * cap when dropped)
/// and src [e * cap] (the token in each slot, n when empty).
void moeRoute(const int64_t *choices, int64_t n, int64_t k, int64_t e,
              int64_t cap, bool choiceMajor, bool expertMajor, int64_t *slot,
              int64_t *src);

/// Mean softmax cross-entropy of logits [rows, cols] against integer labels,
/// and (if grad is non-null) its gradient (softmax - onehot) * scale / rows.
/// Returns false if a label is out of range.
template <typename T>
bool softmaxCrossEntropy(const T *logits, const int64_t *labels, int64_t rows,
                         int64_t cols, T scale, T *loss, T *grad);

/// torch.optim.SGD's update with momentum, dampening, weight decay and
/// nesterov, in place over n elements (buf holds the momentum buffer).
template <typename T>
void sgdMomentumUpdate(T *param, const T *grad, T *buf, int64_t n, T lr,
                       T momentum, T dampening, T weightDecay, bool nesterov);

/// torch.optim.AdamW's update at 1-based step t, in place over n elements.
template <typename T>
void adamwUpdate(T *param, const T *grad, T *m, T *v, int64_t n, double t,
                 T lr, T beta1, T beta2, T eps, T weightDecay);

// Instantiated for float (both engines) and double (the interpreter's
// float64 mode, used by gradient checks).
/// A seeded initializer's elements [begin, end) of a tensor, in row-major
/// order (#wse.random): `dist` 0 normal(a = mean, b = std), 1
/// uniform[a = low, b = high), 2 constant a. Element i draws from two
/// counter-based 64-bit words, splitmix64(splitmix64(seed) + 2i) and
/// (+ 2i + 1), so any slice of a tensor is drawn alone, the same on every
/// platform: u = (word >> 11) * 2^-53; normal is Box-Muller, mean + std *
/// sqrt(-2 log(1 - u1)) * cos(2 pi u2), uniform a + (b - a) * u1, both in
/// double and then rounded to float.
void randomInit(int dist, double a, double b, uint64_t seed, int64_t begin,
                int64_t end, float *out);

extern template void matmul<float>(float *, const float *, const float *,
                                   int64_t, int64_t, int64_t, bool, bool, bool);
extern template void matmul<double>(double *, const double *, const double *,
                                    int64_t, int64_t, int64_t, bool, bool,
                                    bool);
extern template bool softmaxCrossEntropy<float>(const float *, const int64_t *,
                                                int64_t, int64_t, float,
                                                float *, float *);
extern template bool softmaxCrossEntropy<double>(const double *,
                                                 const int64_t *, int64_t,
                                                 int64_t, double, double *,
                                                 double *);

} // namespace wsert::math

#endif
