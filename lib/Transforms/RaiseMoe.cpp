//===- RaiseMoe.cpp - one-hot capacity routing -> wse.moe_route + gathers -===//
//
// An exported mixture of experts routes tokens with dense one-hot tensors:
// top-k choices become a dispatch tensor D [N, E*C] (token n holds slot p)
// and a combine tensor G (the gate weight of each choice at its slot), and
// two matmuls move the tokens into the experts' slots and back. This pass
// finds those matmuls from each wse.top_k (a "gate") and replaces them with
// wse.moe_route plus row gathers, so routing costs O(N k d) instead of
// O(N E C d) and the mesh moves each token only to its chosen slots.
//
// How the one-hot tensors are written differs between code bases, so the
// pass does not match their ops. It takes the matmul operand computed from
// the top-k results alone (and constants), evaluates it with the reference
// interpreter on test routings (random, overflowing, round-robin), and
// raises only if it equals capacity routing under one of its priority
// orders and slot layouts on every test. The combine weights must reach the
// one-hot tensor through a single multiplication, whose other operand (N k
// values) becomes the gathers' weights.
//
//===----------------------------------------------------------------------===//
#include "wse/Interpreter/Interpreter.h"
#include "wse/Support/Math.h"
#include "wse/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

namespace mlir::wse {
#define GEN_PASS_DEF_RAISEMOE
#include "wse/Transforms/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;
using wsert::HostTensor;

namespace {

/// What a value is computed from.
enum class Source { Constant, Gate, Other };

class Classifier {
public:
  /// Classifies every value of the gate's block in one forward sweep (the
  /// block is in SSA order, so operands come first).
  explicit Classifier(TopKOp gate) : gate(gate) {
    for (Operation &op : *gate->getBlock()) {
      Source s = Source::Constant;
      bool w = false;
      if (&op == gate.getOperation()) {
        memo[gate.getValues()] = memo[gate.getIndices()] = Source::Gate;
        weightMemo[gate.getValues()] = true;
        continue;
      }
      bool pure = isa_and_nonnull<WseDialect>(op.getDialect()) && isPure(&op) &&
                  op.getNumRegions() == 0;
      for (Value in : op.getOperands()) {
        Source o = of(in);
        if (o == Source::Other || !pure)
          s = Source::Other;
        else if (o == Source::Gate && s == Source::Constant)
          s = Source::Gate;
        w = w || weighted(in);
      }
      if (!pure)
        s = Source::Other;
      for (Value r : op.getResults()) {
        memo[r] = s;
        weightMemo[r] = w;
      }
    }
  }

  /// Constant: from constants only; Gate: from this gate's results and
  /// constants; Other: from anything else (arguments included).
  Source of(Value v) const {
    auto it = memo.find(v);
    return it == memo.end() ? Source::Other : it->second;
  }
  /// Whether `v` depends on the gate's values (the weights).
  bool weighted(Value v) const {
    auto it = weightMemo.find(v);
    return it != weightMemo.end() && it->second;
  }

