// The region cost of a transfer derived from its layouts and map (what
// --timing-only uses) against the cost of its element-by-element plan, on
// seeded random transfers no model emits: any split, replicated or
// partial layout on either side, windows, transposes, broadcasts, merges
// and splits of dims, within one program and between two.
#include "TestWaferProgram.h"
#include "wse/Sim/MeshSimulator.h"
#include "wse/Support/Layout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

using namespace wsert;
namespace wp = wsebin;

namespace {

void toProto(const Layout &l, wp::Layout *m) {
  for (int64_t d : l.shape)
    m->add_shape(d);
  for (int a = 0; a < 2; ++a) {
    const AxisSplit &s = l.axis(a);
    wp::Axis *x = a == 0 ? m->mutable_x() : m->mutable_y();
    x->set_kind(int32_t(s.kind));
    x->set_dim(s.dim);
    x->set_block(s.block);
    x->set_count(s.count);
  }
}

/// A random layout of `shape` on a w x h grid (partial axes if allowed).
Layout randomLayout(std::mt19937 &rng, const std::vector<int64_t> &shape,
                    int64_t w, int64_t h, bool partial) {
  Layout l;
  l.shape = shape;
  int64_t used = -1;
  for (int a = 0; a < 2; ++a) {
    int64_t grid = a == 0 ? w : h;
    int kind = int(rng() % (partial ? 3 : 2));
    int64_t count = 1 + int64_t(rng() % uint64_t(grid));
    if (kind == 0) {
      int64_t dim = int64_t(rng() % shape.size());
      if (dim == used || shape[size_t(dim)] < 2) {
        l.axis(a) = AxisSplit::replicated(count);
        continue;
      }
      used = dim;
      l.axis(a) = AxisSplit::split(dim, shape[size_t(dim)], count);
    } else if (kind == 1) {
      l.axis(a) = AxisSplit::replicated(count);
    } else {
      l.axis(a) = AxisSplit::partial(count);
    }
  }
  return l;
}

struct Case {
  std::vector<int64_t> srcShape, dstShape, lo, size;
  int mapKind = 0;
  std::vector<int64_t> affine, offset, reshape;
};

/// A random map family with consistent shapes.
Case randomCase(std::mt19937 &rng) {
  auto dim = [&] { return int64_t(1 + rng() % 9); };
  Case c;
  switch (rng() % 6) {
  case 0: { // a copy of a window: src = window index
    c.dstShape = {dim() + 2, dim() + 2};
    c.size = {1 + int64_t(rng() % uint64_t(c.dstShape[0])),
              1 + int64_t(rng() % uint64_t(c.dstShape[1]))};
    c.lo = {int64_t(rng() % uint64_t(c.dstShape[0] - c.size[0] + 1)),
            int64_t(rng() % uint64_t(c.dstShape[1] - c.size[1] + 1))};
    c.srcShape = c.size;
    break;
  }
  case 1: { // a transpose, with an offset into a larger source
    int64_t a = dim(), b = dim();
    c.dstShape = c.size = {a, b};
    c.lo = {0, 0};
    c.srcShape = {b + 2, a};
    c.mapKind = 1;
    c.affine = {0, 1, 1, 0};
    c.offset = {int64_t(rng() % 3), 0};
    break;
  }
  case 2: { // a broadcast of a row along dim 0, a stride along dim 1
    int64_t a = dim(), b = dim();
    c.dstShape = c.size = {a, b};
    c.lo = {0, 0};
    c.srcShape = {2 * b};
    c.mapKind = 1;
    c.affine = {0, 2};
    c.offset = {int64_t(rng() % 2)};
    break;
  }
  case 3: { // a merge: [a, b] read as [a * b]
    int64_t a = dim(), b = dim();
    c.dstShape = c.size = {a * b};
    c.lo = {0};
    c.srcShape = {a, b};
    break;
  }
  case 4: { // a split: [a * b] read as [a, b]
    int64_t a = dim(), b = dim();
    c.dstShape = c.size = {a, b};
    c.lo = {0, 0};
    c.srcShape = {a * b};
    break;
  }
  default: { // heads: src [h * e] as window [t, h, e] through a reshape
    int64_t t = dim(), h = 1 + int64_t(rng() % 4), e = dim();
    c.dstShape = c.size = {t, h, e};
    c.lo = {0, 0, 0};
    c.srcShape = {t, h * e};
    c.mapKind = 1;
    c.reshape = {t, h * e};
    c.affine = {1, 0, 0, 1};
    c.offset = {0, 0};
    break;
  }
  }
  return c;
}

void addInstr(wp::Program *p, const char *op, int transfer) {
  auto *in = p->add_instrs();
  in->set_op(op);
  in->add_buffers(0);
  in->add_ints(transfer);
}

wp::Program *addProgram(wp::WaferProgram &w, const char *name, int64_t x,
                        int64_t width, int64_t height, int64_t words) {
  auto *p = w.add_programs();
  p->set_name(name);
  p->set_x(x);
  p->set_width(width);
  p->set_height(height);
  auto *b = p->add_buffers();
  b->set_name("t");
  b->set_length(words);
  return p;
}

} // namespace

TEST(TransferCost, DerivedFromLayoutsEqualsThePlan) {
  std::mt19937 rng(7);
  int derivedTotal = 0, checked = 0;
  for (int trial = 0; trial < 400; ++trial) {
    Case c = randomCase(rng);
    bool two = rng() % 2;
    int64_t w = 2 + int64_t(rng() % 4), h = 1 + int64_t(rng() % 4);
    bool combine = rng() % 3 == 0;
    Layout src = randomLayout(rng, c.srcShape, w, h, combine);
    if (combine && !src.isPartial())
      combine = false;
    Layout dst = randomLayout(rng, c.dstShape, w, h, false);
    wp::WaferProgram prog = wse_test::testWaferProgram();
    prog.mutable_machine()->set_width(16);
    prog.mutable_machine()->set_height(8);
    int64_t words = std::max(src.tileElements(), dst.tileElements());
    wp::Program *sp = addProgram(prog, "a", 0, w, h, words);
    wp::Program *dp = two ? addProgram(prog, "b", 8, w, h, words) : sp;
    addInstr(sp, "send", 0);
    addInstr(dp, "recv", 0);
    auto *t = prog.add_transfers();
    t->set_name("t");
    t->set_src_program(0);
    t->set_dst_program(two ? 1 : 0);
    toProto(src, t->mutable_src());
    toProto(dst, t->mutable_dst());
    t->set_map_kind(c.mapKind);
    for (int64_t v : c.affine)
      t->add_affine(v);
    for (int64_t v : c.offset)
      t->add_offset(v);
    for (int64_t v : c.reshape)
      t->add_reshape(v);
    for (int64_t v : c.lo)
      t->add_window_lo(v);
    for (int64_t v : c.size)
      t->add_window_size(v);
    t->set_combine(combine ? 1 : 0);
    ASSERT_EQ(validateWaferProgram(prog), "") << "trial " << trial;
    std::unique_ptr<sim::MeshSimulator> s;
    ASSERT_EQ(sim::MeshSimulator::create(prog, s), "") << "trial " << trial;
    int64_t derived = 0;
    EXPECT_EQ(s->checkTransferCosts(derived), "")
        << "trial " << trial << ": " << src.str() << " -> " << dst.str();
    derivedTotal += int(derived);
    ++checked;
  }
  // Most are derived (a map where one window dim chooses both sender
  // coordinates is planned instead).
  EXPECT_GT(derivedTotal, checked * 3 / 4) << derivedTotal << " of " << checked;
}
