//===- PeIsa.cpp - the pe instructions: fields, checks, semantics, cost ---===//
//
// One entry per instruction in `instructionSet()`. Semantics use the shared
// numeric kernels of Math.h where the reference interpreter has one (the
// optimizer updates), so both engines compute each element the same way.
//
//===----------------------------------------------------------------------===//
#include "wse/Support/PeIsa.h"
#include "PeIsaBox.h"
#include "wse/Support/Math.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace wsert::isa {

using namespace detail;

namespace {

//===----------------------------------------------------------------------===//
// Scalar functions of `map`
//===----------------------------------------------------------------------===//

inline float sigmoidF(float x) { return math::sigmoid(x); }
inline float softplusF(float x) { return math::softplus(x); }
inline float geluF(float x, bool approximate) {
  return math::gelu(x, approximate);
}
inline float signF(float x) { return math::sign(x); }
inline float maxF(float a, float b) { return math::maximum(a, b); }
inline float minF(float a, float b) { return math::minimum(a, b); }
/// A float-to-integer cast: truncation toward zero, NaN to 0.
inline float truncF(float x) { return std::isnan(x) ? 0.0f : std::trunc(x); }

const FnDef kFns[] = {
#define WSE_FN_DEF(name, arity, imms, cycles, expr) {#name, arity, imms, cycles},
    WSE_PE_FNS(WSE_FN_DEF)
#undef WSE_FN_DEF
};

//===----------------------------------------------------------------------===//
// map: out (acc)= fn(in0, in1, in2) over a box of views
//===----------------------------------------------------------------------===//


std::string checkMap(const Instr &in, const std::vector<int64_t> &lengths) {
  if (in.fn < 0 || in.fn >= numFns())
    return "needs a function (fn)";
  const FnDef &f = kFns[in.fn];
  if (int(in.buffers.size()) != 1 + f.arity)
    return std::string("with fn ") + f.name + " takes " + num(1 + f.arity) +
           " buffers, not " + num(in.buffers.size());
  if (int(in.floats.size()) != f.immediates)
    return std::string("with fn ") + f.name + " takes " + num(f.immediates) +
           " immediates, not " + num(in.floats.size());
  if (in.ints.size() < 2)
    return "needs rank and accumulate fields";
  int64_t rank = in.ints[0];
  if (rank < 0 || rank > kMaxRank)
    return "has rank " + num(rank) + " (at most " + num(kMaxRank) + ")";
  size_t want = 2 + 3 * rank + in.buffers.size() * rank;
  if (in.ints.size() != want)
    return "of rank " + num(rank) + " needs " + num(want) + " ints, not " +
           num(in.ints.size());
  if (in.ints[1] < 0 || in.ints[1] > 4)
    return "has accumulate mode " + num(in.ints[1]);
  Box box = readBox(in, 2, rank);
  if (std::string e = checkBox(box); !e.empty())
    return e;
  for (size_t b = 0; b < in.buffers.size(); ++b) {
    const int64_t *s = in.ints.data() + 2 + 3 * rank + b * rank;
    for (int64_t d = 0; d < rank; ++d)
      if (s[d] < 0)
        return "view " + num(b) + " has a negative stride";
    int64_t span = viewSpan(box, s);
    if (span > lengths[b])
      return "view " + num(b) + " reaches element " + num(span - 1) +
             " of a buffer of " + num(lengths[b]);
  }
  return "";
}

/// Whether [p, p + n*s] may hold o (an input read after o is written).
inline bool mayHold(const float *p, int64_t s, int64_t n, const float *o) {
  return p && o >= p && o <= p + (n - 1) * s;
}

template <typename Op>
void runMap(Acc acc, float *o, int64_t so, const float *a, int64_t sa,
            const float *b, int64_t sb, const float *c, int64_t sc,
            int64_t n, Op op) {
  // The common shapes as loops the compiler can keep in registers or
  // vectorize: a reduction into one output (a dot product), in the same
  // order, and unit-stride elementwise runs.
  bool reduces = so == 0 && (acc != Acc::Assign) && !mayHold(a, sa, n, o) &&
                 !mayHold(b, sb, n, o) && !mayHold(c, sc, n, o);
  if (reduces && (acc == Acc::Add || acc == Acc::AddFromZero)) {
    float s = *o;
    for (int64_t e = 0; e < n; ++e)
      s += op(a[e * sa], b ? b[e * sb] : 0.0f, c ? c[e * sc] : 0.0f);
    *o = s;
    return;
  }
  if (reduces) {
    float s = *o;
    for (int64_t e = 0; e < n; ++e)
      s = maxF(s, op(a[e * sa], b ? b[e * sb] : 0.0f, c ? c[e * sc] : 0.0f));
    *o = s;
    return;
  }
  if (acc == Acc::Assign && so == 1 && sa == 1 && (!b || sb == 1) &&
      (!c || sc == 1)) {
    for (int64_t e = 0; e < n; ++e)
      o[e] = op(a[e], b ? b[e] : 0.0f, c ? c[e] : 0.0f);
    return;
  }
  switch (acc) {
  case Acc::Assign:
    for (int64_t e = 0; e < n; ++e)
      o[e * so] = op(a[e * sa], b ? b[e * sb] : 0.0f, c ? c[e * sc] : 0.0f);
    break;
  case Acc::Add:
  case Acc::AddFromZero:
    for (int64_t e = 0; e < n; ++e)
      o[e * so] += op(a[e * sa], b ? b[e * sb] : 0.0f, c ? c[e * sc] : 0.0f);
    break;
  case Acc::Max:
  case Acc::MaxFromLowest:
    for (int64_t e = 0; e < n; ++e)
      o[e * so] =
          maxF(o[e * so],
               op(a[e * sa], b ? b[e * sb] : 0.0f, c ? c[e * sc] : 0.0f));
    break;
  }
}

/// One run of n elements of `fn`: out (acc)= fn(a, b, c) with strides.
void runFn(const Instr &in, Acc acc, float *o, int64_t so, const float *a,
           int64_t sa, const float *b, int64_t sb, const float *c, int64_t sc,
           int64_t n) {
  float i0 = in.floats.size() > 0 ? in.floats[0] : 0.0f;
  float i1 = in.floats.size() > 1 ? in.floats[1] : 0.0f;
  (void)i0;
  (void)i1;
  switch (Fn(in.fn)) {
#define WSE_FN_CASE(name, arity, imms, cycles, expr)                           \
  case Fn::name##_:                                                            \
    runMap(acc, o, so, a, sa, b, sb, c, sc, n,                                 \
           [&](float a, float b, float c) -> float {                           \
             (void)a;                                                          \
             (void)b;                                                          \
             (void)c;                                                          \
             return expr;                                                      \
           });                                                                 \
    break;
    WSE_PE_FNS(WSE_FN_CASE)
#undef WSE_FN_CASE
  }
}

/// The cost of `elements` computations of `fn`: a multiply accumulated into
/// its output is one FMAC (2 FLOPs) on the multiply-add pipes; everything
/// else is vector work at the add rate, a copy computing nothing and an
/// accumulation adding one add (or max).
void chargeMap(const Instr &in, Acc acc, uint64_t elements, const Rates &rates,
               Work &work) {
  if (Fn(in.fn) == Fn::mul_ && (acc == Acc::Add || acc == Acc::AddFromZero)) {
    work.cycles = cyclesFor(elements, rates.fmacsPerCycle);
    work.flops = 2 * elements;
    return;
  }
  uint64_t perElement =
      (Fn(in.fn) == Fn::copy_ ? 0 : 1) + (acc != Acc::Assign ? 1 : 0);
  work.cycles = cyclesFor(elements * uint64_t(kFns[in.fn].cycles),
                          rates.addsPerCycle);
  work.flops = elements * perElement;
}

/// The *From modes: sets the output buffer to the identity and, as the
/// instruction runs, marks the outputs its terms reach; `charge` then adds
/// a store for each output no term reached.
class FromIdentity {
public:
  FromIdentity(Acc acc, float *out, int64_t length)
      : on(acc == Acc::AddFromZero || acc == Acc::MaxFromLowest) {
    if (!on)
      return;
    std::fill(out, out + length,
              acc == Acc::AddFromZero
                  ? 0.0f
                  : -std::numeric_limits<float>::infinity());
    reached.assign(size_t(length), 0);
  }
  void mark(int64_t off, int64_t stride, int64_t n) {
    if (!on)
      return;
    if (stride == 0)
      n = std::min<int64_t>(n, 1);
    for (int64_t e = 0; e < n; ++e)
      reached[size_t(off + e * stride)] = 1;
  }
  void charge(const Rates &rates, Work &work) const {
    if (!on)
      return;
    uint64_t missed =
        uint64_t(std::count(reached.begin(), reached.end(), uint8_t(0)));
    work.cycles += cyclesFor(missed, rates.addsPerCycle);
  }

private:
  bool on;
  std::vector<uint8_t> reached;
};

std::string execMap(const Instr &in, const PeState &pe, const Rates &rates,
                    Work &work) {
  int64_t rank = in.ints[0];
  Acc acc = Acc(in.ints[1]);
  Box box = readBox(in, 2, rank);
  int64_t strides[4][8] = {};
  size_t nb = in.buffers.size();
  for (size_t b = 0; b < nb; ++b)
    for (int64_t d = 0; d < rank; ++d)
      strides[b][d] = in.ints[2 + 3 * rank + b * rank + d];
  float *out = pe.buffers[in.buffers[0]];
  FromIdentity init(acc, out, pe.lengths[in.buffers[0]]);
  const float *ins[3] = {nullptr, nullptr, nullptr};
  for (size_t b = 1; b < nb; ++b)
    ins[b - 1] = pe.buffers[in.buffers[b]];
  int64_t last = rank - 1;
  int64_t elements =
      forEachRun<4>(box, pe, strides, [&](int64_t *off, int64_t n) {
        init.mark(off[0], rank ? strides[0][last] : 0, n);
        runFn(in, acc, out + off[0], rank ? strides[0][last] : 0,
              ins[0] ? ins[0] + off[1] : nullptr, rank ? strides[1][last] : 0,
              ins[1] ? ins[1] + off[2] : nullptr, rank ? strides[2][last] : 0,
              ins[2] ? ins[2] + off[3] : nullptr, rank ? strides[3][last] : 0,
              n);
      });
  chargeMap(in, acc, uint64_t(elements), rates, work);
  init.charge(rates, work);
  return "";
}

//===----------------------------------------------------------------------===//
// spmap: map over the kept entries of a sparse operand (wse-sparsify)
//===----------------------------------------------------------------------===//


/// ints = [rank, acc, a, b, sparse, box, strides per buffer but the index].
std::string checkSpmap(const Instr &in, const std::vector<int64_t> &lengths) {
  if (in.fn < 0 || in.fn >= numFns())
    return "needs a function (fn)";
  const FnDef &f = kFns[in.fn];
  size_t views = in.buffers.size() - 1;
  if (int(views) != 1 + f.arity)
    return std::string("with fn ") + f.name + " takes " + num(2 + f.arity) +
           " buffers (the last the index), not " + num(in.buffers.size());
  if (int(in.floats.size()) != f.immediates)
    return std::string("with fn ") + f.name + " takes " + num(f.immediates) +
           " immediates, not " + num(in.floats.size());
  if (in.ints.size() < 5)
    return "needs rank, accumulate, pattern dims and sparse fields";
  int64_t rank = in.ints[0];
  if (rank < 2 || rank > kMaxRank)
    return "has rank " + num(rank) + " (2 to " + num(kMaxRank) + ")";
  size_t want = 5 + 3 * rank + views * rank;
  if (in.ints.size() != want)
    return "of rank " + num(rank) + " needs " + num(want) + " ints, not " +
           num(in.ints.size());
  if (in.ints[1] != 0 && in.ints[1] != 1 && in.ints[1] != 3)
    return "accumulates with mode " + num(in.ints[1]) + " (0, 1 or 3)";
  int64_t a = in.ints[2], b = in.ints[3], sparse = in.ints[4];
  if (a < 0 || a >= rank || b < 0 || b >= rank || a == b)
    return "has pattern dims " + num(a) + ", " + num(b);
  if (sparse <= 0 || sparse >= (int64_t(1) << views))
    return "has sparse operand set " + num(sparse);
  Box box = readBox(in, 5, rank);
  if (std::string e = checkBox(box); !e.empty())
    return e;
  if (box[a].block * box[b].block > 65536)
    return "has a pattern tile of " + num(box[a].block * box[b].block) +
           " entries; 16-bit indices address 65536";
  int64_t slots = box[a].block * box[b].block;
  for (size_t v = 0; v < views; ++v) {
    const int64_t *st = in.ints.data() + 5 + 3 * rank + v * rank;
    for (int64_t d = 0; d < rank; ++d)
      if (st[d] < 0)
        return "view " + num(v) + " has a negative stride";
    if ((sparse >> v) & 1) {
      for (int64_t d = 0; d < rank; ++d)
        if (d != a && d != b && st[d] != 0 && box[d].block > 1)
          return "sparse view " + num(v) + " strides box dim " + num(d) +
                 ", which is not a pattern dim";
      continue;
    }
    int64_t span = viewSpan(box, st);
    if (span > lengths[v])
      return "view " + num(v) + " reaches element " + num(span - 1) +
             " of a buffer of " + num(lengths[v]);
  }
  (void)slots;
  if (lengths.back() < 1)
    return "has an empty index buffer";
  return "";
}

std::string execSpmap(const Instr &in, const PeState &pe, const Rates &rates,
                      Work &work) {
  int64_t rank = in.ints[0];
  Acc acc = Acc(in.ints[1]);
  int64_t pa = in.ints[2], pb = in.ints[3], sparse = in.ints[4];
  Box box = readBox(in, 5, rank);
  float *out = pe.buffers[in.buffers[0]];
  FromIdentity init(acc, out, pe.lengths[in.buffers[0]]);
  if (!active(box, pe)) {
    init.charge(rates, work);
    return "";
  }
  size_t views = in.buffers.size() - 1;
  int64_t ext[kMaxRank];
  for (int64_t d = 0; d < rank; ++d) {
    ext[d] = localExtent(box[d], pe.px, pe.py);
    if (ext[d] == 0) {
      init.charge(rates, work);
      return "";
    }
  }
  IndexView idx{pe.buffers[in.buffers.back()]};
  int64_t slots = idx.count();
  int64_t lengthOf[4];
  for (size_t v = 0; v < views; ++v)
    lengthOf[v] = pe.lengths[in.buffers[v]];
  if (slots < 0 || slots > 2 * (pe.lengths[in.buffers.back()] - 1))
    return "the index buffer holds " + num(slots) + " slots";
  for (size_t v = 0; v < views; ++v)
    if (((sparse >> v) & 1) && slots > lengthOf[v])
      return "sparse view " + num(v) + " holds " + num(lengthOf[v]) +
             " slots of " + num(slots);
  // The other box dims, walked row-major with the last one as a run.
  int64_t rest[kMaxRank], nrest = 0;
  for (int64_t d = 0; d < rank; ++d)
    if (d != pa && d != pb)
      rest[nrest++] = d;
  int64_t st[4][kMaxRank] = {};
  for (size_t v = 0; v < views; ++v)
    for (int64_t d = 0; d < rank; ++d)
      st[v][d] = ((sparse >> v) & 1) ? 0
                                     : in.ints[5 + 3 * rank + v * rank + d];
  int64_t cols = box[pb].block;
  int64_t inner = nrest ? ext[rest[nrest - 1]] : 1;
  int64_t runs = 1;
  for (int64_t r = 0; r + 1 < nrest; ++r)
    runs *= ext[rest[r]];
  const float *ins[3] = {nullptr, nullptr, nullptr};
  for (size_t v = 1; v < views; ++v)
    ins[v - 1] = pe.buffers[in.buffers[v]];
  int64_t ridx[kMaxRank] = {};
  for (int64_t s = 0; s < slots; ++s) {
    int64_t off = idx.at(s), i = off / cols, j = off % cols;
    if (i >= ext[pa] || j >= ext[pb])
      return "slot " + num(s) + " is at tile offset " + num(off) +
             ", outside this PE's " + num(ext[pa]) + " x " + num(ext[pb]) +
             " block";
    int64_t base[4];
    for (size_t v = 0; v < views; ++v)
      base[v] = ((sparse >> v) & 1) ? s : i * st[v][pa] + j * st[v][pb];
    std::fill(ridx, ridx + nrest, 0);
    for (int64_t r = 0; r < runs; ++r) {
      int64_t o[4];
      for (size_t v = 0; v < views; ++v) {
        o[v] = base[v];
        for (int64_t k = 0; k + 1 < nrest; ++k)
          o[v] += ridx[k] * st[v][rest[k]];
      }
      int64_t last = nrest ? rest[nrest - 1] : 0;
      init.mark(o[0], nrest ? st[0][last] : 0, inner);
      runFn(in, acc, out + o[0], nrest ? st[0][last] : 0,
            ins[0] ? ins[0] + o[1] : nullptr, nrest ? st[1][last] : 0,
            ins[1] ? ins[1] + o[2] : nullptr, nrest ? st[2][last] : 0,
            ins[2] ? ins[2] + o[3] : nullptr, nrest ? st[3][last] : 0, inner);
      for (int64_t k = nrest - 2; k >= 0; --k) {
        if (++ridx[k] < ext[rest[k]])
          break;
        ridx[k] = 0;
      }
    }
  }
  // As map, plus one cycle per slot to read its index.
  chargeMap(in, acc, uint64_t(slots) * uint64_t(runs * inner), rates, work);
  work.cycles += uint64_t(slots);
  init.charge(rates, work);
  return "";
}

//===----------------------------------------------------------------------===//
// fill
//===----------------------------------------------------------------------===//

std::string checkFill(const Instr &in, const std::vector<int64_t> &) {
  bool value = in.ints.empty() && in.floats.size() == 1;
  bool lowest = in.ints.size() == 1 && in.ints[0] == -1 && in.floats.empty();
  if (!value && !lowest)
    return "takes one float (the value), or ints [-1] for -infinity";
  return "";
}

std::string execFill(const Instr &in, const PeState &pe, const Rates &rates,
                     Work &work) {
  int64_t length = pe.lengths[in.buffers[0]];
  float v = in.floats.empty() ? -std::numeric_limits<float>::infinity()
                             : in.floats[0];
  std::fill(pe.buffers[in.buffers[0]], pe.buffers[in.buffers[0]] + length, v);
  work.cycles = cyclesFor(uint64_t(length), rates.addsPerCycle);
  return "";
}

//===----------------------------------------------------------------------===//
// send / recv (run by the simulator)
//===----------------------------------------------------------------------===//

std::string checkTransferInstr(const Instr &in, const std::vector<int64_t> &) {
  if (in.ints.size() != 1 || in.ints[0] < 0 || !in.floats.empty())
    return "takes one int (the transfer) and no floats";
  return "";
}

//===----------------------------------------------------------------------===//
// gather / scatter_add: rows of a [V, D] table at indices [N]
//===----------------------------------------------------------------------===//

/// A scatter-add's 10th int: 1 when its table is not stored (unstored).
bool unstoredTable(const Instr &in) {
  return in.ints.size() == 10 && in.ints[9] == 1;
}

std::string checkRows(const Instr &in, const std::vector<int64_t> &lengths) {
  bool gather = std::string(instructionSet()[in.op].name) == "gather";
  bool unstored = !gather && unstoredTable(in);
  if ((in.ints.size() != 9 && !unstored) || !in.floats.empty())
    return gather ? "takes 9 ints (boxes of n, d, v) and no floats"
                  : "takes 9 ints (boxes of n, d, v), then 1 for a table not "
                    "stored, and no floats";
  Box box = readBox(in, 0, 3);
  if (std::string e = checkBox(box); !e.empty())
    return e;
  int64_t nb = box[0].block, db = box[1].block, vb = box[2].block;
  int64_t outLen = unstored ? 0 : gather ? nb * db : vb * db;
  int64_t srcLen = gather ? vb * db : nb * db;
  if (lengths[0] < outLen || lengths[1] < srcLen || lengths[2] < nb)
    return "needs buffers of " + num(outLen) + ", " + num(srcLen) + " and " +
           num(nb) + " elements";
  return "";
}

/// The global index held in `v`, or an error naming it.
std::string rowIndex(float v, int64_t rows, int64_t &out) {
  if (!(v >= 0.0f && v < float(rows)) || v != std::trunc(v))
    return "an index is " +
           (std::isfinite(v) && std::fabs(v) < 1e18f && v == std::trunc(v)
                ? std::to_string(int64_t(v))
                : std::to_string(v)) +
           ", outside the table's " + num(rows) + " rows";
  out = int64_t(v);
  return "";
}

std::string execGather(const Instr &in, const PeState &pe, const Rates &rates,
                       Work &work) {
  Box box = readBox(in, 0, 3);
  if (!active(box, pe))
    return "";
  int64_t ne = localExtent(box[0], pe.px, pe.py);
  int64_t de = localExtent(box[1], pe.px, pe.py);
  int64_t ve = localExtent(box[2], pe.px, pe.py);
  // A PE past the end of a split dim holds none of the operands.
  if (ne == 0 || de == 0 || ve == 0)
    return "";
  int64_t db = box[1].block;
  int64_t vBegin = boxPosition(box[2], pe.px, pe.py) * box[2].block;
  float *out = pe.buffers[in.buffers[0]];
  const float *table = pe.buffers[in.buffers[1]];
  const float *idx = pe.buffers[in.buffers[2]];
  for (int64_t n = 0; n < ne; ++n) {
    int64_t row;
    if (std::string e = rowIndex(idx[n], box[2].global, row); !e.empty())
      return e;
    int64_t local = row - vBegin;
    bool mine = local >= 0 && local < ve;
    for (int64_t d = 0; d < de; ++d)
      out[n * db + d] = mine ? table[local * db + d] : 0.0f;
  }
  work.cycles = uint64_t(ne * de);
  return "";
}

std::string execScatterAdd(const Instr &in, const PeState &pe,
                           const Rates &rates, Work &work) {
  Box box = readBox(in, 0, 3);
  if (!active(box, pe))
    return "";
  int64_t ne = localExtent(box[0], pe.px, pe.py);
  int64_t de = localExtent(box[1], pe.px, pe.py);
  int64_t ve = localExtent(box[2], pe.px, pe.py);
  // A PE past the end of a split dim holds none of the operands.
  if (ne == 0 || de == 0 || ve == 0)
    return "";
  int64_t db = box[1].block;
  int64_t vBegin = boxPosition(box[2], pe.px, pe.py) * box[2].block;
  float *out = pe.buffers[in.buffers[0]];
  const float *upd = pe.buffers[in.buffers[1]];
  const float *idx = pe.buffers[in.buffers[2]];
  if (unstoredTable(in)) {
    // Not stored: the PE reads each index (its row's header); each send
    // from the table builds the tile as below, off the PE's SRAM, and
    // sends its rows (pe.transfer `rows`).
    for (int64_t n = 0; n < ne; ++n) {
      int64_t row;
      if (std::string e = rowIndex(idx[n], box[2].global, row); !e.empty())
        return e;
    }
    work.cycles = uint64_t(ne);
    return "";
  }
  std::fill(out, out + box[2].block * db, 0.0f);
  uint64_t adds = 0;
  for (int64_t n = 0; n < ne; ++n) {
    int64_t row;
    if (std::string e = rowIndex(idx[n], box[2].global, row); !e.empty())
      return e;
    int64_t local = row - vBegin;
    if (local < 0 || local >= ve)
      continue;
    for (int64_t d = 0; d < de; ++d)
      out[local * db + d] += upd[n * db + d];
    adds += uint64_t(de);
  }
  // The zeroing, then every row, its own or not: what a PE spends must not
  // depend on the indices, so that the cost model can run without data.
  work.cycles = cyclesFor(uint64_t(box[2].block * db), rates.addsPerCycle) +
                uint64_t(ne) + cyclesFor(uint64_t(ne * de), rates.addsPerCycle);
  work.flops = adds;
  return "";
}

std::vector<InstrDef> makeInstructionSet() {
  std::vector<InstrDef> set;
  set.push_back({"map",
                 "out (acc)= fn(in...) elementwise over a box of strided views",
                 "out, in0[, in1[, in2]]",
                 "ints [rank, acc (0 assign, 1 add, 2 max, 3 add from 0, 4 max "
                 "from -inf), (block, axis, global) per "
                 "dim, strides per buffer per dim]; floats: fn's immediates",
                 2, 4, false, checkMap, execMap});
  set.push_back(
      {"spmap",
       "map over the kept entries of a sparse operand: each slot's two "
       "pattern coordinates, times the other box dims",
       "out, in0[, in1[, in2]], index",
       "ints [rank, acc (0 assign, 1 add, 3 add from 0), pattern box dims a "
       "and b, sparse "
       "views (bit per buffer), (block, axis, global) per dim, strides per "
       "buffer but the index per dim]; floats: fn's immediates",
       3, 5, false, checkSpmap, execSpmap});
  set.push_back({"fill", "set every element of a buffer", "buffer",
                 "floats [value], or ints [-1] for -infinity (the start of a max)", 1, 1,
                 false, checkFill, execFill});
  set.push_back({"send", "send a buffer's part of a transfer", "buffer",
                 "ints [transfer]", 1, 1, true, checkTransferInstr, nullptr,
                 0});
  set.push_back({"recv",
                 "receive (or combine) a buffer's part of a transfer; blocks "
                 "until every sender's part is there",
                 "buffer", "ints [transfer]", 1, 1, true, checkTransferInstr,
                 nullptr});
  set.push_back({"post",
                 "start receiving a transfer: the PE's in-ramp takes its "
                 "pieces as they arrive, beside the core, until the transfer's "
                 "recv",
                 "buffer", "ints [transfer]", 1, 1, true, checkTransferInstr,
                 nullptr});
  set.push_back({"gather",
                 "out[n, d] = table[idx[n] - first row, d] for rows this PE "
                 "holds, else 0",
                 "out [n, d], table [v, d], idx [n]",
                 "ints [(block, axis, global) of n, d, v]", 3, 3, false,
                 checkRows, execGather});
  set.push_back({"scatter_add",
                 "out[idx[n] - first row, d] += updates[n, d] for rows this "
                 "PE holds, out zeroed first",
                 "out [v, d], updates [n, d], idx [n]",
                 "ints [(block, axis, global) of n, d, v]", 3, 3, false,
                 checkRows, execScatterAdd});
  set.push_back(
      {"sgd", "param_out = param - lr * grad", "param_out, param, grad[, lr]",
       "ints [rank, box(, 1: sparse, the last buffer an index)]; floats [lr]",
       3, 5, false,
       [](const Instr &in, const std::vector<int64_t> &l) {
         return checkUpdate(in, l, 0, 1, updateScalars(in, 0, 3));
       },
       execSgd});
  set.push_back(
      {"sgd_momentum", "torch's SGD with momentum (wse.sgd_momentum_update)",
       "param_out, buf_out, param, grad, buf[, lr]",
       "ints [nesterov, rank, box(, 1: sparse)]; floats [lr, momentum, "
       "dampening, weight_decay]",
       5, 7, false,
       [](const Instr &in, const std::vector<int64_t> &l) {
         return checkUpdate(in, l, 1, 4, updateScalars(in, 1, 5));
       },
       execSgdMomentum, 2});
  set.push_back(
      {"adamw", "torch's AdamW at the step held in `step` (wse.adamw_update)",
       "param_out, m_out, v_out, param, grad, m, v, step[, lr]",
       "ints [rank, box(, 1: sparse)]; floats [lr, beta1, beta2, eps, "
       "weight_decay]",
       8, 10, false,
       [](const Instr &in, const std::vector<int64_t> &l) {
         return checkUpdate(in, l, 0, 5, updateScalars(in, 0, 7));
       },
       execAdamW, 3});
  set.push_back(
      {"accumulate",
       "acc = grad in a step's first micro-batch, acc += grad in the others; "
       "with mean, acc *= 1/N in the last (wse.accumulate)",
       "acc, grad",
       "ints [micro_batches, mean, rank, box(, 1: sparse)]",
       2, 3, false,
       [](const Instr &in, const std::vector<int64_t> &l) -> std::string {
         if (in.ints.size() < 2 || in.ints[0] < 1 ||
             (in.ints[1] != 0 && in.ints[1] != 1))
           return "needs micro_batches >= 1 and mean 0 or 1";
         return checkUpdate(in, l, 2, 0, 0);
       },
       execAccumulate});
  return set;
}

} // namespace