  TopKOp gate;

private:
  DenseMap<Value, Source> memo;
  DenseMap<Value, bool> weightMemo;
};

/// The ops computing `roots` from the gate's results, in program order.
SmallVector<Operation *> sliceOf(ArrayRef<Value> roots, TopKOp gate) {
  llvm::SetVector<Operation *> ops;
  SmallVector<Value> work(roots.begin(), roots.end());
  while (!work.empty()) {
    Value v = work.pop_back_val();
    Operation *op = v.getDefiningOp();
    if (!op || op == gate.getOperation() || ops.contains(op))
      continue;
    ops.insert(op);
    for (Value in : op->getOperands())
      work.push_back(in);
  }
  SmallVector<Operation *> sorted(ops.begin(), ops.end());
  llvm::sort(sorted, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });
  return sorted;
}

/// A matmul with one operand made from the gate's results alone.
struct Candidate {
  MatmulOp mm;
  Value routing;         // the operand from the gate (rank 2)
  bool routingTransposed; // routing' = routing^T
  Value rows;            // the other operand
  bool rowsTransposed;
  Value weights;         // N k gate weights, or null for a dispatch
};

struct Layout {
  bool choiceMajor, expertMajor, weightsChoiceMajor;
};

/// Capacity routing, as wse.moe_route defines it.
struct Routing {
  std::vector<int64_t> slot, src;
};

Routing route(const std::vector<int64_t> &choices, int64_t n, int64_t k,
              int64_t e, int64_t cap, bool choiceMajor, bool expertMajor) {
  Routing r{std::vector<int64_t>(n * k), std::vector<int64_t>(e * cap)};
  wsert::math::moeRoute(choices.data(), n, k, e, cap, choiceMajor, expertMajor,
                        r.slot.data(), r.src.data());
  return r;
}

/// Test routings: k distinct experts per token, best first.
std::vector<std::vector<int64_t>> testChoices(int64_t n, int64_t k, int64_t e) {
  std::vector<std::vector<int64_t>> tests;
  auto make = [&](auto pick) {
    std::vector<int64_t> c(n * k);
    for (int64_t t = 0; t < n; ++t)
      for (int64_t j = 0; j < k; ++j)
        c[t * k + j] = pick(t, j);
    tests.push_back(std::move(c));
  };
  make([&](int64_t, int64_t j) { return j; });                // all overflow
  make([&](int64_t t, int64_t j) { return (t + j) % e; });    // round robin
  make([&](int64_t t, int64_t j) { return (e - 1 - (t % e) + e - j) % e; });
  make([&](int64_t t, int64_t j) { return t < n / 2 ? j : (t + j) % e; });
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  for (int round = 0; round < 4; ++round) {
    std::vector<int64_t> c(n * k);
    for (int64_t t = 0; t < n; ++t) {
      std::vector<int64_t> perm(e);
      for (int64_t i = 0; i < e; ++i)
        perm[i] = i;
      for (int64_t i = e - 1; i > 0; --i) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        std::swap(perm[i], perm[(seed >> 33) % uint64_t(i + 1)]);
      }
      // Skewed toward expert 0 in half the rounds, to overflow it.
      if (round % 2 && (seed >> 20) % 3 == 0)
        std::swap(perm[0], *std::find(perm.begin(), perm.end(), 0));
      for (int64_t j = 0; j < k; ++j)
        c[t * k + j] = perm[j];
    }
    tests.push_back(std::move(c));
  }
  // Every pick above gives k distinct experts per token (top_k has k <= e).
  return tests;
}

/// Evaluates `roots` (computed from the gate's results) for given values
/// and choices, by the reference interpreter on a scratch function.
class SliceEvaluator {
public:
  SliceEvaluator(TopKOp gate, ArrayRef<Value> roots)
      : gate(gate), scratch(ModuleOp::create(gate.getLoc())) {
    OpBuilder b(gate.getContext());
    b.setInsertionPointToEnd(scratch->getBody());
    SmallVector<Type> outs;
    for (Value r : roots)
      outs.push_back(r.getType());
    auto fnType = b.getFunctionType(
        {gate.getValues().getType(), gate.getIndices().getType()}, outs);
    fn = func::FuncOp::create(b, gate.getLoc(), "slice", fnType);
    Block *body = fn.addEntryBlock();
    b.setInsertionPointToEnd(body);
    IRMapping map;
    map.map(gate.getValues(), body->getArgument(0));
    map.map(gate.getIndices(), body->getArgument(1));
    for (Operation *op : sliceOf(roots, gate))
      b.clone(*op, map);
    SmallVector<Value> results;
    for (Value r : roots)
      results.push_back(map.lookup(r));
    func::ReturnOp::create(b, gate.getLoc(), results);
  }

