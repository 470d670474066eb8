//===- Layout.h - how a tensor is spread over a region of PEs --*- C++ -*-===//
//
// A layout says, for each axis of a region's PE grid (x, then y), whether
// the tensor is split along one of its dims in equal blocks (the last block
// may be short), replicated, or held as partial sums still to be combined.
// An axis can also be nested: its PEs form groups, one per block of an
// outer dim (or one copy each), and within a group the tensor is split,
// replicated or partial again (a batch of experts, each on its own band of
// rows and split within it). Dims not split are whole on every PE. A PE's tile is the tensor's shape
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
  int64_t count = 1; // PEs along the axis that hold a tile (groups, nested)
  // Nested (innerCount > 1): the axis's PEs form `count` groups of
  // `innerCount` consecutive PEs; the outer kind (split or replicated)
  // says what each group holds, the inner one what each PE of a group
  // holds of that. PE p is in group p / innerCount at p % innerCount.
  Kind innerKind = Replicated;
  int64_t innerDim = -1, innerBlock = 1, innerCount = 1;

  bool operator==(const AxisSplit &o) const {
    return kind == o.kind && dim == o.dim && block == o.block &&
           count == o.count && innerKind == o.innerKind &&
           innerDim == o.innerDim && innerBlock == o.innerBlock &&
           innerCount == o.innerCount;
  }
  bool operator!=(const AxisSplit &o) const { return !(*this == o); }
  bool nested() const { return innerCount > 1; }
  /// The PEs along the axis that hold a tile.
  int64_t pes() const { return count * innerCount; }
  bool splits(int64_t d) const {
    return (kind == Split && dim == d) || (innerKind == Split && innerDim == d);
  }
  bool partial() const { return kind == Partial || innerKind == Partial; }
  /// Split of `extent` elements over at most `pes` PEs.
  static AxisSplit split(int64_t dim, int64_t extent, int64_t pes);
  static AxisSplit replicated(int64_t count) {
    return {Replicated, -1, 1, count};
  }
  static AxisSplit partial(int64_t count) { return {Partial, -1, 1, count}; }
  /// `outer` (split or replicated) with `inner` within each of its groups;
  /// an inner of one PE leaves `outer` as it is.
  static AxisSplit nest(AxisSplit outer, const AxisSplit &inner);
  /// The inner part as an axis of its own (one group's PEs).
  AxisSplit innerPart() const {
    return {innerKind, innerDim, innerBlock, innerCount};
  }
};

struct Layout {
  std::vector<int64_t> shape;
  AxisSplit x, y;
  /// A sparse tensor (wse-sparsify) stores, on each PE, only the entries
  /// its mask keeps, in the tile's row-major order ("slots"); `mask` is
  /// the mask's index in the program's mask table, -1 for dense storage.
  int64_t mask = -1;

  bool operator==(const Layout &o) const {
    return shape == o.shape && x == o.x && y == o.y && mask == o.mask;
  }
  bool operator!=(const Layout &o) const { return !(*this == o); }
  const AxisSplit &axis(int a) const { return a == 0 ? x : y; }
  AxisSplit &axis(int a) { return a == 0 ? x : y; }
  bool isPartial() const { return x.partial() || y.partial(); }
  bool isNested() const { return x.nested() || y.nested(); }
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
    return px < x.pes() && py < y.pes();
  }
  /// Checks the layout against itself and a grid; empty when fine.
  std::string check(int64_t gridW, int64_t gridH) const;
  /// "x: d1/16 (8 PEs), y: replicated (4 PEs)".
  std::string str() const;
};

int64_t ceilDiv(int64_t a, int64_t b);

/// The layout an iteration box gives one of its operands. The box has
/// global extents `iter`, per dim the axis it is split over (`axes`: 0
/// none, 1 x, 2 y, 3 and 4 within the groups of x and y) and its block;
/// `map` takes each operand dim to its box dim (-1: broadcast). A box dim
/// the operand lacks leaves it partial (a result, `partialIfMissing`) or
/// replicated along that axis.
Layout boxOperandLayout(const std::vector<int64_t> &shape,
                        const std::vector<int64_t> &map,
                        const std::vector<int64_t> &iter,
                        const std::vector<int64_t> &axes,
                        const std::vector<int64_t> &blocks,
                        bool partialIfMissing);

/// Calls f(global index, tile offset) for every element of the tile the
/// PE at (px, py) holds, in row-major order of the tile.
template <typename F>
void forEachTileElement(const Layout &l, int64_t px, int64_t py, F f) {
  if (!l.holds(px, py))
    return;
  int64_t rank = int64_t(l.shape.size());
  std::vector<int64_t> begin(rank), size(rank);
  for (int64_t d = 0; d < rank; ++d) {
    l.range(d, px, py, begin[d], size[d]);
    if (size[d] == 0)
      return;
  }
  std::vector<int64_t> tile = l.tileShape(), tileStrides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    tileStrides[d] = tileStrides[d + 1] * tile[d + 1];
  std::vector<int64_t> idx(rank, 0), global(rank);
  while (true) {
    int64_t off = 0;
    for (int64_t d = 0; d < rank; ++d) {
      global[d] = begin[d] + idx[d];
      off += idx[d] * tileStrides[d];
    }
    f(global, off);
    int64_t d = rank - 1;
    for (; d >= 0; --d) {
      if (++idx[d] < size[d])
        break;
      idx[d] = 0;
    }
    if (d < 0)
      break;
  }
}

/// Where a mask's kept entries fall in a layout's tiles: for each PE of a
/// gridW x gridH grid (index py * gridW + px), the tile offsets of the
/// kept entries it holds, in row-major order of the tile. Slot s of a
/// sparse tensor on that PE is the entry at offsets[pe][s]. `keep` is the
/// row-major mask over the whole tensor.
struct SparseTiles {
  int64_t gridW = 1, gridH = 1;
  std::vector<std::vector<int32_t>> offsets;
  int64_t maxKept = 0; // the most slots any PE holds
  int64_t slots(int64_t px, int64_t py) const {
    return int64_t(offsets[size_t(py * gridW + px)].size());
  }
};
SparseTiles sparseTiles(const Layout &l, const std::vector<uint8_t> &keep,
                        int64_t gridW, int64_t gridH);

/// The sorted global indices along `dim` (0: rows, 1: columns) of the
/// entries PE (px, py) holds in `tiles`, the tiles of rank-2 layout `l`.
std::vector<int32_t> keptIndices(const Layout &l, const SparseTiles &tiles,
                                 int64_t dim, int64_t px, int64_t py);

/// The words a PE's index buffer of `slots` entries takes: the count, then
/// two 16-bit tile offsets per word.
inline int64_t indexWords(int64_t slots) { return 1 + (slots + 1) / 2; }

} // namespace wsert

#endif
