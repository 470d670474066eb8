//===- ImportElementwise.cpp - math, comparisons, logic, casts ------------===//
//
// Unary and binary elementwise ops, activations (composed from wse math
// where wse has no op), Clip, the variadic Max/Min/Sum/Mean, Where and
// Cast. Every op folds when all its inputs are import-time constants, so
// scalar arithmetic on shapes (a head dim turned into 1/sqrt(d)) stays
// data.
//
//===----------------------------------------------------------------------===//
#include "OnnxImporter.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::onnximport;

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

namespace {
enum class BinKind { Arith, Compare, Logic };

struct BinaryOpInfo {
  StringLiteral type;
  BinKind kind;
};
const BinaryOpInfo kBinaryOps[] = {
    {"Add", BinKind::Arith},
    {"Sub", BinKind::Arith},
    {"Mul", BinKind::Arith},
    {"Div", BinKind::Arith},
    {"Pow", BinKind::Arith},
    {"Max", BinKind::Arith},
    {"Min", BinKind::Arith},
    {"Mod", BinKind::Arith},
    {"Equal", BinKind::Compare},
    {"Less", BinKind::Compare},
    {"Greater", BinKind::Compare},
    {"LessOrEqual", BinKind::Compare},
    {"GreaterOrEqual", BinKind::Compare},
    {"And", BinKind::Logic},
    {"Or", BinKind::Logic},
    {"Xor", BinKind::Logic},
};

const BinaryOpInfo *binaryInfo(StringRef type) {
  for (const BinaryOpInfo &b : kBinaryOps)
    if (b.type == type)
      return &b;
  return nullptr;
}

double floatBinary(StringRef t, double a, double b) {
  if (t == "Add")
    return a + b;
  if (t == "Sub")
    return a - b;
  if (t == "Mul")
    return a * b;
  if (t == "Div")
    return a / b;
  if (t == "Pow")
    return std::pow(a, b);
  if (t == "Max")
    return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b);
  if (t == "Min")
    return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b);
  if (t == "Mod") // fmod = 1 (the only float form)
    return std::fmod(a, b);
  if (t == "Equal")
    return a == b;
  if (t == "Less")
    return a < b;
  if (t == "Greater")
    return a > b;
  if (t == "LessOrEqual")
    return a <= b;
  if (t == "GreaterOrEqual")
    return a >= b;
  llvm_unreachable("not a float binary op");
}

/// Integer ops; `ok` is cleared on division by zero.
int64_t intBinary(StringRef t, int64_t a, int64_t b, bool fmod, bool &ok) {
  // Wrap-around arithmetic without signed-overflow UB.
  auto u = [](int64_t x) { return uint64_t(x); };
  if (t == "Add")
    return int64_t(u(a) + u(b));
  if (t == "Sub")
    return int64_t(u(a) - u(b));
  if (t == "Mul")
    return int64_t(u(a) * u(b));
  if (t == "Div" || t == "Mod") {
    if (b == 0 || (a == INT64_MIN && b == -1)) {
      ok = false;
      return 0;
    }
    if (t == "Div")
      return a / b;
    int64_t r = a % b;
    if (!fmod && r != 0 && ((r < 0) != (b < 0)))
      r += b;
    return r;
  }
  if (t == "Pow")
    return int64_t(std::pow(double(a), double(b)));
  if (t == "Max")
    return std::max(a, b);
  if (t == "Min")
    return std::min(a, b);
  if (t == "Equal")
    return a == b;
  if (t == "Less")
    return a < b;
  if (t == "Greater")
    return a > b;
  if (t == "LessOrEqual")
    return a <= b;
  if (t == "GreaterOrEqual")
    return a >= b;
  if (t == "And")
    return a && b;
  if (t == "Or")
    return a || b;
  if (t == "Xor")
    return (a != 0) != (b != 0);
  llvm_unreachable("not an integer binary op");
}
} // namespace

