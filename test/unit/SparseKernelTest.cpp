// Sparse storage and kernels (wse-sparsify on the mesh): where a mask's
// kept entries fall in a layout's tiles, spmap over them against the dense
// map on the same data, and optimizer updates over slots.
#include "wse/Support/Layout.h"
#include "wse/Support/Math.h"
#include "wse/Support/PeIsa.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <cstring>
#include <random>

using namespace wsert;
using namespace wsert::isa;

namespace {

/// A PE's buffers, each a vector of words.
struct Pe {
  std::vector<std::vector<float>> bufs;
  std::vector<int64_t> lengths;
  std::vector<float *> ptrs;
  int add(std::vector<float> b) {
    lengths.push_back(int64_t(b.size()));
    bufs.push_back(std::move(b));
    return int(bufs.size()) - 1;
  }
  PeState state() {
    PeState s;
    ptrs.clear();
    for (auto &b : bufs)
      ptrs.push_back(b.data());
    s.buffers = ptrs.data();
    s.lengths = lengths.data();
    return s;
  }
};

/// An index buffer: the slot count, then two 16-bit offsets a word.
std::vector<float> indexWords(const std::vector<int32_t> &offsets) {
  std::vector<float> w(size_t(wsert::indexWords(int64_t(offsets.size()))), 0);
  w[0] = float(offsets.size());
  for (size_t k = 0; k < offsets.size(); ++k) {
    uint16_t v = uint16_t(offsets[k]);
    std::memcpy(reinterpret_cast<char *>(w.data() + 1 + k / 2) + 2 * (k % 2),
                &v, sizeof v);
  }
  return w;
}

Instr instr(const char *op, const char *fn, std::vector<int32_t> buffers,
            std::vector<int64_t> ints, std::vector<float> floats = {}) {
  Instr in;
  in.op = lookupInstr(op);
  in.fn = fn ? int(*lookupFn(fn)) : -1;
  in.buffers = std::move(buffers);
  in.ints = std::move(ints);
  in.floats = std::move(floats);
  return in;
}

std::string run(const Instr &in, Pe &pe, Work &w) {
  if (std::string e = checkInstr(in, pe.lengths); !e.empty())
    return e;
  return instructionSet()[in.op].exec(in, pe.state(), Rates{1, 2}, w);
}

/// A random mask of an n x k matrix keeping about `density`, its kept
/// offsets (row-major) and a matrix zero where it drops.
struct Sparse {
  std::vector<uint8_t> keep;
  std::vector<int32_t> offsets;
  std::vector<float> dense, values;
};
Sparse randomSparse(int64_t n, int64_t k, double density, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  Sparse s;
  for (int64_t i = 0; i < n * k; ++i) {
    bool kept = u(rng) < float(2 * density - 1);
    s.keep.push_back(kept);
    float v = u(rng);
    s.dense.push_back(kept ? v : 0.0f);
    if (kept) {
      s.offsets.push_back(int32_t(i));
      s.values.push_back(v);
    }
  }
  return s;
}

std::vector<float> randomVector(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = u(rng);
  return v;
}

} // namespace

TEST(SparseTiles, KeptEntriesPerPeInTileOrder) {
  // A 4x6 mask split in 2-row blocks over x and 3-column blocks over y.
  Layout l;
  l.shape = {4, 6};
  l.x = AxisSplit::split(0, 4, 2);
  l.y = AxisSplit::split(1, 6, 2);
  std::vector<uint8_t> keep = {1, 0, 0, 0, 1, 1, //
                               0, 0, 1, 0, 0, 0, //
                               0, 0, 0, 0, 0, 0, //
                               1, 1, 1, 1, 0, 1};
  SparseTiles t = sparseTiles(l, keep, 2, 2);
  // PE (0, 0): rows 0-1, columns 0-2 -> (0,0) and (1,2) at offsets 0, 5.
  EXPECT_EQ(t.offsets[0], (std::vector<int32_t>{0, 5}));
  // PE (0, 1): rows 0-1, columns 3-5 -> (0,4), (0,5).
  EXPECT_EQ(t.offsets[2], (std::vector<int32_t>{1, 2}));
  // PE (1, 0): rows 2-3, columns 0-2 -> (3,0), (3,1), (3,2).
  EXPECT_EQ(t.offsets[1], (std::vector<int32_t>{3, 4, 5}));
  // PE (1, 1): rows 2-3, columns 3-5 -> (3,3), (3,5).
  EXPECT_EQ(t.offsets[3], (std::vector<int32_t>{3, 5}));
  EXPECT_EQ(t.maxKept, 3);
  EXPECT_EQ(t.slots(1, 0), 3);
  // A replicated axis repeats the tile; PEs past a split's end hold none.
  l.y = AxisSplit::replicated(2);
  SparseTiles r = sparseTiles(l, keep, 3, 2);
  EXPECT_EQ(r.offsets[0], r.offsets[3]);
  EXPECT_TRUE(r.offsets[2].empty());
  EXPECT_EQ(r.maxKept, 5);
}

