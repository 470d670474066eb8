//===- Math.cpp - numeric kernels shared by both engines ------------------===//
#include "wse/Support/Math.h"

#include <cblas.h> // OpenBLAS's (libopenblas-dev)

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>
#include <vector>

namespace wsert::math {

namespace {

// Products of at least this many multiply-adds go to OpenBLAS's GEMM; below
// it a library call costs more than the loop (and tiny products keep the
// loop's k-order sums). Fixed, so a product's path depends only on its shape.
constexpr int64_t kGemmMinWork = int64_t(1) << 14;
// Row blocks of at least this much work get a thread of their own.
constexpr int64_t kThreadMinWork = int64_t(1) << 20;

std::atomic<int> gemmThreads{1};

/// OpenBLAS runs on the calling thread only: its own threading would split
/// products by the machine's core count, and wse splits them itself (by
/// rows, which leaves every output's sum as one call computes it).
void singleThreadedBlas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

void gemm(float *c, const float *a, const float *b, int64_t m, int64_t n,
          int64_t k, bool ta, bool tb, bool acc, int64_t lda, int64_t ldb) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), 1.0f, a,
              int(lda), b, int(ldb), acc ? 1.0f : 0.0f, c, int(n));
}

void gemm(double *c, const double *a, const double *b, int64_t m, int64_t n,
          int64_t k, bool ta, bool tb, bool acc, int64_t lda, int64_t ldb) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), 1.0, a,
              int(lda), b, int(ldb), acc ? 1.0 : 0.0, c, int(n));
}

/// C rows [i0, i1) through GEMM.
template <typename T>
void gemmRows(T *c, const T *a, const T *b, int64_t i0, int64_t i1, int64_t m,
              int64_t n, int64_t k, bool transA, bool transB, bool accumulate) {
  const T *ai = transA ? a + i0 : a + i0 * k;
  gemm(c + i0 * n, ai, b, i1 - i0, n, k, transA, transB, accumulate,
       transA ? m : k, transB ? k : n);
}

} // namespace

void setGemmThreads(int threads) { gemmThreads = std::max(1, threads); }

template <typename T>
void matmul(T *c, const T *a, const T *b, int64_t m, int64_t n, int64_t k,
            bool transA, bool transB, bool accumulate) {
  if (m * n * k >= kGemmMinWork) {
    singleThreadedBlas();
    int64_t parts = std::min<int64_t>(
        {int64_t(gemmThreads.load()), m, std::max<int64_t>(1, m * n * k / kThreadMinWork)});
    if (parts <= 1) {
      gemmRows(c, a, b, 0, m, m, n, k, transA, transB, accumulate);
      return;
    }
    std::vector<std::thread> workers;
    for (int64_t p = 1; p < parts; ++p)
      workers.emplace_back([=] {
        gemmRows(c, a, b, m * p / parts, m * (p + 1) / parts, m, n, k, transA,
                 transB, accumulate);
      });
    gemmRows(c, a, b, 0, m / parts, m, n, k, transA, transB, accumulate);
    for (std::thread &w : workers)
      w.join();
    return;
  }
  // Each output sums its products in k order from zero, as a dot product
  // would; the loops run k outside n so that a row of outputs accumulates
  // as contiguous vectors (the outputs are independent lanes, no sum is
  // reassociated: the results are those of the dot-product form).
  // op(B) is gathered into row-major [k][n] when it is stored transposed.
  const T *bk = b;
  std::vector<T> bt;
  if (transB) {
    bt.resize(static_cast<size_t>(n * k));
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p)
        bt[p * n + j] = b[j * k + p];
    bk = bt.data();
  }
  std::vector<T> row(static_cast<size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    T *acc = row.data();
    std::fill(acc, acc + n, T(0));
    for (int64_t p = 0; p < k; ++p) {
      T aip = transA ? a[p * m + i] : a[i * k + p];
      const T *bp = bk + p * n;
      for (int64_t j = 0; j < n; ++j)
        acc[j] += aip * bp[j];
    }
    T *ci = c + i * n;
    if (accumulate)
      for (int64_t j = 0; j < n; ++j)
        ci[j] = ci[j] + acc[j];
    else
      std::copy(acc, acc + n, ci);
  }
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
  for (int64_t r = 0; r < rows; ++r) {
    const T *x = logits + r * cols;
    int64_t label = labels[r];
    if (label < 0 || label >= cols)
      return false;
    T mx = x[0];
    for (int64_t j = 1; j < cols; ++j)
      mx = std::max(mx, x[j]);
    double sum = 0.0;
    for (int64_t j = 0; j < cols; ++j)
      sum += std::exp(double(x[j]) - mx);
    double logSum = std::log(sum);
    total += logSum - (double(x[label]) - mx);
    if (grad)
      for (int64_t j = 0; j < cols; ++j) {
        double p = std::exp(double(x[j]) - mx - logSum);
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

} // namespace wsert::math
