//===- Allocation.h - SRAM for a fabric graph's tensors ---------*- C++ -*-===//
//
// What each PE (or the host) holds for a fabric graph: every tensor's tile
// (or slots, for a sparse layout), one index buffer per sparse layout a
// kernel iterates, their lifetimes in program order, and first-fit offsets
// per region. wse-lower-to-pe builds its buffers from it; wse-partition's
// execution=auto asks it whether a pipelined step fits before choosing.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_LIB_CONVERSION_ALLOCATION_H
#define WSE_LIB_CONVERSION_ALLOCATION_H

#include "fabric/FabricDialect.h"
#include "wse/Support/Layout.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir::wse::mesh {

struct GraphAllocation {
  struct Tensor {
    mutable fabric::TensorOp op; // null for an index buffer
    std::string region;
    ::wsert::Layout layout;
    int64_t tile = 1; // elements (words, for an index buffer)
    int64_t first = -1, last = -1;
    int64_t offset = 0; // bytes
  };
  struct Peak {
    int64_t bytes = 0;  // the highest buffer end
    std::string tensor; // whose allocation reached it
    std::vector<std::string> live; // the tensors live then, by offset
  };
  std::map<std::string, Tensor> tensors;
  std::vector<std::string> order; // tensors, then index buffers
  std::map<std::string, fabric::RegionOp> regions;
  std::vector<std::string> regionOrder;
  std::map<std::string, Peak> peaks; // per region
  std::map<int64_t, fabric::MaskOp> masks;
  /// The steps that read or write tensors (computes, transfers, outputs),
  /// in program order.
  std::vector<Operation *> program;
  /// Index buffers: name -> (region, layout), in order of creation.
  std::vector<std::pair<std::string, ::wsert::Layout>> indexBuffers;
  std::map<std::string, std::string> indexOf; // region + layout -> buffer

  /// The index buffer of sparse layout `l` in `region`.
  const std::string &indexFor(::wsert::Layout l, const std::string &region);
  /// The first sparse operand layout of a kernel, if any.
  std::optional<::wsert::Layout> sparseOperand(fabric::ComputeOp c) const;

  /// A table not stored (an unstored scatter-add's output) -> its kernel,
  /// whose ins each transfer from the table sends from.
  std::map<std::string, fabric::ComputeOp> rowsOf;

  std::map<int64_t, std::vector<uint8_t>> maskBits;
  std::map<std::string, int64_t> keptOf;
  int64_t maxKept(const ::wsert::Layout &l, const std::string &region);
};

/// Builds `out` for `graph`: fails (with an error at the op) on a graph
/// that is not partitioned, placed and routed as wse-lower-to-pe needs.
/// `placed = false` sizes a graph straight from wse-partition (regions
/// not placed, transfers without colors).
LogicalResult allocateGraph(fabric::GraphOp graph, GraphAllocation &out,
                            bool placed = true);

} // namespace mlir::wse::mesh

#endif
