//===- HostTensor.h - tensors on the host side of both engines -*- C++ -*-===//
#ifndef WSE_SUPPORT_HOSTTENSOR_H
#define WSE_SUPPORT_HOSTTENSOR_H

#include "wse/Support/Npy.h"

#include <cstdint>
#include <string>
#include <vector>

namespace wsert {

/// A dense row-major tensor: f32 data, or integer data (indices, labels,
/// masks). Every integer kind (i64, i32, i1) lives in `i`; i1 as 0/1.
struct HostTensor {
  std::vector<int64_t> shape;
  bool isInt = false;
  std::vector<float> f;
  std::vector<int64_t> i;

  static HostTensor floats(std::vector<int64_t> shape, float fill = 0.0f);
  static HostTensor ints(std::vector<int64_t> shape, int64_t fill = 0);
  int64_t numElements() const;
  std::string shapeString() const; // e.g. "32x64xf32"
};

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

} // namespace wsert

#endif
