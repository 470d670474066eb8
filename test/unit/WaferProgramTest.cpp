// The wafer program message and the simulator on small hand-built
// programs: round trip, validation of corrupt input, a transfer that sums
// partial tiles, bit-identical reruns, deadlock reports.
#include "TestWaferProgram.h"
#include "wse/Sim/MeshSimulator.h"
#include "wse/Support/Crc32c.h"
#include "wse/Support/Math.h"

#include <gtest/gtest.h>

using namespace wsert;
using wsert::HostTensor;
namespace wp = wsebin;

namespace {

void setAxis(wp::Axis *a, int64_t kind, int64_t dim, int64_t block,
             int64_t count) {
  a->set_kind(kind);
  a->set_dim(dim);
  a->set_block(block);
  a->set_count(count);
}

/// A 4x1 program: input x [8] split over x in blocks of 2; each PE sums
/// its block into a partial scalar (map copy, acc add); a transfer adds the
/// partials into s, held by PE 0; s is the output.
wp::WaferProgram partialSum(bool withSend = true) {
  wp::WaferProgram w = wse_test::testWaferProgram();
  auto *p = w.add_programs();
  p->set_name("mesh");
  p->set_width(4);
  p->set_height(1);
  const char *names[] = {"x", "part", "s"};
  int64_t lengths[] = {2, 1, 1};
  for (int i = 0; i < 3; ++i) {
    auto *b = p->add_buffers();
    b->set_name(names[i]);
    b->set_offset(16 * i);
    b->set_length(lengths[i]);
  }
  auto *fill = p->add_instrs();
  fill->set_op("fill");
  fill->add_buffers(1);
  fill->add_floats(0.0f);
  auto *map = p->add_instrs();
  map->set_op("map");
  map->set_fn("copy");
  map->add_buffers(1);
  map->add_buffers(0);
  // rank 1, acc add, box (block 2, axis x, global 8), strides out 0, in 1.
  for (int64_t v : {1, 1, 2, 1, 8, 0, 1})
    map->add_ints(v);
  if (withSend) {
    auto *send = p->add_instrs();
    send->set_op("send");
    send->add_buffers(1);
    send->add_ints(0);
  }
  auto *recv = p->add_instrs();
  recv->set_op("recv");
  recv->add_buffers(2);
  recv->add_ints(0);
  auto *t = w.add_transfers();
  t->set_name("reduce");
  t->set_src_program(0);
  t->set_src_buffer(1);
  setAxis(t->mutable_src()->mutable_x(), 2, -1, 1, 4);
  setAxis(t->mutable_src()->mutable_y(), 1, -1, 1, 1);
  t->set_dst_program(0);
  t->set_dst_buffer(2);
  setAxis(t->mutable_dst()->mutable_x(), 1, -1, 1, 1);
  setAxis(t->mutable_dst()->mutable_y(), 1, -1, 1, 1);
  t->set_map_kind(0);
  t->set_combine(1);
  t->set_color(3);
  auto *in = w.add_inputs();
  in->set_name("x");
  in->mutable_type()->add_shape(8);
  in->mutable_layout()->add_shape(8);
  setAxis(in->mutable_layout()->mutable_x(), 0, 0, 2, 4);
  setAxis(in->mutable_layout()->mutable_y(), 1, -1, 1, 1);
  in->set_buffer(0);
  auto *out = w.add_outputs();
  out->set_name("s");
  out->set_buffer(2);
  setAxis(out->mutable_layout()->mutable_x(), 1, -1, 1, 1);
  setAxis(out->mutable_layout()->mutable_y(), 1, -1, 1, 1);
  out->set_loss(true);
  return w;
}

HostTensor iota8() {
  HostTensor t = HostTensor::floats({8});
  for (int i = 0; i < 8; ++i)
    t.f[i] = float(i + 1);
  return t;
}

} // namespace

TEST(WaferProgram, ValidProgramPassesAndRoundTrips) {
  wp::WaferProgram w = partialSum();
  EXPECT_EQ(validateWaferProgram(w), "");
  std::string bytes;
  ASSERT_TRUE(w.SerializeToString(&bytes));
  wp::WaferProgram back;
  ASSERT_TRUE(back.ParseFromString(bytes));
  EXPECT_EQ(back.SerializeAsString(), bytes);
}

