//===- PeIsaBox.h - iteration boxes shared by the pe instructions -*- C++ -*-===//
//
// Internal to lib/Support: how an instruction reads its box, checks it and
// walks the runs of its views on one PE, shared by PeIsa.cpp and
// PeIsaUpdates.cpp (the optimizer updates).
//
//===----------------------------------------------------------------------===//
#ifndef WSE_LIB_SUPPORT_PEISABOX_H
#define WSE_LIB_SUPPORT_PEISABOX_H

#include "wse/Support/PeIsa.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace wsert::isa::detail {

constexpr int kMaxRank = 8;

//===----------------------------------------------------------------------===//
// Iteration boxes
//===----------------------------------------------------------------------===//

inline std::string num(int64_t v) { return std::to_string(v); }

/// An iteration box of at most 8 dims, without a heap allocation (an
/// instruction reads its box every time it runs on a PE).
struct Box {
  BoxDim dims[8];
  size_t n = 0;
  size_t size() const { return n; }
  const BoxDim &operator[](size_t d) const { return dims[d]; }
  const BoxDim *begin() const { return dims; }
  const BoxDim *end() const { return dims + n; }
};

/// Reads `rank` (at most 8, checked before) box dims starting at ints[at].
inline Box readBox(const Instr &in, size_t at, int64_t rank) {
  Box box;
  box.n = size_t(std::clamp<int64_t>(rank, 0, 8));
  for (size_t d = 0; d < box.n; ++d)
    box.dims[d] = {in.ints[at + 3 * d], in.ints[at + 3 * d + 1],
                   in.ints[at + 3 * d + 2]};
  // A nested axis: the inner dim's blocks make the groups the outer dim's
  // blocks step over.
  for (size_t d = 0; d < box.n; ++d) {
    BoxDim &inner = box.dims[d];
    if (inner.axis != 3 && inner.axis != 4)
      continue;
    int64_t b = std::max<int64_t>(1, inner.block);
    inner.period = std::max<int64_t>(1, (inner.global + b - 1) / b);
    for (size_t o = 0; o < box.n; ++o)
      if (box.dims[o].axis == inner.axis - 2)
        box.dims[o].stride = inner.period;
  }
  return box;
}

inline std::string checkBox(const Box &box) {
  bool on[5] = {false, false, false, false, false};
  for (const BoxDim &d : box) {
    if (d.block < 0 || d.global < 0 || d.axis < 0 || d.axis > 4)
      return "a box dim has block " + num(d.block) + ", axis " + num(d.axis) +
             ", global " + num(d.global);
    if (d.axis == 0 && d.block != d.global)
      return "a dim that is not split has block " + num(d.block) +
             " but global " + num(d.global);
    if (d.axis > 0 && on[d.axis])
      return "two box dims are split over one axis";
    on[d.axis] = true;
  }
  if ((on[3] && !on[1]) || (on[4] && !on[2]))
    return "a box dim is split within groups that no dim splits";
  return "";
}

/// The highest element a view of `box` with `strides` touches, plus one.
inline int64_t viewSpan(const Box &box, const int64_t *strides) {
  int64_t span = 1;
  for (size_t d = 0; d < box.size(); ++d) {
    if (box[d].block == 0)
      return 0;
    span += (box[d].block - 1) * strides[d];
  }
  return span;
}

/// Whether the PE at (px, py) works on the box at all: along an axis no
/// box dim is split over, only the first PE does.
inline bool active(const Box &box, const PeState &pe) {
  bool x = false, y = false;
  for (const BoxDim &d : box) {
    x |= d.gridAxis() == 0;
    y |= d.gridAxis() == 1;
  }
  return (x || pe.px == 0) && (y || pe.py == 0);
}

/// Row-major strides of a tile whose dims are the box's blocks.
inline std::vector<int64_t> tileStrides(const Box &box) {
  std::vector<int64_t> s(box.size(), 1);
  for (int64_t d = int64_t(box.size()) - 2; d >= 0; --d)
    s[d] = s[d + 1] * box[d + 1].block;
  return s;
}

/// Calls f(offsets, n) for each innermost run of the box on this PE, where
/// offsets[b] is the element offset of view b at the run's start and the
/// run advances view b by strides[b][rank-1] per element.
template <int NB, typename F>
int64_t forEachRun(const Box &box, const PeState &pe,
                   const int64_t (&strides)[NB][8], F f) {
  if (!active(box, pe))
    return 0;
  int64_t rank = int64_t(box.size());
  int64_t ext[8];
  int64_t total = 1;
  for (int64_t d = 0; d < rank; ++d) {
    ext[d] = localExtent(box[d], pe.px, pe.py);
    total *= ext[d];
  }
  if (total == 0)
    return 0;
  if (rank == 0) {
    int64_t off[NB] = {};
    f(off, 1);
    return 1;
  }
  int64_t idx[8] = {};
  int64_t inner = ext[rank - 1];
  while (true) {
    int64_t off[NB];
    for (int b = 0; b < NB; ++b) {
      off[b] = 0;
      for (int64_t d = 0; d + 1 < rank; ++d)
        off[b] += idx[d] * strides[b][d];
    }
    f(off, inner);
    int64_t d = rank - 2;
    for (; d >= 0; --d) {
      if (++idx[d] < ext[d])
        break;
      idx[d] = 0;
    }
    if (d < 0)
      break;
  }
  return total;
}

inline uint64_t cyclesFor(uint64_t work, int64_t rate) {
  return (work + uint64_t(std::max<int64_t>(1, rate)) - 1) /
         uint64_t(std::max<int64_t>(1, rate));
}

/// The slot count and 16-bit tile offsets of an index buffer.
struct IndexView {
  const float *words = nullptr;
  /// -1 for a word that is no slot count (a data buffer named as index).
  int64_t count() const {
    float c = words[0];
    return c >= 0.0f && c <= 1e9f && c == std::trunc(c) ? int64_t(c) : -1;
  }
  int64_t at(int64_t s) const {
    uint16_t v[2];
    std::memcpy(v, words + 1 + s / 2, sizeof(v));
    return v[s % 2];
  }
};

// The optimizer updates (PeIsaUpdates.cpp), for the instruction table.
std::string checkUpdate(const Instr &in, const std::vector<int64_t> &lengths,
                        size_t lead, size_t floats, size_t scalars);
size_t updateScalars(const Instr &in, size_t lead, size_t tensors);
/// What an optimizer update (or accumulate) over `elements` costs.
Work updateWork(const Instr &in, int64_t elements, int64_t microBatch,
                const Rates &rates);
std::string execSgd(const Instr &in, const PeState &pe, const Rates &rates,
                    Work &work);
std::string execSgdMomentum(const Instr &in, const PeState &pe,
                            const Rates &rates, Work &work);
std::string execAdamW(const Instr &in, const PeState &pe, const Rates &rates,
                      Work &work);
std::string execAccumulate(const Instr &in, const PeState &pe,
                           const Rates &rates, Work &work);

} // namespace wsert::isa::detail

#endif // WSE_LIB_SUPPORT_PEISABOX_H
