//===- HostTensor.h - tensors on the host side of both engines -*- C++ -*-===//
#ifndef WSE_SUPPORT_HOSTTENSOR_H
#define WSE_SUPPORT_HOSTTENSOR_H

#include "wse/Support/Npy.h"

#include <cstdint>
#include <string>
#include <vector>

namespace wsert {

/// A dense row-major tensor: floating-point data in `f` (float, or double
/// for the reference interpreter's float64 mode), or integer data (indices,
/// labels, masks) in `i`.
template <typename Real> struct BasicHostTensor {
  std::vector<int64_t> shape;
  bool isInt = false;
  std::vector<Real> f;
  std::vector<int64_t> i;

  static BasicHostTensor floats(std::vector<int64_t> shape, Real fill = 0) {
    BasicHostTensor t;
    t.shape = std::move(shape);
    t.f.assign(static_cast<size_t>(t.numElements()), fill);
    return t;
  }
  static BasicHostTensor ints(std::vector<int64_t> shape, int64_t fill = 0) {
    BasicHostTensor t;
    t.shape = std::move(shape);
    t.isInt = true;
    t.i.assign(static_cast<size_t>(t.numElements()), fill);
    return t;
  }
  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  std::string shapeString() const { // e.g. "32x64xf32"
    std::string s;
    for (int64_t d : shape)
      s += std::to_string(d) + "x";
    return s + (isInt ? "i64" : sizeof(Real) == 8 ? "f64" : "f32");
  }
};

using HostTensor = BasicHostTensor<float>;
using HostTensor64 = BasicHostTensor<double>;

/// Converts an .npy array (f32/f64 -> float, i32/i64/bool -> int).
HostTensor tensorFromNpy(const NpyArray &a);
/// f32 tensors as <f4; integer tensors as `intType`: <i8 (I64), <i4 (I32,
/// wrapping to 32 bits) or |b1 (Bool, non-zero is true).
NpyArray tensorToNpy(const HostTensor &t, NpyDType intType = NpyDType::I64);

/// Slice `index` along dim 0 of `t`.
HostTensor sliceLeading(const HostTensor &t, int64_t index);

/// Chooses what a step gets from an input array: the array itself if its
/// shape is `shape`, else slice `step` of an array with one extra leading
/// dimension. Returns an error message, empty on success. For an integer
/// input, `intType` names its kind (I64, I32 or Bool); any integer or bool
/// array is accepted and its values are wrapped to 32 bits for I32 and made
/// 0/1 (non-zero is true) for Bool.
std::string inputForStep(const HostTensor &array, const std::string &name,
                         const std::vector<int64_t> &shape, bool wantInt,
                         int64_t step, int64_t steps, HostTensor &out,
                         NpyDType intType = NpyDType::I64);

/// Checks integer input `values` (row-major, `shape`) against a `wse.range`:
/// [lo, hi) plus an optional ignored value, INT64_MIN for labels without an
/// ignore index (`range` empty: anything goes). Returns an error naming the
/// input, the first bad position and the range, with the ignore-index hint
/// for labels; empty if every value is in range.
std::string checkInputRange(const std::string &name,
                            const std::vector<int64_t> &shape,
                            const std::vector<int64_t> &values,
                            const std::vector<int64_t> &range);

} // namespace wsert

#endif
