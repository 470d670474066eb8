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

int64_t Layout::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<int64_t> Layout::tileShape() const {
  std::vector<int64_t> t = shape;
  for (const AxisSplit *a : {&x, &y})
    if (a->kind == AxisSplit::Split && a->dim >= 0 &&
        a->dim < int64_t(t.size()))
      t[a->dim] = std::min(t[a->dim], a->block);
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
    if (s.kind != AxisSplit::Split || s.dim != dim)
      continue;
    int64_t p = a == 0 ? px : py;
    begin = p * s.block;
    size = std::clamp<int64_t>(shape[dim] - begin, 0, s.block);
  }
}

std::string Layout::check(int64_t gridW, int64_t gridH) const {
  for (int a = 0; a < 2; ++a) {
    const AxisSplit &s = axis(a);
    int64_t grid = a == 0 ? gridW : gridH;
    const char *name = a == 0 ? "x" : "y";
    if (s.count < 1 || s.count > grid)
      return std::string("axis ") + name + " uses " + std::to_string(s.count) +
             " PEs of a grid of " + std::to_string(grid);
    if (s.kind == AxisSplit::Split) {
      if (s.dim < 0 || s.dim >= int64_t(shape.size()))
        return std::string("axis ") + name + " splits dim " +
               std::to_string(s.dim) + " of a rank-" +
               std::to_string(shape.size()) + " tensor";
      if (s.block < 1 || s.count != ceilDiv(shape[s.dim], s.block))
        return std::string("axis ") + name + " splits dim " +
               std::to_string(s.dim) + " of " + std::to_string(shape[s.dim]) +
               " in blocks of " + std::to_string(s.block) + " over " +
               std::to_string(s.count) + " PEs";
    }
  }
  if (x.kind == AxisSplit::Split && y.kind == AxisSplit::Split &&
      x.dim == y.dim)
    return "both axes split dim " + std::to_string(x.dim);
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
  for (int a = 0; a < 2; ++a) {
    const AxisSplit &ax = axis(a);
    s += a == 0 ? "x: " : ", y: ";
    if (ax.kind == AxisSplit::Split)
      s += "d" + std::to_string(ax.dim) + "/" + std::to_string(ax.block);
    else
      s += ax.kind == AxisSplit::Partial ? "partial" : "replicated";
    s += " (" + std::to_string(ax.count) + " PEs)";
  }
  if (mask >= 0)
    s += ", sparse(" + std::to_string(mask) + ")";
  return s;
}

std::vector<int32_t> keptIndices(const Layout &l, const SparseTiles &tiles,
                                 int64_t dim, int64_t px, int64_t py) {
  std::vector<int64_t> tile = l.tileShape();
  int64_t origin = 0;
  for (int a = 0; a < 2; ++a)
    if (l.axis(a).kind == AxisSplit::Split && l.axis(a).dim == dim)
      origin = (a == 0 ? px : py) * l.axis(a).block;
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
