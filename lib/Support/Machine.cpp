//===- Machine.cpp - WSE-2 and WSE-3 presets ------------------------------===//
#include "wse/Support/Machine.h"

#include <cstdlib>

namespace wsert {

static std::vector<MachineDesc> presets() {
  // Usable rectangles, SRAM and colors from the Cerebras SDK documentation
  // (see docs/machine.md). The fp32 rates are not published: WSE-2 is taken
  // as 1 FMA and 2 adds per cycle, WSE-3 as twice that (its SIMD is twice
  // as wide). 8 KiB per PE is kept back for code and the runtime. Host
  // side: CS-2 and CS-3 list 1.2 Tb/s of system I/O (12 x 100 GbE);
  // MemoryX holds up to 2.4 PB (CS-2) and 1.2 PB (CS-3); the host's update
  // rate is not published and taken as 128 multiply-adds per mesh cycle
  // (about 109 G/s, a memory-bound AdamW over a few server sockets).
  constexpr int64_t PB = 1000LL * 1000 * 1000 * 1000 * 1000;
  return {
      {"wse2", 750, 994, 48 * 1024, 8 * 1024, 24, 850, 1, 2, 12, 100, 128,
       24 * PB / 10},
      {"wse3", 755, 1174, 48 * 1024, 8 * 1024, 24, 850, 2, 4, 12, 100, 128,
       12 * PB / 10},
  };
}

std::optional<MachineDesc> lookupMachinePreset(const std::string &name) {
  for (const MachineDesc &m : presets())
    if (m.name == name)
      return m;
  return std::nullopt;
}

std::vector<std::string> machinePresetNames() {
  std::vector<std::string> names;
  for (const MachineDesc &m : presets())
    names.push_back(m.name);
  return names;
}

static bool parsePositive(const std::string &s, int64_t &out) {
  if (s.empty() || s.size() > 9)
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  out = std::strtoll(s.c_str(), nullptr, 10);
  return out > 0;
}

std::string applyMeshOption(MachineDesc &machine, const std::string &mesh) {
  if (mesh.empty())
    return "";
  size_t x = mesh.find('x');
  int64_t w = 0, h = 0;
  if (x == std::string::npos || !parsePositive(mesh.substr(0, x), w) ||
      !parsePositive(mesh.substr(x + 1), h))
    return "mesh='" + mesh + "' is not WxH with positive W and H (e.g. 16x16)";
  if (w > machine.width || h > machine.height)
    return "mesh=" + mesh + " is larger than " + machine.name + "'s " +
           std::to_string(machine.width) + "x" +
           std::to_string(machine.height) + " PEs";
  machine.width = w;
  machine.height = h;
  return "";
}

} // namespace wsert
