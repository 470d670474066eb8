// The pe instruction set: each definition's checks, semantics on a PE's
// tiles (including edge PEs with short blocks), and costs; layouts.
#include "wse/Support/Layout.h"
#include "wse/Support/PeIsa.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace wsert;
using namespace wsert::isa;

namespace {

Instr map(const char *fn, std::vector<int32_t> buffers,
          std::vector<int64_t> ints, std::vector<float> floats = {}) {
  Instr in;
  in.op = lookupInstr("map");
  in.fn = int(*lookupFn(fn));
  in.buffers = std::move(buffers);
  in.ints = std::move(ints);
  in.floats = std::move(floats);
  return in;
}

struct Pe {
  std::vector<std::vector<float>> bufs;
  std::vector<int64_t> lengths;
  std::vector<float *> ptrs;
  PeState state(int64_t px = 0, int64_t py = 0) {
    PeState s;
    ptrs.clear();
    s.px = px;
    s.py = py;
    for (auto &b : bufs)
      ptrs.push_back(b.data());
    s.buffers = ptrs.data();
    s.lengths = lengths.data();
    return s;
  }
  void add(std::vector<float> b) {
    lengths.push_back(int64_t(b.size()));
    bufs.push_back(std::move(b));
  }
};

std::string run(const Instr &in, Pe &pe, Work &w, int64_t px = 0,
                int64_t py = 0) {
  if (std::string e = checkInstr(in, pe.lengths); !e.empty())
    return e;
  return instructionSet()[in.op].exec(in, pe.state(px, py), Rates{1, 2}, w);
}

} // namespace

TEST(PeIsa, EveryInstructionHasOneDefinition) {
  for (const InstrDef &d : instructionSet()) {
    EXPECT_EQ(lookupInstr(d.name), &d - instructionSet().data());
    EXPECT_NE(d.check, nullptr) << d.name;
    EXPECT_EQ(d.exec == nullptr, d.fabric) << d.name;
  }
  EXPECT_EQ(lookupInstr("nope"), -1);
  EXPECT_FALSE(lookupFn("nope"));
}

TEST(PeIsa, MatmulTileAsMapAccumulatesInOrder) {
  // C[2,2] += A[2,3] * B[3,2]: box (m, n, k); C maps k to stride 0.
  Pe pe;
  pe.add({0, 0, 0, 0});
  pe.add({1, 2, 3, 4, 5, 6});
  pe.add({1, 0, 0, 1, 1, 1});
  Instr in = map("mul", {0, 1, 2},
                 {3, 1, 2, 0, 2, 2, 0, 2, 3, 0, 3, // box
                  2, 1, 0,                        // C
                  3, 0, 1,                        // A
                  0, 1, 2});                      // B
  Work w;
  ASSERT_EQ(run(in, pe, w), "");
  EXPECT_EQ(pe.bufs[0], (std::vector<float>{4, 5, 10, 11}));
  EXPECT_EQ(w.flops, 24u); // 12 FMACs
  EXPECT_EQ(w.cycles, 12u);
}