  FailureOr<std::vector<HostTensor>> run(const std::vector<int64_t> &choices,
                                         const std::vector<float> &values) {
    auto vt = cast<RankedTensorType>(gate.getValues().getType());
    std::vector<int64_t> shape(vt.getShape().begin(), vt.getShape().end());
    HostTensor v = HostTensor::floats(shape), c = HostTensor::ints(shape);
    v.f.assign(values.begin(), values.end());
    c.i.assign(choices.begin(), choices.end());
    return interpret(fn, {v, c});
  }

private:
  TopKOp gate;
  OwningOpRef<ModuleOp> scratch;
  func::FuncOp fn;
};

/// routing' [rows, cols] as a dense matrix (row-major), transposing if asked.
std::vector<float> matrixOf(const HostTensor &t, bool transposed) {
  int64_t r = t.shape[0], c = t.shape[1];
  if (!transposed)
    return t.f;
  std::vector<float> out(r * c);
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j)
      out[j * r + i] = t.f[i * c + j];
  return out;
}

/// The layouts of capacity routing this candidate's routing operand equals
/// on every test (the first if several do), or a reason.
FailureOr<Layout> identify(const Candidate &c, TopKOp gate, int64_t cap,
                           std::string &why) {
  auto it = cast<RankedTensorType>(gate.getIndices().getType());
  int64_t n = it.getDimSize(0), k = it.getDimSize(1);
  int64_t e = cast<RankedTensorType>(gate.getInput().getType()).getDimSize(1);
  int64_t p = e * cap;
  SmallVector<Value> roots{c.routing};
  if (c.weights)
    roots.push_back(c.weights);
  SliceEvaluator eval(gate, roots);
  SmallVector<Layout> alive;
  for (bool cm : {true, false})
    for (bool em : {true, false})
      for (bool wc : {true, false})
        if (c.weights || wc)
          alive.push_back({cm, em, wc});
  auto tests = testChoices(n, k, e);
  for (auto [ti, test] : llvm::enumerate(tests)) {
    const std::vector<int64_t> &choices = test;
    // Gate values: distinct, positive, best first in each row.
    std::vector<float> values(n * k);
    for (int64_t t = 0; t < n; ++t)
      for (int64_t j = 0; j < k; ++j)
        values[t * k + j] = 0.9f - 0.1f * float(j) - 0.001f * float(t % 7) -
                            0.0001f * float(ti);
    FailureOr<std::vector<HostTensor>> got = eval.run(choices, values);
    if (failed(got)) {
      why = "evaluating its one-hot tensors failed";
      return failure();
    }
    std::vector<float> m = matrixOf((*got)[0], c.routingTransposed);
    std::vector<float> w = c.weights ? (*got)[1].f : std::vector<float>();
    llvm::erase_if(alive, [&](const Layout &l) {
      Routing r = route(choices, n, k, e, cap, l.choiceMajor, l.expertMajor);
      if (!c.weights) { // m is [P, N]: slot p holds token src[p]
        for (int64_t q = 0; q < p; ++q)
          for (int64_t t = 0; t < n; ++t)
            if (m[q * n + t] != (r.src[q] == t ? 1.0f : 0.0f))
              return true;
        return false;
      }
      std::vector<float> want(n * p, 0.0f); // [N, P]
      for (int64_t t = 0; t < n; ++t)
        for (int64_t j = 0; j < k; ++j)
          if (r.slot[t * k + j] < p)
            want[t * p + r.slot[t * k + j]] =
                w[l.weightsChoiceMajor ? j * n + t : t * k + j];
      for (int64_t i = 0; i < n * p; ++i)
        if (std::fabs(m[i] - want[i]) > 1e-6f * std::fabs(want[i]))
          return true;
      return false;
    });
    if (alive.empty()) {
      why = "its one-hot tensor differs from capacity routing (test routing " +
            std::to_string(ti) + ")";
      return failure();
    }
  }
  return alive.front();
}

