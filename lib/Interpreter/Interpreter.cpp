//===- Interpreter.cpp - reference interpreter of the wse dialect ---------===//
#include "wse/Interpreter/Interpreter.h"
#include "wse/Support/Math.h"
#include "wse/WseDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::wse;
using ::wsert::HostTensor;

namespace {

std::vector<int64_t> shapeOf(Type t) {
  auto r = cast<RankedTensorType>(t);
  return {r.getShape().begin(), r.getShape().end()};
}

std::vector<int64_t> stridesOf(const std::vector<int64_t> &shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    s[d] = s[d + 1] * shape[d + 1];
  return s;
}

/// For each element of `out`, the index of the element of `in` that NumPy
/// broadcasting maps to it.
std::vector<int64_t> broadcastIndex(const std::vector<int64_t> &in,
                                    const std::vector<int64_t> &out) {
  std::vector<int64_t> inStrides = stridesOf(in), outStrides = stridesOf(out);
  int64_t lead = int64_t(out.size() - in.size());
  int64_t n = 1;
  for (int64_t d : out)
    n *= d;
  std::vector<int64_t> map(static_cast<size_t>(n));
  for (int64_t e = 0; e < n; ++e) {
    int64_t src = 0;
    for (size_t d = 0; d < out.size(); ++d) {
      int64_t coord = (e / outStrides[d]) % out[d];
      int64_t id = int64_t(d) - lead;
      if (id >= 0 && in[id] != 1)
        src += coord * inStrides[id];
    }
    map[e] = src;
  }
  return map;
}

class Interp {
public:
  LogicalResult run(Operation *op);
  llvm::DenseMap<Value, HostTensor> env;

private:
  const HostTensor &get(Value v) { return env.find(v)->second; }
  void set(Value v, HostTensor t) { env[v] = std::move(t); }

