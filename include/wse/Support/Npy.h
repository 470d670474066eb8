//===- Npy.h - NumPy .npy file reading and writing --------------*- C++ -*-===//
//
// Minimal, dependency-free reader/writer for NumPy's .npy format, used by the
// tools to exchange inputs, parameters and outputs with the Python side.
// Reads format versions 1.0 and 2.0; writes 1.0 with a 64-byte aligned
// header like numpy does. Only little-endian, C-order arrays are supported.
// The build uses -fno-exceptions, so every failure is reported via `error`.
//
//===----------------------------------------------------------------------===//

#ifndef WSE_SUPPORT_NPY_H
#define WSE_SUPPORT_NPY_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace wsert {

enum class NpyDType { F32, F64, I64, I32, Bool };

/// Size in bytes of one element of `dtype`.
size_t npyDTypeSize(NpyDType dtype);

/// NumPy type string of `dtype` as written in headers, e.g. "<f4".
const char *npyDTypeDescr(NpyDType dtype);

struct NpyArray {
  NpyDType dtype = NpyDType::F32;
  /// Empty for a 0-d (scalar) array.
  std::vector<int64_t> shape;
  /// Raw little-endian element bytes in C (row-major) order.
  std::vector<uint8_t> data;

  /// Product of `shape` (1 for a scalar).
  int64_t numElements() const;
};

/// Reads `path` into `out`. Returns false and sets `error` to a message naming
/// the file and the problem (missing file, bad magic, unsupported version or
/// dtype, Fortran order, big-endian data, truncated data, ...).
bool readNpy(const std::string &path, NpyArray &out, std::string &error);
/// Parses the bytes of a .npy file; `path` names it in errors.
bool parseNpy(const std::vector<uint8_t> &bytes, const std::string &path,
              NpyArray &out, std::string &error);

/// Writes `arr` to `path` in format 1.0. Returns false and sets `error` if the
/// array is inconsistent (data size vs shape) or the file cannot be written.
bool writeNpy(const std::string &path, const NpyArray &arr, std::string &error);

/// Element values converted to double (bools become 0/1).
std::vector<double> npyAsDoubles(const NpyArray &a);

/// Element values converted to int64. Floats are truncated toward zero;
/// NaN and out-of-range floats become 0.
std::vector<int64_t> npyAsInt64(const NpyArray &a);

} // namespace wsert

#endif // WSE_SUPPORT_NPY_H