/// The operand roles of `mm` for this gate, or a reason it is not routing.
std::optional<Candidate> candidateOf(MatmulOp mm, const Classifier &cls,
                                     int64_t n, int64_t k, std::string &why) {
  Source a = cls.of(mm.getA()), b = cls.of(mm.getB());
  if ((a == Source::Gate) == (b == Source::Gate))
    return std::nullopt;
  if (a != Source::Gate) {
    why = "the one-hot operand is on the right of its matmul";
    return std::nullopt;
  }
  auto at = cast<RankedTensorType>(mm.getA().getType());
  auto bt = cast<RankedTensorType>(mm.getB().getType());
  if (at.getRank() != 2 || bt.getRank() != 2 || mm.getBias() ||
      mm.getAlpha().convertToFloat() != 1.0f) {
    why = "its matmul is batched, scaled or biased";
    return std::nullopt;
  }
  Candidate c{mm, mm.getA(), mm.getTransposeA(), mm.getB(), mm.getTransposeB(),
              Value()};
  if (!cls.weighted(c.routing))
    return c;
  // The weights must meet the one-hot tensor in exactly one multiplication.
  SmallVector<Operation *> meets;
  for (Operation *op : sliceOf({c.routing}, cls.gate)) {
    bool anyW = false, anyPlain = false;
    for (Value in : op->getOperands()) {
      if (cls.of(in) == Source::Constant)
        continue;
      (cls.weighted(in) ? anyW : anyPlain) = true;
    }
    if (anyW && anyPlain)
      meets.push_back(op);
  }
  if (meets.size() != 1 || !isa<MulOp>(meets[0])) {
    why = "the gate weights do not reach the one-hot tensor through one "
          "multiplication";
    return std::nullopt;
  }
  for (Value in : meets[0]->getOperands())
    if (cls.weighted(in))
      c.weights = in;
  if (cast<RankedTensorType>(c.weights.getType()).getNumElements() != n * k) {
    why = "the gate weights are not one value per choice";
    return std::nullopt;
  }
  return c;
}

Value transpose2(OpBuilder &b, Location loc, Value v) {
  return TransposeOp::create(b, loc, v, b.getDenseI64ArrayAttr({1, 0}));
}

Value reshape(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto t = cast<RankedTensorType>(v.getType());
  return t.getShape() == shape ? v
                               : Value(ReshapeOp::create(b, loc, t.clone(shape), v));
}

/// Replaces the candidate's matmul: rows gathered at the routed indices
/// (weighted and summed per token for a combine).
void raise(Candidate c, MoeRouteOp r, const Layout &l, int64_t n,
           int64_t k) {
  OpBuilder b(c.mm);
  Location loc = c.mm.getLoc();
  Value rows = c.rowsTransposed ? transpose2(b, loc, c.rows) : c.rows;
  auto rt = cast<RankedTensorType>(rows.getType());
  int64_t cols = rt.getDimSize(1);
  auto padType = RankedTensorType::get({1, cols}, rt.getElementType());
  Value pad = ConstantOp::create(b, loc, DenseElementsAttr::get(padType, 0.0f));
  Value table = ConcatOp::create(b, loc, ValueRange{rows, pad},
                                 b.getI64IntegerAttr(0));
  Value out;
  if (!c.weights) {
    out = GatherOp::create(b, loc, table, r.getSrc(), b.getI64IntegerAttr(0));
  } else {
    Value idx = reshape(b, loc, r.getSlot(), {n * k});
    Value picked = GatherOp::create(b, loc, table, idx, b.getI64IntegerAttr(0));
    Value w = l.weightsChoiceMajor
                  ? transpose2(b, loc, reshape(b, loc, c.weights, {k, n}))
                  : reshape(b, loc, c.weights, {n, k});
    Value prod = MulOp::create(b, loc, reshape(b, loc, picked, {n, k, cols}),
                               reshape(b, loc, w, {n, k, 1}));
    out = ReduceSumOp::create(b, loc, prod, b.getDenseI64ArrayAttr({1}),
                              b.getBoolAttr(false));
  }
  c.mm.getResult().replaceAllUsesWith(out);
  c.mm.erase();
}

