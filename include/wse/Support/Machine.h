//===- Machine.h - machine presets as data ---------------------*- C++ -*-===//
//
// One place that knows the hardware numbers. Presets are data; `mesh=WxH`
// takes a corner of a preset. docs/machine.md says where each number comes
// from.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_SUPPORT_MACHINE_H
#define WSE_SUPPORT_MACHINE_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wsert {

struct MachineDesc {
  std::string name;
  int64_t width = 0, height = 0;    // usable program rectangle, in PEs
  int64_t sramBytes = 0;            // per PE
  int64_t reservedSramBytes = 0;    // per PE, for code and runtime
  int64_t colors = 0;               // routable colors
  int64_t clockMhz = 0;
  int64_t fmacsPerCycle = 0;        // fp32 multiply-adds per cycle per PE
  int64_t addsPerCycle = 0;         // fp32 adds per cycle per PE
  // The host side of weight streaming (MemoryX over SwarmX): links into
  // the wafer, each link's rate, the optimizer update's rate on the host
  // (fp32 multiply-adds per mesh cycle) and the host memory.
  int64_t hostLinks = 0;
  int64_t hostLinkGbps = 0;
  int64_t hostFmacsPerCycle = 0;
  int64_t hostMemoryBytes = 0;

  int64_t dataSramBytes() const { return sramBytes - reservedSramBytes; }
  /// f32 wavelets all host links carry per mesh cycle.
  double hostWaveletsPerCycle() const {
    return hostLinkWaveletsPerCycle(hostLinks, hostLinkGbps, clockMhz);
  }
  static double hostLinkWaveletsPerCycle(int64_t links, int64_t gbps,
                                         int64_t clockMhz) {
    return clockMhz > 0
               ? double(links) * double(gbps) * 1e3 / 32.0 / double(clockMhz)
               : 0.0;
  }
};

/// The preset called `name` (wse2, wse3), or nullopt.
std::optional<MachineDesc> lookupMachinePreset(const std::string &name);

/// The names of all presets, for error messages.
std::vector<std::string> machinePresetNames();

/// Restricts `machine` to its WxH corner. Returns an error message, empty
/// on success.
std::string applyMeshOption(MachineDesc &machine, const std::string &mesh);

} // namespace wsert

#endif
