//===- WseGradientUtils.h - small builders for gradient rules -*- C++ -*-===//
#ifndef WSE_WSEGRADIENTUTILS_H
#define WSE_WSEGRADIENTUTILS_H

#include "wse/WseDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

namespace mlir::wse::grad {

/// Set when a gradient rule built an op its operands do not allow; every
/// later checked build returns a null value until the driver clears it.
/// The driver (wse-make-train-step's autodiff) turns it into an error.
bool &ruleFailed();

/// Builds `OpTy` for a gradient rule. Where the op infers its result types
/// from its operands, they are inferred first: an operand combination the
/// op does not accept (a bug in the rule) becomes an error located at the
/// forward op, and a null value, rather than LLVM's fatal error inside the
/// generated builder.
template <typename OpTy, typename... Args>
Value build(OpBuilder &b, Location loc, Args &&...args) {
  if (ruleFailed())
    return Value();
  if constexpr (OpTy::template hasTrait<InferTypeOpInterface::Trait>()) {
    OperationState state(loc, OpTy::getOperationName());
    OpTy::build(b, state, b.getNoneType(), std::forward<Args>(args)...);
    for (Value operand : state.operands)
      if (!operand) {
        ruleFailed() = true;
        emitError(loc) << "a gradient rule built '" << OpTy::getOperationName()
                       << "' with a missing operand";
        return Value();
      }
    SmallVector<Type> types;
    if (failed(OpTy::inferReturnTypes(
            b.getContext(), loc, state.operands,
            state.attributes.getDictionary(b.getContext()),
            state.getRawProperties(), state.regions, types))) {
      ruleFailed() = true;
      InFlightDiagnostic d = emitError(loc);
      d << "a gradient rule built '" << OpTy::getOperationName()
        << "' on operands it does not accept (";
      llvm::interleaveComma(state.operands, d,
                            [&](Value v) { d << v.getType(); });
      d << ")";
      return Value();
    }
    state.types.assign(types.begin(), types.end());
    return b.create(state)->getResult(0);
  } else {
    return OpTy::create(b, loc, std::forward<Args>(args)...)->getResult(0);
  }
}

/// Builds the arithmetic of a gradient rule at one location, so rules read
/// like the formulas they implement.
class G {
public:
  G(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value c(float v) { return buildScalarConstant(b, loc, v); }
  Value zeros(Type t) {
    auto type = cast<RankedTensorType>(t);
    return build<ConstantOp>(b, loc, DenseElementsAttr::get(type, 0.0f));
  }
  Value add(Value x, Value y) { return build<AddOp>(b, loc, x, y); }
  Value sub(Value x, Value y) { return build<SubOp>(b, loc, x, y); }
  Value mul(Value x, Value y) { return build<MulOp>(b, loc, x, y); }
  Value div(Value x, Value y) { return build<DivOp>(b, loc, x, y); }
  Value mul(Value x, float k) { return k == 1.0f ? x : mul(x, c(k)); }
  Value neg(Value x) { return build<NegOp>(b, loc, x); }
  Value exp(Value x) { return build<ExpOp>(b, loc, x); }
  Value log(Value x) { return build<LogOp>(b, loc, x); }
  Value rsqrt(Value x) { return build<RsqrtOp>(b, loc, x); }
  Value sigmoid(Value x) { return build<SigmoidOp>(b, loc, x); }
  Value tanh(Value x) { return build<TanhOp>(b, loc, x); }
  Value select(Value cond, Value x, Value y) {
    return build<SelectOp>(b, loc, cond, x, y);
  }
  Value toF32(Value mask) {
    if (!mask)
      return Value();
    auto t = cast<RankedTensorType>(mask.getType());
    return build<CastOp>(b, loc, t.clone(b.getF32Type()), mask);
  }
  Value sumKeep(Value x, ArrayRef<int64_t> axes) {
    return build<ReduceSumOp>(b, loc, x, b.getDenseI64ArrayAttr(axes),
                               b.getBoolAttr(true));
  }
  Value meanKeep(Value x, ArrayRef<int64_t> axes) {
    return build<ReduceMeanOp>(b, loc, x, b.getDenseI64ArrayAttr(axes),
                                b.getBoolAttr(true));
  }
  Value reshape(Value x, Type t) {
    return !x || x.getType() == t ? x : build<ReshapeOp>(b, loc, t, x);
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
