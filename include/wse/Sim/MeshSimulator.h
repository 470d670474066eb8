//===- MeshSimulator.h - functional simulator of the PE mesh ---*- C++ -*-===//
//
// Runs a wafer program: each PE executes its region's program on its own
// SRAM; data moves only as messages through the router tables (routes and
// chains) over links. PEs form a Kahn process network: a receive blocks
// until its data is there, and each (PE, color) queue has one sender, so
// results and cycle counts do not depend on the order PEs are stepped in.
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

/// Cycles an instruction costs, from the machine's rates (see
/// docs/simulator.md). Exposed for tests.
struct CostModel {
  int64_t fmacsPerCycle = 1, addsPerCycle = 2;
  uint64_t matmul(int64_t m, int64_t n, int64_t k) const;
  uint64_t elementwise(int64_t n) const; // adds, max, fill
  uint64_t copy(int64_t n) const;        // one element per cycle
  uint64_t sgd(int64_t n) const;         // one multiply-add per element
  /// An optimizer update of n elements taking opsPerElement multiply-adds
  /// (momentum: 3; AdamW: 8, counting the square root and division).
  uint64_t optimizer(int64_t n, int64_t opsPerElement) const;
  uint64_t softmaxCrossEntropy(int64_t rows, int64_t cols) const;
  /// First wavelet's arrival after `hops` links; the last follows `length`
  /// cycles later (one wavelet per cycle per link).
  uint64_t firstArrival(uint64_t sendTime, int64_t hops) const {
    return sendTime + uint64_t(hops);
  }
};

/// One instruction as it ran on one PE, in cycles (for --trace).
struct TraceEvent {
  int64_t pe;      // index into the simulated PEs
  int32_t instr;   // index into its program
  uint64_t start, end;
};

struct StepStats {
  uint64_t cycles = 0;   // from the step's start to its last PE finishing
  uint64_t wavelets = 0; // wavelet-hops moved over links in the step
};

class MeshSimulator {
public:
  ~MeshSimulator();
  /// Builds PE state, router tables and the parameter tiles of a validated
  /// program. Returns an error message, empty on success.
  static std::string create(const wsebin::WaferProgram &program,
                            std::unique_ptr<MeshSimulator> &out);

  /// Writes a host input into its buffer on every PE of its program.
  std::string setInput(const std::string &name, const HostTensor &value);
  /// Runs every PE's program once; fails on deadlock or a broken route.
  std::string runStep(StepStats &stats);

  HostTensor readOutput(const wsebin::Binding &b) const;
  HostTensor readParam(const wsebin::Binding &b) const;

  const wsebin::WaferProgram &program() const;
  uint64_t totalCycles() const;
  uint64_t totalWavelets() const;
  int64_t maxPeSramBytes() const;
  int64_t numPes() const;

  /// Records every instruction that takes time from now on.
  void enableTrace();
  const std::vector<TraceEvent> &trace() const;
  /// Program index, column, x and y of simulated PE `pe`.
  struct PeInfo {
    int program;
    int64_t column, x, y;
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
