//===- GradientBuilderTest.cpp - gradient rules build through checks -----===//
//
// A gradient rule that builds an op on operands the op does not accept is a
// located error and a null value, not LLVM's fatal error in the generated
// builder; the driver then reports the rule.
//
//===----------------------------------------------------------------------===//
#include "wse/WseDialect.h"
#include "wse/WseGradientUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

struct GradientBuilder : public ::testing::Test {
  GradientBuilder() {
    ctx.loadDialect<wse::WseDialect, func::FuncDialect>();
    module = ModuleOp::create(UnknownLoc::get(&ctx));
    OpBuilder b(&ctx);
    b.setInsertionPointToEnd(module->getBody());
    auto f32 = b.getF32Type();
    auto fn = func::FuncOp::create(
        b, UnknownLoc::get(&ctx), "f",
        b.getFunctionType({RankedTensorType::get({2, 3}, f32),
                           RankedTensorType::get({4, 5}, f32)},
                          {}));
    Block *entry = fn.addEntryBlock();
    x = entry->getArgument(0);
    y = entry->getArgument(1);
    builder.setInsertionPointToEnd(entry);
    wse::grad::ruleFailed() = false;
  }
  ~GradientBuilder() override { wse::grad::ruleFailed() = false; }

  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  OpBuilder builder{&ctx};
  Value x, y;
};

TEST_F(GradientBuilder, InfersTypesOfGoodOperands) {
  Location loc = FileLineColLoc::get(&ctx, "model.mlir", 7, 3);
  Value sum = wse::grad::build<wse::AddOp>(builder, loc, x, x);
  ASSERT_TRUE(sum);
  EXPECT_EQ(sum.getType(), x.getType());
  EXPECT_FALSE(wse::grad::ruleFailed());
}

TEST_F(GradientBuilder, BadOperandsAreALocatedErrorNotAnAbort) {
  std::string message;
  Location where = UnknownLoc::get(&ctx);
  ScopedDiagnosticHandler capture(&ctx, [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Error && message.empty()) {
      message = d.str();
      where = d.getLocation();
    }
    return success();
  });
  Location loc = FileLineColLoc::get(&ctx, "model.mlir", 7, 3);
  // [2, 3] + [4, 5] do not broadcast: ODS's builder would call
  // report_fatal_error here.
  Value bad = wse::grad::build<wse::AddOp>(builder, loc, x, y);
  EXPECT_FALSE(bad);
  EXPECT_TRUE(wse::grad::ruleFailed());
  EXPECT_EQ(where, loc);
  EXPECT_FALSE(message.empty());
  // Later builds of the same rule are skipped, not run on a null value.
  wse::grad::G e(builder, loc);
  EXPECT_FALSE(e.mul(bad, x));
  EXPECT_FALSE(e.reduceTo(bad, x.getType()));
}

} // namespace