FailureOr<OnnxValue> OnnxImporter::binary(StringRef type, const OnnxValue &l0,
                                          const OnnxValue &r0) {
  const BinaryOpInfo *info = binaryInfo(type);
  assert(info && "not a binary op");
  OnnxValue l = l0, r = r0;
  RankedTensorType lt = typeOf(l), rt = typeOf(r);
  ElemKind lk = *kindOf(lt.getElementType());
  ElemKind rk = *kindOf(rt.getElementType());

  // Pow: a float base takes any exponent; an integer base is computed in
  // f32 and truncated back, as ONNX's reference does.
  if (type == "Pow" && lk != rk) {
    if (lk == ElemKind::F32) {
      r = convert(r, ElemKind::F32);
    } else {
      FailureOr<OnnxValue> p =
          binary("Pow", convert(l, ElemKind::F32), convert(r, ElemKind::F32));
      if (failed(p))
        return failure();
      return convert(*p, lk);
    }
    rk = ElemKind::F32;
  }
  if (lk != rk)
    return fail() << "operands have different element types, " << kindName(lk)
                  << " and " << kindName(rk);
  if (info->kind == BinKind::Logic && lk != ElemKind::I1)
    return fail() << "operands must be bool, got " << kindName(lk);
  if (info->kind != BinKind::Logic && lk == ElemKind::I1 && type != "Equal")
    return fail() << "wse has no " << type << " of bool tensors";
  bool fmod = intAttr("fmod", 0) != 0;
  if (type == "Mod" && lk == ElemKind::F32 && !fmod)
    return fail() << "Mod of floats needs fmod = 1";

  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(lt.getShape(), rt.getShape(), shape)))
    return fail() << "operands " << shapeStr(lt.getShape()) << " and "
                  << shapeStr(rt.getShape()) << " do not broadcast";
  ElemKind outKind = info->kind == BinKind::Arith ? lk : ElemKind::I1;

  if (l.isConstant() && r.isConstant()) {
    ConstTensor a = foldBroadcast(*l.data, shape);
    ConstTensor b = foldBroadcast(*r.data, shape);
    ConstTensor out = ConstTensor::make(outKind, shape);
    bool ok = true;
    for (int64_t i = 0, n = out.size(); i < n; ++i) {
      if (lk == ElemKind::F32)
        out.setDouble(i, floatBinary(type, a.floats[i], b.floats[i]));
      else
        out.setInt(i, intBinary(type, a.ints[i], b.ints[i], fmod, ok));
    }
    if (!ok)
      return fail() << "integer division by zero in constant data";
    return OnnxValue::of(std::move(out));
  }

  Value a = materialize(l), b = materialize(r);
  FailureOr<Value> v;
  if (type == "Add")
    v = emit<AddOp>({a, b});
  else if (type == "Sub")
    v = emit<SubOp>({a, b});
  else if (type == "Mul")
    v = emit<MulOp>({a, b});
  else if (type == "Div")
    v = emit<DivOp>({a, b});
  else if (type == "Pow")
    v = emit<PowOp>({a, b});
  else if (type == "Max")
    v = emit<MaxOp>({a, b});
  else if (type == "Min")
    v = emit<MinOp>({a, b});
  else if (type == "Equal")
    v = emit<EqualOp>({a, b});
  else if (type == "Less")
    v = emit<LessOp>({a, b});
  else if (type == "Greater")
    v = emit<GreaterOp>({a, b});
  else if (type == "LessOrEqual")
    v = emit<LessEqualOp>({a, b});
  else if (type == "GreaterOrEqual")
    v = emit<GreaterEqualOp>({a, b});
  else if (type == "And")
    v = emit<AndOp>({a, b});
  else if (type == "Or")
    v = emit<OrOp>({a, b});
  else if (type == "Xor")
    v = emit<XorOp>({a, b});
  else if (type == "Mod") {
    // Integers: r = a - trunc(a / b) * b, then (fmod = 0) moved to the
    // divisor's sign. Floats (fmod = 1): trunc(q) = sign(q) * floor(|q|).
    FailureOr<Value> q = emit<DivOp>({a, b});
    if (failed(q))
      return failure();
    Value t = *q;
    if (lk == ElemKind::F32) {
      Type ty = t.getType();
      Value mag =
          FloorOp::create(builder, loc, ty, AbsOp::create(builder, loc, ty, t));
      t = *emit<MulOp>({SignOp::create(builder, loc, ty, t), mag});
    }
    FailureOr<Value> tb = emit<MulOp>({t, b});
    if (failed(tb))
      return failure();
    Value rem = *emit<SubOp>({a, *tb});
    if (!fmod) {
      Value zero = splat(lk, 0);
      Value nonzero = NotOp::create(
          builder, loc, RankedTensorType::get(shape, builder.getI1Type()),
          *emit<EqualOp>({rem, zero}));
      Value signDiffers =
          *emit<XorOp>({*emit<LessOp>({rem, zero}), *emit<LessOp>({b, zero})});
      Value fix = *emit<AndOp>({nonzero, signDiffers});
      rem = *emit<SelectOp>({fix, *emit<AddOp>({rem, b}), rem});
    }
    v = rem;
  }
  if (failed(v))
    return failure();
  return OnnxValue::of(*v);
}

