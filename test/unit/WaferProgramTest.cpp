// The wafer program message: round trip, validation of corrupt input, and
// the simulator on small hand-built programs (chains, routes, deadlock).
#include "WaferProgram.pb.h"
#include "wse/Sim/MeshSimulator.h"
#include "wse/Target/WaferProgram.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

using namespace wsert;
using wsert::HostTensor;
namespace wp = wsebin;

namespace {

wp::Buffer *buffer(wp::Program *p, const char *name, int64_t offset,
                   int64_t length) {
  auto *b = p->add_buffers();
  b->set_name(name);
  b->set_offset(offset);
  b->set_length(length);
  return b;
}

wp::Instr *instr(wp::Program *p, wp::Instr::Op op, int buf,
                 std::vector<int64_t> colors = {}, wp::When when = wp::ALL) {
  auto *i = p->add_instrs();
  i->set_op(op);
  i->add_buffers(buf);
  for (int64_t c : colors)
    i->add_colors(c);
  i->set_when(when);
  return i;
}

/// Two regions: "a" (2 PEs) fills v with its column + 1 and reduces it along
/// a chain; its last PE sends the sum to "b" (1 PE, three columns east).
wp::WaferProgram twoRegions() {
  wp::WaferProgram w;
  w.set_version(mlir::wse::kWaferProgramVersion);
  auto *m = w.mutable_machine();
  m->set_name("test");
  m->set_width(8);
  m->set_height(4);
  m->set_sram_bytes(48 * 1024);
  m->set_reserved_sram_bytes(8 * 1024);
  m->set_colors(24);
  m->set_clock_mhz(850);
  m->set_fmacs_per_cycle(1);
  m->set_adds_per_cycle(2);

  auto *a = w.add_programs();
  a->set_name("a");
  a->set_width(2);
  a->set_height(1);
  buffer(a, "v", 0, 4);
  buffer(a, "p", 16, 2);
  // v = p broadcast: copy2d with rows 2, cols 1 takes p[0], p[1] into v[0], v[2]
  instr(a, wp::Instr::FILL, 0)->set_value(0.0f);
  auto *cp = a->add_instrs();
  cp->set_op(wp::Instr::COPY2D);
  cp->add_buffers(0);
  cp->add_buffers(1);
  for (int64_t v : {2, 1, 1, 0, 0, 2, 0, 0})
    cp->add_ints(v);
  instr(a, wp::Instr::RECV_ADD, 0, {1, 0}, wp::NOT_FIRST);
  instr(a, wp::Instr::SEND, 0, {0, 1}, wp::NOT_LAST);
  instr(a, wp::Instr::SEND, 0, {2}, wp::LAST);

  auto *b = w.add_programs();
  b->set_name("b");
  b->set_x(4);
  b->set_width(1);
  b->set_height(1);
  buffer(b, "u", 0, 4);
  instr(b, wp::Instr::RECV, 0, {2});

  auto *chain = w.add_chains();
  chain->set_name("a.fwd");
  chain->set_program(0);
  chain->set_color0(0);
  chain->set_color1(1);
  auto *route = w.add_routes();
  route->set_name("a.out");
  route->set_color(2);
  for (int64_t v : {1, 0, 4, 0, 4, 0})
    route->add_path(v);

  auto *param = w.add_params();
  param->set_name("p");
  param->set_program(0);
  param->set_buffer(1);
  param->mutable_type()->add_shape(4);
  for (float v : {1.0f, 2.0f, 10.0f, 20.0f})
    param->add_init(v);
  auto *out = w.add_outputs();
  out->set_name("u");
  out->set_program(1);
  out->set_buffer(0);
  out->mutable_type()->add_shape(4);
  return w;
}

} // namespace

TEST(WaferProgram, BinaryAndTextRoundTrip) {
  wp::WaferProgram w = twoRegions();
  ASSERT_EQ(validateWaferProgram(w), "");
  std::string bytes;
  ASSERT_TRUE(w.SerializeToString(&bytes));
  std::string path = testing::TempDir() + "/roundtrip.wsebin";
  std::ofstream(path, std::ios::binary) << bytes;
  wp::WaferProgram back;
  ASSERT_EQ(loadWaferProgram(path, back), "");
  std::string again;
  ASSERT_TRUE(back.SerializeToString(&again));
  EXPECT_EQ(bytes, again);
  std::remove(path.c_str());
}