TEST(Spmap, ForwardProductMatchesTheDenseMapAndChargesOnlyKeptEntries) {
  // y[M, N] += x[M, K] * w[N, K]^T with w sparse: box (M, N, K), pattern
  // dims N and K.
  const int64_t M = 5, N = 7, K = 9;
  Sparse w = randomSparse(N, K, 0.3, 1);
  std::vector<float> x = randomVector(M * K, 2);
  std::vector<int64_t> box = {M, 0, M, N, 0, N, K, 0, K};
  // Dense reference: map mul accumulate with strides.
  Pe dense;
  int dy = dense.add(std::vector<float>(M * N, 0)), dx = dense.add(x),
      dw = dense.add(w.dense);
  std::vector<int64_t> ints = {3, 1};
  ints.insert(ints.end(), box.begin(), box.end());
  for (int64_t s : std::vector<int64_t>{N, 1, 0, K, 0, 1, 0, K, 1})
    ints.push_back(s);
  Work dwork;
  ASSERT_EQ(run(instr("map", "mul", {dy, dx, dw}, ints), dense, dwork), "");
  // Sparse: w as its values, the index last.
  Pe sp;
  int sy = sp.add(std::vector<float>(M * N, 0)), sx = sp.add(x),
      sw = sp.add(w.values), si = sp.add(indexWords(w.offsets));
  std::vector<int64_t> sints = {3, 1, 1, 2, 4};
  sints.insert(sints.end(), box.begin(), box.end());
  for (int64_t s : std::vector<int64_t>{N, 1, 0, K, 0, 1, 0, 0, 0})
    sints.push_back(s);
  Work swork;
  ASSERT_EQ(run(instr("spmap", "mul", {sy, sx, sw, si}, sints), sp, swork), "");
  // Skipping exact zeros keeps each sum's order: bit-identical.
  EXPECT_EQ(sp.bufs[0], dense.bufs[0]);
  uint64_t kept = w.values.size();
  EXPECT_EQ(swork.flops, 2 * kept * M);
  EXPECT_EQ(swork.cycles, kept * M + kept); // one FMAC a cycle, one index read a slot
  EXPECT_EQ(dwork.flops, uint64_t(2 * M * N * K));

  // Summing from zero (acc 3) into garbage: the same bits, and only the
  // outputs of rows of w without a kept entry cost a store (2 a cycle).
  sp.bufs[size_t(sy)].assign(size_t(M * N), 7.0f);
  sints[1] = 3;
  Work zwork;
  ASSERT_EQ(run(instr("spmap", "mul", {sy, sx, sw, si}, sints), sp, zwork), "");
  EXPECT_EQ(sp.bufs[0], dense.bufs[0]);
  int64_t emptyRows = 0;
  for (int64_t n = 0; n < N; ++n)
    emptyRows +=
        std::none_of(w.keep.begin() + n * K, w.keep.begin() + (n + 1) * K,
                     [](uint8_t k) { return k != 0; });
  EXPECT_EQ(zwork.cycles, kept * M + kept + uint64_t(emptyRows * M + 1) / 2);
}

TEST(Spmap, SumFromZeroStoresEveryOutputOfAPeWithoutSlots) {
  // A PE whose index holds no slot still owns its output tile: it is all
  // zeros, a store each (2 a cycle), as the fill before it was.
  const int64_t M = 3, N = 2, K = 2;
  Pe sp;
  int sy = sp.add(std::vector<float>(M * N, 7)),
      sx = sp.add(randomVector(M * K, 1)),
      sw = sp.add(std::vector<float>(1, 0)),
      si = sp.add(indexWords(std::vector<int32_t>{}));
  std::vector<int64_t> sints = {3, 3, 1, 2, 4, M, 0, M, N, 0, N, K,
                                0, K, N, 1, 0, K, 0, 1, 0, 0, 0};
  Work w;
  ASSERT_EQ(run(instr("spmap", "mul", {sy, sx, sw, si}, sints), sp, w), "");
  EXPECT_EQ(sp.bufs[0], std::vector<float>(M * N, 0.0f));
  EXPECT_EQ(w.cycles, uint64_t(M * N / 2));
}

