//===- PeIsaUpdates.cpp - the optimizer update instructions --------------===//
//
// sgd, sgd_momentum and adamw over a PE's tile (or a sparse tensor's
// slots): the numeric kernels of lib/Support/Math.cpp that the reference
// interpreter also runs.
//
//===----------------------------------------------------------------------===//
#include "PeIsaBox.h"
#include "wse/Support/Math.h"

namespace wsert::isa::detail {

//===----------------------------------------------------------------------===//
// Optimizer updates over a tile (every operand has the box's tile layout)
//===----------------------------------------------------------------------===//

/// ints = [lead..., rank, box]; checks the box and the buffers' lengths.
std::string checkUpdate(const Instr &in, const std::vector<int64_t> &lengths,
                        size_t lead, size_t floats, size_t scalars) {
  if (in.floats.size() != floats)
    return "takes " + num(floats) + (floats == 1 ? " float" : " floats");
  if (in.ints.size() < lead + 1)
    return "needs its rank";
  int64_t rank = in.ints[lead];
  if (rank < 0 || rank > kMaxRank ||
      (in.ints.size() != lead + 1 + 3 * size_t(rank) &&
       in.ints.size() != lead + 2 + 3 * size_t(rank)))
    return "has a malformed box";
  bool sparse = in.ints.size() == lead + 2 + 3 * size_t(rank);
  if (sparse && in.ints.back() != 1)
    return "has sparse flag " + num(in.ints.back()) + " (1: the last buffer "
           "is an index)";
  Box box = readBox(in, lead + 1, rank);
  if (std::string e = checkBox(box); !e.empty())
    return e;
  int64_t tile = 1;
  for (const BoxDim &d : box)
    tile *= d.block;
  // A sparse update runs over slots, at most one per tile entry.
  size_t tensors = lengths.size() - (sparse ? 1 : 0);
  for (size_t b = 0; b < tensors; ++b) {
    bool scalar = b >= tensors - scalars;
    if (sparse && !scalar)
      continue;
    if (lengths[b] < (scalar ? 1 : tile))
      return "buffer " + num(b) + " holds " + num(lengths[b]) +
             " elements, fewer than the tile's " + num(scalar ? 1 : tile);
  }
  return "";
}

namespace {

/// Whether an update runs over slots (its last buffer is an index).
bool sparseUpdate(const Instr &in, size_t lead) {
  return in.ints.size() == lead + 2 + 3 * size_t(in.ints[lead]);
}

/// Runs f(offset, n) over the contiguous runs of the tile on this PE, or
/// over its slots as one run for a sparse update.
template <typename F>
int64_t forEachTileRun(const Instr &in, size_t lead, const PeState &pe,
                       size_t tensors, std::string &err, F f) {
  int64_t rank = in.ints[lead];
  Box box = readBox(in, lead + 1, rank);
  if (sparseUpdate(in, lead)) {
    if (!active(box, pe))
      return 0;
    for (const BoxDim &d : box)
      if (localExtent(d, pe.px, pe.py) == 0)
        return 0;
    int64_t n = IndexView{pe.buffers[in.buffers.back()]}.count();
    for (size_t b = 0; b < tensors; ++b)
      if (n < 0 || n > pe.lengths[in.buffers[b]]) {
        err = "the index holds " + num(n) + " slots, buffer " + num(b) +
              " " + num(pe.lengths[in.buffers[b]]);
        return 0;
      }
    if (n > 0)
      f(0, n);
    return n;
  }
  std::vector<int64_t> s = tileStrides(box);
  int64_t strides[1][8] = {};
  for (int64_t d = 0; d < rank; ++d)
    strides[0][d] = s[d];
  return forEachRun<1>(box, pe, strides,
                       [&](int64_t *off, int64_t n) { f(off[0], n); });
}

float lrOf(const Instr &in, const PeState &pe, size_t lrBuffer, size_t lead) {
  size_t n = in.buffers.size() - (sparseUpdate(in, lead) ? 1 : 0);
  return n > lrBuffer ? pe.buffers[in.buffers[lrBuffer]][0] : in.floats[0];
}

} // namespace

Work updateWork(const Instr &in, int64_t elements, int64_t microBatch,
                const Rates &rates) {
  static const int kSgd = lookupInstr("sgd"),
                   kMomentum = lookupInstr("sgd_momentum"),
                   kAdamW = lookupInstr("adamw");
  uint64_t n = uint64_t(elements);
  Work w;
  if (in.op == kSgd) {
    w.cycles = cyclesFor(n, rates.fmacsPerCycle);
    w.flops = 2 * n;
  } else if (in.op == kMomentum) {
    w.cycles = cyclesFor(3 * n, rates.fmacsPerCycle);
    w.flops = 6 * n;
  } else if (in.op == kAdamW) {
    w.cycles = cyclesFor(8 * n, rates.fmacsPerCycle);
    w.flops = 16 * n;
  } else { // accumulate: copy in the first micro-batch, add, then scale
    bool first = microBatch == 0;
    bool scale = in.ints[1] != 0 && microBatch == in.ints[0] - 1;
    uint64_t ops = (first ? 0 : n) + (scale ? n : 0);
    w.cycles = cyclesFor(std::max(ops, n), rates.addsPerCycle);
    w.flops = ops;
  }
  return w;
}

std::string execSgd(const Instr &in, const PeState &pe, const Rates &rates,
                    Work &work) {
  float *p = pe.buffers[in.buffers[0]];
  const float *p0 = pe.buffers[in.buffers[1]];
  const float *g = pe.buffers[in.buffers[2]];
  float lr = lrOf(in, pe, 3, 0);
  std::string err;
  int64_t n = forEachTileRun(in, 0, pe, 3, err, [&](int64_t off, int64_t len) {
    for (int64_t e = off; e < off + len; ++e)
      p[e] = p0[e] - lr * g[e];
  });
  if (!err.empty())
    return err;
  work = updateWork(in, n, pe.microBatch, rates);
  return "";
}

std::string execSgdMomentum(const Instr &in, const PeState &pe,
                            const Rates &rates, Work &work) {
  float *p = pe.buffers[in.buffers[0]];
  float *buf = pe.buffers[in.buffers[1]];
  const float *p0 = pe.buffers[in.buffers[2]];
  const float *g = pe.buffers[in.buffers[3]];
  const float *buf0 = pe.buffers[in.buffers[4]];
  float lr = lrOf(in, pe, 5, 1);
  std::string err;
  int64_t n = forEachTileRun(in, 1, pe, 5, err, [&](int64_t off, int64_t len) {
    std::memmove(p + off, p0 + off, size_t(len) * 4);
    std::memmove(buf + off, buf0 + off, size_t(len) * 4);
    math::sgdMomentumUpdate<float>(p + off, g + off, buf + off, len, lr,
                                   in.floats[1], in.floats[2], in.floats[3],
                                   in.ints[0] != 0);
  });
  if (!err.empty())
    return err;
  work = updateWork(in, n, pe.microBatch, rates);
  return "";
}

std::string execAdamW(const Instr &in, const PeState &pe, const Rates &rates,
                      Work &work) {
  float *p = pe.buffers[in.buffers[0]];
  float *m = pe.buffers[in.buffers[1]];
  float *v = pe.buffers[in.buffers[2]];
  const float *p0 = pe.buffers[in.buffers[3]];
  const float *g = pe.buffers[in.buffers[4]];
  const float *m0 = pe.buffers[in.buffers[5]];
  const float *v0 = pe.buffers[in.buffers[6]];
  double t = double(pe.buffers[in.buffers[7]][0]);
  float lr = lrOf(in, pe, 8, 0);
  std::string err;
  int64_t n = forEachTileRun(in, 0, pe, 7, err, [&](int64_t off, int64_t len) {
    std::memmove(p + off, p0 + off, size_t(len) * 4);
    std::memmove(m + off, m0 + off, size_t(len) * 4);
    std::memmove(v + off, v0 + off, size_t(len) * 4);
    math::adamwUpdate<float>(p + off, g + off, m + off, v + off, len, t, lr,
                             in.floats[1], in.floats[2], in.floats[3],
                             in.floats[4]);
  });
  if (!err.empty())
    return err;
  work = updateWork(in, n, pe.microBatch, rates);
  return "";
}

/// The scalar buffers (step, lr) of an update whose tensors and required
/// scalars are its first `required` buffers.
size_t updateScalars(const Instr &in, size_t lead, size_t tensors) {
  if (in.ints.size() <= lead)
    return 0;
  size_t n = in.buffers.size() -
             (in.ints.size() == lead + 2 + 3 * size_t(std::max<int64_t>(
                                                   0, in.ints[lead]))
                  ? 1
                  : 0);
  return n > tensors ? n - tensors : 0;
}

/// Gradient accumulation: the first micro-batch of a step copies, the
/// others add, in order; with `mean` the last multiplies the sum by 1/N
/// (rounded to f32), as the reference interpreter does.
std::string execAccumulate(const Instr &in, const PeState &pe,
                           const Rates &rates, Work &work) {
  float *acc = pe.buffers[in.buffers[0]];
  const float *g = pe.buffers[in.buffers[1]];
  int64_t count = in.ints[0];
  bool first = pe.microBatch == 0;
  bool scale = in.ints[1] != 0 && pe.microBatch == count - 1;
  float inv = 1.0f / float(count);
  std::string err;
  int64_t n = forEachTileRun(in, 2, pe, 2, err, [&](int64_t off, int64_t len) {
    for (int64_t e = off; e < off + len; ++e) {
      float v = first ? g[e] : acc[e] + g[e];
      acc[e] = scale ? v * inv : v;
    }
  });
  if (!err.empty())
    return err;
  work = updateWork(in, n, pe.microBatch, rates);
  return "";
}

} // namespace wsert::isa::detail
