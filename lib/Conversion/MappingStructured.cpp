//===- MappingStructured.cpp - contractions, reductions, rows, updates ----===//
//
// matmul in every transpose and batch form is one `map` kernel: the box is
// (batch..., M, N, K), the product accumulates into the result (which
// maps K to nothing), and a split K leaves partial sums that a transfer
// adds. Reductions are the same with `copy` (sum) or a max accumulation.
// Row gathers and scatter-adds of embedding tables have their own
// instructions; optimizer updates run over their parameter's tiles.
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

SmallVector<int64_t> identity(int64_t rank) {
  SmallVector<int64_t> m;
  for (int64_t d = 0; d < rank; ++d)
    m.push_back(d);
  return m;
}

OpMapping matmul(MatmulOp m) {
  if (m.getBias() || m.getAlpha().convertToFloat() != 1.0f ||
      m.getBeta().convertToFloat() != 1.0f)
    return failedMapping(m.emitError("the mesh maps pure contractions; run "
                       "wse-decompose-for-mesh first to split off alpha, "
                       "beta and the bias"));
  auto a = typeOf(m.getA()), b = typeOf(m.getB()), r = typeOf(m.getResult());
  if (a.getRank() < 2 || b.getRank() < 2)
    return failedMapping(m.emitError("the mesh maps matmuls of rank >= 2 operands"));
  int64_t rank = r.getRank(), batch = rank - 2;
  OpMapping out;
  Kernel &k = out.kernel;
  k.kernel = "map";
  k.fn = "mul";
  k.acc = 1;
  k.iter.assign(r.getShape().begin(), r.getShape().end());
  int64_t kDim = m.getTransposeA() ? a.getDimSize(a.getRank() - 2)
                                   : a.getDimSize(a.getRank() - 1);
  k.iter.push_back(kDim);
  k.reduction.assign(rank, false);
  k.reduction.push_back(true);
  int64_t M = batch, N = batch + 1, K = rank;
  k.outs.push_back(m.getResult());
  k.maps.push_back(identity(rank));
  auto operandMap = [&](RankedTensorType t, bool transposed, int64_t rowDim,
                        int64_t colDim) {
    SmallVector<int64_t> map;
    int64_t ob = t.getRank() - 2, lead = batch - ob;
    for (int64_t d = 0; d < ob; ++d)
      map.push_back(t.getDimSize(d) == 1 && r.getDimSize(lead + d) != 1
                        ? -1
                        : lead + d);
    map.push_back(transposed ? colDim : rowDim);
    map.push_back(transposed ? rowDim : colDim);
    return map;
  };
  k.ins = {m.getA(), m.getB()};
  k.maps.push_back(operandMap(a, m.getTransposeA(), M, K));
  k.maps.push_back(operandMap(b, m.getTransposeB(), K, N));
  return out;
}

template <typename Op>
OpMapping reduction(Op r, StringRef fn, int64_t acc) {
  auto in = typeOf(r.getInput());
  if (!in.getElementType().isF32())
    return failedMapping(r.emitError("the mesh reduces f32 tensors only"));
  OpMapping out;
  Kernel &k = out.kernel;
  k.kernel = "map";
  k.fn = fn.str();
  k.acc = acc;
  k.combine = acc;
  k.iter.assign(in.getShape().begin(), in.getShape().end());
  k.reduction.assign(k.iter.size(), false);
  for (int64_t a : r.getAxes())
    k.reduction[a] = true;
  SmallVector<int64_t> outMap;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (!k.reduction[d])
      outMap.push_back(d);
    else if (r.getKeepDims())
      outMap.push_back(-1);
  }
  k.outs.push_back(r.getResult());
  k.maps.push_back(outMap);
  k.ins.push_back(r.getInput());
  k.maps.push_back(identity(in.getRank()));
  return out;
}

/// Box (n, d, v) of a row gather or scatter over a [V, D] table.
OpMapping rows(Operation *op, StringRef kernel, Value out,
                          Value table, Value idx, Value rowsVal) {
  auto t = typeOf(table), i = typeOf(idx), rv = typeOf(rowsVal);
  if (t.getRank() != 2 || i.getRank() != 1 || rv.getRank() != 2)
    return failedMapping(op->emitError("the mesh moves rows of a [V, D] table at 1-D "
                         "indices; run wse-decompose-for-mesh first"));
  OpMapping m;
  Kernel &k = m.kernel;
  k.kernel = kernel.str();
  k.iter = {i.getDimSize(0), t.getDimSize(1), t.getDimSize(0)};
  bool gather = kernel == "gather";
  // A gather's split table rows leave partial rows (zeros elsewhere); a
  // scatter's split indices leave partial tables.
  k.reduction = {!gather, false, gather};
  k.outs.push_back(out);
  k.maps.push_back(gather ? SmallVector<int64_t>{0, 1}
                          : SmallVector<int64_t>{2, 1});
  k.ins = {gather ? table : rowsVal, idx};
  k.maps.push_back(gather ? SmallVector<int64_t>{2, 1}
                          : SmallVector<int64_t>{0, 1});
  k.maps.push_back({0});
  return m;
}