TEST(WaferProgram, CorruptProgramsAreRejectedWithAReason) {
  wp::WaferProgram w = twoRegions();
  w.mutable_programs(0)->mutable_instrs(0)->set_buffers(0, 99);
  EXPECT_NE(validateWaferProgram(w).find("buffer index 99"), std::string::npos);

  w = twoRegions();
  w.mutable_routes(0)->set_path(2, 1000);
  EXPECT_NE(validateWaferProgram(w).find("off the mesh"), std::string::npos);

  w = twoRegions();
  w.mutable_params(0)->mutable_init()->RemoveLast();
  EXPECT_NE(validateWaferProgram(w).find("initial value"), std::string::npos);

  w = twoRegions();
  w.set_version(77);
  EXPECT_NE(validateWaferProgram(w).find("version"), std::string::npos);

  std::string path = testing::TempDir() + "/garbage.wsebin";
  std::ofstream(path, std::ios::binary) << "\xff\xff\xff garbage";
  wp::WaferProgram back;
  EXPECT_NE(loadWaferProgram(path, back), "");
  std::remove(path.c_str());
}

TEST(MeshSimulator, ChainReducesAndRouteDelivers) {
  std::unique_ptr<sim::MeshSimulator> s;
  ASSERT_EQ(sim::MeshSimulator::create(twoRegions(), s), "");
  sim::StepStats stats;
  ASSERT_EQ(s->runStep(stats), "");
  // PE 0 holds p = [1, 2] -> v = [1, 0, 2, 0]; PE 1 holds [10, 20] -> v =
  // [10, 0, 20, 0]; the chain sums them; b receives the sum.
  HostTensor u = s->readOutput(s->program().outputs(0));
  EXPECT_EQ(u.f, (std::vector<float>{11, 0, 22, 0}));
  // 4 wavelets over 1 chain link + 4 over 3 route links.
  EXPECT_EQ(stats.wavelets, 4u * 1 + 4u * 3);
  EXPECT_GT(stats.cycles, 0u);
}

TEST(MeshSimulator, TwoRunsAreBitIdentical) {
  std::unique_ptr<sim::MeshSimulator> s1, s2;
  ASSERT_EQ(sim::MeshSimulator::create(twoRegions(), s1), "");
  ASSERT_EQ(sim::MeshSimulator::create(twoRegions(), s2), "");
  sim::StepStats a, b;
  ASSERT_EQ(s1->runStep(a), "");
  ASSERT_EQ(s2->runStep(b), "");
  EXPECT_EQ(a.cycles, b.cycles);
  EXPECT_EQ(s1->readOutput(s1->program().outputs(0)).f,
            s2->readOutput(s2->program().outputs(0)).f);
}

TEST(MeshSimulator, DeadlockNamesTheStuckPeAndColor) {
  wp::WaferProgram w = twoRegions();
  // b waits for a second message that nobody sends.
  instr(w.mutable_programs(1), wp::Instr::RECV, 0, {2});
  std::unique_ptr<sim::MeshSimulator> s;
  ASSERT_EQ(sim::MeshSimulator::create(w, s), "");
  sim::StepStats stats;
  std::string err = s->runStep(stats);
  EXPECT_NE(err.find("deadlock"), std::string::npos) << err;
  EXPECT_NE(err.find("PE (4, 0) of @b waits on color 2"), std::string::npos)
      << err;
  EXPECT_NE(err.find("PE (1, 0) of @a (finished"), std::string::npos) << err;
}

TEST(MeshSimulator, RouterConflictsAreLoadErrors) {
  wp::WaferProgram w = twoRegions();
  // A second route on color 0 through the chain's routers.
  auto *r = w.add_routes();
  r->set_name("clash");
  r->set_color(0);
  for (int64_t v : {0, 1, 0, 0, 1, 0})
    r->add_path(v);
  std::unique_ptr<sim::MeshSimulator> s;
  std::string err = sim::MeshSimulator::create(w, s);
  EXPECT_NE(err.find("router conflict"), std::string::npos) << err;
}
