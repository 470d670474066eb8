//===- HostTensor.cpp -----------------------------------------------------===//
#include "wse/Support/HostTensor.h"

#include <cstring>

namespace wsert {

static int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

static std::string dims(const std::vector<int64_t> &shape) {
  std::string s;
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s;
}

HostTensor tensorFromNpy(const NpyArray &a) {
  bool isInt = a.dtype == NpyDType::I64 || a.dtype == NpyDType::I32 ||
               a.dtype == NpyDType::Bool;
  HostTensor t;
  t.shape = a.shape;
  t.isInt = isInt;
  if (isInt) {
    t.i = npyAsInt64(a);
  } else if (a.dtype == NpyDType::F32) {
    t.f.resize(a.data.size() / 4);
    if (!t.f.empty()) // an empty vector's data() may be null
      std::memcpy(t.f.data(), a.data.data(), t.f.size() * 4);
  } else {
    for (double d : npyAsDoubles(a))
      t.f.push_back(static_cast<float>(d));
  }
  return t;
}

NpyArray tensorToNpy(const HostTensor &t, NpyDType intType) {
  NpyArray a;
  a.shape = t.shape;
  if (t.isInt && intType == NpyDType::Bool) {
    a.dtype = NpyDType::Bool;
    a.data.resize(t.i.size());
    for (size_t k = 0; k < t.i.size(); ++k)
      a.data[k] = t.i[k] != 0 ? 1 : 0;
  } else if (t.isInt && intType == NpyDType::I32) {
    a.dtype = NpyDType::I32;
    a.data.resize(t.i.size() * 4);
    for (size_t k = 0; k < t.i.size(); ++k) {
      int32_t v = int32_t(uint32_t(uint64_t(t.i[k])));
      std::memcpy(a.data.data() + k * 4, &v, 4);
    }
  } else if (t.isInt) {
    a.dtype = NpyDType::I64;
    a.data.resize(t.i.size() * 8);
    if (!a.data.empty())
      std::memcpy(a.data.data(), t.i.data(), a.data.size());
  } else {
    a.dtype = NpyDType::F32;
    a.data.resize(t.f.size() * 4);
    if (!a.data.empty())
      std::memcpy(a.data.data(), t.f.data(), a.data.size());
  }
  return a;
}

HostTensor sliceLeading(const HostTensor &t, int64_t index) {
  HostTensor s;
  s.shape.assign(t.shape.begin() + 1, t.shape.end());
  s.isInt = t.isInt;
  int64_t n = product(s.shape);
  if (t.isInt)
    s.i.assign(t.i.begin() + index * n, t.i.begin() + (index + 1) * n);
  else
    s.f.assign(t.f.begin() + index * n, t.f.begin() + (index + 1) * n);
  return s;
}

/// Wraps integer values to the kind `intType` names.
static void normalizeInts(HostTensor &t, NpyDType intType) {
  if (!t.isInt)
    return;
  if (intType == NpyDType::Bool)
    for (int64_t &v : t.i)
      v = v != 0 ? 1 : 0;
  else if (intType == NpyDType::I32)
    for (int64_t &v : t.i)
      v = int64_t(int32_t(uint32_t(uint64_t(v))));
}

std::string inputForStep(const HostTensor &array, const std::string &name,
                         const std::vector<int64_t> &shape, bool wantInt,
                         int64_t step, int64_t steps, HostTensor &out,
                         NpyDType intType) {
  const char *kind = !wantInt                    ? "f32"
                     : intType == NpyDType::Bool ? "i1"
                     : intType == NpyDType::I32  ? "i32"
                                                 : "i64";
  std::string want = dims(shape) + kind;
  if (array.isInt != wantInt)
    return "input '" + name + "' must hold " +
           (!wantInt                    ? "floats"
            : intType == NpyDType::Bool ? "booleans"
                                        : "integers") +
           " (" + want + "), the file has " + array.shapeString();
  if (array.shape == shape) {
    out = array;
    normalizeInts(out, intType);
    return "";
  }
  std::vector<int64_t> tail(array.shape.begin() + (array.shape.empty() ? 0 : 1),
                            array.shape.end());
  if (array.shape.size() == shape.size() + 1 && tail == shape) {
    if (array.shape[0] < steps)
      return "input '" + name + "' has " + std::to_string(array.shape[0]) +
             " step slices but " + std::to_string(steps) + " steps were asked";
    out = sliceLeading(array, step);
    normalizeInts(out, intType);
    return "";
  }
  return "input '" + name + "' should be " + want + " (or N x that, one per "
         "step); the file has " + array.shapeString();
}

std::string checkInputRange(const std::string &name,
                            const std::vector<int64_t> &shape,
                            const std::vector<int64_t> &values,
                            const std::vector<int64_t> &range) {
  if (range.size() < 2)
    return "";
  bool hasIgnored = range.size() == 3;
  for (size_t e = 0; e < values.size(); ++e) {
    int64_t v = values[e];
    if ((hasIgnored && v == range[2]) || (v >= range[0] && v < range[1]))
      continue;
    std::string at;
    int64_t rest = int64_t(e);
    for (size_t d = 0; d < shape.size(); ++d) {
      int64_t stride = 1;
      for (size_t k = d + 1; k < shape.size(); ++k)
        stride *= shape[k];
      at += (d ? ", " : "") + std::to_string(rest / stride);
      rest %= stride;
    }
    std::string msg = "input '" + name + "' holds " + std::to_string(v) +
                      " at [" + at + "], outside [" + std::to_string(range[0]) +
                      ", " + std::to_string(range[1]) + ")";
    if (hasIgnored && range[2] != INT64_MIN)
      msg += " (and not the ignored " + std::to_string(range[2]) + ")";
    else if (hasIgnored && v < 0)
      msg += "; these are labels: if it marks positions to skip, train "
             "with ignore-index=" +
             std::to_string(v);
    return msg;
  }
  return "";
}

} // namespace wsert
