#include "wse/Support/Machine.h"

#include <gtest/gtest.h>

using namespace wsert;

TEST(Machine, PresetsMatchThePublicFigures) {
  auto wse2 = lookupMachinePreset("wse2");
  ASSERT_TRUE(wse2.has_value());
  EXPECT_EQ(wse2->width, 750);
  EXPECT_EQ(wse2->height, 994);
  EXPECT_EQ(wse2->sramBytes, 48 * 1024);
  EXPECT_EQ(wse2->colors, 24);
  auto wse3 = lookupMachinePreset("wse3");
  ASSERT_TRUE(wse3.has_value());
  EXPECT_EQ(wse3->width, 755);
  EXPECT_EQ(wse3->height, 1174);
  EXPECT_FALSE(lookupMachinePreset("wse9").has_value());
}

TEST(Machine, MeshOptionTakesACorner) {
  auto m = *lookupMachinePreset("wse2");
  EXPECT_EQ(applyMeshOption(m, "16x8"), "");
  EXPECT_EQ(m.width, 16);
  EXPECT_EQ(m.height, 8);
}

TEST(Machine, MeshOptionRejectsBadSpellingsAndOversize) {
  auto m = *lookupMachinePreset("wse2");
  EXPECT_NE(applyMeshOption(m, "16"), "");
  EXPECT_NE(applyMeshOption(m, "0x4"), "");
  EXPECT_NE(applyMeshOption(m, "ax4"), "");
  EXPECT_NE(applyMeshOption(m, "751x10"), "");
  EXPECT_EQ(m.width, 750); // unchanged on error
}
