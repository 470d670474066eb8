//===- Kernels.h - the kernel library behind fabric regions ----*- C++ -*-===//
//
// A kernel is a distributed implementation of a group of graph ops on a row
// of PEs. The partitioner picks kernels and sizes them with `buffers`; the
// lowering asks them for their pe program with `emit`. Adding a native
// kernel means adding one Kernel subclass and registering it here.
//
// Conventions every kernel follows: an input port is received by every PE of
// the region; an output port is sent by the region's last PE; host inputs are
// written into the port's buffer on every PE; host outputs are read from the
// last PE.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_CONVERSION_KERNELS_H
#define WSE_CONVERSION_KERNELS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringMap.h"

#include <array>
#include <optional>
#include <string>

namespace mlir::wse {

struct KernelBuffer {
  std::string name;
  int64_t length; // elements, 4 bytes each
  bool isInt = false;
};

/// The fabric connections of one region, as the lowering found them.
struct RegionPorts {
  llvm::StringMap<int64_t> inColor;  // streamed input port -> color
  llvm::StringMap<int64_t> outColor; // streamed output port -> color
  llvm::StringMap<std::array<int64_t, 2>> chainColors; // chain -> colors
};

class Kernel {
public:
  virtual ~Kernel() = default;
  virtual StringRef name() const = 0;
  /// Per-PE buffers for a region `width` PEs wide, in allocation order.
  virtual SmallVector<KernelBuffer> buffers(DictionaryAttr config,
                                            int64_t width) const = 0;
  /// The buffer behind a port, if the kernel has that port.
  virtual std::optional<std::string> portBuffer(StringRef port) const = 0;
  /// The reduction chains the kernel needs: name and element count.
  virtual SmallVector<std::pair<std::string, int64_t>>
  chains(DictionaryAttr config, int64_t width) const = 0;
  /// Emits the program's instructions at the builder's insertion point.
  virtual LogicalResult emit(OpBuilder &b, Location loc, DictionaryAttr config,
                             int64_t width, const RegionPorts &ports) const = 0;
};

/// The kernel called `name`, or null.
const Kernel *lookupKernel(StringRef name);

/// Bytes of SRAM a PE needs for `buffers`.
int64_t sramBytesOf(ArrayRef<KernelBuffer> buffers);

/// Reads a typed entry of a kernel config (the partitioner wrote them).
int64_t configInt(DictionaryAttr config, StringRef key);
bool configBool(DictionaryAttr config, StringRef key);
float configFloat(DictionaryAttr config, StringRef key);

const Kernel &linearKernel();
const Kernel &softmaxCrossEntropyKernel();

} // namespace mlir::wse

#endif
