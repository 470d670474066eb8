//===- WseGradientUtils.h - small builders for gradient rules -*- C++ -*-===//
#ifndef WSE_WSEGRADIENTUTILS_H
#define WSE_WSEGRADIENTUTILS_H

#include "wse/WseDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::wse::grad {

/// Builds the arithmetic of a gradient rule at one location, so rules read
/// like the formulas they implement.
class G {
public:
  G(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value c(float v) { return buildScalarConstant(b, loc, v); }
  Value zeros(Type t) {
    auto type = cast<RankedTensorType>(t);
    return ConstantOp::create(b, loc, DenseElementsAttr::get(type, 0.0f));
  }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value mul(Value x, float k) { return k == 1.0f ? x : mul(x, c(k)); }
  Value neg(Value x) { return NegOp::create(b, loc, x); }
  Value exp(Value x) { return ExpOp::create(b, loc, x); }
  Value log(Value x) { return LogOp::create(b, loc, x); }
  Value rsqrt(Value x) { return RsqrtOp::create(b, loc, x); }
  Value sigmoid(Value x) { return SigmoidOp::create(b, loc, x); }
  Value tanh(Value x) { return TanhOp::create(b, loc, x); }
  Value select(Value cond, Value x, Value y) {
    return SelectOp::create(b, loc, cond, x, y);
  }
  Value toF32(Value mask) {
    auto t = cast<RankedTensorType>(mask.getType());
    return CastOp::create(b, loc, t.clone(b.getF32Type()), mask);
  }
  Value sumKeep(Value x, ArrayRef<int64_t> axes) {
    return ReduceSumOp::create(b, loc, x, b.getDenseI64ArrayAttr(axes),
                               b.getBoolAttr(true));
  }
  Value meanKeep(Value x, ArrayRef<int64_t> axes) {
    return ReduceMeanOp::create(b, loc, x, b.getDenseI64ArrayAttr(axes),
                                b.getBoolAttr(true));
  }
  Value reshape(Value x, Type t) {
    return x.getType() == t ? x : ReshapeOp::create(b, loc, t, x);
  }
  /// Sums a broadcast gradient back to the shape of the operand it came from.
  Value reduceTo(Value grad, Type target);

  OpBuilder &b;
  Location loc;
};

/// Dims [axis, rank).
SmallVector<int64_t> trailingAxes(int64_t axis, int64_t rank);

/// The shape of `input` with `axes` set to 1.
RankedTensorType keptType(RankedTensorType input, ArrayRef<int64_t> axes);

} // namespace mlir::wse::grad

#endif
