// The region cost of a transfer derived from its layouts and map (what
// --timing-only uses) against the cost of its element-by-element plan, on
// seeded random transfers no model emits: any split, replicated or
// partial layout on either side, windows, transposes, broadcasts, merges
// and splits of dims, within one program and between two. And what the
// planned transfers move, between any layouts including nested ones
// (groups of PEs along an axis), against the map applied on the host.
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
    if (s.nested()) {
      x->set_inner_kind(int32_t(s.innerKind));
      x->set_inner_dim(s.innerDim);
      x->set_inner_block(s.innerBlock);
      x->set_inner_count(s.innerCount);
    }
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

/// A random layout that may nest an axis: groups of PEs, one per index of
/// an outer dim (or a copy each), split, replicated or (if allowed)
/// partial within.
Layout randomNestedLayout(std::mt19937 &rng, const std::vector<int64_t> &shape,
                          int64_t w, int64_t h, bool partial) {
  Layout l = randomLayout(rng, shape, w, h, false);
  int a = int(rng() % 2);
  int64_t grid = a == 0 ? w : h;
  int64_t other = l.axis(1 - a).kind == AxisSplit::Split ? l.axis(1 - a).dim
                                                         : -1;
  std::vector<int64_t> free;
  for (int64_t d = 0; d < int64_t(shape.size()); ++d)
    if (d != other && shape[size_t(d)] > 1)
      free.push_back(d);
  if (free.empty() || grid < 2)
    return l;
  AxisSplit outer;
  int64_t groups;
  if (rng() % 3 == 0) {
    groups = 1 + int64_t(rng() % uint64_t(grid / 2));
    outer = AxisSplit::replicated(groups);
  } else {
    int64_t o = free[rng() % free.size()];
    outer = AxisSplit::split(o, shape[size_t(o)],
                             1 + int64_t(rng() % uint64_t(grid / 2)));
    groups = outer.count;
    free.erase(std::find(free.begin(), free.end(), o));
  }
  int64_t pes = grid / groups;
  if (pes < 2)
    return l;
  int64_t innerPes = 2 + int64_t(rng() % uint64_t(pes - 1));
  int kind = int(rng() % (partial ? 3 : 2));
  AxisSplit inner = AxisSplit::replicated(innerPes);
  if (kind == 2)
    inner = AxisSplit::partial(innerPes);
  else if (kind == 0 && !free.empty()) {
    int64_t i = free[rng() % free.size()];
    inner = AxisSplit::split(i, shape[size_t(i)], innerPes);
  }
  if (outer.kind == AxisSplit::Replicated && inner.kind != AxisSplit::Split)
    return l;
  l.axis(a) = AxisSplit::nest(outer, inner);
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

/// A transfer's index map and window from a case.
void setMap(const Case &c, wp::Transfer *t) {
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
    setMap(c, t);
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

/// The source index a transfer's map reads for window index `m`.
static std::vector<int64_t> mapped(const Case &c, const std::vector<int64_t> &m) {
  auto strides = [](const std::vector<int64_t> &shape) {
    std::vector<int64_t> st(shape.size(), 1);
    for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
      st[size_t(d)] = st[size_t(d) + 1] * shape[size_t(d) + 1];
    return st;
  };
  int64_t lin = 0;
  std::vector<int64_t> ws = strides(c.size);
  for (size_t k = 0; k < m.size(); ++k)
    lin += m[k] * ws[k];
  auto unflatten = [&](const std::vector<int64_t> &shape) {
    std::vector<int64_t> st = strides(shape), out(shape.size());
    int64_t rest = lin;
    for (size_t j = 0; j < shape.size(); ++j) {
      out[j] = rest / st[j];
      rest -= out[j] * st[j];
    }
    return out;
  };
  if (c.mapKind == 0)
    return unflatten(c.srcShape);
  std::vector<int64_t> in = c.reshape.empty() ? m : unflatten(c.reshape);
  std::vector<int64_t> s(c.srcShape.size());
  for (size_t j = 0; j < s.size(); ++j) {
    s[j] = c.offset[j];
    for (size_t k = 0; k < in.size(); ++k)
      s[j] += c.affine[j * in.size() + k] * in[k];
  }
  return s;
}

TEST(TransferPlan, NestedLayoutsMoveTheRightElements) {
  std::mt19937 rng(11);
  int nested = 0;
  for (int trial = 0; trial < 300; ++trial) {
    Case c = randomCase(rng);
    int64_t w = 2 + int64_t(rng() % 7), h = 1 + int64_t(rng() % 6);
    Layout src = rng() % 2 ? randomNestedLayout(rng, c.srcShape, w, h, false)
                           : randomLayout(rng, c.srcShape, w, h, false);
    Layout dst = randomNestedLayout(rng, c.dstShape, w, h, false);
    nested += src.isNested() || dst.isNested();
    wp::WaferProgram prog = wse_test::testWaferProgram();
    prog.mutable_machine()->set_width(16);
    prog.mutable_machine()->set_height(8);
    int64_t words = std::max(src.tileElements(), dst.tileElements());
    wp::Program *p = addProgram(prog, "a", 0, w, h, words);
    auto *d = p->add_buffers();
    d->set_name("d");
    d->set_offset(4 * ((words + 3) / 4 * 4));
    d->set_length(words);
    addInstr(p, "send", 0);
    addInstr(p, "recv", 0);
    p->mutable_instrs(1)->set_buffers(0, 1);
    auto *t = prog.add_transfers();
    t->set_name("t");
    t->set_src_program(0);
    t->set_dst_program(0);
    t->set_dst_buffer(1);
    toProto(src, t->mutable_src());
    toProto(dst, t->mutable_dst());
    setMap(c, t);
    auto *in = prog.add_inputs();
    in->set_name("x");
    for (int64_t v : c.srcShape)
      in->mutable_type()->add_shape(v);
    toProto(src, in->mutable_layout());
    in->set_buffer(0);
    auto *out = prog.add_outputs();
    out->set_name("y");
    for (int64_t v : c.dstShape)
      out->mutable_type()->add_shape(v);
    toProto(dst, out->mutable_layout());
    out->set_buffer(1);
    std::string where = "trial " + std::to_string(trial) + ": " + src.str() +
                        " -> " + dst.str();
    ASSERT_EQ(validateWaferProgram(prog), "") << where;
    std::unique_ptr<sim::MeshSimulator> s;
    ASSERT_EQ(sim::MeshSimulator::create(prog, s), "") << where;
    HostTensor x = HostTensor::floats(c.srcShape);
    for (size_t i = 0; i < x.f.size(); ++i)
      x.f[i] = float(i + 1);
    ASSERT_EQ(s->setInput("x", x), "") << where;
    sim::StepStats stats;
    ASSERT_EQ(s->runStep(stats), "") << where;
    HostTensor y = s->read(s->program().outputs(0));
    // Every element of the window holds the source element its map reads.
    std::vector<int64_t> m(c.size.size(), 0);
    int64_t n = 1;
    for (int64_t v : c.size)
      n *= v;
    for (int64_t e = 0; e < n; ++e) {
      int64_t rest = e;
      for (int64_t k = int64_t(m.size()) - 1; k >= 0; --k) {
        m[size_t(k)] = rest % c.size[size_t(k)];
        rest /= c.size[size_t(k)];
      }
      std::vector<int64_t> sIdx = mapped(c, m);
      int64_t sLin = 0, dLin = 0;
      for (size_t j = 0; j < sIdx.size(); ++j)
        sLin = sLin * c.srcShape[j] + sIdx[j];
      for (size_t k = 0; k < m.size(); ++k)
        dLin = dLin * c.dstShape[k] + c.lo[k] + m[k];
      ASSERT_EQ(y.f[size_t(dLin)], x.f[size_t(sLin)])
          << where << ", window element " << e;
    }
  }
  EXPECT_GT(nested, 200);
}
