//===- InterpreterTestFixture.h - shared by the interpreter's tests -*- C++ -*-===//
//
// Parses a wse function from text and runs it on the reference interpreter.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_TEST_UNIT_INTERPRETERTESTFIXTURE_H
#define WSE_TEST_UNIT_INTERPRETERTESTFIXTURE_H

#include "wse/Interpreter/Interpreter.h"
#include "wse/Support/HostTensor.h"
#include "wse/WseDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace wsetest {

using namespace mlir;
using wsert::HostTensor;

/// Elementwise |a - e| <= atol + rtol * |e|, NaN matching NaN.
inline void expectClose(const std::vector<float> &actual,
                 const std::vector<float> &expected, double rtol = 1e-5,
                 double atol = 1e-7) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t k = 0; k < actual.size(); ++k) {
    if (std::isnan(expected[k])) {
      EXPECT_TRUE(std::isnan(actual[k])) << "at " << k;
      continue;
    }
    if (std::isinf(expected[k])) {
      EXPECT_EQ(actual[k], expected[k]) << "at " << k;
      continue;
    }
    EXPECT_NEAR(actual[k], expected[k], atol + rtol * std::fabs(expected[k]))
        << "at " << k;
  }
}

using I = std::vector<int64_t>;
using F = std::vector<float>;
inline constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
inline constexpr float kInf = std::numeric_limits<float>::infinity();

class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest() {
    registry.insert<wse::WseDialect, func::FuncDialect>();
    ctx = std::make_unique<MLIRContext>(registry);
  }
  std::vector<HostTensor> run(const char *src, std::vector<HostTensor> args) {
    module = parseSourceString<ModuleOp>(src, ctx.get());
    EXPECT_TRUE(module);
    auto fn = *module->getOps<func::FuncOp>().begin();
    auto out = wse::interpret(fn, args);
    EXPECT_TRUE(succeeded(out));
    return succeeded(out) ? *out : std::vector<HostTensor>{};
  }
  /// Runs a function that must fail; returns the first error's message,
  /// and checks that it carries a source location.
  std::string runError(const char *src, std::vector<HostTensor> args) {
    module = parseSourceString<ModuleOp>(src, ctx.get());
    EXPECT_TRUE(module);
    if (!module)
      return "";
    std::string msg;
    bool located = false;
    auto id = ctx->getDiagEngine().registerHandler([&](Diagnostic &d) {
      if (msg.empty()) {
        msg = d.str();
        located = isa<FileLineColLoc>(d.getLocation());
      }
      return success();
    });
    auto fn = *module->getOps<func::FuncOp>().begin();
    EXPECT_TRUE(failed(wse::interpret(fn, args)));
    ctx->getDiagEngine().eraseHandler(id);
    EXPECT_TRUE(located) << msg;
    return msg;
  }
  static HostTensor floats(std::vector<int64_t> shape, std::vector<float> v) {
    HostTensor t = HostTensor::floats(shape);
    t.f = v;
    return t;
  }
  static HostTensor ints(std::vector<int64_t> shape, std::vector<int64_t> v) {
    HostTensor t = HostTensor::ints(shape);
    t.i = v;
    return t;
  }
  DialectRegistry registry;
  std::unique_ptr<MLIRContext> ctx;
  OwningOpRef<ModuleOp> module;
};


} // namespace wsetest

#endif
