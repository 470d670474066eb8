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

HostTensor HostTensor::floats(std::vector<int64_t> shape, float fill) {
  HostTensor t;
  t.shape = std::move(shape);
  t.f.assign(static_cast<size_t>(product(t.shape)), fill);
  return t;
}

HostTensor HostTensor::ints(std::vector<int64_t> shape, int64_t fill) {
  HostTensor t;
  t.shape = std::move(shape);
  t.isInt = true;
  t.i.assign(static_cast<size_t>(product(t.shape)), fill);
  return t;
}

int64_t HostTensor::numElements() const { return product(shape); }

static std::string dims(const std::vector<int64_t> &shape) {
  std::string s;
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s;
}

std::string HostTensor::shapeString() const {
  return dims(shape) + (isInt ? "i64" : "f32");
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
    std::memcpy(t.f.data(), a.data.data(), t.f.size() * 4);
  } else {
    for (double d : npyAsDoubles(a))
      t.f.push_back(static_cast<float>(d));
  }
  return t;
}

NpyArray tensorToNpy(const HostTensor &t) {
  NpyArray a;
  a.shape = t.shape;
  if (t.isInt) {
    a.dtype = NpyDType::I64;
    a.data.resize(t.i.size() * 8);
    std::memcpy(a.data.data(), t.i.data(), a.data.size());
  } else {
    a.dtype = NpyDType::F32;
    a.data.resize(t.f.size() * 4);
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

std::string inputForStep(const HostTensor &array, const std::string &name,
                         const std::vector<int64_t> &shape, bool wantInt,
                         int64_t step, int64_t steps, HostTensor &out) {
  std::string want = dims(shape) + (wantInt ? "i64" : "f32");
  if (array.isInt != wantInt)
    return "input '" + name + "' must hold " +
           (wantInt ? "integers" : "floats") + " (" + want + "), the file has " +
           array.shapeString();
  if (array.shape == shape) {
    out = array;
    return "";
  }
  std::vector<int64_t> tail(array.shape.begin() + (array.shape.empty() ? 0 : 1),
                            array.shape.end());
  if (array.shape.size() == shape.size() + 1 && tail == shape) {
    if (array.shape[0] < steps)
      return "input '" + name + "' has " + std::to_string(array.shape[0]) +
             " step slices but " + std::to_string(steps) + " steps were asked";
    out = sliceLeading(array, step);
    return "";
  }
  return "input '" + name + "' should be " + want + " (or N x that, one per "
         "step); the file has " + array.shapeString();
}

} // namespace wsert
