//===- Math.cpp - numeric kernels shared by both engines ------------------===//
#include "wse/Support/Math.h"

#include <cmath>
#include <vector>

namespace wsert::math {

template <typename T>
void matmul(T *c, const T *a, const T *b, int64_t m, int64_t n, int64_t k,
            bool transA, bool transB, bool accumulate) {
  // Gather op(B) into row-major [n][k] once, so the inner loop is a dot
  // product over contiguous memory for every layout.
  std::vector<T> bt(static_cast<size_t>(n * k));
  for (int64_t p = 0; p < k; ++p)
    for (int64_t j = 0; j < n; ++j)
      bt[j * k + p] = transB ? b[j * k + p] : b[p * n + j];
  std::vector<T> row(static_cast<size_t>(k));
  for (int64_t i = 0; i < m; ++i) {
    const T *ai = a + i * k;
    if (transA) {
      for (int64_t p = 0; p < k; ++p)
        row[p] = a[p * m + i];
      ai = row.data();
    }
    for (int64_t j = 0; j < n; ++j) {
      const T *bj = bt.data() + j * k;
      T acc = 0;
      for (int64_t p = 0; p < k; ++p)
        acc += ai[p] * bj[p];
      c[i * n + j] = accumulate ? c[i * n + j] + acc : acc;
    }
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
