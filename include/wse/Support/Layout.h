//===- Layout.h - how a tensor is spread over a region of PEs --*- C++ -*-===//
//
// A layout says, for each axis of a region's PE grid (x, then y), whether
// the tensor is split along one of its dims in equal blocks (the last block
// may be short), replicated, or held as partial sums still to be combined.
// Dims not split are whole on every PE. A PE's tile is the tensor's shape
// with each split dim replaced by its block, stored row-major; edge PEs
// hold short blocks in full-size tiles. The compiler (fabric layouts, pe
// buffers), the wafer program and the simulator all use this one struct.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_SUPPORT_LAYOUT_H
#define WSE_SUPPORT_LAYOUT_H

#include <cstdint>
#include <string>
#include <vector>

namespace wsert {

/// What a tensor does along one grid axis.
struct AxisSplit {
  enum Kind : int64_t { Split = 0, Replicated = 1, Partial = 2 };
  Kind kind = Replicated;
  int64_t dim = -1;  // the tensor dim (Split only)
  int64_t block = 1; // elements of `dim` per PE (Split only)
  int64_t count = 1; // PEs along the axis that hold a tile

  bool operator==(const AxisSplit &o) const {
    return kind == o.kind && dim == o.dim && block == o.block &&
           count == o.count;
  }
  bool operator!=(const AxisSplit &o) const { return !(*this == o); }
  /// Split of `extent` elements over at most `pes` PEs.
  static AxisSplit split(int64_t dim, int64_t extent, int64_t pes);
  static AxisSplit replicated(int64_t count) {
    return {Replicated, -1, 1, count};
  }
  static AxisSplit partial(int64_t count) { return {Partial, -1, 1, count}; }
};

struct Layout {
  std::vector<int64_t> shape;
  AxisSplit x, y;

  bool operator==(const Layout &o) const {
    return shape == o.shape && x == o.x && y == o.y;
  }
  bool operator!=(const Layout &o) const { return !(*this == o); }
  const AxisSplit &axis(int a) const { return a == 0 ? x : y; }
  AxisSplit &axis(int a) { return a == 0 ? x : y; }
  bool isPartial() const {
    return x.kind == AxisSplit::Partial || y.kind == AxisSplit::Partial;
  }
  int64_t numElements() const;
  /// The tile every PE stores (split dims replaced by their block).
  std::vector<int64_t> tileShape() const;
  int64_t tileElements() const;
  /// The elements of `dim` the PE at grid position (px, py) holds:
  /// [begin, begin + size), size 0 when it holds none.
  void range(int64_t dim, int64_t px, int64_t py, int64_t &begin,
             int64_t &size) const;
  /// Whether the PE at (px, py) holds a tile at all.
  bool holds(int64_t px, int64_t py) const {
    return px < x.count && py < y.count;
  }
  /// Checks the layout against itself and a grid; empty when fine.
  std::string check(int64_t gridW, int64_t gridH) const;
  /// "x: d1/16 (8 PEs), y: replicated (4 PEs)".
  std::string str() const;
};

int64_t ceilDiv(int64_t a, int64_t b);

} // namespace wsert

#endif