/// An optimizer update over its parameter's box; scalars (step, lr) map to
/// no box dim.
OpMapping update(Operation *op, StringRef kernel, ArrayRef<Value> outs,
                 ArrayRef<Value> ins, ArrayRef<int64_t> ints,
                 ArrayRef<float> floats) {
  OpMapping m;
  Kernel &k = m.kernel;
  k.kernel = kernel.str();
  auto p = typeOf(outs[0]);
  k.iter.assign(p.getShape().begin(), p.getShape().end());
  k.reduction.assign(k.iter.size(), false);
  for (Value v : outs) {
    k.outs.push_back(v);
    k.maps.push_back(identity(p.getRank()));
  }
  for (Value v : ins) {
    k.ins.push_back(v);
    k.maps.push_back(typeOf(v).getRank() == 0 ? SmallVector<int64_t>{}
                                              : identity(p.getRank()));
  }
  k.ints.assign(ints.begin(), ints.end());
  k.floats.assign(floats.begin(), floats.end());
  return m;
}

} // namespace

std::optional<OpMapping> mesh::mapStructured(Operation *op) {
  using R = std::optional<OpMapping>;
  return llvm::TypeSwitch<Operation *, R>(op)
      .Case<MatmulOp>([](MatmulOp m) -> R { return matmul(m); })
      .Case<ReduceSumOp>([](ReduceSumOp r) -> R {
        return reduction(r, "copy", 1);
      })
      .Case<ReduceMaxOp>([](ReduceMaxOp r) -> R {
        return reduction(r, "copy", 2);
      })
      .Case<GatherOp>([](GatherOp g) -> R {
        if (g.getAxis() != 0)
          return failedMapping(
              g.emitError("the mesh gathers rows (axis 0) only"));
        return rows(g, "gather", g.getResult(), g.getData(), g.getIndices(),
                    g.getResult());
      })
      .Case<ScatterAddOp>([](ScatterAddOp s) -> R {
        auto c = s.getDest().getDefiningOp<ConstantOp>();
        auto v = c ? dyn_cast<DenseElementsAttr>(c.getValue()) : nullptr;
        if (s.getAxis() != 0 || !v || !v.isSplat() ||
            v.getSplatValue<float>() != 0.0f)
          return failedMapping(s.emitError(
              "the mesh scatter-adds rows (axis 0) into zeros; run "
              "wse-decompose-for-mesh first"));
        return rows(s, "scatter_add", s.getResult(), s.getResult(),
                    s.getIndices(), s.getUpdates());
      })
      .Case<SgdUpdateOp>([](SgdUpdateOp s) -> R {
        SmallVector<Value> ins{s.getParam(), s.getGrad()};
        if (s.getLrValue())
          ins.push_back(s.getLrValue());
        return OpMapping(update(s, "sgd", {s.getResult()}, ins, {},
                                           {s.getLr().convertToFloat()}));
      })
      .Case<SgdMomentumUpdateOp>([](SgdMomentumUpdateOp s) -> R {
        SmallVector<Value> ins{s.getParam(), s.getGrad(), s.getBuf()};
        if (s.getLrValue())
          ins.push_back(s.getLrValue());
        return OpMapping(update(
            s, "sgd_momentum", {s.getNewParam(), s.getNewBuf()}, ins,
            {s.getNesterov() ? 1 : 0},
            {s.getLr().convertToFloat(), s.getMomentum().convertToFloat(),
             s.getDampening().convertToFloat(),
             s.getWeightDecay().convertToFloat()}));
      })
      .Case<AccumulateOp>([](AccumulateOp a) -> R {
        int64_t n = int64_t(a.getMicroBatches()), mean = a.getMean() ? 1 : 0;
        return OpMapping(update(a, "accumulate", {a.getResult()},
                                {a.getInput()}, {n, mean}, {}));
      })
      .Case<AdamWUpdateOp>([](AdamWUpdateOp a) -> R {
        SmallVector<Value> ins{a.getParam(), a.getGrad(), a.getM(), a.getV(),
                               a.getStep()};
        if (a.getLrValue())
          ins.push_back(a.getLrValue());
        return OpMapping(update(
            a, "adamw", {a.getNewParam(), a.getNewM(), a.getNewV()}, ins, {},
            {a.getLr().convertToFloat(), a.getBeta1().convertToFloat(),
             a.getBeta2().convertToFloat(), a.getEps().convertToFloat(),
             a.getWeightDecay().convertToFloat()}));
      })
      .Default([](Operation *) -> R { return std::nullopt; });
}
