//===- FuzzWaferProgram.cpp - libFuzzer target: the .wsebin loader --------===//
//
// Any file given to wse-sim must load, validate and run, or be an error;
// never a crash, leak or hang. Programs that pass the checks run one step
// with zero inputs when they are small enough to finish quickly.
//
//===----------------------------------------------------------------------===//
#include "WaferProgram.pb.h"
#include "wse/Sim/MeshSimulator.h"
#include "wse/Support/HostTensor.h"
#include "wse/Target/WaferProgram.h"

#include <cstddef>
#include <cstdint>
#include <memory>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);
  wsebin::WaferProgram program;
  if (!wsert::decodeWaferProgram(bytes, program).empty() ||
      !wsert::validateWaferProgram(program).empty())
    return 0;
  std::unique_ptr<wsert::sim::MeshSimulator> sim;
  if (!wsert::sim::MeshSimulator::create(program, sim).empty())
    return 0;
  // Bound the work of one run: PEs times instructions.
  int64_t instrs = 0;
  for (const auto &p : program.programs())
    instrs += int64_t(p.instrs_size()) * p.width() * p.height();
  if (sim->numPes() > 64 || instrs > 4096)
    return 0;
  for (const auto &b : program.inputs()) {
    std::vector<int64_t> shape(b.type().shape().begin(),
                               b.type().shape().end());
    wsert::HostTensor t = b.type().is_int() ? wsert::HostTensor::ints(shape)
                                            : wsert::HostTensor::floats(shape);
    if (t.numElements() > (1 << 16) || !sim->setInput(b.name(), t).empty())
      return 0;
  }
  wsert::sim::StepStats stats;
  (void)sim->runStep(stats);
  return 0;
}