  template <typename F>
  LogicalResult binary(Operation *op, F f) {
    const HostTensor &l = get(op->getOperand(0)), &r = get(op->getOperand(1));
    std::vector<int64_t> shape = shapeOf(op->getResult(0).getType());
    HostTensor out = HostTensor::floats(shape);
    std::vector<int64_t> li = broadcastIndex(l.shape, shape);
    std::vector<int64_t> ri = broadcastIndex(r.shape, shape);
    for (size_t e = 0; e < out.f.size(); ++e)
      out.f[e] = f(l.f[li[e]], r.f[ri[e]]);
    set(op->getResult(0), std::move(out));
    return success();
  }
};

LogicalResult Interp::run(Operation *op) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<ConstantOp>([&](ConstantOp c) {
        FailureOr<HostTensor> t = tensorFromAttr(c.getLoc(), c.getValue());
        if (failed(t))
          return failure();
        set(c.getResult(), std::move(*t));
        return success();
      })
      .Case<ReshapeOp>([&](ReshapeOp r) {
        HostTensor t = get(r.getInput());
        t.shape = shapeOf(r.getType());
        set(r.getResult(), std::move(t));
        return success();
      })
      .Case<BroadcastToOp>([&](BroadcastToOp b) {
        const HostTensor &in = get(b.getInput());
        std::vector<int64_t> shape = shapeOf(b.getType());
        HostTensor out = HostTensor::floats(shape);
        std::vector<int64_t> map = broadcastIndex(in.shape, shape);
        for (size_t e = 0; e < out.f.size(); ++e)
          out.f[e] = in.f[map[e]];
        set(b.getResult(), std::move(out));
        return success();
      })
      .Case<MatmulOp>([&](MatmulOp m) {
        const HostTensor &a = get(m.getA()), &b = get(m.getB());
        std::vector<int64_t> shape = shapeOf(m.getType());
        int64_t k = m.getTransposeA() ? a.shape[0] : a.shape[1];
        HostTensor out = HostTensor::floats(shape);
        ::wsert::math::matmul(out.f.data(), a.f.data(), b.f.data(), shape[0],
                            shape[1], k, m.getTransposeA(), m.getTransposeB(),
                            false);
        float alpha = m.getAlpha().convertToFloat();
        float beta = m.getBeta().convertToFloat();
        if (alpha != 1.0f)
          for (float &v : out.f)
            v *= alpha;
        if (m.getBias()) {
          const HostTensor &c = get(m.getBias());
          std::vector<int64_t> map = broadcastIndex(c.shape, shape);
          for (size_t e = 0; e < out.f.size(); ++e)
            out.f[e] += beta == 1.0f ? c.f[map[e]] : beta * c.f[map[e]];
        }
        set(m.getResult(), std::move(out));
        return success();
      })
      .Case<AddOp>([&](AddOp o) {
        return binary(o, [](float a, float b) { return a + b; });
      })
      .Case<SubOp>([&](SubOp o) {
        return binary(o, [](float a, float b) { return a - b; });
      })
      .Case<MulOp>([&](MulOp o) {
        return binary(o, [](float a, float b) { return a * b; });
      })
      .Case<ReluOp>([&](ReluOp r) {
        HostTensor t = get(r.getInput());
        for (float &v : t.f)
          v = v > 0.0f ? v : 0.0f;
        set(r.getResult(), std::move(t));
        return success();
      })
      .Case<ReluGradOp>([&](ReluGradOp r) {
        HostTensor g = get(r.getGrad());
        const HostTensor &x = get(r.getInput());
        for (size_t e = 0; e < g.f.size(); ++e)
          g.f[e] = x.f[e] > 0.0f ? g.f[e] : 0.0f;
        set(r.getResult(), std::move(g));
        return success();
      })
      .Case<ReduceSumOp>([&](ReduceSumOp r) {
        const HostTensor &in = get(r.getInput());
        std::vector<int64_t> kept = in.shape;
        for (int64_t ax : r.getAxes())
          kept[ax] = 1;
        HostTensor out = HostTensor::floats(kept);
        std::vector<int64_t> inStrides = stridesOf(in.shape);
        std::vector<int64_t> outStrides = stridesOf(kept);
        for (int64_t e = 0; e < in.numElements(); ++e) {
          int64_t dst = 0;
          for (size_t d = 0; d < in.shape.size(); ++d)
            if (kept[d] != 1 || in.shape[d] == 1)
              dst += ((e / inStrides[d]) % in.shape[d]) * outStrides[d];
          out.f[dst] += in.f[e];
        }
        out.shape = shapeOf(r.getType());
        set(r.getResult(), std::move(out));
        return success();
      })
      .Case<SoftmaxCrossEntropyOp, SoftmaxCrossEntropyGradOp>(
          [&](auto o) -> LogicalResult {
            const HostTensor &logits = get(o.getLogits());
            const HostTensor &labels = get(o.getLabels());
            int64_t rows = logits.shape[0], cols = logits.shape[1];
            float loss = 0.0f;
            HostTensor grad;
            float scale = 1.0f;
            constexpr bool wantGrad =
                std::is_same_v<decltype(o), SoftmaxCrossEntropyGradOp>;
            if constexpr (wantGrad) {
              scale = get(o.getDloss()).f[0];
              grad = HostTensor::floats(logits.shape);
            }
            if (!::wsert::math::softmaxCrossEntropy(
                    logits.f.data(), labels.i.data(), rows, cols, scale, &loss,
                    wantGrad ? grad.f.data() : nullptr))
              return o.emitError("a label is outside [0, ") << cols << ")";
            if constexpr (wantGrad)
              set(o.getResult(), std::move(grad));
            else
              set(o.getResult(), HostTensor::floats({}, loss));
            return success();
          })
      .Case<MseOp>([&](MseOp m) {
        const HostTensor &p = get(m.getPrediction()), &t = get(m.getTarget());
        double sum = 0.0;
        for (size_t e = 0; e < p.f.size(); ++e) {
          double d = double(p.f[e]) - double(t.f[e]);
          sum += d * d;
        }
        set(m.getResult(),
            HostTensor::floats({}, float(sum / double(p.f.size()))));
        return success();
      })
      .Case<SgdUpdateOp>([&](SgdUpdateOp s) {
        HostTensor p = get(s.getParam());
        const HostTensor &g = get(s.getGrad());
        float lr = s.getLr().convertToFloat();
        for (size_t e = 0; e < p.f.size(); ++e)
          p.f[e] = p.f[e] - lr * g.f[e];
        set(s.getResult(), std::move(p));
        return success();
      })
      .Default([&](Operation *o) {
        return o->emitError() << "the reference interpreter cannot run '"
                              << o->getName() << "'";
      });
}

} // namespace

