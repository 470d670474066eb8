//===- FlopsTest.cpp - the graph's FLOP count (arithmeticFlops) -----------===//
//
// Each family's count on small shapes, worked out by hand, and a step's
// total (stepFlops) as their sum.
//
//===----------------------------------------------------------------------===//
#include "wse/WseDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

using namespace mlir;

namespace {

const char *kSource = R"mlir(
func.func @f(%a: tensor<2x3x4xf32>, %b: tensor<5x4xf32>, %bias: tensor<5xf32>,
             %q: tensor<1x2x3x4xf32>, %k: tensor<1x2x6x4xf32>, %v: tensor<1x2x6x4xf32>,
             %x: tensor<4x8xf32>, %g: tensor<8xf32>) -> (tensor<2x3x5xf32>, tensor<1x2x3x4xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<32xf32>) {
  %0 = wse.matmul %a, %b, %bias {transpose_b = true} : tensor<2x3x4xf32>, tensor<5x4xf32>, tensor<5xf32>
  %1 = wse.attention %q, %k, %v {num_heads = 2 : i64, num_kv_heads = 2 : i64} : tensor<1x2x3x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32>
  %2 = wse.layer_norm %x scale %g : tensor<8xf32> {axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<4x8xf32>
  %3 = wse.reduce_sum %x {axes = array<i64: 1>} : tensor<4x8xf32>
  %4 = wse.tanh %x : tensor<4x8xf32>
  %5 = wse.reshape %4 : tensor<4x8xf32> -> tensor<32xf32>
  return %0, %1, %2, %4, %5 : tensor<2x3x5xf32>, tensor<1x2x3x4xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<32xf32>
}
)mlir";

TEST(Flops, EachFamilyAndTheStep) {
  DialectRegistry registry;
  registry.insert<wse::WseDialect, func::FuncDialect>();
  MLIRContext ctx(registry);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kSource, &ctx);
  ASSERT_TRUE(module);
  auto fn = cast<func::FuncOp>(module->getBody()->front());
  std::map<std::string, uint64_t> got;
  for (Operation &op : fn.getBody().front().without_terminator())
    got[op.getName().getStringRef().str()] = wse::arithmeticFlops(&op);
  // 30 outputs of 4 multiply-adds, and the bias.
  EXPECT_EQ(got["wse.matmul"], 2u * 30 * 4 + 30);
  // 2 heads x 3 x 6 scores: q k^T and p v (d 4 each), 6 per score.
  EXPECT_EQ(got["wse.attention"], 2u * 36 * (4 + 4) + 36 * 6);
  // 5 per element and the scale.
  EXPECT_EQ(got["wse.layer_norm"], 32u * 6);
  EXPECT_EQ(got["wse.reduce_sum"], 32u);
  EXPECT_EQ(got["wse.tanh"], 32u);
  EXPECT_EQ(got["wse.reshape"], 0u);
  EXPECT_EQ(wse::stepFlops(fn), 270u + 792 + 192 + 32 + 32);
}

} // namespace
