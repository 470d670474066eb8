//===- Math.cpp - numeric kernels shared by both engines ------------------===//
#include "wse/Support/Math.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

namespace wsert::math {

namespace {

// Row blocks of at least this many multiply-adds get a thread of their own.
constexpr int64_t kThreadMinWork = int64_t(1) << 20;
// Rows of A that share each load of B, and the widest panel of B's columns
// packed at once (AVX-512: 4 vectors of 16); the plain path's accumulators
// for a panel stay in L1 while k runs.
constexpr int64_t kRowBlock = 4, kPanelCols = 64;

std::atomic<int> gemmThreads{1};
std::atomic<int> gemmWidest{2};

/// `x` [rows][cols] transposed into `out` [cols][rows], in tiles so that
/// both the reads and the writes stay in cache (row by row, every write
/// missed: 9% of an LM's step). 8 x 8: the lines a tile writes, `rows`
/// apart, often a power of two, share one L1 set, and 32 of them thrashed
/// it (6% of the LM d256 step).
template <typename T>
void transposeInto(T *out, const T *x, int64_t rows, int64_t cols) {
  constexpr int64_t kTile = 8;
  for (int64_t r0 = 0; r0 < rows; r0 += kTile)
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      int64_t r1 = std::min(rows, r0 + kTile), c1 = std::min(cols, c0 + kTile);
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c)
          out[c * rows + r] = x[r * cols + c];
    }
}

/// op(B)'s columns [j0, j0 + w) as a row-major panel [k][w], from B stored
/// [k][n] or, transposed, [n][k].
template <typename T>
void packPanel(T *panel, const T *b, bool transB, int64_t n, int64_t k,
               int64_t j0, int64_t w) {
  if (!transB) {
    for (int64_t p = 0; p < k; ++p)
      std::memcpy(panel + p * w, b + p * n + j0, size_t(w) * sizeof(T));
    return;
  }
  // Rows of the stored B^T are the panel's columns: in blocks of k, so the
  // panel's lines being written stay in L1.
  constexpr int64_t kDepth = 16;
  for (int64_t p0 = 0; p0 < k; p0 += kDepth) {
    int64_t p1 = std::min(k, p0 + kDepth);
    for (int64_t j = 0; j < w; ++j) {
      const T *src = b + (j0 + j) * k;
      for (int64_t p = p0; p < p1; ++p)
        panel[p * w + j] = src[p];
    }
  }
}

