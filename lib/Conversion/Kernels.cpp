//===- Kernels.cpp - kernel registry and config helpers -------------------===//
#include "wse/Conversion/Kernels.h"

using namespace mlir;
using namespace mlir::wse;

const Kernel *mlir::wse::lookupKernel(StringRef name) {
  for (const Kernel *k : {&linearKernel(), &softmaxCrossEntropyKernel()})
    if (k->name() == name)
      return k;
  return nullptr;
}

int64_t mlir::wse::sramBytesOf(ArrayRef<KernelBuffer> buffers) {
  int64_t bytes = 0;
  for (const KernelBuffer &b : buffers)
    bytes += 4 * b.length;
  return bytes;
}

int64_t mlir::wse::configInt(DictionaryAttr config, StringRef key) {
  auto a = config.getAs<IntegerAttr>(key);
  return a ? a.getInt() : 0;
}

bool mlir::wse::configBool(DictionaryAttr config, StringRef key) {
  auto a = config.getAs<BoolAttr>(key);
  return a && a.getValue();
}

float mlir::wse::configFloat(DictionaryAttr config, StringRef key) {
  auto a = config.getAs<FloatAttr>(key);
  return a ? static_cast<float>(a.getValueAsDouble()) : 0.0f;
}
