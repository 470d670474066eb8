//===- Routing.h - router entries of routes and chains ---------*- C++ -*-===//
//
// The compiler (to find free colors) and the simulator (to build router
// tables) expand routes the same way, through these functions.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_SUPPORT_ROUTING_H
#define WSE_SUPPORT_ROUTING_H

#include <cstdint>
#include <string>
#include <vector>

namespace wsert {

enum class Port : uint8_t { Ramp = 0, North = 1, East = 2, South = 3, West = 4 };
const char *portName(Port p);

/// One router's configuration for one color: where wavelets come in and
/// which ports (a bit per Port) they leave by.
struct RouterEntry {
  int64_t x, y;
  int64_t color;
  Port in;
  uint8_t outs;
};

/// Entries of a route: from path[0] (the sender) through the turning points;
/// every PE of the last segment takes the data off the fabric. `path` is
/// x0, y0, x1, y1, ... Returns an error message, empty on success.
std::string expandRoute(const std::vector<int64_t> &path, int64_t color,
                        std::vector<RouterEntry> &entries);

/// Entries of a west-to-east neighbour chain on row y from x0, `width` PEs
/// wide: PE i sends to PE i+1 on colors[i % 2].
void expandChain(int64_t x0, int64_t y, int64_t width, int64_t color0,
                 int64_t color1, std::vector<RouterEntry> &entries);

/// A dimension-ordered path from the PE (sx, sy) to every PE of the span
/// [x0, x1] on row y, entering the span at the end nearer the sender.
std::vector<int64_t> spanPath(int64_t sx, int64_t sy, int64_t x0, int64_t x1,
                              int64_t y);

} // namespace wsert

#endif