TEST(PeIsa, SumsFromZeroWriteFirstTermsAndStoreOnlyUnreachedOutputs) {
  // The matmul tile above with acc 3 into a buffer holding garbage: the same
  // values as a fill and acc 1, and the same 12 cycles (each output's first
  // term is a multiply instead of a multiply-add; no fill).
  Pe pe;
  pe.add({7, 7, 7, 7});
  pe.add({1, 2, 3, 4, 5, 6});
  pe.add({1, 0, 0, 1, 1, 1});
  std::vector<int64_t> ints = {3, 3, 2, 0, 2, 2, 0, 2, 3, 0,
                               3, 2, 1, 0, 3, 0, 1, 0, 1, 2};
  Work w;
  ASSERT_EQ(run(map("mul", {0, 1, 2}, ints), pe, w), "");
  EXPECT_EQ(pe.bufs[0], (std::vector<float>{4, 5, 10, 11}));
  EXPECT_EQ(w.cycles, 12u);
  // Into a 7-element buffer the box reaches 4 outputs: the other 3 are
  // stored as zeros, 2 a cycle.
  pe.bufs[0] = {7, 7, 7, 7, 7, 7, 7};
  pe.lengths[0] = 7;
  ASSERT_EQ(run(map("mul", {0, 1, 2}, ints), pe, w), "");
  EXPECT_EQ(pe.bufs[0], (std::vector<float>{4, 5, 10, 11, 0, 0, 0}));
  EXPECT_EQ(w.cycles, 12u + 2u);
  // A row max from -infinity (acc 4): out[i] = max_j in[i, j].
  Pe mx;
  mx.add({7, 7});
  mx.add({-3, -1, -2, -8, -9, -7});
  Work wm;
  ASSERT_EQ(
      run(map("copy", {0, 1}, {2, 4, 2, 0, 2, 3, 0, 3, 1, 0, 3, 1}), mx, wm),
      "");
  EXPECT_EQ(mx.bufs[0], (std::vector<float>{-1, -7}));
  EXPECT_EQ(wm.cycles, 3u); // 6 elements of copy (1 cycle), 2 a cycle
  // The other modes' checks: 5 is none.
  EXPECT_NE(
      checkInstr(map("copy", {0, 1}, {2, 5, 2, 0, 2, 3, 0, 3, 1, 0, 3, 1}),
                 mx.lengths),
      "");
}

TEST(PeIsa, EdgePesRunShortBlocks) {
  // out[i] = in[i] * 2 over a dim of 5 split over x in blocks of 2: the PE
  // at x = 2 holds one element, the PE at x = 3 none.
  Pe pe;
  pe.add({-1, -1});
  pe.add({3, 4});
  pe.add({2});
  Instr in = map("mul", {0, 1, 2}, {1, 0, 2, 1, 5, 1, 1, 0});
  Work w;
  ASSERT_EQ(run(in, pe, w, /*px=*/2), "");
  EXPECT_EQ(pe.bufs[0], (std::vector<float>{6, -1}));
  pe.bufs[0] = {-1, -1};
  ASSERT_EQ(run(in, pe, w, /*px=*/3), "");
  EXPECT_EQ(pe.bufs[0], (std::vector<float>{-1, -1}));
  EXPECT_EQ(w.cycles, 0u);
}

TEST(PeIsa, OnlyTheFirstPeWorksAlongAnUnusedAxis) {
  Pe pe;
  pe.add({0});
  pe.add({5});
  Instr in = map("neg", {0, 1}, {0, 0});
  Work w;
  ASSERT_EQ(run(in, pe, w, 0, 1), "");
  EXPECT_EQ(pe.bufs[0][0], 0.0f);
  ASSERT_EQ(run(in, pe, w, 0, 0), "");
  EXPECT_EQ(pe.bufs[0][0], -5.0f);
}

TEST(PeIsa, MaxAccumulationPropagatesNan) {
  Pe pe;
  pe.add({-INFINITY});
  pe.add({1, NAN, 3});
  Instr in = map("copy", {0, 1}, {1, 2, 3, 0, 3, 0, 1});
  Work w;
  ASSERT_EQ(run(in, pe, w), "");
  EXPECT_TRUE(std::isnan(pe.bufs[0][0]));
}

TEST(PeIsa, ChecksNameWhatIsWrong) {
  Pe pe;
  pe.add({0, 0});
  pe.add({1, 2});
  EXPECT_EQ(checkInstr(map("add", {0, 1}, {0, 0}), pe.lengths),
            "map with fn add takes 3 buffers, not 2");
  EXPECT_EQ(checkInstr(map("neg", {0, 1}, {1, 0, 3, 0, 3, 1, 1}), pe.lengths),
            "map view 0 reaches element 2 of a buffer of 2");
  EXPECT_EQ(checkInstr(map("clamp", {0, 1}, {0, 0}, {1}), pe.lengths),
            "map with fn clamp takes 2 immediates, not 1");
  Instr fill;
  fill.op = lookupInstr("fill");
  fill.buffers = {0};
  EXPECT_NE(checkInstr(fill, {2}).find("takes one float"), std::string::npos);
}