/// C rows [i, i + rows), the w columns of `panel` (rows `ldp` apart, w <=
/// kPanelCols; `c` at its first column, rows `n` apart): plain loops over raw
/// pointers, the general path (any shape, and double). `acc` holds
/// kRowBlock x kPanelCols accumulators.
template <typename T>
inline __attribute__((always_inline)) void
matmulColumns(T *c, const T *a, const T *panel, int64_t ldp, int64_t i,
              int64_t rows, int64_t w, int64_t n, int64_t k, bool accumulate,
              T *acc) {
  // A multiply and an add, each rounded: never fused, whatever the target.
#pragma clang fp contract(off)
  for (int64_t e = 0; e < kRowBlock * kPanelCols; ++e)
    acc[e] = T(0);
  for (int64_t p = 0; p < k; ++p) {
    const T *bp = panel + p * ldp;
    for (int64_t r = 0; r < rows; ++r) {
      T aip = a[(i + r) * k + p];
      T *ar = acc + r * kPanelCols;
      for (int64_t j = 0; j < w; ++j)
        ar[j] += aip * bp[j];
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    T *ci = c + (i + r) * n;
    const T *ar = acc + r * kPanelCols;
    for (int64_t j = 0; j < w; ++j)
      ci[j] = accumulate ? ci[j] + ar[j] : ar[j];
  }
}

/// C rows [i, i + kRowBlock) by the W x C columns of `panel` (`c` at its
/// first column): the kRowBlock x C accumulators are vector registers
/// (explicit vector types, so no vectorizer decides how many and none
/// spill), and every product is one multiply and one add, in k order from
/// zero: the bits of the plain loops.
template <int W, int C>
inline __attribute__((always_inline)) void
matmulVectorBlock(float *c, const float *a, const float *panel, int64_t ldp,
                  int64_t i, int64_t n, int64_t k, bool accumulate) {
#pragma clang fp contract(off)
  typedef float V __attribute__((vector_size(W * sizeof(float))));
  V acc[kRowBlock][C];
  for (int r = 0; r < kRowBlock; ++r)
    for (int q = 0; q < C; ++q)
      acc[r][q] = V{};
  const float *ar[kRowBlock];
  for (int r = 0; r < kRowBlock; ++r)
    ar[r] = a + (i + r) * k;
  for (int64_t p = 0; p < k; ++p) {
    const float *bp = panel + p * ldp;
    V b[C];
    for (int q = 0; q < C; ++q)
      std::memcpy(&b[q], bp + q * W, sizeof(V));
    for (int r = 0; r < kRowBlock; ++r) {
      float s = ar[r][p];
      V av;
      for (int e = 0; e < W; ++e)
        av[e] = s;
      for (int q = 0; q < C; ++q)
        acc[r][q] = acc[r][q] + av * b[q];
    }
  }
  for (int r = 0; r < kRowBlock; ++r)
    for (int q = 0; q < C; ++q) {
      float *ci = c + (i + r) * n + q * W;
      V out = acc[r][q];
      if (accumulate) {
        V old;
        std::memcpy(&old, ci, sizeof(V));
        out = old + out;
      }
      std::memcpy(ci, &out, sizeof(V));
    }
}

/// The full row blocks of rows [i0, full) over the panel's columns from
/// `j` on (the panel `ldp` wide): blocks of C vectors while they fit, then
/// of C / 2 and so on down to one; returns the first column left (fewer
/// than W).
template <int W, int C>
inline __attribute__((always_inline)) int64_t
matmulVectorColumns(float *c, const float *a, const float *panel, int64_t ldp,
                    int64_t j, int64_t i0, int64_t full, int64_t n, int64_t k,
                    bool accumulate) {
  for (; j + W * C <= ldp; j += W * C)
    for (int64_t i = i0; i < full; i += kRowBlock)
      matmulVectorBlock<W, C>(c + j, a, panel + j, ldp, i, n, k, accumulate);
  if constexpr (C > 1)
    return matmulVectorColumns<W, C / 2>(c, a, panel, ldp, j, i0, full, n, k,
                                         accumulate);
  return j;
}

/// C rows [i0, i1) from A (row-major [m][k]), a panel of op(B)'s columns
/// at a time: the panel is packed (it then stays in cache while every row
/// block reads it); its full row blocks run in vector registers (blocks of
/// W x C columns, fewer at the panel's end; C = 0 for none), the rest (the
/// last rows, the last columns) through matmulColumns. `scratch` has room
/// for a panel and matmulColumns' accumulators.
template <typename T, int W, int C>
inline __attribute__((always_inline)) void
matmulRowsBody(T *c, const T *a, const T *b, bool transB, int64_t i0,
               int64_t i1, int64_t n, int64_t k, bool accumulate, T *scratch) {
  constexpr int64_t kCols = C ? int64_t(W) * C : kPanelCols;
  T *panel = scratch, *acc = scratch + k * kPanelCols;
  int64_t full = i0 + (i1 - i0) / kRowBlock * kRowBlock;
  for (int64_t j0 = 0; j0 < n; j0 += kCols) {
    int64_t w = std::min(kCols, n - j0);
    packPanel(panel, b, transB, n, k, j0, w);
    int64_t j = 0;
    if constexpr (C > 0)
      j = matmulVectorColumns<W, C>(c + j0, a, panel, w, 0, i0, full, n, k,
                                    accumulate);
    // Columns [j, w) of the full row blocks, and every column of the rest.
    for (int64_t i = i0; i < i1; i += kRowBlock) {
      int64_t from = i < full ? j : 0;
      if (from < w)
        matmulColumns(c + j0 + from, a, panel + from, w, i,
                      std::min(kRowBlock, i1 - i), w - from, n, k, accumulate,
                      acc);
    }
  }
}

// The float kernel for AVX-512 (4 x 4 zmm accumulators of 64 columns),
// AVX2 (4 x 2 ymm of 16) and the baseline (4 x 2 xmm of 8), picked at run
// time: wider vectors hold more independent outputs, each still one IEEE
// multiply and one add per product, so every path gives the same bits.
#if defined(__clang__) && defined(__x86_64__)
// min_vector_width: 512-bit registers even where the target prefers 256
// (as -march= for recent Intel cores does, which split each accumulator in
// two and spilled half of them).
__attribute__((target("avx512f"), min_vector_width(512), noinline)) void
matmulRowsAvx512(float *c, const float *a, const float *b, bool transB,
                 int64_t i0, int64_t i1, int64_t n, int64_t k, bool accumulate,
                 float *scratch) {
  matmulRowsBody<float, 16, 4>(c, a, b, transB, i0, i1, n, k, accumulate,
                               scratch);
}
__attribute__((target("avx2"), noinline)) void
matmulRowsAvx2(float *c, const float *a, const float *b, bool transB,
               int64_t i0, int64_t i1, int64_t n, int64_t k, bool accumulate,
               float *scratch) {
  matmulRowsBody<float, 8, 2>(c, a, b, transB, i0, i1, n, k, accumulate,
                              scratch);
}
#endif

void matmulRowsKernel(float *c, const float *a, const float *b, bool transB,
                      int64_t i0, int64_t i1, int64_t n, int64_t k,
                      bool accumulate, float *scratch) {
#if defined(__clang__) && defined(__x86_64__)
  static const int cpu = __builtin_cpu_supports("avx512f") ? 2
                         : __builtin_cpu_supports("avx2")  ? 1
                                                           : 0;
  int isa = std::min(cpu, gemmWidest.load(std::memory_order_relaxed));
  if (isa == 2)
    return matmulRowsAvx512(c, a, b, transB, i0, i1, n, k, accumulate, scratch);
  if (isa == 1)
    return matmulRowsAvx2(c, a, b, transB, i0, i1, n, k, accumulate, scratch);
#endif
  matmulRowsBody<float, 4, 2>(c, a, b, transB, i0, i1, n, k, accumulate,
                              scratch);
}

void matmulRowsKernel(double *c, const double *a, const double *b, bool transB,
                      int64_t i0, int64_t i1, int64_t n, int64_t k,
                      bool accumulate, double *scratch) {
  matmulRowsBody<double, 1, 0>(c, a, b, transB, i0, i1, n, k, accumulate,
                               scratch);
}

/// C rows [i0, i1): each output sums its products in k order from zero, as
/// a dot product would. The kernels run k inside a panel of columns and
/// over kRowBlock rows at once, so a row of outputs accumulates as
/// contiguous vectors and each row of the panel is read once per row
/// block; the outputs are independent lanes and no sum is reassociated, so
/// the results are those of the dot-product form. A is row-major [m][k].
template <typename T>
void matmulRows(T *c, const T *a, const T *b, bool transB, int64_t i0,
                int64_t i1, int64_t n, int64_t k, bool accumulate) {
  std::vector<T> scratch(static_cast<size_t>((k + kRowBlock) * kPanelCols));
  matmulRowsKernel(c, a, b, transB, i0, i1, n, k, accumulate, scratch.data());
}

} // namespace

