// Weight streaming's host on small hand-built programs: a parameter in host
// memory streams onto a 4x1 mesh and back over the host links, which carry
// many wavelets a cycle (the machine's links x Gb/s at its clock), enter
// the mesh at its west edge, and are counted in bytes each way.
#include "TestWaferProgram.h"
#include "wse/Sim/MeshSimulator.h"
#include "wse/Support/Machine.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace wsert;
namespace wp = wsebin;

namespace {

constexpr int64_t kN = 4096; // elements of the streamed parameter

void setWhole(wp::Layout *l) {
  l->add_shape(kN);
  for (wp::Axis *a : {l->mutable_x(), l->mutable_y()}) {
    a->set_kind(1);
    a->set_dim(-1);
    a->set_block(1);
    a->set_count(1);
  }
}

void setSplit(wp::Layout *l) {
  l->add_shape(kN);
  l->mutable_x()->set_kind(0);
  l->mutable_x()->set_dim(0);
  l->mutable_x()->set_block(kN / 4);
  l->mutable_x()->set_count(4);
  l->mutable_y()->set_kind(1);
  l->mutable_y()->set_dim(-1);
  l->mutable_y()->set_block(1);
  l->mutable_y()->set_count(1);
}

void addInstr(wp::Program *p, const char *op, int buffer, int transfer) {
  auto *in = p->add_instrs();
  in->set_op(op);
  in->add_buffers(buffer);
  in->add_ints(transfer);
}

/// Host program @host holds parameter w [kN] (1, 2, 3, ...) and a buffer
/// g; it sends w to the 4x1 mesh (split in blocks of kN / 4), which sends
/// each block back into g. Output: g.
wp::WaferProgram roundTrip(int64_t links = 12, int64_t gbps = 100) {
  wp::WaferProgram w = wse_test::testWaferProgram();
  auto *m = w.mutable_machine();
  m->set_host_links(links);
  m->set_host_link_gbps(gbps);
  m->set_host_fmacs_per_cycle(128);

  auto *mesh = w.add_programs();
  mesh->set_name("mesh");
  mesh->set_width(4);
  mesh->set_height(1);
  auto *tile = mesh->add_buffers();
  tile->set_name("tile");
  tile->set_length(kN / 4);
  addInstr(mesh, "recv", 0, 0);
  addInstr(mesh, "send", 0, 1);

  auto *host = w.add_programs();
  host->set_name("host");
  host->set_width(1);
  host->set_height(1);
  host->set_host(true);
  const char *names[] = {"w", "g"};
  for (int i = 0; i < 2; ++i) {
    auto *b = host->add_buffers();
    b->set_name(names[i]);
    b->set_offset(4 * kN * i);
    b->set_length(kN);
  }
  addInstr(host, "send", 0, 0);
  addInstr(host, "recv", 1, 1);

  auto *in = w.add_transfers();
  in->set_name("stream-in");
  in->set_src_program(1);
  in->set_src_buffer(0);
  setWhole(in->mutable_src());
  in->set_dst_program(0);
  in->set_dst_buffer(0);
  setSplit(in->mutable_dst());
  in->add_window_lo(0);
  in->add_window_size(kN);
  auto *out = w.add_transfers();
  out->set_name("stream-out");
  out->set_src_program(0);
  out->set_src_buffer(0);
  setSplit(out->mutable_src());
  out->set_dst_program(1);
  out->set_dst_buffer(1);
  setWhole(out->mutable_dst());
  out->add_window_lo(0);
  out->add_window_size(kN);
  out->set_color(1);

  auto *param = w.add_params();
  param->set_name("w");
  param->set_program(1);
  param->set_buffer(0);
  param->mutable_type()->add_shape(kN);
  setWhole(param->mutable_layout());
  for (int64_t i = 0; i < kN; ++i)
    param->add_init(float(i + 1));
  auto *g = w.add_outputs();
  g->set_name("g");
  g->set_program(1);
  g->set_buffer(1);
  g->mutable_type()->add_shape(kN);
  setWhole(g->mutable_layout());
  return w;
}

} // namespace