TEST(PeIsa, GatherChecksIndicesAndLeavesOtherRowsZero) {
  // Table of 4 rows split over y in blocks of 2; this PE (y = 1) holds rows
  // 2 and 3. Indices [3, 0]: row 3 is here, row 0 is not.
  Pe pe;
  pe.add({-1, -1, -1, -1});   // out [2, 2]
  pe.add({20, 21, 30, 31});   // table rows 2, 3
  pe.add({3, 0});             // idx
  Instr in;
  in.op = lookupInstr("gather");
  in.buffers = {0, 1, 2};
  in.ints = {2, 0, 2, 2, 0, 2, 2, 2, 4};
  Work w;
  ASSERT_EQ(run(in, pe, w, 0, 1), "");
  EXPECT_EQ(pe.bufs[0], (std::vector<float>{30, 31, 0, 0}));
  pe.bufs[2] = {4, 0};
  EXPECT_EQ(run(in, pe, w, 0, 1), "an index is 4, outside the table's 4 rows");
  // A PE past the last row block holds no indices: it reads none of its
  // (stale) buffer.
  EXPECT_EQ(run(in, pe, w, 0, 2), "");
}

TEST(Layout, TilesAndRangesOfEdgePes) {
  Layout l;
  l.shape = {5, 7};
  l.x = AxisSplit::split(1, 7, 3); // blocks of 3 over 3 PEs
  l.y = AxisSplit::replicated(2);
  EXPECT_EQ(l.check(4, 2), "");
  EXPECT_EQ(l.tileShape(), (std::vector<int64_t>{5, 3}));
  int64_t begin, size;
  l.range(1, 2, 0, begin, size);
  EXPECT_EQ(begin, 6);
  EXPECT_EQ(size, 1);
  l.range(0, 2, 1, begin, size);
  EXPECT_EQ(size, 5);
  EXPECT_NE(l.check(2, 2), "");
  EXPECT_EQ(l.str(), "x: d1/3 (3 PEs), y: replicated (2 PEs)");
}

TEST(PeIsa, AccumulateCopiesAddsAndAveragesOverMicroBatches) {
  // acc over three micro-batches of a 3-element tile (box: one dim, not
  // split), the mean taken in the last: (1 + 2 + 4) * float(1 / 3).
  Pe pe;
  pe.add({-7, -7, -7});
  pe.add({0, 0, 0});
  Instr in;
  in.op = lookupInstr("accumulate");
  in.buffers = {0, 1};
  in.ints = {3, 1, 1, 3, 0, 3};
  const float grads[3][3] = {{1, 10, -1}, {2, 20, -2}, {4, 40, -4}};
  for (int64_t m = 0; m < 3; ++m) {
    pe.bufs[1].assign(grads[m], grads[m] + 3);
    ASSERT_EQ(checkInstr(in, pe.lengths), "");
    PeState st = pe.state();
    st.microBatch = m;
    Work w;
    ASSERT_EQ(instructionSet()[in.op].exec(in, st, Rates{1, 2}, w), "");
    // A copy, then an add, then an add and a multiply, 2 a cycle.
    EXPECT_EQ(w.flops, m == 0 ? 0u : m == 1 ? 3u : 6u);
    EXPECT_EQ(w.cycles, m == 2 ? 3u : 2u);
    if (m == 0)
      EXPECT_EQ(pe.bufs[0], (std::vector<float>{1, 10, -1}));
  }
  float third = 1.0f / 3.0f;
  EXPECT_EQ(pe.bufs[0], (std::vector<float>{7 * third, 70 * third, -7 * third}));
  // Without mean the last micro-batch leaves the sum.
  in.ints[1] = 0;
  PeState st = pe.state();
  st.microBatch = 2;
  Work w;
  ASSERT_EQ(instructionSet()[in.op].exec(in, st, Rates{1, 2}, w), "");
  EXPECT_EQ(pe.bufs[0][1], 70 * third + 40);
  in.ints = {0, 1, 1, 3, 0, 3};
  EXPECT_EQ(checkInstr(in, pe.lengths),
            "accumulate needs micro_batches >= 1 and mean 0 or 1");
}
