//===- TestWaferProgram.h - what hand-built test programs share -*- C++ -*-===//
#ifndef WSE_TEST_UNIT_TESTWAFERPROGRAM_H
#define WSE_TEST_UNIT_TESTWAFERPROGRAM_H

#include "WaferProgram.pb.h"
#include "wse/Target/WaferProgram.h"

namespace wse_test {

/// An empty program of this build's version on an 8x2 test machine with
/// the WSE-2's SRAM, colors, clock and rates (no host links).
inline wsebin::WaferProgram testWaferProgram() {
  wsebin::WaferProgram w;
  w.set_version(mlir::wse::kWaferProgramVersion);
  auto *m = w.mutable_machine();
  m->set_name("test");
  m->set_width(8);
  m->set_height(2);
  m->set_sram_bytes(48 * 1024);
  m->set_reserved_sram_bytes(8 * 1024);
  m->set_colors(24);
  m->set_clock_mhz(850);
  m->set_fmacs_per_cycle(1);
  m->set_adds_per_cycle(2);
  return w;
}

} // namespace wse_test

#endif
