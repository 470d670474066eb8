//===- WaferLayout.h - layouts of the .wsebin as the shared struct -*- C++ -*-===//
#ifndef WSE_TARGET_WAFERLAYOUT_H
#define WSE_TARGET_WAFERLAYOUT_H

#include "wse/Support/Layout.h"

namespace wsebin {
class Layout;
} // namespace wsebin

namespace wsert {
/// The layout a wafer program's Layout message describes (unchecked).
Layout layoutFromProto(const wsebin::Layout &message);
} // namespace wsert

#endif