TEST(HostLinks, ParametersStreamInAndGradientsOutAtTheLinksRate) {
  wp::WaferProgram w = roundTrip();
  ASSERT_EQ(validateWaferProgram(w), "");
  std::unique_ptr<sim::MeshSimulator> s;
  ASSERT_EQ(sim::MeshSimulator::create(w, s), "");
  EXPECT_EQ(s->numPes(), 5);
  EXPECT_EQ(s->numMeshPes(), 4);
  sim::StepStats stats;
  ASSERT_EQ(s->runStep(stats), "");
  HostTensor g = s->read(s->program().outputs(0));
  ASSERT_EQ(g.f.size(), size_t(kN));
  for (int64_t i = 0; i < kN; ++i)
    ASSERT_EQ(g.f[size_t(i)], float(i + 1)) << i;

  // Every byte crosses the links once each way.
  EXPECT_EQ(stats.hostBytesIn, uint64_t(4 * kN));
  EXPECT_EQ(stats.hostBytesOut, uint64_t(4 * kN));
  // 12 x 100 Gb/s at 850 MHz: 44.1 f32 wavelets a cycle.
  double rate = MachineDesc::hostLinkWaveletsPerCycle(12, 100, 850);
  EXPECT_NEAR(rate, 44.117647, 1e-5);
  uint64_t linkCycles = uint64_t(std::ceil(double(kN) / rate));
  EXPECT_EQ(stats.hostInCycles, linkCycles);
  EXPECT_EQ(stats.hostOutCycles, linkCycles);
  // The host sends the tiles one after another; PE 3's first wavelet
  // leaves once the links carried the other three tiles and is 4 hops
  // away (the links enter at the west edge). A PE's own ramps take a
  // wavelet a cycle: its 1024-element tile in, then out, 4 hops back.
  uint64_t threeTiles = uint64_t(std::ceil(3.0 * kN / 4 / rate));
  EXPECT_EQ(stats.peCycles, threeTiles + 4 + kN / 4 + kN / 4 + 4);
  // Wavelet-hops: each tile from the west edge to its PE (x + 1 links)
  // and back.
  EXPECT_EQ(stats.wavelets, uint64_t(2 * kN / 4 * (1 + 2 + 3 + 4)));
}

TEST(HostLinks, SlowerLinksMakeTheStepLinkBound) {
  // One 1 Gb/s link: 0.037 wavelets a cycle, so the host's links, not the
  // PEs' ramps, set the step's length: the last tile leaves the host when
  // all kN wavelets have crossed.
  std::unique_ptr<sim::MeshSimulator> s;
  ASSERT_EQ(sim::MeshSimulator::create(roundTrip(1, 1), s), "");
  sim::StepStats stats;
  ASSERT_EQ(s->runStep(stats), "");
  double rate = MachineDesc::hostLinkWaveletsPerCycle(1, 1, 850);
  uint64_t linkCycles = uint64_t(std::ceil(double(kN) / rate));
  EXPECT_EQ(stats.hostInCycles, linkCycles);
  EXPECT_EQ(stats.hostOutCycles, linkCycles);
  // PE 3 has its tile 4 hops after the links carried it and sends it
  // straight back (its first wavelet 4 hops and a cycle later); the host
  // takes nothing before it arrives, and a tile's worth at the links' rate.
  uint64_t threeTiles = uint64_t(std::ceil(3.0 * kN / 4 / rate));
  EXPECT_EQ(stats.peCycles, linkCycles + 4 + 4 + (linkCycles - threeTiles));
}

TEST(HostLinks, AHostNeedsLinksAndOneHostPe) {
  wp::WaferProgram w = roundTrip(0, 100);
  EXPECT_NE(validateWaferProgram(w).find("needs host links"),
            std::string::npos);
  w = roundTrip();
  w.mutable_programs(1)->set_width(2);
  EXPECT_NE(validateWaferProgram(w).find("is not one 1x1 host"),
            std::string::npos);
  w = roundTrip();
  w.mutable_programs(1)->mutable_buffers(1)->set_offset(int64_t(1) << 51);
  EXPECT_NE(validateWaferProgram(w).find("bytes of host memory"),
            std::string::npos);
}

TEST(WaferProgram, StackedParameterPartsAreChecked) {
  // A stacked parameter names one part per slice of its dim 0.
  wp::WaferProgram w = roundTrip();
  for (int64_t i = 0; i < kN; ++i)
    w.mutable_params(0)->add_parts("w." + std::to_string(i));
  EXPECT_EQ(validateWaferProgram(w), "");
  w.mutable_params(0)->add_parts("w.extra");
  std::string e = validateWaferProgram(w);
  EXPECT_NE(e.find("parameter 'w': " + std::to_string(kN + 1) +
                   " parts for a dim 0 of " + std::to_string(kN)),
            std::string::npos)
      << e;
  w = roundTrip();
  for (int64_t i = 0; i < kN; ++i)
    w.mutable_params(0)->add_parts(i == 2 ? "" : "w." + std::to_string(i));
  e = validateWaferProgram(w);
  EXPECT_NE(e.find("parameter 'w': a part without a name"), std::string::npos)
      << e;
  w = roundTrip();
  w.mutable_outputs(0)->add_parts("g.0");
  e = validateWaferProgram(w);
  EXPECT_NE(e.find("output 'g': has parts, which only a stacked parameter has"),
            std::string::npos)
      << e;
}