/// The name of the gate's weight parameter (`h.0.moe.gate` for
/// `h.0.moe.gate.weight`), searched a few ops up from the top-k's input.
std::string gateName(TopKOp gate, unsigned index) {
  SmallVector<Value> frontier{gate.getInput()};
  for (int depth = 0; depth < 4 && !frontier.empty(); ++depth) {
    SmallVector<Value> next;
    for (Value v : frontier) {
      if (auto arg = dyn_cast<BlockArgument>(v)) {
        auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
        if (auto name = fn ? fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                             kParamAttr)
                           : StringAttr()) {
          StringRef n = name.getValue();
          n.consume_back(".weight");
          return n.str();
        }
      } else if (Operation *op = v.getDefiningOp()) {
        next.append(op->operand_begin(), op->operand_end());
      }
    }
    frontier = std::move(next);
  }
  return "gate" + std::to_string(index);
}

/// Adds the gate's expert load (choices per expert, before capacity) and
/// its dropped choices to the function's results as metrics.
void addLoadMetrics(TopKOp gate, MoeRouteOp r, const std::string &name) {
  auto fn = gate->getParentOfType<func::FuncOp>();
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  OpBuilder b(r->getBlock(), ++Block::iterator(r));
  Location loc = gate.getLoc();
  auto it = cast<RankedTensorType>(gate.getIndices().getType());
  int64_t n = it.getDimSize(0), k = it.getDimSize(1), e = r.getExperts();
  SmallVector<int64_t> iota(e);
  for (int64_t i = 0; i < e; ++i)
    iota[i] = i;
  auto iotaType = RankedTensorType::get({1, 1, e}, b.getI64Type());
  Value experts = ConstantOp::create(
      b, loc, DenseElementsAttr::get(iotaType, ArrayRef<int64_t>(iota)));
  auto count = [&](Value mask, ArrayRef<int64_t> shape) {
    auto f = RankedTensorType::get(shape, b.getF32Type());
    SmallVector<int64_t> axes{0, 1};
    return Value(ReduceSumOp::create(b, loc, CastOp::create(b, loc, f, mask),
                                     b.getDenseI64ArrayAttr(axes),
                                     b.getBoolAttr(false)));
  };
  Value load = count(EqualOp::create(b, loc, reshape(b, loc, gate.getIndices(),
                                                     {n, k, 1}),
                                     experts),
                     {n, k, e});
  auto scalar = RankedTensorType::get({}, b.getI64Type());
  Value none = ConstantOp::create(
      b, loc, DenseElementsAttr::get(scalar, r.getExperts() * r.getCapacity()));
  Value dropped = count(EqualOp::create(b, loc, r.getSlot(), none), {n, k});
  SmallVector<Value> results(ret.getOperands());
  SmallVector<Attribute> attrs;
  for (unsigned i = 0; i < fn.getNumResults(); ++i)
    attrs.push_back(fn.getResultAttrDict(i) ? Attribute(fn.getResultAttrDict(i))
                                            : b.getDictionaryAttr({}));
  for (auto [v, suffix] : {std::pair{load, ".load"}, {dropped, ".dropped"}}) {
    results.push_back(v);
    attrs.push_back(b.getDictionaryAttr(
        b.getNamedAttr(kMetricAttr, b.getStringAttr(name + suffix))));
  }
  ret->setOperands(results);
  fn.setType(FunctionType::get(fn.getContext(), fn.getArgumentTypes(),
                               ValueRange(results).getTypes()));
  fn.setAllResultAttrs(attrs);
}

struct RaiseMoePass : public mlir::wse::impl::RaiseMoeBase<RaiseMoePass> {
  using RaiseMoeBase::RaiseMoeBase;

