//===- Layout.cpp - tensors spread over PE grids --------------------------===//
#include "wse/Support/Layout.h"

#include <algorithm>

namespace wsert {

int64_t ceilDiv(int64_t a, int64_t b) { return b <= 0 ? 0 : (a + b - 1) / b; }

AxisSplit AxisSplit::split(int64_t dim, int64_t extent, int64_t pes) {
  AxisSplit s;
  s.kind = Split;
  s.dim = dim;
  s.block = std::max<int64_t>(1, ceilDiv(extent, std::max<int64_t>(1, pes)));
  s.count = std::max<int64_t>(1, ceilDiv(extent, s.block));
  return s;
}

AxisSplit AxisSplit::nest(AxisSplit outer, const AxisSplit &inner) {
  if (inner.count <= 1)
    return outer;
  // Copies of copies are copies.
  if (outer.kind == Replicated && inner.kind == Replicated)
    return replicated(outer.count * inner.count);
  outer.innerKind = inner.kind;
  outer.innerDim = inner.dim;
  outer.innerBlock = inner.block;
  outer.innerCount = inner.count;
  return outer;
}

Layout boxOperandLayout(const std::vector<int64_t> &shape,
                        const std::vector<int64_t> &map,
                        const std::vector<int64_t> &iter,
                        const std::vector<int64_t> &axes,
                        const std::vector<int64_t> &blocks,
                        bool partialIfMissing) {
  Layout l;
  l.shape = shape;
  auto part = [&](int64_t boxDim) {
    int64_t count = ceilDiv(iter[size_t(boxDim)], blocks[size_t(boxDim)]);
    for (size_t d = 0; d < map.size(); ++d)
      if (map[d] == boxDim && shape[d] == iter[size_t(boxDim)])
        return AxisSplit{AxisSplit::Split, int64_t(d), blocks[size_t(boxDim)],
                         count};
    return partialIfMissing ? AxisSplit::partial(count)
                            : AxisSplit::replicated(count);
  };
  for (int a = 0; a < 2; ++a) {
    int64_t outer = -1, inner = -1;
    for (size_t d = 0; d < axes.size(); ++d) {
      if (axes[d] == a + 1)
        outer = int64_t(d);
      if (axes[d] == a + 3)
        inner = int64_t(d);
    }
    l.axis(a) = outer < 0 ? AxisSplit::replicated(1) : part(outer);
    if (outer >= 0 && inner >= 0)
      l.axis(a) = AxisSplit::nest(l.axis(a), part(inner));
  }
  return l;
}

int64_t Layout::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<int64_t> Layout::tileShape() const {
  std::vector<int64_t> t = shape;
  auto apply = [&](AxisSplit::Kind kind, int64_t dim, int64_t block) {
    if (kind == AxisSplit::Split && dim >= 0 && dim < int64_t(t.size()))
      t[dim] = std::min(t[dim], block);
  };
  for (const AxisSplit *a : {&x, &y}) {
    apply(a->kind, a->dim, a->block);
    if (a->nested())
      apply(a->innerKind, a->innerDim, a->innerBlock);
  }
  return t;
}

int64_t Layout::tileElements() const {
  int64_t n = 1;
  for (int64_t d : tileShape())
    n *= d;
  return n;
}

void Layout::range(int64_t dim, int64_t px, int64_t py, int64_t &begin,
                   int64_t &size) const {
  begin = 0;
  size = shape[dim];
  for (int a = 0; a < 2; ++a) {
    const AxisSplit &s = axis(a);
    int64_t p = a == 0 ? px : py;
    if (s.kind == AxisSplit::Split && s.dim == dim) {
      begin = (p / s.innerCount) * s.block;
      size = std::clamp<int64_t>(shape[dim] - begin, 0, s.block);
    } else if (s.nested() && s.innerKind == AxisSplit::Split &&
               s.innerDim == dim) {
      begin = (p % s.innerCount) * s.innerBlock;
      size = std::clamp<int64_t>(shape[dim] - begin, 0, s.innerBlock);
    }
  }
}

std::string Layout::check(int64_t gridW, int64_t gridH) const {
  auto checkSplit = [&](const std::string &name, AxisSplit::Kind kind,
                        int64_t dim, int64_t block,
                        int64_t count) -> std::string {
    if (kind != AxisSplit::Split)
      return "";
    if (dim < 0 || dim >= int64_t(shape.size()))
      return "axis " + name + " splits dim " + std::to_string(dim) +
             " of a rank-" + std::to_string(shape.size()) + " tensor";
    if (block < 1 || count != ceilDiv(shape[dim], block))
      return "axis " + name + " splits dim " + std::to_string(dim) + " of " +
             std::to_string(shape[dim]) + " in blocks of " +
             std::to_string(block) + " over " + std::to_string(count) +
             " PEs";
    return "";
  };
  std::vector<int64_t> splitDims;
  for (int a = 0; a < 2; ++a) {
    const AxisSplit &s = axis(a);
    int64_t grid = a == 0 ? gridW : gridH;
    std::string name = a == 0 ? "x" : "y";
    if (s.count < 1 || s.innerCount < 1 || s.count > grid ||
        s.innerCount > grid || s.pes() > grid)
      return "axis " + name + " uses " + std::to_string(s.pes()) +
             " PEs of a grid of " + std::to_string(grid);
    if (std::string e = checkSplit(name, s.kind, s.dim, s.block, s.count);
        !e.empty())
      return e;
    if (s.kind == AxisSplit::Split)
      splitDims.push_back(s.dim);
    if (!s.nested())
      continue;
    if (s.kind == AxisSplit::Partial)
      return "axis " + name + " nests within partial sums";
    if (mask >= 0)
      return "axis " + name + " is nested in a sparse layout";
    if (std::string e = checkSplit(name + " (inner)", s.innerKind, s.innerDim,
                                   s.innerBlock, s.innerCount);
        !e.empty())
      return e;
    if (s.innerKind == AxisSplit::Split)
      splitDims.push_back(s.innerDim);
  }
  std::sort(splitDims.begin(), splitDims.end());
  for (size_t i = 1; i < splitDims.size(); ++i)
    if (splitDims[i] == splitDims[i - 1])
      return "dim " + std::to_string(splitDims[i]) + " is split twice";
  return "";
}

SparseTiles sparseTiles(const Layout &l, const std::vector<uint8_t> &keep,
                        int64_t gridW, int64_t gridH) {
  SparseTiles t;
  t.gridW = gridW;
  t.gridH = gridH;
  t.offsets.resize(size_t(gridW * gridH));
  int64_t rank = int64_t(l.shape.size());
  std::vector<int64_t> strides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * l.shape[d + 1];
  for (int64_t py = 0; py < gridH; ++py)
    for (int64_t px = 0; px < gridW; ++px) {
      std::vector<int32_t> &out = t.offsets[size_t(py * gridW + px)];
      forEachTileElement(l, px, py,
                         [&](const std::vector<int64_t> &g, int64_t off) {
                           int64_t lin = 0;
                           for (int64_t d = 0; d < rank; ++d)
                             lin += g[d] * strides[d];
                           if (keep[size_t(lin)])
                             out.push_back(int32_t(off));
                         });
      t.maxKept = std::max<int64_t>(t.maxKept, int64_t(out.size()));
    }
  return t;
}

std::string Layout::str() const {
  std::string s;
  auto part = [](AxisSplit::Kind kind, int64_t dim, int64_t block) {
    if (kind == AxisSplit::Split)
      return "d" + std::to_string(dim) + "/" + std::to_string(block);
    return std::string(kind == AxisSplit::Partial ? "partial" : "replicated");
  };
  for (int a = 0; a < 2; ++a) {
    const AxisSplit &ax = axis(a);
    s += a == 0 ? "x: " : ", y: ";
    s += part(ax.kind, ax.dim, ax.block);
    if (ax.nested())
      s += " (" + std::to_string(ax.count) + " groups) * " +
           part(ax.innerKind, ax.innerDim, ax.innerBlock) + " (" +
           std::to_string(ax.innerCount) + " PEs each)";
    else
      s += " (" + std::to_string(ax.count) + " PEs)";
  }
  if (mask >= 0)
    s += ", sparse(" + std::to_string(mask) + ")";
  return s;
}

std::vector<int32_t> keptIndices(const Layout &l, const SparseTiles &tiles,
                                 int64_t dim, int64_t px, int64_t py) {
  std::vector<int64_t> tile = l.tileShape();
  int64_t origin = 0, size = 0;
  l.range(dim, px, py, origin, size);
  std::vector<int32_t> out;
  // Tiles are row-major [rows, cols]: an offset's row or column.
  for (int32_t off : tiles.offsets[size_t(py * tiles.gridW + px)]) {
    int64_t local = dim == 0 ? off / tile[1] : off % tile[1];
    if (origin + local < l.shape[size_t(dim)])
      out.push_back(int32_t(origin + local));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

} // namespace wsert
