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

  int64_t dataSramBytes() const { return sramBytes - reservedSramBytes; }
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
