//===- Interpreter.cpp - reference interpreter of the wse dialect ---------===//
//
// The driver, constants and the helpers shared by the op-family files
// (InterpretMath.cpp, InterpretReduce.cpp, InterpretShape.cpp,
// InterpretNN.cpp, InterpretOptimizer.cpp).
//
//===----------------------------------------------------------------------===//
#include "InterpreterImpl.h"

#include "wse/Interpreter/Interpreter.h"
#include "wse/Support/Math.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <map>

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::interp;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

Elem interp::elemOf(Type t) {
  if (auto s = dyn_cast<ShapedType>(t))
    t = s.getElementType();
  if (auto it = dyn_cast<IntegerType>(t)) {
    if (it.getWidth() == 1)
      return Elem::I1;
    if (it.getWidth() == 32)
      return Elem::I32;
    return Elem::I64;
  }
  return Elem::F32;
}

Shape interp::shapeOf(Type t) {
  auto r = cast<RankedTensorType>(t);
  return {r.getShape().begin(), r.getShape().end()};
}

int64_t interp::numElementsOf(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Shape interp::stridesOf(const Shape &shape) {
  Shape s(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    s[d] = s[d + 1] * shape[d + 1];
  return s;
}

std::vector<int64_t> interp::offsetMap(const Shape &iter, const Shape &steps) {
  int64_t n = numElementsOf(iter);
  std::vector<int64_t> map(static_cast<size_t>(n));
  if (n == 0)
    return map;
  int64_t rank = int64_t(iter.size());
  Shape coord(iter.size(), 0);
  int64_t off = 0;
  for (int64_t e = 0; e < n; ++e) {
    map[e] = off;
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++coord[d] < iter[d]) {
        off += steps[d];
        break;
      }
      off -= steps[d] * (iter[d] - 1);
      coord[d] = 0;
    }
  }
  return map;
}

std::vector<int64_t> interp::broadcastIndex(const Shape &in, const Shape &out) {
  Shape inStrides = stridesOf(in);
  int64_t lead = int64_t(out.size()) - int64_t(in.size());
  Shape steps(out.size(), 0);
  for (int64_t d = 0; d < int64_t(out.size()); ++d) {
    int64_t id = d - lead;
    if (id >= 0 && in[id] != 1)
      steps[d] = inStrides[id];
  }
  return offsetMap(out, steps);
}

RowBroadcast interp::broadcastRows(const Shape &in, const Shape &out) {
  RowBroadcast r;
  if (out.empty()) {
    r.base.assign(1, 0);
    return r;
  }
  Shape inStrides = stridesOf(in);
  int64_t lead = int64_t(out.size()) - int64_t(in.size());
  Shape outer(out.begin(), out.end() - 1), steps(out.size() - 1, 0);
  for (int64_t d = 0; d + 1 < int64_t(out.size()); ++d) {
    int64_t id = d - lead;
    if (id >= 0 && in[id] != 1)
      steps[d] = inStrides[id];
  }
  r.len = out.back();
  r.step = !in.empty() && lead <= int64_t(out.size()) - 1 && in.back() != 1 ? 1 : 0;
  r.base = offsetMap(outer, steps);
  return r;
}

HostTensor interp::makeTensor(Shape shape, Elem e) {
  return isIntElem(e) ? HostTensor::ints(std::move(shape))
                      : HostTensor::floats(std::move(shape));
}

