//===- WseRandomAttr.cpp - seeded initial values --------------------------===//
//
// #wse.random<normal mean = M std = S seed = N> : tensor<...>, uniform low
// / high, or constant value: a parameter's initial value as the generator
// that draws it, so a model of billions of parameters stays a small module.
//
//===----------------------------------------------------------------------===//
#include "wse/WseDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::wse;

namespace {
/// The two numbers each distribution takes, by name (none for b of constant).
std::pair<StringRef, StringRef> fieldNames(StringRef dist) {
  if (dist == "normal")
    return {"mean", "std"};
  if (dist == "uniform")
    return {"low", "high"};
  return {"value", ""};
}
} // namespace

Attribute RandomAttr::parse(AsmParser &p, Type type) {
  StringRef dist;
  if (p.parseLess() || p.parseKeyword(&dist))
    return {};
  if (dist != "normal" && dist != "uniform" && dist != "constant") {
    p.emitError(p.getCurrentLocation(), "unknown distribution '")
        << dist << "' (normal, uniform or constant)";
    return {};
  }
  auto [aName, bName] = fieldNames(dist);
  double a = 0, b = 0;
  uint64_t seed = 0;
  if (p.parseKeyword(aName) || p.parseEqual() || p.parseFloat(a))
    return {};
  if (!bName.empty() &&
      (p.parseKeyword(bName) || p.parseEqual() || p.parseFloat(b) ||
       p.parseKeyword("seed") || p.parseEqual() || p.parseInteger(seed)))
    return {};
  if (p.parseGreater())
    return {};
  if (!type) {
    p.emitError(p.getNameLoc(), "#wse.random needs its tensor type after it: "
                                "#wse.random<...> : tensor<...>");
    return {};
  }
  return getChecked([&] { return p.emitError(p.getNameLoc()); }, p.getContext(),
                    dist, APFloat(a), APFloat(b), seed, type);
}

void RandomAttr::print(AsmPrinter &p) const {
  auto [aName, bName] = fieldNames(getDistribution());
  p << "<" << getDistribution() << " " << aName << " = ";
  p.printFloat(getA());
  if (!bName.empty()) {
    p << " " << bName << " = ";
    p.printFloat(getB());
    p << " seed = " << getSeed();
  }
  p << ">";
}

LogicalResult RandomAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef dist, APFloat aValue, APFloat bValue,
                                 uint64_t seed, Type type) {
  double a = aValue.convertToDouble(), b = bValue.convertToDouble();
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t || !t.hasStaticShape() || !t.getElementType().isF32())
    return emitError() << "#wse.random draws f32 tensors of static shape, "
                          "not "
                       << type;
  if (!std::isfinite(a) || !std::isfinite(b))
    return emitError() << "#wse.random takes finite numbers";
  if (dist == "normal" && !(b > 0))
    return emitError() << "#wse.random normal needs std > 0, not " << b;
  if (dist == "uniform" && !(a < b))
    return emitError() << "#wse.random uniform needs low < high, not " << a
                       << " and " << b;
  if (dist != "normal" && dist != "uniform" && dist != "constant")
    return emitError() << "unknown distribution '" << dist << "'";
  return success();
}
