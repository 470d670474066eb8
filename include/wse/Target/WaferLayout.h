//===- WaferLayout.h - layouts of the .wsebin as the shared struct -*- C++ -*-===//
#ifndef WSE_TARGET_WAFERLAYOUT_H
#define WSE_TARGET_WAFERLAYOUT_H

#include "wse/Support/Layout.h"

#include <cstdint>
#include <vector>

namespace wsebin {
class Layout;
class Mask;
} // namespace wsebin

namespace wsert {
/// The layout a wafer program's Layout message describes (unchecked).
Layout layoutFromProto(const wsebin::Layout &message);
/// A mask's entries, row-major, 1 where it keeps.
std::vector<uint8_t> maskBits(const wsebin::Mask &message);
} // namespace wsert

#endif