HostTensor interp::stridedCopy(const HostTensor &in, Shape shape,
                               const Shape &steps, int64_t base) {
  HostTensor out = in.isInt ? HostTensor::ints(shape) : HostTensor::floats(shape);
  int64_t n = numElementsOf(shape);
  if (n == 0)
    return out;
  if (shape.empty()) {
    if (in.isInt)
      out.i[0] = in.i[base];
    else
      out.f[0] = in.f[base];
    return out;
  }
  int64_t rank = int64_t(shape.size()), len = shape.back(),
          step = steps.back();
  Shape coord(size_t(rank), 0);
  int64_t off = base;
  auto rows = [&](auto *dst, const auto *src) {
    for (int64_t o = 0; o < n; o += len) {
      const auto *s = src + off;
      for (int64_t j = 0; j < len; ++j)
        dst[o + j] = s[j * step];
      // Next row: the odometer over the dims before the last.
      for (int64_t d = rank - 2; d >= 0; --d) {
        if (++coord[d] < shape[d]) {
          off += steps[d];
          break;
        }
        off -= steps[d] * (shape[d] - 1);
        coord[d] = 0;
      }
    }
  };
  if (in.isInt)
    rows(out.i.data(), in.i.data());
  else
    rows(out.f.data(), in.f.data());
  return out;
}

HostTensor interp::gatherElements(const HostTensor &in, Shape shape,
                                  const std::vector<int64_t> &map) {
  HostTensor out = in.isInt ? HostTensor::ints(std::move(shape))
                            : HostTensor::floats(std::move(shape));
  if (in.isInt)
    for (size_t e = 0; e < map.size(); ++e)
      out.i[e] = in.i[map[e]];
  else
    for (size_t e = 0; e < map.size(); ++e)
      out.f[e] = in.f[map[e]];
  return out;
}

AxisView interp::axisView(const Shape &shape, int64_t axis) {
  AxisView v;
  if (shape.empty())
    return v;
  for (int64_t d = 0; d < axis; ++d)
    v.outer *= shape[d];
  v.len = shape[axis];
  for (int64_t d = axis + 1; d < int64_t(shape.size()); ++d)
    v.inner *= shape[d];
  return v;
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

namespace {

template <typename T>
FailureOr<HostTensor> fromResource(Location loc, Attribute attr,
                                   RankedTensorType type) {
  auto res = cast<mlir::detail::DenseResourceElementsAttrBase<T>>(attr);
  std::optional<ArrayRef<T>> data = res.tryGetAsArrayRef();
  if (!data)
    return emitError(loc, "the resource blob of a constant is missing");
  Elem e = elemOf(type);
  HostTensor t = makeTensor(shapeOf(type), e);
  size_t n = size_t(t.numElements());
  if (data->size() != n)
    return emitError(loc, "resource blob holds ")
           << data->size() << " values, the type needs " << n;
  for (size_t k = 0; k < n; ++k) {
    if constexpr (std::is_floating_point_v<T>)
      t.f[k] = Real((*data)[k]);
    else
      t.i[k] = wrapInt(int64_t((*data)[k]), e);
  }
  return t;
}

Handled interpretConstant(Interp &in, Operation *op) {
  auto c = dyn_cast<ConstantOp>(op);
  if (!c)
    return std::nullopt;
  FailureOr<HostTensor> t = tensorFromAttr(c.getLoc(), c.getValue());
  if (failed(t))
    return failure();
  if (!tensorMatchesType(*t, c.getType()))
    return c.emitError("the constant's value does not match its type ")
           << c.getType();
  in.set(c.getResult(), std::move(*t));
  return success();
}

} // namespace

FailureOr<HostTensor> mlir::wse::tensorFromAttr(Location loc, Attribute attr) {
  if (auto r = dyn_cast<RandomAttr>(attr)) {
    HostTensor t =
        HostTensor::floats(shapeOf(cast<RankedTensorType>(r.getType())));
    std::vector<float> values(t.f.size());
    ::wsert::math::randomInit(r.getDistributionCode(),
                              r.getA().convertToDouble(),
                              r.getB().convertToDouble(), r.getSeed(), 0,
                              int64_t(values.size()), values.data());
    std::copy(values.begin(), values.end(), t.f.begin());
    return t;
  }
  auto typed = dyn_cast<TypedAttr>(attr);
  auto type = typed ? dyn_cast<RankedTensorType>(typed.getType())
                    : RankedTensorType();
  if (!type)
    return emitError(loc, "expected a ranked tensor constant");
  Shape shape = shapeOf(type);
  Type et = type.getElementType();
  if (!et.isF32() && !et.isInteger(64) && !et.isInteger(32) &&
      !et.isInteger(1))
    return emitError(loc, "unsupported constant of type ") << type;
  Elem e = elemOf(et);
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (et.isF32()) {
      HostTensor t = HostTensor::floats(shape);
      auto values = dense.getValues<float>();
      std::copy(values.begin(), values.end(), t.f.begin());
      return t;
    }
    HostTensor t = HostTensor::ints(shape);
    size_t k = 0;
    for (const APInt &v : dense.getValues<APInt>())
      t.i[k++] = e == Elem::I1 ? int64_t(v.getBoolValue())
                               : wrapInt(v.getSExtValue(), e);
    return t;
  }
  if (isa<DenseF32ResourceElementsAttr>(attr))
    return fromResource<float>(loc, attr, type);
  if (isa<DenseI64ResourceElementsAttr>(attr))
    return fromResource<int64_t>(loc, attr, type);
  if (isa<DenseI32ResourceElementsAttr>(attr))
    return fromResource<int32_t>(loc, attr, type);
  if (isa<DenseBoolResourceElementsAttr>(attr))
    return fromResource<bool>(loc, attr, type);
  return emitError(loc, "unsupported constant of type ") << type;
}