LogicalResult OnnxImporter::importBinary() {
  FailureOr<OnnxValue> l = input(0), r = input(1);
  if (failed(l) || failed(r))
    return failure();
  FailureOr<OnnxValue> v = binary(opType(), *l, *r);
  if (failed(v))
    return failure();
  define(0, *v);
  return success();
}

LogicalResult OnnxImporter::importVariadic() {
  StringRef type = opType();
  if (node->input_size() == 0)
    return fail() << "needs at least one input";
  FailureOr<OnnxValue> acc = input(0);
  if (failed(acc))
    return failure();
  StringRef step = type == "Max" ? "Max" : type == "Min" ? "Min" : "Add";
  for (int i = 1; i < node->input_size(); ++i) {
    FailureOr<OnnxValue> next = input(i);
    if (failed(next))
      return failure();
    acc = binary(step, *acc, *next);
    if (failed(acc))
      return failure();
  }
  if (type == "Mean" && node->input_size() > 1) {
    ElemKind kind = *kindOfValue(*acc);
    if (kind != ElemKind::F32)
      return fail() << "Mean of " << kindName(kind)
                    << " tensors is not supported";
    ConstTensor inv = ConstTensor::make(ElemKind::F32, {});
    inv.floats[0] = 1.0f / float(node->input_size());
    acc = binary("Mul", *acc, OnnxValue::of(std::move(inv)));
    if (failed(acc))
      return failure();
  }
  define(0, *acc);
  return success();
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

namespace {
/// How each unary op folds; nullptr for ops that do not fold.
double foldUnaryFloat(StringRef t, double x) {
  if (t == "Abs")
    return std::fabs(x);
  if (t == "Neg")
    return -x;
  if (t == "Sign")
    return x > 0 ? 1 : x < 0 ? -1 : 0;
  if (t == "Ceil")
    return std::ceil(x);
  if (t == "Floor")
    return std::floor(x);
  if (t == "Cos")
    return std::cos(x);
  if (t == "Cosh")
    return std::cosh(x);
  if (t == "Sin")
    return std::sin(x);
  if (t == "Sinh")
    return std::sinh(x);
  if (t == "Tan")
    return std::tan(x);
  if (t == "Erf")
    return std::erf(x);
  if (t == "Exp")
    return std::exp(x);
  if (t == "Log")
    return std::log(x);
  if (t == "Sqrt")
    return std::sqrt(x);
  if (t == "Reciprocal")
    return 1.0 / x;
  if (t == "Tanh")
    return std::tanh(x);
  if (t == "Sigmoid")
    return 1.0 / (1.0 + std::exp(-x));
  if (t == "Softplus")
    return std::log1p(std::exp(x));
  if (t == "Softsign")
    return x / (1.0 + std::fabs(x));
  if (t == "Relu")
    return x > 0 ? x : 0;
  llvm_unreachable("not a unary op");
}

int64_t foldUnaryInt(StringRef t, int64_t x) {
  if (t == "Abs")
    return x < 0 ? int64_t(0 - uint64_t(x)) : x;
  if (t == "Neg")
    return int64_t(0 - uint64_t(x));
  if (t == "Sign")
    return x > 0 ? 1 : x < 0 ? -1 : 0;
  if (t == "Relu")
    return x > 0 ? x : 0;
  if (t == "Not")
    return !x;
  llvm_unreachable("not an integer unary op");
}
} // namespace

LogicalResult OnnxImporter::importUnary() {
  StringRef t = opType();
  FailureOr<OnnxValue> in = input(0);
  if (failed(in))
    return failure();
  ElemKind kind = *kindOfValue(*in);
  bool intOk = t == "Abs" || t == "Neg" || t == "Sign" || t == "Relu";
  if (t == "Not") {
    if (kind != ElemKind::I1)
      return fail() << "input must be bool, got " << kindName(kind);
  } else if (kind == ElemKind::I1 || (kind != ElemKind::F32 && !intOk)) {
    return fail() << "wse computes " << t << " in f32; the input is "
                  << kindName(kind);
  }

  if (in->isConstant()) {
    const ConstTensor &x = *in->data;
    ConstTensor out = ConstTensor::make(kind, x.shape);
    for (int64_t i = 0, n = x.size(); i < n; ++i) {
      if (kind == ElemKind::F32)
        out.setDouble(i, foldUnaryFloat(t, x.floats[i]));
      else
        out.setInt(i, foldUnaryInt(t, x.ints[i]));
    }
    defineConst(0, std::move(out));
    return success();
  }

  Value x = in->value;
  Type ty = x.getType();
  auto exp = [&](Value v) { return ExpOp::create(builder, loc, ty, v); };
  auto neg = [&](Value v) { return NegOp::create(builder, loc, ty, v); };
  Value r;
  if (t == "Abs")
    r = AbsOp::create(builder, loc, ty, x);
  else if (t == "Neg")
    r = NegOp::create(builder, loc, ty, x);
  else if (t == "Sign")
    r = SignOp::create(builder, loc, ty, x);
  else if (t == "Not")
    r = NotOp::create(builder, loc, ty, x);
  else if (t == "Ceil")
    r = CeilOp::create(builder, loc, ty, x);
  else if (t == "Floor")
    r = FloorOp::create(builder, loc, ty, x);
  else if (t == "Cos")
    r = CosOp::create(builder, loc, ty, x);
  else if (t == "Sin")
    r = SinOp::create(builder, loc, ty, x);
  else if (t == "Erf")
    r = ErfOp::create(builder, loc, ty, x);
  else if (t == "Exp")
    r = ExpOp::create(builder, loc, ty, x);
  else if (t == "Log")
    r = LogOp::create(builder, loc, ty, x);
  else if (t == "Sqrt")
    r = SqrtOp::create(builder, loc, ty, x);
  else if (t == "Reciprocal")
    r = ReciprocalOp::create(builder, loc, ty, x);
  else if (t == "Tanh")
    r = TanhOp::create(builder, loc, ty, x);
  else if (t == "Sigmoid")
    r = SigmoidOp::create(builder, loc, ty, x);
  else if (t == "Softplus")
    r = SoftplusOp::create(builder, loc, ty, x);
  else if (t == "Relu" && kind == ElemKind::F32)
    r = ReluOp::create(builder, loc, ty, x);
  else if (t == "Relu")
    r = *emit<MaxOp>({x, splat(kind, 0)});
  else if (t == "Tan")
    r = *emit<DivOp>({SinOp::create(builder, loc, ty, x),
                      CosOp::create(builder, loc, ty, x)});
  else if (t == "Sinh" || t == "Cosh") {
    // (e^x -+ e^-x) / 2
    Value a = exp(x), b = exp(neg(x));
    Value s = t == "Sinh" ? *emit<SubOp>({a, b}) : *emit<AddOp>({a, b});
    r = *emit<MulOp>({s, splat(ElemKind::F32, 0.5)});
  } else if (t == "Softsign") {
    Value d = *emit<AddOp>(
        {AbsOp::create(builder, loc, ty, x), splat(ElemKind::F32, 1.0)});
    r = *emit<DivOp>({x, d});
  } else {
    return fail() << "is not a unary op";
  }
  define(0, r);
  return success();
}

LogicalResult OnnxImporter::importIsInfNaN() {
  FailureOr<Value> x = inputValue(0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (!type.getElementType().isF32())
    return fail() << "input must be f32";
  auto maskType = RankedTensorType::get(type.getShape(), builder.getI1Type());
  if (opType() == "IsNaN") {
    Value same = *emit<EqualOp>({*x, *x});
    define(0, NotOp::create(builder, loc, maskType, same).getResult());
    return success();
  }
  bool pos = intAttr("detect_positive", 1) != 0;
  bool neg = intAttr("detect_negative", 1) != 0;
  double inf = std::numeric_limits<double>::infinity();
  Value r;
  if (pos && neg)
    r = *emit<EqualOp>(
        {AbsOp::create(builder, loc, type, *x), splat(ElemKind::F32, inf)});
  else if (pos)
    r = *emit<EqualOp>({*x, splat(ElemKind::F32, inf)});
  else if (neg)
    r = *emit<EqualOp>({*x, splat(ElemKind::F32, -inf)});
  else
    r = splat(ElemKind::I1, 0, type.getShape());
  define(0, r);
  return success();
}

//===----------------------------------------------------------------------===//
// Activations and Clip
//===----------------------------------------------------------------------===//

LogicalResult OnnxImporter::importActivation() {
  StringRef t = opType();
  FailureOr<Value> xv = inputValue(0);
  if (failed(xv))
    return failure();
  Value x = *xv;
  auto type = cast<RankedTensorType>(x.getType());
  if (!type.getElementType().isF32())
    return fail() << "wse computes " << t << " in f32; the input is "
                  << type.getElementType();
  auto f32 = [&](double v) { return splat(ElemKind::F32, v); };
  auto mul = [&](Value a, Value b) { return *emit<MulOp>({a, b}); };
  auto add = [&](Value a, Value b) { return *emit<AddOp>({a, b}); };
  auto hardSigmoid = [&](double alpha, double beta) -> Value {
    Value y = add(mul(x, f32(alpha)), f32(beta));
    return ClampOp::create(builder, loc, type, y, builder.getF64FloatAttr(0),
                           builder.getF64FloatAttr(1));
  };
  Value r;
  if (t == "LeakyRelu") {
    r = LeakyReluOp::create(builder, loc, type, x,
                            builder.getF32FloatAttr(floatAttr("alpha", 0.01f)));
  } else if (t == "Elu") {
    r = EluOp::create(builder, loc, type, x,
                      builder.getF32FloatAttr(floatAttr("alpha", 1.0f)));
  } else if (t == "Selu") {
    float alpha = floatAttr("alpha", 1.67326319217681884765625f);
    float gamma = floatAttr("gamma", 1.05070102214813232421875f);
    Value e =
        EluOp::create(builder, loc, type, x, builder.getF32FloatAttr(alpha));
    r = mul(e, f32(gamma));
  } else if (t == "Celu") {
    // alpha * elu(x / alpha, 1)
    float alpha = floatAttr("alpha", 1.0f);
    if (alpha == 0)
      return fail() << "alpha must not be 0";
    Value in = alpha == 1.0f ? x : mul(x, f32(1.0 / alpha));
    r = EluOp::create(builder, loc, type, in, builder.getF32FloatAttr(1.0f));
    if (alpha != 1.0f)
      r = mul(r, f32(alpha));
  } else if (t == "HardSigmoid") {
    r = hardSigmoid(floatAttr("alpha", 0.2f), floatAttr("beta", 0.5f));
  } else if (t == "HardSwish") {
    r = mul(x, hardSigmoid(1.0 / 6.0, 0.5));
  } else if (t == "ThresholdedRelu") {
    Value above = *emit<GreaterOp>({x, f32(floatAttr("alpha", 1.0f))});
    r = *emit<SelectOp>({above, x, f32(0)});
  } else if (t == "PRelu") {
    FailureOr<Value> slope = inputValue(1);
    if (failed(slope))
      return failure();
    Value neg = *emit<LessOp>({x, f32(0)});
    FailureOr<Value> scaled = emit<MulOp>({x, *slope});
    if (failed(scaled))
      return failure();
    FailureOr<Value> s = emit<SelectOp>({neg, *scaled, x});
    if (failed(s))
      return failure();
    if (cast<RankedTensorType>(s->getType()).getShape() != type.getShape())
      return fail() << "slope "
                    << shapeStr(
                           cast<RankedTensorType>(slope->getType()).getShape())
                    << " must broadcast to the input "
                    << shapeStr(type.getShape());
    r = *s;
  } else {
    return fail() << "is not an activation";
  }
  define(0, r);
  return success();
}

LogicalResult OnnxImporter::importClip() {
  FailureOr<OnnxValue> in = input(0);
  if (failed(in))
    return failure();
  ElemKind kind = *kindOfValue(*in);
  if (kind == ElemKind::I1)
    return fail() << "cannot clip bool tensors";
  FloatAttr lo, hi;
  if (opset < 11) {
    if (attr("min"))
      lo = builder.getF64FloatAttr(floatAttr("min", 0));
    if (attr("max"))
      hi = builder.getF64FloatAttr(floatAttr("max", 0));
  } else {
    for (int i : {1, 2}) {
      if (!hasInput(i))
        continue;
      FailureOr<ConstPtr> c = constInput(i, i == 1 ? "min" : "max");
      if (failed(c))
        return failure();
      if ((*c)->size() != 1)
        return fail() << "the " << (i == 1 ? "min" : "max")
                      << " bound must be a scalar, got "
                      << shapeStr((*c)->shape);
      (i == 1 ? lo : hi) = builder.getF64FloatAttr((*c)->getDouble(0));
    }
  }
  if (in->isConstant()) {
    ConstTensor out = *in->data;
    for (int64_t i = 0, n = out.size(); i < n; ++i) {
      double v = out.getDouble(i);
      if (lo)
        v = std::max(v, lo.getValueAsDouble());
      if (hi)
        v = std::min(v, hi.getValueAsDouble());
      out.setDouble(i, v);
    }
    defineConst(0, std::move(out));
    return success();
  }
  Value x = in->value;
  define(0, ClampOp::create(builder, loc, x.getType(), x, lo, hi).getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// Where and Cast
//===----------------------------------------------------------------------===//

FailureOr<OnnxValue> OnnxImporter::select(const OnnxValue &c,
                                          const OnnxValue &a,
                                          const OnnxValue &b) {
  if (kindOfValue(c) != ElemKind::I1)
    return fail() << "the condition must be bool";
  if (kindOfValue(a) != kindOfValue(b))
    return fail() << "the branches have different element types";
  SmallVector<int64_t> ab, shape;
  if (failed(broadcastShapes(typeOf(a).getShape(), typeOf(b).getShape(), ab)) ||
      failed(broadcastShapes(typeOf(c).getShape(), ab, shape)))
    return fail() << "operands " << shapeStr(typeOf(c).getShape()) << ", "
                  << shapeStr(typeOf(a).getShape()) << " and "
                  << shapeStr(typeOf(b).getShape()) << " do not broadcast";
  if (c.isConstant() && a.isConstant() && b.isConstant()) {
    ConstTensor cc = foldBroadcast(*c.data, shape);
    ConstTensor ac = foldBroadcast(*a.data, shape);
    ConstTensor bc = foldBroadcast(*b.data, shape);
    for (int64_t i = 0, n = ac.size(); i < n; ++i)
      if (!cc.ints[i]) {
        if (ac.isFloat())
          ac.floats[i] = bc.floats[i];
        else
          ac.ints[i] = bc.ints[i];
      }
    return OnnxValue::of(std::move(ac));
  }
  FailureOr<Value> r =
      emit<SelectOp>({materialize(c), materialize(a), materialize(b)});
  if (failed(r))
    return failure();
  return OnnxValue::of(*r);
}

LogicalResult OnnxImporter::importWhere() {
  FailureOr<OnnxValue> c = input(0), a = input(1), b = input(2);
  if (failed(c) || failed(a) || failed(b))
    return failure();
  FailureOr<OnnxValue> r = select(*c, *a, *b);
  if (failed(r))
    return failure();
  define(0, *r);
  return success();
}

LogicalResult OnnxImporter::importCast() {
  FailureOr<OnnxValue> in = input(0);
  if (failed(in))
    return failure();
  ElemKind to;
  if (opType() == "CastLike") {
    FailureOr<OnnxValue> like = input(1);
    if (failed(like))
      return failure();
    to = *kindOfValue(*like);
  } else {
    const onnx::AttributeProto *a = attr("to");
    if (!a)
      return fail() << "lacks the 'to' attribute";
    // A cast of constant data to float64 folds to f32 data.
    std::optional<ElemKind> k =
        kindOfOnnx(int32_t(a->i()), options.f64AsF32 || in->isConstant());
    if (!k) {
      InFlightDiagnostic diag =
          fail() << "casts to " << onnxTypeName(int32_t(a->i()))
                 << "; wse computes in float32, int64, int32 and bool "
                    "(float16 and bfloat16 are float32)";
      if (a->i() == onnx::TensorProto::DOUBLE)
        diag << " (--f64-as-f32 imports float64 as float32)";
      return diag;
    }
    to = *k;
  }
  define(0, convert(*in, to));
  return success();
}
