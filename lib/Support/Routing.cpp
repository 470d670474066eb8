//===- Routing.cpp - expansion of routes and chains into router entries ---===//
#include "wse/Support/Routing.h"

#include <cstdlib>

namespace wsert {

const char *portName(Port p) {
  switch (p) {
  case Port::Ramp: return "ramp";
  case Port::North: return "N";
  case Port::East: return "E";
  case Port::South: return "S";
  case Port::West: return "W";
  }
  return "?";
}

static uint8_t bit(Port p) { return uint8_t(1u << unsigned(p)); }

static Port opposite(Port p) {
  switch (p) {
  case Port::North: return Port::South;
  case Port::South: return Port::North;
  case Port::East: return Port::West;
  case Port::West: return Port::East;
  default: return Port::Ramp;
  }
}

std::string expandRoute(const std::vector<int64_t> &path, int64_t color,
                        std::vector<RouterEntry> &entries) {
  if (path.size() < 4 || path.size() % 2)
    return "a route needs at least two points";
  size_t npts = path.size() / 2;
  size_t first = entries.size();
  int64_t x = path[0], y = path[1];
  Port in = Port::Ramp;
  for (size_t i = 1; i < npts; ++i) {
    int64_t tx = path[2 * i], ty = path[2 * i + 1];
    if (tx != x && ty != y)
      return "segment " + std::to_string(i) + " is not straight";
    bool deliver = i == npts - 1;
    if (deliver && tx == x && ty == y) // a one-PE span
      break;
    while (x != tx || y != ty) {
      Port dir = tx > x   ? Port::East
                 : tx < x ? Port::West
                 : ty > y ? Port::South
                          : Port::North;
      uint8_t outs = bit(dir);
      // PEs of the delivery span take a copy as it passes.
      if (deliver && in != Port::Ramp)
        outs |= bit(Port::Ramp);
      entries.push_back({x, y, color, in, outs});
      x += dir == Port::East ? 1 : dir == Port::West ? -1 : 0;
      y += dir == Port::South ? 1 : dir == Port::North ? -1 : 0;
      in = opposite(dir);
    }
  }
  if (in == Port::Ramp)
    return "a route must leave its sender";
  entries.push_back({x, y, color, in, bit(Port::Ramp)});
  // A PE may hold one entry per color: a path that crosses itself is bad.
  for (size_t i = first; i < entries.size(); ++i)
    for (size_t j = i + 1; j < entries.size(); ++j)
      if (entries[i].x == entries[j].x && entries[i].y == entries[j].y)
        return "the path visits PE (" + std::to_string(entries[i].x) + ", " +
               std::to_string(entries[i].y) + ") twice";
  return "";
}

void expandChain(int64_t x0, int64_t y, int64_t width, int64_t color0,
                 int64_t color1, std::vector<RouterEntry> &entries) {
  for (int64_t i = 0; i + 1 < width; ++i) {
    int64_t c = i % 2 ? color1 : color0;
    entries.push_back({x0 + i, y, c, Port::Ramp, bit(Port::East)});
    entries.push_back({x0 + i + 1, y, c, Port::West, bit(Port::Ramp)});
  }
}

std::vector<int64_t> spanPath(int64_t sx, int64_t sy, int64_t x0, int64_t x1,
                              int64_t y) {
  int64_t entry = sx > x1 ? x1 : x0;
  int64_t exit = entry == x0 ? x1 : x0;
  std::vector<int64_t> path = {sx, sy};
  auto add = [&](int64_t px, int64_t py) {
    if (path[path.size() - 2] != px || path.back() != py) {
      path.push_back(px);
      path.push_back(py);
    }
  };
  // Along y to the span's row, then along x; a sender above or below the
  // span first moves along its own row to the span's end.
  if (sx >= x0 && sx <= x1)
    add(entry, sy);
  else
    add(sx, y);
  add(entry, y);
  path.push_back(exit); // the delivery span, possibly a single PE
  path.push_back(y);
  return path;
}

} // namespace wsert