void setGemmThreads(int threads) { gemmThreads = std::max(1, threads); }
void setGemmVectorWidth(int widest) { gemmWidest = std::clamp(widest, 0, 2); }

template <typename T>
void matmul(T *c, const T *a, const T *b, int64_t m, int64_t n, int64_t k,
            bool transA, bool transB, bool accumulate) {
  // op(A) row-major: a transposed A is copied once (m k against the
  // product's m n k); op(B) is read in packed panels from either layout.
  std::unique_ptr<T[]> at;
  if (transA && m > 1) {
    at.reset(new T[static_cast<size_t>(m * k)]);
    transposeInto(at.get(), a, k, m);
    a = at.get();
  }
  // Rows are independent: splitting them over threads changes no sum.
  int64_t parts = std::min<int64_t>(
      {int64_t(gemmThreads.load()), (m + kRowBlock - 1) / kRowBlock,
       std::max<int64_t>(1, m * n * k / kThreadMinWork)});
  if (parts <= 1) {
    matmulRows(c, a, b, transB, 0, m, n, k, accumulate);
    return;
  }
  // Split at multiples of the row block.
  int64_t blocks = (m + kRowBlock - 1) / kRowBlock;
  auto rowAt = [&](int64_t part) {
    return std::min(m, blocks * part / parts * kRowBlock);
  };
  std::vector<std::thread> workers;
  for (int64_t p = 1; p < parts; ++p)
    workers.emplace_back([=] {
      matmulRows(c, a, b, transB, rowAt(p), rowAt(p + 1), n, k, accumulate);
    });
  matmulRows(c, a, b, transB, 0, rowAt(1), n, k, accumulate);
  for (std::thread &w : workers)
    w.join();
}

void moeRoute(const int64_t *choices, int64_t n, int64_t k, int64_t e,
              int64_t cap, bool choiceMajor, bool expertMajor, int64_t *slot,
              int64_t *src) {
  std::fill(slot, slot + n * k, e * cap);
  std::fill(src, src + e * cap, n);
  std::vector<int64_t> used(static_cast<size_t>(e), 0);
  for (int64_t a = 0; a < (choiceMajor ? k : n); ++a)
    for (int64_t b = 0; b < (choiceMajor ? n : k); ++b) {
      int64_t t = choiceMajor ? b : a, j = choiceMajor ? a : b;
      int64_t x = choices[t * k + j];
      if (used[x] == cap)
        continue;
      int64_t c = used[x]++;
      int64_t p = expertMajor ? x * cap + c : c * e + x;
      slot[t * k + j] = p;
      src[p] = t;
    }
}