TEST(WaferProgram, CorruptProgramsAreRejectedWithAReason) {
  auto expectError = [](wp::WaferProgram w, const std::string &what) {
    std::string e = validateWaferProgram(w);
    EXPECT_NE(e.find(what), std::string::npos) << "got: " << e;
  };
  wp::WaferProgram w = partialSum();
  w.mutable_programs(0)->mutable_instrs(1)->set_op("frobnicate");
  expectError(w, "unknown instruction 'frobnicate'");
  w = partialSum();
  w.mutable_programs(0)->mutable_instrs(1)->set_fn("nope");
  expectError(w, "unknown function 'nope'");
  w = partialSum();
  w.mutable_programs(0)->mutable_instrs(1)->set_ints(5, 3); // stride 3
  expectError(w, "reaches element");
  w = partialSum();
  w.mutable_programs(0)->mutable_buffers(0)->set_offset(48 * 1024);
  expectError(w, "lies outside the PE's");
  w = partialSum();
  w.mutable_transfers(0)->set_combine(0);
  expectError(w, "combine mode");
  w = partialSum();
  w.mutable_programs(0)->mutable_instrs(2)->set_ints(0, 7);
  expectError(w, "transfer index out of range");
  w = partialSum();
  w.set_version(1);
  expectError(w, "unsupported wafer program version 1");
  w = partialSum();
  w.mutable_inputs(0)->mutable_layout()->mutable_x()->set_block(3);
  expectError(w, "splits dim 0 of 8 in blocks of 3");
  // A reshaped index: affine maps only, as many elements as the window.
  w = partialSum();
  w.mutable_transfers(0)->add_reshape(1);
  expectError(w, "a reshape renumbers only an affine map's index");
  w = partialSum();
  w.mutable_transfers(0)->set_map_kind(1);
  w.mutable_transfers(0)->add_reshape(2);
  expectError(w, "a reshape of the window to 2 elements; the window has 1");
  w = partialSum();
  w.mutable_transfers(0)->set_map_kind(1);
  w.mutable_transfers(0)->add_reshape(1);
  w.mutable_transfers(0)->add_affine(1);
  expectError(w, "affine map of the wrong size");
}

TEST(MeshSimulator, PartialTilesAreSummedByTheTransfer) {
  std::unique_ptr<sim::MeshSimulator> s;
  ASSERT_EQ(sim::MeshSimulator::create(partialSum(), s), "");
  ASSERT_EQ(s->setInput("x", iota8()), "");
  sim::StepStats stats;
  ASSERT_EQ(s->runStep(stats), "");
  HostTensor out = s->read(s->program().outputs(0));
  EXPECT_EQ(out.f[0], 36.0f);
  // Three partial scalars travel 1, 2 and 3 hops to PE 0.
  EXPECT_EQ(stats.wavelets, 6u);
  // 8 adds in the maps and 4 in the combine.
  EXPECT_EQ(stats.flops, 12u);
  EXPECT_GT(stats.cycles, 0u);
}

TEST(MeshSimulator, TwoRunsAreBitIdentical) {
  std::unique_ptr<sim::MeshSimulator> a, b;
  ASSERT_EQ(sim::MeshSimulator::create(partialSum(), a), "");
  ASSERT_EQ(sim::MeshSimulator::create(partialSum(), b), "");
  for (auto *s : {a.get(), b.get()}) {
    ASSERT_EQ(s->setInput("x", iota8()), "");
    sim::StepStats stats;
    ASSERT_EQ(s->runStep(stats), "");
  }
  EXPECT_EQ(a->totalCycles(), b->totalCycles());
  EXPECT_EQ(a->read(a->program().outputs(0)).f,
            b->read(b->program().outputs(0)).f);
}

