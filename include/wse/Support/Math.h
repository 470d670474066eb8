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

#include <cstdint>

namespace wsert::math {

/// C[m,n] (+)= op(A)[m,k] op(B)[k,n], all row-major; op transposes when
/// asked. A is [m,k] (or [k,m] transposed), B is [k,n] (or [n,k]).
void matmul(float *c, const float *a, const float *b, int64_t m, int64_t n,
            int64_t k, bool transA, bool transB, bool accumulate);

/// Mean softmax cross-entropy of logits [rows, cols] against integer labels,
/// and (if grad is non-null) its gradient (softmax - onehot) * scale / rows.
/// Returns false if a label is out of range.
bool softmaxCrossEntropy(const float *logits, const int64_t *labels,
                         int64_t rows, int64_t cols, float scale, float *loss,
                         float *grad);

} // namespace wsert::math

#endif
