//===- FuzzNpy.cpp - libFuzzer target: the .npy reader --------------------===//
//
// Any file given to wse-sim --input must parse into an array or an error.
//
//===----------------------------------------------------------------------===//
#include "wse/Support/HostTensor.h"
#include "wse/Support/Npy.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  wsert::NpyArray arr;
  std::string error;
  if (!wsert::parseNpy(bytes, "fuzz.npy", arr, error))
    return 0;
  // What wse-sim does with an input next.
  (void)wsert::tensorFromNpy(arr);
  return 0;
}
