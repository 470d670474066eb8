#include "wse/Support/Routing.h"

#include <gtest/gtest.h>

#include <map>

using namespace wsert;

namespace {
std::map<std::pair<int64_t, int64_t>, RouterEntry>
byPe(const std::vector<RouterEntry> &entries) {
  std::map<std::pair<int64_t, int64_t>, RouterEntry> m;
  for (const auto &e : entries)
    EXPECT_TRUE(m.emplace(std::make_pair(e.x, e.y), e).second)
        << "two entries at one PE";
  return m;
}
uint8_t bit(Port p) { return uint8_t(1u << unsigned(p)); }
} // namespace

TEST(Routing, SpanPathGoesAlongYThenAcrossTheSpan) {
  // Sender at (2, 5), receivers on row 1 from x = 6 to 9.
  auto path = spanPath(2, 5, 6, 9, 1);
  EXPECT_EQ(path, (std::vector<int64_t>{2, 5, 2, 1, 6, 1, 9, 1}));
  std::vector<RouterEntry> entries;
  ASSERT_EQ(expandRoute(path, 3, entries), "");
  auto m = byPe(entries);
  EXPECT_EQ(m.at({2, 5}).in, Port::Ramp);
  EXPECT_EQ(m.at({2, 5}).outs, bit(Port::North));
  EXPECT_EQ(m.at({2, 1}).in, Port::South);
  EXPECT_EQ(m.at({2, 1}).outs, bit(Port::East));
  // Every PE of the span takes a copy; the last only takes it.
  for (int64_t x = 6; x < 9; ++x)
    EXPECT_EQ(m.at({x, 1}).outs, bit(Port::East) | bit(Port::Ramp)) << x;
  EXPECT_EQ(m.at({9, 1}).outs, bit(Port::Ramp));
  EXPECT_EQ(m.count({5, 1}), 1u);
  EXPECT_EQ(m.at({5, 1}).outs, bit(Port::East)); // passes, no copy
}

TEST(Routing, SpanEnteredFromTheEastRunsWest) {
  auto path = spanPath(12, 0, 0, 7, 0);
  std::vector<RouterEntry> entries;
  ASSERT_EQ(expandRoute(path, 0, entries), "");
  auto m = byPe(entries);
  EXPECT_EQ(m.at({7, 0}).outs, bit(Port::West) | bit(Port::Ramp));
  EXPECT_EQ(m.at({0, 0}).outs, bit(Port::Ramp));
  EXPECT_EQ(m.at({0, 0}).in, Port::East);
}

TEST(Routing, SenderAboveTheSpanMovesClearFirst) {
  auto path = spanPath(4, 3, 2, 6, 0);
  std::vector<RouterEntry> entries;
  ASSERT_EQ(expandRoute(path, 0, entries), "") << "path must be straight";
  auto m = byPe(entries);
  for (int64_t x = 2; x <= 6; ++x)
    EXPECT_TRUE(m.at({x, 0}).outs & bit(Port::Ramp)) << x;
}

TEST(Routing, OnePeSpan) {
  auto path = spanPath(10, 0, 12, 12, 0);
  std::vector<RouterEntry> entries;
  ASSERT_EQ(expandRoute(path, 1, entries), "");
  auto m = byPe(entries);
  EXPECT_EQ(m.at({12, 0}).outs, bit(Port::Ramp));
  EXPECT_EQ(m.at({11, 0}).outs, bit(Port::East));
}

TEST(Routing, ChainsAlternateColors) {
  std::vector<RouterEntry> entries;
  expandChain(3, 2, 4, 5, 6, entries);
  // PE i sends on colors[i % 2]; PE i+1 receives it from the west.
  ASSERT_EQ(entries.size(), 6u);
  EXPECT_EQ(entries[0].color, 5);
  EXPECT_EQ(entries[2].color, 6);
  EXPECT_EQ(entries[4].color, 5);
  EXPECT_EQ(entries[1].in, Port::West);
  EXPECT_EQ(entries[1].x, 4);
}

TEST(Routing, BadPathsAreErrors) {
  std::vector<RouterEntry> entries;
  EXPECT_NE(expandRoute({0, 0, 3, 3}, 0, entries), "");       // diagonal
  EXPECT_NE(expandRoute({0, 0}, 0, entries), "");             // one point
  EXPECT_NE(expandRoute({0, 0, 0, 0}, 0, entries), "");       // goes nowhere
  EXPECT_NE(expandRoute({0, 0, 3, 0, 1, 0, 1, 0}, 0, entries), ""); // revisits
}