template <typename T>
bool softmaxCrossEntropy(const T *logits, const int64_t *labels, int64_t rows,
                         int64_t cols, T scale, T *loss, T *grad) {
  double total = 0.0;
  std::vector<double> exps(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    const T *x = logits + r * cols;
    int64_t label = labels[r];
    if (label < 0 || label >= cols)
      return false;
    T mx = foldMax(x + 1, cols - 1, x[0]);
    double sum = expShiftSum(x, cols, double(mx), exps.data());
    double logSum = std::log(sum);
    total += logSum - (double(x[label]) - mx);
    if (grad)
      for (int64_t j = 0; j < cols; ++j) {
        double p = expd(double(x[j]) - mx - logSum);
        grad[r * cols + j] =
            T((p - (j == label ? 1.0 : 0.0)) * scale / double(rows));
      }
  }
  *loss = T(total / double(rows));
  return true;
}

template <typename T>
void sgdMomentumUpdate(T *param, const T *grad, T *buf, int64_t n, T lr,
                       T momentum, T dampening, T weightDecay, bool nesterov) {
  for (int64_t e = 0; e < n; ++e) {
    T gd = weightDecay != T(0) ? grad[e] + weightDecay * param[e] : grad[e];
    T b = momentum * buf[e] + (T(1) - dampening) * gd;
    T step = nesterov ? gd + momentum * b : b;
    buf[e] = b;
    param[e] = param[e] - lr * step;
  }
}

template <typename T>
void adamwUpdate(T *param, const T *grad, T *m, T *v, int64_t n, double t,
                 T lr, T beta1, T beta2, T eps, T weightDecay) {
  // The bias corrections are host scalars (Python floats in torch).
  double bc1 = 1.0 - std::pow(double(beta1), t);
  double bc2 = 1.0 - std::pow(double(beta2), t);
  T stepSize = T(double(lr) / bc1);
  T bc2Sqrt = T(std::sqrt(bc2));
  T decay = T(1.0 - double(lr) * double(weightDecay));
  for (int64_t e = 0; e < n; ++e) {
    T g = grad[e];
    T p = param[e] * decay;
    T mm = beta1 * m[e] + (T(1) - beta1) * g;
    T vv = beta2 * v[e] + (T(1) - beta2) * g * g;
    T denom = std::sqrt(vv) / bc2Sqrt + eps;
    param[e] = p - stepSize * (mm / denom);
    m[e] = mm;
    v[e] = vv;
  }
}

template void sgdMomentumUpdate<float>(float *, const float *, float *,
                                       int64_t, float, float, float, float,
                                       bool);
template void sgdMomentumUpdate<double>(double *, const double *, double *,
                                        int64_t, double, double, double,
                                        double, bool);
template void adamwUpdate<float>(float *, const float *, float *, float *,
                                 int64_t, double, float, float, float, float,
                                 float);
template void adamwUpdate<double>(double *, const double *, double *, double *,
                                  int64_t, double, double, double, double,
                                  double, double);

template void matmul<float>(float *, const float *, const float *, int64_t,
                            int64_t, int64_t, bool, bool, bool);
template void matmul<double>(double *, const double *, const double *, int64_t,
                             int64_t, int64_t, bool, bool, bool);
template bool softmaxCrossEntropy<float>(const float *, const int64_t *,
                                         int64_t, int64_t, float, float *,
                                         float *);
template bool softmaxCrossEntropy<double>(const double *, const int64_t *,
                                          int64_t, int64_t, double, double *,
                                          double *);

namespace {
uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
} // namespace

void randomInit(int dist, double a, double b, uint64_t seed, int64_t begin,
                int64_t end, float *out) {
  const double twoPi = 6.283185307179586476925286766559;
  uint64_t key = splitmix64(seed);
  for (int64_t i = begin; i < end; ++i) {
    double value = a;
    if (dist != 2) {
      uint64_t k = key + 2 * uint64_t(i);
      double u1 = double(splitmix64(k) >> 11) * 0x1.0p-53;
      if (dist == 0) {
        double u2 = double(splitmix64(k + 1) >> 11) * 0x1.0p-53;
        value = a + b * (std::sqrt(-2.0 * std::log(1.0 - u1)) *
                         std::cos(twoPi * u2));
      } else {
        value = a + (b - a) * u1;
      }
    }
    out[i - begin] = float(value);
  }
}

} // namespace wsert::math
