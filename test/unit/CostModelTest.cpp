#include "wse/Sim/MeshSimulator.h"

#include <gtest/gtest.h>

using namespace wsert::sim;

TEST(CostModel, MatmulIsOneFmaPerMacAtTheMachineRate) {
  CostModel c;
  c.fmacsPerCycle = 1;
  EXPECT_EQ(c.matmul(32, 16, 64), 32u * 16 * 64);
  c.fmacsPerCycle = 2;
  EXPECT_EQ(c.matmul(32, 16, 64), 32u * 16 * 64 / 2);
  EXPECT_EQ(c.matmul(1, 1, 3), 2u); // rounds up
}

TEST(CostModel, ElementwiseUsesTheAddRate) {
  CostModel c;
  c.addsPerCycle = 2;
  EXPECT_EQ(c.elementwise(10), 5u);
  EXPECT_EQ(c.elementwise(11), 6u);
  EXPECT_EQ(c.copy(11), 11u);
}

TEST(CostModel, MessagesPayOneCyclePerHop) {
  CostModel c;
  EXPECT_EQ(c.firstArrival(100, 0), 100u);
  EXPECT_EQ(c.firstArrival(100, 7), 107u);
}