FailureOr<HostTensor> mlir::wse::tensorFromAttr(Location loc, Attribute attr) {
  auto typed = dyn_cast<TypedAttr>(attr);
  auto type = typed ? dyn_cast<RankedTensorType>(typed.getType())
                    : RankedTensorType();
  if (!type)
    return emitError(loc, "expected a ranked tensor constant");
  std::vector<int64_t> shape = shapeOf(type);
  Type et = type.getElementType();
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (et.isF32()) {
      HostTensor t = HostTensor::floats(shape);
      auto values = dense.getValues<float>();
      std::copy(values.begin(), values.end(), t.f.begin());
      return t;
    }
    if (auto it = dyn_cast<IntegerType>(et)) {
      HostTensor t = HostTensor::ints(shape);
      size_t e = 0;
      for (const APInt &v : dense.getValues<APInt>())
        t.i[e++] = it.getWidth() == 1 ? int64_t(v.getBoolValue())
                                      : v.getSExtValue();
      return t;
    }
  }
  if (auto res = dyn_cast<DenseF32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<float>> data = res.tryGetAsArrayRef();
    if (!data)
      return emitError(loc, "the resource blob of a constant is missing");
    HostTensor t = HostTensor::floats(shape);
    if (data->size() != t.f.size())
      return emitError(loc, "resource blob holds ")
             << data->size() << " values, the type needs " << t.f.size();
    std::copy(data->begin(), data->end(), t.f.begin());
    return t;
  }
  if (auto res = dyn_cast<DenseI64ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<int64_t>> data = res.tryGetAsArrayRef();
    if (!data)
      return emitError(loc, "the resource blob of a constant is missing");
    HostTensor t = HostTensor::ints(shape);
    std::copy(data->begin(), data->end(), t.i.begin());
    return t;
  }
  return emitError(loc, "unsupported constant of type ") << type;
}

bool mlir::wse::tensorMatchesType(const HostTensor &t, Type type) {
  auto r = dyn_cast<RankedTensorType>(type);
  if (!r || t.shape != shapeOf(r))
    return false;
  return t.isInt == isa<IntegerType>(r.getElementType());
}

FailureOr<std::vector<HostTensor>>
mlir::wse::interpret(func::FuncOp fn, ArrayRef<HostTensor> args) {
  Block &body = fn.getBody().front();
  if (args.size() != body.getNumArguments())
    return fn.emitError() << "got " << args.size() << " arguments, @"
                          << fn.getSymName() << " takes "
                          << body.getNumArguments();
  Interp in;
  for (auto [arg, value] : llvm::zip(body.getArguments(), args)) {
    if (!tensorMatchesType(value, arg.getType()))
      return fn.emitError() << "argument " << arg.getArgNumber() << " should be "
                            << arg.getType() << ", got " << value.shapeString();
    in.env[arg] = value;
  }
  for (Operation &op : body.without_terminator())
    if (failed(in.run(&op)))
      return failure();
  std::vector<HostTensor> results;
  for (Value v : body.getTerminator()->getOperands())
    results.push_back(in.env.find(v)->second);
  return results;
}