  void runOnOperation() override {
    SmallVector<TopKOp> gates;
    getOperation().walk([&](TopKOp op) { gates.push_back(op); });
    for (TopKOp gate : gates)
      raiseGate(gate, gates.size() > 1 ? &gate - gates.begin() : 0);
    // The one-hot chains are dead now.
    eraseDeadWseOps(getOperation());
  }

  void raiseGate(TopKOp gate, unsigned index) {
    SmallVector<MatmulOp> matmuls;
    for (Operation &op : *gate->getBlock())
      if (auto mm = dyn_cast<MatmulOp>(op))
        matmuls.push_back(mm);
    auto it = cast<RankedTensorType>(gate.getIndices().getType());
    auto in = cast<RankedTensorType>(gate.getInput().getType());
    Classifier cls(gate);
    std::string why;
    SmallVector<Candidate> found;
    int64_t n = it.getRank() == 2 ? it.getDimSize(0) : 0;
    int64_t k = it.getRank() == 2 ? it.getDimSize(1) : 0;
    for (MatmulOp mm : matmuls) {
      std::string reason;
      if (std::optional<Candidate> c = candidateOf(mm, cls, n, k, reason))
        found.push_back(*c);
      else if (!reason.empty() && why.empty())
        why = reason;
    }
    if (found.empty() && why.empty())
      return; // a top-k that routes nothing (sampling, say)
    if (why.empty() && (it.getRank() != 2 || gate.getAxis() != 1 ||
                        !gate.getLargest()))
      why = "the gate is not a largest top-k over the experts of [N, E]";
    int64_t e = in.getRank() == 2 ? in.getDimSize(1) : 0;
    // Capacity: the slot count of the matmuls, E C.
    int64_t slots = 0;
    for (const Candidate &c : found) {
      auto mt = cast<RankedTensorType>(c.routing.getType());
      int64_t s = c.weights ? mt.getDimSize(c.routingTransposed ? 0 : 1)
                            : mt.getDimSize(c.routingTransposed ? 1 : 0);
      int64_t other = c.weights ? mt.getDimSize(c.routingTransposed ? 1 : 0)
                                : mt.getDimSize(c.routingTransposed ? 0 : 1);
      if (other != n || (slots && s != slots) || !e || s % e)
        why = "its one-hot tensors are not [tokens, experts x capacity]";
      slots = s;
    }
    SmallVector<Layout> layouts;
    if (why.empty())
      for (const Candidate &c : found) {
        FailureOr<Layout> l = identify(c, gate, slots / e, why);
        if (failed(l))
          break;
        layouts.push_back(*l);
      }
    // One routing for the gate: dispatch and combine must agree.
    for (const Layout &l : layouts)
      if (why.empty() && (l.choiceMajor != layouts[0].choiceMajor ||
                          l.expertMajor != layouts[0].expertMajor))
        why = "its dispatch and combine route differently";
    if (!why.empty()) {
      gate.emitRemark() << "wse-raise-moe: gate not raised: " << why;
      return;
    }
    OpBuilder b(gate->getBlock(), ++Block::iterator(gate));
    auto r = MoeRouteOp::create(b, gate.getLoc(), gate.getIndices(),
                                b.getI64IntegerAttr(e),
                                b.getI64IntegerAttr(slots / e),
                                b.getBoolAttr(layouts[0].choiceMajor),
                                b.getBoolAttr(layouts[0].expertMajor));
    for (auto [c, l] : llvm::zip(found, layouts))
      raise(c, r, l, n, k);
    if (loadMetrics)
      addLoadMetrics(gate, r, gateName(gate, index));
    gate.emitRemark() << "wse-raise-moe: raised " << e << " experts, top-"
                      << k << ", capacity " << slots / e << " ("
                      << (layouts[0].choiceMajor ? "choice" : "token")
                      << "-major priority), " << found.size()
                      << " routing matmul" << (found.size() == 1 ? "" : "s");
  }
};

} // namespace