const FnDef &fnDef(Fn fn) { return kFns[int(fn)]; }

int numFns() { return int(sizeof(kFns) / sizeof(kFns[0])); }

std::optional<Fn> lookupFn(const std::string &name) {
  for (int i = 0; i < numFns(); ++i)
    if (name == kFns[i].name)
      return Fn(i);
  return std::nullopt;
}

int64_t boxPosition(const BoxDim &d, int64_t px, int64_t py) {
  if (d.axis == 0)
    return 0;
  int64_t p = (d.gridAxis() == 0 ? px : py) / std::max<int64_t>(1, d.stride);
  return d.period > 0 ? p % d.period : p;
}

int64_t localExtent(const BoxDim &d, int64_t px, int64_t py) {
  if (d.axis == 0)
    return d.block;
  return std::clamp<int64_t>(d.global - boxPosition(d, px, py) * d.block, 0,
                             d.block);
}

CostShape costShape(const Instr &in) {
  CostShape c;
  std::string name = instructionSet()[size_t(in.op)].name;
  auto box = [&](size_t at, int64_t rank) {
    Box b = readBox(in, at, rank);
    c.box.assign(b.begin(), b.end());
  };
  // Updates: ints [lead..., rank, box(, 1 when the last buffer is an index)].
  auto update = [&](size_t lead) {
    int64_t rank = in.ints[lead];
    box(lead + 1, rank);
    c.indexed = in.ints.size() == lead + 2 + 3 * size_t(rank);
  };
  if (name == "map")
    box(2, in.ints[0]);
  else if (name == "spmap") {
    box(5, in.ints[0]);
    c.indexed = true;
  } else if (name == "gather" || name == "scatter_add") {
    box(0, 3);
    c.rowIndexOperand = 2;
    // Each valid index's row is added on exactly one PE, whichever it is
    // (a table not stored adds nothing here: its receivers do).
    if (name == "scatter_add")
      c.wholeFlops = unstoredTable(in)
                         ? 0
                         : uint64_t(c.box[0].global * c.box[1].global);
  } else if (name == "sgd" || name == "adamw")
    update(0);
  else if (name == "sgd_momentum")
    update(1);
  else if (name == "accumulate")
    update(2);
  return c;
}

