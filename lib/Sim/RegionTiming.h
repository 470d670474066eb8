//===- RegionTiming.h - the region-synchronous cost model --------*- C++ -*-===//
//
// The cost model at the grain of regions (programs) rather than PEs: each
// program has one core clock, one out-ramp and one in-ramp, an instruction
// costs what its slowest PE spends on it, and a transfer what its busiest
// sending and receiving PEs put through their ramps plus its longest path
// (docs/simulator.md, "Region timing"). What it needs of a program is
// independent of data values: the functional engine derives it from what
// its PEs did and its transfer plans, `--timing-only` from the
// instructions and layouts alone, and both give it to regionStep.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_LIB_SIM_REGIONTIMING_H
#define WSE_LIB_SIM_REGIONTIMING_H

#include "MeshSimulatorImpl.h"

namespace wsert::sim::detail {

/// The region model's view of a planned transfer.
TransferCost costFromPlan(const TransferPlan &plan, const std::vector<PE> &pes,
                          bool combines);

struct RegionModel {
  const wp::WaferProgram *program = nullptr;
  const std::vector<std::vector<isa::Instr>> *code = nullptr;
  const InstrCosts *instrs = nullptr;
  const std::vector<TransferCost> *transfers = nullptr;
  int64_t microBatches = 1;
  int64_t addsPerCycle = 1;
  double hostWaveletsPerCycle = 1;
};

/// One step of the region model. Fails (naming the transfer) when a
/// program would wait for a transfer no program sends first.
std::string regionStep(const RegionModel &m, StepStats &stats);

} // namespace wsert::sim::detail

#endif // WSE_LIB_SIM_REGIONTIMING_H
