//===- MappingElementwise.cpp - elementwise ops as `map` kernels ----------===//
//
// The box is the result's shape; each operand maps its dims onto the box
// by NumPy broadcasting (a size-1 dim maps to no box dim, so its one
// element serves every position). Integers live on PEs as exact f32
// values, so integer ops whose results could leave that range (products,
// powers, division) are errors rather than silently different.
//
//===----------------------------------------------------------------------===//
#include "Mapping.h"

#include "wse/WseDialect.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::mesh;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

bool isInt(Value v) { return !typeOf(v).getElementType().isF32(); }

/// The box dim of each dim of `operand` broadcast into a result of `rank`.
SmallVector<int64_t> broadcastMap(Value operand, int64_t rank) {
  auto t = typeOf(operand);
  SmallVector<int64_t> map;
  int64_t lead = rank - t.getRank();
  for (int64_t d = 0; d < t.getRank(); ++d)
    map.push_back(t.getDimSize(d) == 1 && rank > 0 ? -1 : lead + d);
  // A size-1 dim of a size-1 result dim still maps to its box dim.
  return map;
}

OpMapping elementwise(Operation *op, StringRef fn,
                      SmallVector<float> floats = {}) {
  OpMapping m;
  Kernel &k = m.kernel;
  k.kernel = "map";
  k.fn = fn.str();
  Value out = op->getResult(0);
  auto t = typeOf(out);
  k.iter.assign(t.getShape().begin(), t.getShape().end());
  k.reduction.assign(k.iter.size(), false);
  k.outs.push_back(out);
  SmallVector<int64_t> identity;
  for (int64_t d = 0; d < t.getRank(); ++d)
    identity.push_back(d);
  k.maps.push_back(identity);
  for (Value in : op->getOperands()) {
    k.ins.push_back(in);
    SmallVector<int64_t> map = broadcastMap(in, t.getRank());
    // Where the result dim itself is 1, map it (a no-op box dim of 1).
    int64_t lead = t.getRank() - typeOf(in).getRank();
    for (size_t d = 0; d < map.size(); ++d)
      if (map[d] == -1 && t.getDimSize(lead + d) == 1)
        map[d] = lead + int64_t(d);
    k.maps.push_back(map);
  }
  k.floats = std::move(floats);
  return m;
}

OpMapping intRefused(Operation *op) {
  return failedMapping(op->emitError("'")
         << op->getName()
         << "' on integers has no mesh mapping: PEs hold integers as exact "
            "f32 values, which products, powers and quotients can leave");
}

} // namespace

std::optional<OpMapping> mesh::mapElementwise(Operation *op) {
  using R = std::optional<OpMapping>;
  auto ew = [&](StringRef fn, SmallVector<float> floats = {}) -> R {
    return OpMapping(elementwise(op, fn, std::move(floats)));
  };
  return llvm::TypeSwitch<Operation *, R>(op)
      .Case<NegOp>([&](auto) { return ew("neg"); })
      .Case<AbsOp>([&](auto) { return ew("abs"); })
      .Case<SignOp>([&](auto) { return ew("sign"); })
      .Case<ExpOp>([&](auto) { return ew("exp"); })
      .Case<LogOp>([&](auto) { return ew("log"); })
      .Case<SqrtOp>([&](auto) { return ew("sqrt"); })
      .Case<RsqrtOp>([&](auto) { return ew("rsqrt"); })
      .Case<ReciprocalOp>([&](auto) { return ew("recip"); })
      .Case<TanhOp>([&](auto) { return ew("tanh"); })
      .Case<ErfOp>([&](auto) { return ew("erf"); })
      .Case<SigmoidOp>([&](auto) { return ew("sigmoid"); })
      .Case<SoftplusOp>([&](auto) { return ew("softplus"); })
      .Case<SiluOp>([&](auto) { return ew("silu"); })
      .Case<SinOp>([&](auto) { return ew("sin"); })
      .Case<CosOp>([&](auto) { return ew("cos"); })
      .Case<FloorOp>([&](auto) { return ew("floor"); })
      .Case<CeilOp>([&](auto) { return ew("ceil"); })
      .Case<ReluOp>([&](auto) { return ew("relu"); })
      .Case<GeluOp>([&](GeluOp g) {
        return ew(g.getApproximate() ? "gelu_tanh" : "gelu");
      })
      .Case<LeakyReluOp>([&](LeakyReluOp o) {
        return ew("leaky_relu", {o.getAlpha().convertToFloat()});
      })
      .Case<EluOp>([&](EluOp o) {
        return ew("elu", {o.getAlpha().convertToFloat()});
      })
      .Case<ClampOp>([&](ClampOp c) -> R {
        if (isInt(c.getInput()))
          return intRefused(op);
        auto lo = c.getMinAttr(), hi = c.getMaxAttr();
        if (lo && hi)
          return ew("clamp", {float(lo.getValueAsDouble()),
                              float(hi.getValueAsDouble())});
        if (lo)
          return ew("clamp_min", {float(lo.getValueAsDouble())});
        if (hi)
          return ew("clamp_max", {float(hi.getValueAsDouble())});
        return ew("copy");
      })
      .Case<NotOp>([&](auto) { return ew("not"); })
      .Case<AddOp>([&](auto) { return ew("add"); })
      .Case<SubOp>([&](auto) { return ew("sub"); })
      .Case<MulOp>([&](auto o) -> R {
        return isInt(o.getResult()) ? R(intRefused(op)) : ew("mul");
      })
      .Case<DivOp>([&](auto o) -> R {
        return isInt(o.getResult()) ? R(intRefused(op)) : ew("div");
      })
      .Case<PowOp>([&](auto o) -> R {
        return isInt(o.getResult()) ? R(intRefused(op)) : ew("pow");
      })
      .Case<MaxOp>([&](auto) { return ew("max"); })
      .Case<MinOp>([&](auto) { return ew("min"); })
      .Case<EqualOp>([&](auto) { return ew("eq"); })
      .Case<LessOp>([&](auto) { return ew("lt"); })
      .Case<LessEqualOp>([&](auto) { return ew("le"); })
      .Case<GreaterOp>([&](auto) { return ew("gt"); })
      .Case<GreaterEqualOp>([&](auto) { return ew("ge"); })
      .Case<AndOp>([&](auto) { return ew("and"); })
      .Case<OrOp>([&](auto) { return ew("or"); })
      .Case<XorOp>([&](auto) { return ew("xor"); })
      .Case<SelectOp>([&](auto) { return ew("select"); })
      .Case<ReluGradOp>([&](auto) { return ew("relu_grad"); })
      .Case<CastOp>([&](CastOp c) -> R {
        Type from = typeOf(c.getInput()).getElementType();
        Type to = typeOf(c.getResult()).getElementType();
        if (to.isInteger(1))
          return ew("to_bool");
        if (from.isF32() && !to.isF32())
          return ew("trunc");
        return ew("copy");
      })
      .Default([](Operation *) -> R { return std::nullopt; });
}