bool costWithoutData(const Instr &in, const PeState &pe, const Rates &rates,
                     Work &work) {
  std::string name = instructionSet()[size_t(in.op)].name;
  if (name != "sgd" && name != "sgd_momentum" && name != "adamw" &&
      name != "accumulate")
    return false;
  CostShape shape = costShape(in);
  if (shape.indexed)
    return false;
  Box box;
  box.n = shape.box.size();
  std::copy(shape.box.begin(), shape.box.end(), box.dims);
  int64_t n = 0;
  if (active(box, pe)) {
    n = 1;
    for (const BoxDim &d : shape.box)
      n *= localExtent(d, pe.px, pe.py);
  }
  work = updateWork(in, n, pe.microBatch, rates);
  return true;
}

const std::vector<InstrDef> &instructionSet() {
  static const std::vector<InstrDef> set = makeInstructionSet();
  return set;
}

int lookupInstr(const std::string &name) {
  const std::vector<InstrDef> &set = instructionSet();
  for (size_t i = 0; i < set.size(); ++i)
    if (name == set[i].name)
      return int(i);
  return -1;
}

std::string checkInstr(const Instr &in, const std::vector<int64_t> &lengths) {
  const std::vector<InstrDef> &set = instructionSet();
  if (in.op < 0 || in.op >= int(set.size()))
    return "unknown instruction " + num(in.op);
  const InstrDef &def = set[in.op];
  std::string prefix = std::string(def.name) + " ";
  int nb = int(in.buffers.size());
  if (nb < def.minBuffers || nb > def.maxBuffers)
    return prefix + "takes " + num(def.minBuffers) +
           (def.maxBuffers != def.minBuffers ? " to " + num(def.maxBuffers)
                                             : std::string()) +
           (def.maxBuffers == 1 ? " buffer (" : " buffers (") + def.operands +
           "), not " + num(nb);
  if (in.fn >= 0 && std::string(def.name) != "map" &&
      std::string(def.name) != "spmap")
    return prefix + "takes no function";
  if (lengths.size() != in.buffers.size())
    return prefix + "is checked without its buffers' lengths";
  std::string e = def.check(in, lengths);
  return e.empty() ? e : prefix + e;
}

} // namespace wsert::isa