bool mlir::wse::tensorMatchesType(const HostTensor &t, Type type) {
  auto r = dyn_cast<RankedTensorType>(type);
  if (!r || t.shape != shapeOf(r))
    return false;
  if (size_t(t.numElements()) != (t.isInt ? t.i.size() : t.f.size()))
    return false;
  return t.isInt == isa<IntegerType>(r.getElementType());
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

FailureOr<std::vector<HostTensor>>
mlir::wse::interpret(func::FuncOp fn, std::vector<HostTensor> args) {
  if (fn.isExternal())
    return fn.emitError() << "@" << fn.getSymName() << " has no body";
  if (!fn.getBody().hasOneBlock())
    return fn.emitError() << "the reference interpreter runs single-block "
                             "functions only";
  Block &body = fn.getBody().front();
  if (args.size() != body.getNumArguments())
    return fn.emitError() << "got " << args.size() << " arguments, @"
                          << fn.getSymName() << " takes "
                          << body.getNumArguments();
  // A micro-batched step takes the whole step's batch in its micro-batched
  // arguments and runs over it in slices (wse.accumulate).
  int64_t micro = microBatchesOf(fn);
  DenseMap<Operation *, MicroPhase> phases;
  if (micro > 1) {
    FailureOr<DenseMap<Operation *, MicroPhase>> p = microBatchPhases(fn);
    if (failed(p))
      return failure();
    phases = std::move(*p);
  }
  auto microBatched = [&](BlockArgument arg) {
    return micro > 1 && fn.getArgAttr(arg.getArgNumber(), kMicroBatchedAttr);
  };
  Interp in;
  std::map<unsigned, HostTensor> whole; // micro-batched arguments
  for (auto [arg, value] : llvm::zip(body.getArguments(), args)) {
    Type type = arg.getType();
    if (microBatched(arg)) {
      auto t = cast<RankedTensorType>(type);
      SmallVector<int64_t> shape(t.getShape());
      shape[0] *= micro;
      type = t.clone(shape);
    }
    if (!tensorMatchesType(value, type))
      return fn.emitError() << "argument " << arg.getArgNumber() << " should be "
                            << type << ", got " << value.shapeString();
    HostTensor t = std::move(value);
    // i32 arguments wrap to 32 bits and i1 arguments are masks, as they
    // would be on the device.
    Elem e = elemOf(arg.getType());
    if (e == Elem::I32 || e == Elem::I1)
      for (int64_t &v : t.i)
        v = wrapInt(v, e);
    if (microBatched(arg))
      whole[arg.getArgNumber()] = std::move(t);
    else
      in.set(arg, std::move(t));
  }
  auto run = [&](Operation &op) -> LogicalResult {
    Handled r = interpretConstant(in, &op);
    if (!r)
      r = interpretMathOp(in, &op);
    if (!r)
      r = interpretReduceOp(in, &op);
    if (!r)
      r = interpretShapeOp(in, &op);
    if (!r)
      r = interpretNNOp(in, &op);
    if (!r)
      r = interpretOptimizerOp(in, &op);
    if (!r)
      return op.emitError() << "the reference interpreter cannot run '"
                            << op.getName() << "'";
    return *r;
  };
  if (micro == 1) {
    // Each value is dropped after the last op that reads it (results no
    // op reads, at once), so a step's memory is its live values, reused
    // hot from the allocator rather than faulted in fresh.
    Operation *term = body.getTerminator();
    DenseMap<Operation *, SmallVector<Value, 2>> lastReads;
    DenseSet<Value> seen;
    for (Operation &op : llvm::reverse(body.without_terminator())) {
      for (Value r : op.getResults())
        if (r.use_empty())
          lastReads[&op].push_back(r);
      for (Value v : op.getOperands())
        if (seen.insert(v).second &&
            !llvm::is_contained(term->getOperands(), v))
          lastReads[&op].push_back(v);
    }
    for (Operation &op : body.without_terminator()) {
      auto it = lastReads.find(&op);
      in.dying.clear();
      // A value the op reads twice (the m and v of a first AdamW step, both
      // zeros) is copied for each read.
      if (it != lastReads.end())
        for (Value v : it->second)
          if (llvm::count(op.getOperands(), v) == 1)
            in.dying.insert(v);
      if (failed(run(op)))
        return failure();
      if (it != lastReads.end())
        for (Value v : it->second)
          in.drop(v);
    }
    in.dying.clear();
  } else {
    std::map<Operation *, HostTensor> sums;
    for (int64_t m = 0; m < micro; ++m) {
      for (auto &[a, t] : whole) {
        HostTensor slice = t;
        int64_t rows = t.shape[0] / micro;
        int64_t inner = t.numElements() / t.shape[0];
        slice.shape[0] = rows;
        auto cut = [&](auto &v) {
          using V = std::decay_t<decltype(v)>;
          v = V(v.begin() + m * rows * inner, v.begin() + (m + 1) * rows * inner);
        };
        if (t.isInt)
          cut(slice.i);
        else
          cut(slice.f);
        in.set(body.getArgument(a), std::move(slice));
      }
      for (Operation &op : body.without_terminator()) {
        MicroPhase p = phases.lookup(&op);
        if (auto acc = dyn_cast<AccumulateOp>(op)) {
          // Added in order of the micro-batches, in f32; a mean multiplies
          // the sum by 1/N (rounded to f32), as the mesh does.
          const HostTensor &x = in.get(acc.getInput());
          auto [it, fresh] = sums.try_emplace(&op, x);
          if (!fresh)
            for (size_t k = 0; k < x.f.size(); ++k)
              it->second.f[k] += x.f[k];
          continue;
        }
        if (p == MicroPhase::PerStep || (p == MicroPhase::Invariant && m > 0))
          continue;
        if (failed(run(op)))
          return failure();
      }
    }
    for (auto &[op, sum] : sums) {
      auto acc = cast<AccumulateOp>(op);
      if (acc.getMean())
        for (auto &v : sum.f)
          v *= float(1.0f / float(micro));
      in.set(acc.getResult(), std::move(sum));
    }
    for (Operation &op : body.without_terminator())
      if (phases.lookup(&op) == MicroPhase::PerStep && failed(run(op)))
        return failure();
  }
  Operation *term = body.getTerminator();
  if (!isa<func::ReturnOp>(term))
    return term->emitError() << "the reference interpreter cannot run '"
                             << term->getName() << "'";
  // Moved out, but for a value returned twice, copied before its last.
  std::vector<HostTensor> results;
  ValueRange outs = term->getOperands();
  for (auto [i, v] : llvm::enumerate(outs)) {
    bool later = llvm::is_contained(outs.drop_front(i + 1), v);
    results.push_back(later ? in.get(v) : std::move(in.env.find(v)->second));
  }
  return results;
}
