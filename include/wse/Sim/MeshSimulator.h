//===- MeshSimulator.h - functional simulator of the PE mesh ---*- C++ -*-===//
//
// Runs a wafer program: every PE of a region executes the region's SPMD
// program on its own SRAM; data moves between PEs only through transfers,
// each PE sending its part and receiving its part. PEs form a Kahn process
// network: a receive blocks until every sender's part is there, and each
// (transfer, sender, receiver) channel has one producer, so results and
// cycle counts do not depend on the order PEs are stepped in.
// docs/simulator.md describes the timing.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_SIM_MESHSIMULATOR_H
#define WSE_SIM_MESHSIMULATOR_H

#include "wse/Support/HostTensor.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace wsebin {
class WaferProgram;
class Binding;
} // namespace wsebin

namespace wsert {

namespace sim {

/// One instruction as it ran on one PE, in cycles (for --trace).
struct TraceEvent {
  int64_t pe;    // index into the simulated PEs
  int32_t instr; // index into its program
  uint64_t start, end;
  bool ramp = false; // a send on the PE's out-ramp, beside its core
  // A receive that waited for a sender: the PE whose piece decided when it
  // ended, and the cycle that piece left its ramp (-1: none did).
  int64_t fromPe = -1;
  uint64_t fromAt = 0;
};

struct StepStats {
  // The region model's cycles (every PE of a program at one clock), from
  // the step's start to its last program finishing; both engines.
  uint64_t cycles = 0;
  // The per-PE model's: to the last PE finishing (the mesh engine only).
  uint64_t peCycles = 0;
  uint64_t wavelets = 0; // wavelet-hops moved over links in the step
  uint64_t flops = 0;    // floating-point operations, an FMAC counting 2
  // Cycles the core of the mesh program that finished last spent in local
  // instructions (the rest it waited for or took in fabric data).
  uint64_t criticalComputeCycles = 0;
  // Weight streaming: bytes the host links carried into the wafer and out
  // of it, and the cycles each direction was busy.
  uint64_t hostBytesIn = 0, hostBytesOut = 0;
  uint64_t hostInCycles = 0, hostOutCycles = 0;
};

class MeshSimulator {
public:
  ~MeshSimulator();
  /// Builds PE state, the transfers' delivery plans and the initial SRAM
  /// (parameters, state, constants) of a validated program. Returns an
  /// error message, empty on success.
  static std::string create(const wsebin::WaferProgram &program,
                            std::unique_ptr<MeshSimulator> &out,
                            bool timingOnly = false);
  /// Builds only what the region cost model needs (no SRAM, no data):
  /// runStep then times a step without running it (docs/simulator.md).
  static std::string createTimingOnly(const wsebin::WaferProgram &program,
                                      std::unique_ptr<MeshSimulator> &out);

  /// Writes a host input into the tiles its layout gives each PE.
  std::string setInput(const std::string &name, const HostTensor &value);
  /// Runs every PE's program once; fails on deadlock or a run-time fault.
  std::string runStep(StepStats &stats);

  /// Assembles a laid-out tensor (an output, parameter or state) from tiles.
  HostTensor read(const wsebin::Binding &b) const;

  const wsebin::WaferProgram &program() const;
  uint64_t totalCycles() const;
  /// The per-PE model's cycles over the steps run (0 when timing only).
  uint64_t totalPeCycles() const;
  bool timingOnly() const;
  /// Derives each transfer's region cost from its layouts as --timing-only
  /// does and compares it with the cost of its plan (a test of the
  /// derivation); `derived` counts the transfers it covers.
  std::string checkTransferCosts(int64_t &derived) const;
  uint64_t totalWavelets() const;
  uint64_t totalFlops() const;
  int64_t maxPeSramBytes() const;
  int64_t numPes() const;
  /// PEs on the mesh (all but weight streaming's host).
  int64_t numMeshPes() const;

  /// Records every instruction that takes time from now on.
  void enableTrace();
  /// Runs the ready PEs of a step on up to `threads` threads; results,
  /// reports and traces are the same for every count.
  void setThreads(int threads);
  const std::vector<TraceEvent> &trace() const;
  /// Program index, position in its region, and mesh x and y of PE `pe`.
  struct PeInfo {
    int program;
    int64_t px, py, x, y;
  };
  PeInfo peInfo(int64_t pe) const;

private:
  MeshSimulator();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace sim
} // namespace wsert

#endif