TEST(Spmap, SampledWeightGradientComputesOnlyKeptEntries) {
  // gw[N, K] = g[M, N]^T x[M, K] at the kept entries only: box (N, K, M),
  // the output is the sparse pattern.
  const int64_t M = 6, N = 4, K = 5;
  Sparse w = randomSparse(N, K, 0.4, 3);
  std::vector<float> g = randomVector(M * N, 4), x = randomVector(M * K, 5);
  Pe sp;
  int so = sp.add(std::vector<float>(w.values.size(), 0)), sg = sp.add(g),
      sx = sp.add(x), si = sp.add(indexWords(w.offsets));
  std::vector<int64_t> ints = {3, 1, 0, 1, 1, N, 0, N, K, 0, K, M, 0, M};
  for (int64_t s : std::vector<int64_t>{0, 0, 0, 1, 0, N, 0, 1, K})
    ints.push_back(s);
  Work work;
  ASSERT_EQ(run(instr("spmap", "mul", {so, sg, sx, si}, ints), sp, work), "");
  for (size_t s = 0; s < w.offsets.size(); ++s) {
    int64_t n = w.offsets[s] / K, k = w.offsets[s] % K;
    float want = 0;
    for (int64_t m = 0; m < M; ++m)
      want += g[m * N + n] * x[m * K + k];
    EXPECT_EQ(sp.bufs[0][s], want) << "slot " << s;
  }
  EXPECT_EQ(work.flops, 2 * w.values.size() * M);
}

TEST(Spmap, ChecksItsFieldsAndTheIndexAtRunTime) {
  Pe pe;
  int o = pe.add(std::vector<float>(4, 0)), a = pe.add(std::vector<float>(4, 1)),
      idx = pe.add(indexWords({0, 1, 2}));
  std::vector<int64_t> ints = {2, 0, 0, 1, 3, 2, 0, 2, 2, 0, 2, 0, 0, 0, 0};
  Work w;
  EXPECT_EQ(run(instr("spmap", "copy", {o, a, idx}, ints), pe, w), "");
  std::vector<int64_t> same = ints;
  same[3] = 0; // both pattern dims the same
  EXPECT_NE(run(instr("spmap", "copy", {o, a, idx}, same), pe, w)
                .find("pattern dims 0, 0"),
            std::string::npos);
  std::vector<int64_t> acc = ints;
  acc[1] = 2; // a max cannot skip zeros
  EXPECT_NE(run(instr("spmap", "copy", {o, a, idx}, acc), pe, w)
                .find("accumulates with mode 2"),
            std::string::npos);
  // An index claiming more slots than a sparse view holds is a fault.
  pe.bufs[idx] = indexWords({0, 1, 2, 3, 0, 1});
  pe.lengths[idx] = int64_t(pe.bufs[idx].size());
  EXPECT_NE(run(instr("spmap", "copy", {o, a, idx}, ints), pe, w)
                .find("holds 4 slots of 6"),
            std::string::npos);
  // A data buffer named as the index: its first word is no count.
  pe.bufs[idx][0] = std::nanf("");
  EXPECT_NE(run(instr("spmap", "copy", {o, a, idx}, ints), pe, w)
                .find("the index buffer holds -1 slots"),
            std::string::npos);
}

TEST(SparseUpdate, AdamWOverSlotsEqualsTheDenseUpdateOfKeptEntries) {
  Sparse p = randomSparse(3, 4, 0.5, 7);
  size_t n = p.values.size();
  std::vector<float> g = randomVector(n, 8), m = randomVector(n, 9),
                     v = randomVector(n, 10);
  for (float &e : v)
    e = std::fabs(e);
  Pe pe;
  int po = pe.add(std::vector<float>(n)), mo = pe.add(std::vector<float>(n)),
      vo = pe.add(std::vector<float>(n)), pi = pe.add(p.values),
      gi = pe.add(g), mi = pe.add(m), vi = pe.add(v),
      step = pe.add({3.0f}), idx = pe.add(indexWords(p.offsets));
  std::vector<float> floats = {1e-2f, 0.9f, 0.999f, 1e-8f, 0.1f};
  Work w;
  ASSERT_EQ(run(instr("adamw", nullptr, {po, mo, vo, pi, gi, mi, vi, step, idx},
                      {2, 3, 0, 3, 4, 0, 4, 1}, floats),
                pe, w),
            "");
  std::vector<float> wp = p.values, wm = m, wv = v;
  math::adamwUpdate<float>(wp.data(), g.data(), wm.data(), wv.data(),
                           int64_t(n), 3.0, floats[0], floats[1], floats[2],
                           floats[3], floats[4]);
  EXPECT_EQ(pe.bufs[po], wp);
  EXPECT_EQ(pe.bufs[mo], wm);
  EXPECT_EQ(pe.bufs[vo], wv);
  EXPECT_EQ(w.flops, 16 * n);
  // The sparse flag must be 1.
  EXPECT_NE(run(instr("adamw", nullptr, {po, mo, vo, pi, gi, mi, vi, step, idx},
                      {2, 3, 0, 3, 4, 0, 4, 2}, floats),
                pe, w)
                .find("sparse flag 2"),
            std::string::npos);
}