TEST(MeshSimulator, DeadlockNamesTheWaitingPeAndTransfer) {
  std::unique_ptr<sim::MeshSimulator> s;
  ASSERT_EQ(sim::MeshSimulator::create(partialSum(/*withSend=*/false), s), "");
  ASSERT_EQ(s->setInput("x", iota8()), "");
  sim::StepStats stats;
  std::string e = s->runStep(stats);
  EXPECT_NE(e.find("deadlock"), std::string::npos) << e;
  EXPECT_NE(e.find("PE (0, 0) of @mesh waits in recv of transfer 'reduce' "
                   "(color 3)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("finished without sending"), std::string::npos) << e;
}

/// partialSum with x a constant drawn from a seeded generator.
wp::WaferProgram seededSum(uint32_t dist, double a, double b, uint64_t seed) {
  wp::WaferProgram w = partialSum();
  wp::Binding x = w.inputs(0);
  w.clear_inputs();
  wp::RandomInit *r = x.mutable_random_init();
  r->set_distribution(dist);
  r->set_a(a);
  r->set_b(b);
  r->set_seed(seed);
  *w.add_constants() = x;
  return w;
}

TEST(MeshSimulator, SeededInitialValuesAreDrawnAtLoad) {
  // The loader draws x (8 elements, 2 a PE) from the generator: the sum is
  // that of wsert::math::randomInit's values.
  std::vector<float> x(8);
  wsert::math::randomInit(0, 0.5, 2.0, 42, 0, 8, x.data());
  std::unique_ptr<sim::MeshSimulator> s;
  ASSERT_EQ(sim::MeshSimulator::create(seededSum(0, 0.5, 2.0, 42), s), "");
  sim::StepStats stats;
  ASSERT_EQ(s->runStep(stats), "");
  float want = 0;
  for (int pe = 0; pe < 4; ++pe)
    want += x[size_t(2 * pe)] + x[size_t(2 * pe + 1)];
  EXPECT_EQ(s->read(s->program().outputs(0)).f[0], want);
  ASSERT_EQ(sim::MeshSimulator::create(seededSum(2, 0.25, 0, 0), s), "");
  ASSERT_EQ(s->runStep(stats), "");
  EXPECT_EQ(s->read(s->program().outputs(0)).f[0], 2.0f);
}

TEST(WaferProgram, BadSeededInitialValuesAreRejected) {
  auto expectError = [](const wp::WaferProgram &w, const std::string &what) {
    std::string e = validateWaferProgram(w);
    EXPECT_NE(e.find(what), std::string::npos) << "got: " << e;
  };
  EXPECT_EQ(validateWaferProgram(seededSum(1, -1, 1, 3)), "");
  expectError(seededSum(0, 0, 0, 3),
              "bad seeded initial value (distribution 0)");
  expectError(seededSum(1, 1, 1, 3),
              "bad seeded initial value (distribution 1)");
  expectError(seededSum(3, 0, 1, 3),
              "bad seeded initial value (distribution 3)");
  wp::WaferProgram w = seededSum(2, 1, 0, 0);
  for (int i = 0; i < 8; ++i)
    w.mutable_constants(0)->add_init(1.0f);
  expectError(w, "both initial values and a seeded generator");
  w = partialSum();
  w.mutable_inputs(0)->mutable_random_init()->set_distribution(2);
  expectError(w, "input 'x': a seeded initial value on an input");
}

TEST(MeshSimulator, InputsOutsideTheirRangeAreErrors) {
  wp::WaferProgram w = partialSum();
  w.mutable_inputs(0)->mutable_type()->set_is_int(true);
  w.mutable_inputs(0)->add_range(0);
  w.mutable_inputs(0)->add_range(8);
  std::unique_ptr<sim::MeshSimulator> s;
  ASSERT_EQ(sim::MeshSimulator::create(w, s), "");
  HostTensor ids = HostTensor::ints({8});
  ids.i[5] = 8;
  EXPECT_EQ(s->setInput("x", ids),
            "input 'x' holds 8 at [5], outside [0, 8)");
  ids.i[5] = 7;
  EXPECT_EQ(s->setInput("x", ids), "");
}

TEST(WaferProgram, Crc32cMatchesTheCastagnoliCheckValue) {
  // The check value of CRC-32C (RFC 3720, appendix B.4).
  EXPECT_EQ(wsert::crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(wsert::crc32c(""), 0u);
  // Extending a checksum equals checksumming the concatenation.
  EXPECT_EQ(wsert::crc32c("6789", wsert::crc32c("12345")),
            wsert::crc32c("123456789"));
}

TEST(WaferProgram, HeaderCarriesVersionLengthAndChecksum) {
  wp::WaferProgram w = partialSum();
  std::string bytes = wsert::encodeWaferProgram(w);
  wp::WaferProgram back;
  ASSERT_EQ(wsert::decodeWaferProgram(bytes, back), "");
  EXPECT_EQ(back.SerializeAsString(), w.SerializeAsString());

  // Every single-bit flip in the message is caught by the checksum.
  for (size_t i = 24; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = char(flipped[i] ^ 0x10);
    std::string e = wsert::decodeWaferProgram(flipped, back);
    EXPECT_NE(e.find("corrupted wafer program: CRC-32C"), std::string::npos)
        << "byte " << i << ": " << e;
  }
  std::string e = wsert::decodeWaferProgram(bytes.substr(0, bytes.size() - 1),
                                            back);
  EXPECT_NE(e.find("truncated or padded"), std::string::npos) << e;
  std::string future = bytes;
  future[8] = 9;
  e = wsert::decodeWaferProgram(future, back);
  EXPECT_NE(e.find("format version 9; this build reads version"),
            std::string::npos)
      << e;
}


namespace {

/// A 4x1 program: input x [4, 3, 2] split over x along dim 0; each PE
/// copies its [3, 2] slice into a partial tile; a transfer with sparse
/// rows sums the partials into s on PE 0.
wp::WaferProgram sparseRowSum() {
  wp::WaferProgram w = wse_test::testWaferProgram();
  auto *p = w.add_programs();
  p->set_name("mesh");
  p->set_width(4);
  p->set_height(1);
  const char *names[] = {"x", "part", "s"};
  for (int i = 0; i < 3; ++i) {
    auto *b = p->add_buffers();
    b->set_name(names[i]);
    b->set_offset(32 * i);
    b->set_length(6);
  }
  auto *map = p->add_instrs();
  map->set_op("map");
  map->set_fn("copy");
  map->add_buffers(1);
  map->add_buffers(0);
  // rank 3, acc 3 (add from zero), box (1 x 4 over x, 3, 2), strides out
  // (0, 2, 1), in (6, 2, 1).
  for (int64_t v : {3, 3, 1, 1, 4, 3, 0, 3, 2, 0, 2, 0, 2, 1, 6, 2, 1})
    map->add_ints(v);
  for (const char *op : {"send", "recv"}) {
    auto *in = p->add_instrs();
    in->set_op(op);
    in->add_buffers(op[0] == 's' ? 1 : 2);
    in->add_ints(0);
  }
  auto *t = w.add_transfers();
  t->set_name("rows");
  t->set_src_program(0);
  t->set_src_buffer(1);
  for (int64_t d : {3, 2})
    t->mutable_src()->add_shape(d);
  setAxis(t->mutable_src()->mutable_x(), 2, -1, 1, 4);
  setAxis(t->mutable_src()->mutable_y(), 1, -1, 1, 1);
  t->set_dst_program(0);
  t->set_dst_buffer(2);
  for (int64_t d : {3, 2})
    t->mutable_dst()->add_shape(d);
  setAxis(t->mutable_dst()->mutable_x(), 1, -1, 1, 1);
  setAxis(t->mutable_dst()->mutable_y(), 1, -1, 1, 1);
  for (int64_t d : {3, 2}) {
    t->add_window_lo(0);
    t->add_window_size(d);
  }
  t->set_combine(1);
  t->set_sparse_rows(true);
  t->set_color(3);
  auto *in = w.add_inputs();
  in->set_name("x");
  for (int64_t d : {4, 3, 2}) {
    in->mutable_type()->add_shape(d);
    in->mutable_layout()->add_shape(d);
  }
  setAxis(in->mutable_layout()->mutable_x(), 0, 0, 1, 4);
  setAxis(in->mutable_layout()->mutable_y(), 1, -1, 1, 1);
  in->set_buffer(0);
  auto *out = w.add_outputs();
  out->set_name("s");
  out->set_buffer(2);
  for (int64_t d : {3, 2}) {
    out->mutable_type()->add_shape(d);
    out->mutable_layout()->add_shape(d);
  }
  setAxis(out->mutable_layout()->mutable_x(), 1, -1, 1, 1);
  setAxis(out->mutable_layout()->mutable_y(), 1, -1, 1, 1);
  return w;
}

} // namespace

namespace {

/// A 4x1 program: rows u [8, 2] and their table rows idx [8] split over x
/// in blocks of 2; a scatter-add whose table [5, 2] (partial over x) is
/// not stored, and a transfer that sends each PE's rows into s, held by
/// PE 0.
wp::WaferProgram unstoredScatter() {
  wp::WaferProgram w = wse_test::testWaferProgram();
  auto *p = w.add_programs();
  p->set_name("mesh");
  p->set_width(4);
  p->set_height(1);
  const char *names[] = {"u", "idx", "table", "s"};
  const int64_t lengths[] = {4, 2, 1, 10};
  for (int i = 0; i < 4; ++i) {
    auto *b = p->add_buffers();
    b->set_name(names[i]);
    b->set_offset(64 * i);
    b->set_length(lengths[i]);
  }
  auto *sc = p->add_instrs();
  sc->set_op("scatter_add");
  for (int b : {2, 0, 1})
    sc->add_buffers(b);
  // Boxes of n (2 a PE over x), d (2), v (5); 1: the table is not stored.
  const int64_t box[] = {2, 1, 8, 2, 0, 2, 5, 0, 5};
  for (int64_t v : box)
    sc->add_ints(v);
  sc->add_ints(1);
  for (const char *op : {"send", "recv"}) {
    auto *in = p->add_instrs();
    in->set_op(op);
    in->add_buffers(op[0] == 's' ? 2 : 3);
    in->add_ints(0);
  }
  auto *t = w.add_transfers();
  t->set_name("rows");
  t->set_src_program(0);
  t->set_src_buffer(2);
  for (int64_t d : {5, 2})
    t->mutable_src()->add_shape(d);
  setAxis(t->mutable_src()->mutable_x(), 2, -1, 1, 4);
  setAxis(t->mutable_src()->mutable_y(), 1, -1, 1, 1);
  t->set_dst_program(0);
  t->set_dst_buffer(3);
  for (int64_t d : {5, 2})
    t->mutable_dst()->add_shape(d);
  setAxis(t->mutable_dst()->mutable_x(), 1, -1, 1, 1);
  setAxis(t->mutable_dst()->mutable_y(), 1, -1, 1, 1);
  for (int64_t d : {5, 2}) {
    t->add_window_lo(0);
    t->add_window_size(d);
  }
  t->set_combine(1);
  t->set_sparse_rows(true);
  t->set_color(3);
  t->set_rows_updates_buffer(0);
  t->set_rows_index_buffer(1);
  for (int64_t v : box)
    t->add_rows_box(v);
  auto addInput = [&](const char *name, std::vector<int64_t> shape, int buf,
                      bool isInt) {
    auto *in = w.add_inputs();
    in->set_name(name);
    for (int64_t d : shape) {
      in->mutable_type()->add_shape(d);
      in->mutable_layout()->add_shape(d);
    }
    in->mutable_type()->set_is_int(isInt);
    if (isInt)
      in->mutable_type()->set_int_bits(64);
    setAxis(in->mutable_layout()->mutable_x(), 0, 0, 2, 4);
    setAxis(in->mutable_layout()->mutable_y(), 1, -1, 1, 1);
    in->set_buffer(buf);
  };
  addInput("u", {8, 2}, 0, false);
  addInput("idx", {8}, 1, true);
  auto *out = w.add_outputs();
  out->set_name("s");
  out->set_buffer(3);
  for (int64_t d : {5, 2}) {
    out->mutable_type()->add_shape(d);
    out->mutable_layout()->add_shape(d);
  }
  setAxis(out->mutable_layout()->mutable_x(), 1, -1, 1, 1);
  setAxis(out->mutable_layout()->mutable_y(), 1, -1, 1, 1);
  return w;
}

} // namespace

TEST(MeshSimulator, UnstoredScatterSendsEachRowToItsTableRow) {
  ASSERT_EQ(validateWaferProgram(unstoredScatter()), "");
  std::unique_ptr<sim::MeshSimulator> s;
  ASSERT_EQ(sim::MeshSimulator::create(unstoredScatter(), s), "");
  HostTensor u = HostTensor::floats({8, 2});
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 2; ++c)
      u.f[size_t(2 * r + c)] = float(10 * r + c + 1);
  // PE 0 rows 0-1, PE 1 rows 2-3, ...; PE 2 sends both of its rows to
  // table row 3 (added there, one row on the wire), PE 3 to rows 0 and 4.
  HostTensor idx = HostTensor::ints({8});
  idx.i = {1, 2, 0, 2, 3, 3, 0, 4};
  ASSERT_EQ(s->setInput("u", u), "");
  ASSERT_EQ(s->setInput("idx", idx), "");
  sim::StepStats stats;
  ASSERT_EQ(s->runStep(stats), "");
  HostTensor out = s->read(s->program().outputs(0));
  // Row 0: PE 1's row 2 then PE 3's row 6, in sender order.
  std::vector<float> want = {21 + 61, 22 + 62, 1, 2, 11 + 31, 12 + 32,
                             41 + 51, 42 + 52, 71, 72};
  EXPECT_EQ(out.f, want);
  // Rows of 2 plus a header, one hop a PE away: PE 1 two rows (1 hop), PE 2
  // one row (2), PE 3 two rows (3); PE 0's own rows cross no link.
  EXPECT_EQ(stats.wavelets, 6u * 1 + 3u * 2 + 6u * 3);

  // An index outside the table stops the PE at its scatter_add.
  idx.i[7] = 5;
  ASSERT_EQ(s->setInput("idx", idx), "");
  std::string e = s->runStep(stats);
  EXPECT_NE(e.find("PE (3, 0) of @mesh, instruction 0 (scatter_add): an "
                   "index is 5, outside the table's 5 rows"),
            std::string::npos)
      << e;
}

TEST(WaferProgram, UnstoredScatterSourcesAreChecked) {
  auto expectError = [](const wp::WaferProgram &w, const std::string &want) {
    std::string e = validateWaferProgram(w);
    EXPECT_NE(e.find(want), std::string::npos) << want << " got: " << e;
  };
  wp::WaferProgram w = unstoredScatter();
  w.mutable_transfers(0)->mutable_rows_box()->RemoveLast();
  expectError(w, "a rows_box of 9 ints and sparse rows");
  w = unstoredScatter();
  w.mutable_transfers(0)->set_sparse_rows(false);
  expectError(w, "a rows_box of 9 ints and sparse rows");
  w = unstoredScatter();
  w.mutable_transfers(0)->set_rows_index_buffer(7);
  expectError(w, "rows buffer index out of range");
  w = unstoredScatter();
  // A table of 6 rows: its tile would not fit the 5 x 2 of the source.
  w.mutable_transfers(0)->set_rows_box(6, 6);
  w.mutable_transfers(0)->set_rows_box(8, 6);
  expectError(w, "rows: scatter_add needs buffers of 12, 4 and 2 elements");
  w = unstoredScatter();
  // d split over y in blocks of 1: not the source's whole rows of 2.
  w.mutable_transfers(0)->set_rows_box(3, 1);
  w.mutable_transfers(0)->set_rows_box(4, 2);
  expectError(w, "rows_box does not tile the source");
  w = unstoredScatter();
  w.mutable_programs(0)->mutable_buffers(0)->set_length(3); // u's 2 x 2
  expectError(w, "scatter_add needs buffers of 0, 4 and 2 elements");
}

TEST(MeshSimulator, SparseRowsSendOnlyRowsHoldingANonzero) {
  ASSERT_EQ(validateWaferProgram(sparseRowSum()), "");
  std::unique_ptr<sim::MeshSimulator> s;
  ASSERT_EQ(sim::MeshSimulator::create(sparseRowSum(), s), "");
  // PE p's rows: PE 1 holds one nonzero row, PE 2 two (one of them -0 and
  // 5), PE 3 none (a -0 row counts as zero).
  HostTensor x = HostTensor::floats({4, 3, 2});
  auto at = [&](int p, int r, int c) -> float & { return x.f[size_t(p * 6 + r * 2 + c)]; };
  at(0, 0, 0) = 1.0f;
  at(1, 2, 1) = 2.0f;
  at(2, 0, 0) = -0.0f;
  at(2, 0, 1) = 5.0f;
  at(2, 1, 0) = 3.0f;
  at(3, 1, 1) = -0.0f;
  ASSERT_EQ(s->setInput("x", x), "");
  sim::StepStats stats;
  ASSERT_EQ(s->runStep(stats), "");
  HostTensor out = s->read(s->program().outputs(0));
  std::vector<float> want = {1, 5, 3, 0, 0, 2};
  EXPECT_EQ(out.f, want);
  EXPECT_FALSE(std::signbit(out.f[0 * 2 + 0])) << "-0 + the rest";
  // Rows of 2 plus a header: PE 1 one row 1 hop, PE 2 two rows 2 hops,
  // PE 3 nothing (PE 0's own row does not cross a link).
  EXPECT_EQ(stats.wavelets, 3u * 1 + 6u * 2);
  wp::WaferProgram bad = sparseRowSum();
  bad.mutable_transfers(0)->set_combine(2); // max: a row not sent is no -inf
  EXPECT_NE(validateWaferProgram(bad).find("sparse rows need a sum"),
            std::string::npos);
}
