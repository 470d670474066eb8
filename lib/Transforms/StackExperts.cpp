//===- StackExperts.cpp - E copies of an expert -> one stacked computation ===//
//
// torch code that writes a mixture's experts as a ModuleList of nn.Linear
// exports E copies of one computation: expert e reads block e of the
// dispatched slots and its own parameters, and the E results are
// concatenated. This pass finds such a concat, checks that the E
// computations are the same ops on the same shapes, differing only in which
// slot block and which parameters they read, and replaces them with that
// computation over a leading expert dim. The parameters of the E experts
// become one stacked parameter [E, ...] whose parts keep their names
// (wse.param_parts: the engines write them back under those names), so the
// mesh lays the experts out as it lays out a batched expert weight, each on
// its own rows, and runs each expert's update there.
//
//===----------------------------------------------------------------------===//
#include "wse/Interpreter/Interpreter.h"
#include "wse/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::wse {
#define GEN_PASS_DEF_STACKEXPERTS
#include "wse/Transforms/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {

RankedTensorType withExperts(Type t, int64_t experts) {
  auto rt = cast<RankedTensorType>(t);
  SmallVector<int64_t> shape{experts};
  llvm::append_range(shape, rt.getShape());
  return rt.clone(shape);
}

/// Ops that apply to each element (with NumPy broadcasting): a leading dim
/// passes through them unchanged.
bool isPointwise(Operation *op) {
  return isa<NegOp, AbsOp, SignOp, ExpOp, LogOp, SqrtOp, RsqrtOp,
             ReciprocalOp, TanhOp, ErfOp, SigmoidOp, SoftplusOp, SiluOp, SinOp,
             CosOp, FloorOp, CeilOp, NotOp, GeluOp, LeakyReluOp, EluOp,
             ClampOp, ReluOp, SelectOp, CastOp, AddOp, SubOp, MulOp, DivOp,
             PowOp, MaxOp, MinOp, EqualOp, LessOp, LessEqualOp, GreaterOp,
             GreaterEqualOp, AndOp, OrOp, XorOp>(op);
}

/// One concat of E expert results and what the match found.
struct Stack {
  ConcatOp concat;
  int64_t experts = 0;
  Value slots;       // the value whose dim-0 blocks the experts read
  int64_t width = 0; // rows of `slots` per expert
  // Expert 0's computation is the template: each of its values, the value
  // expert e has in its place.
  DenseMap<Value, SmallVector<Value>> inExpert;
  SmallVector<Value> order;         // template values, operands first
  DenseSet<Value> perExpert;        // template values that differ by expert
  SmallVector<SmallVector<BlockArgument>> params; // [group][expert]
  SmallVector<DenseSet<Operation *>> ops;         // each expert's ops
};

class Matcher {
public:
  Matcher(Stack &s) : s(s) {}

  /// Matches expert e's value v to the template's t.
  LogicalResult match(Value t, Value v, int64_t e) {
    SmallVector<Value> &seen = s.inExpert[t];
    if (seen.empty())
      seen.assign(size_t(s.experts), Value());
    seen[0] = t;
    if (seen[e])
      return seen[e] == v ? success()
                          : fail("expert " + std::to_string(e) +
                                 " uses two values where expert 0 uses one");
    seen[e] = v;
    if (t == v)
      return success(); // read by both: the same for every expert
    if (isSlotBlock(t, 0) && isSlotBlock(v, e)) {
      addToOrder(t);
      s.perExpert.insert(t);
      return success();
    }
    auto ta = dyn_cast<BlockArgument>(t), va = dyn_cast<BlockArgument>(v);
    if (ta || va) {
      auto fn = cast<func::FuncOp>((ta ? ta : va).getOwner()->getParentOp());
      if (!ta || !va || !fn.getArgAttr(ta.getArgNumber(), kParamAttr) ||
          !fn.getArgAttr(va.getArgNumber(), kParamAttr) ||
          ta.getType() != va.getType())
        return fail("expert " + std::to_string(e) +
                    " reads an argument that is not a parameter of expert 0's "
                    "shape in its place");
      addToOrder(t);
      s.perExpert.insert(t);
      return success();
    }
    Operation *to = t.getDefiningOp(), *vo = v.getDefiningOp();
    if (to->getName() != vo->getName() ||
        to->getAttrDictionary() != vo->getAttrDictionary() ||
        to->getResultTypes() != vo->getResultTypes() ||
        to->getNumOperands() != vo->getNumOperands() ||
        cast<OpResult>(t).getResultNumber() !=
            cast<OpResult>(v).getResultNumber() ||
        to->getNumRegions() || !isMemoryEffectFree(to))
      return fail(
          "expert " + std::to_string(e) + " computes '" +
          vo->getName().getStringRef().str() + "' where expert 0 has '" +
          to->getName().getStringRef().str() + "'" +
          (to->getName() == vo->getName() ? " on other shapes or attributes"
                                          : ""));
    for (auto [a, b] : llvm::zip(to->getOperands(), vo->getOperands()))
      if (failed(match(a, b, e)))
        return failure();
    if (llvm::any_of(to->getOperands(),
                     [&](Value o) { return s.perExpert.count(o); })) {
      s.perExpert.insert(t);
      s.ops[e].insert(vo);
      s.ops[0].insert(to);
    }
    addToOrder(t);
    return success();
  }

  std::string why;

private:
  LogicalResult fail(std::string reason) {
    if (why.empty())
      why = std::move(reason);
    return failure();
  }

  void addToOrder(Value t) {
    if (ordered.insert(t).second)
      s.order.push_back(t);
  }

  /// Whether v is rows [e w, (e+1) w) of the slots, whole in other dims.
  bool isSlotBlock(Value v, int64_t e) {
    auto slice = v.getDefiningOp<SliceOp>();
    if (!slice || slice.getInput() != s.slots)
      return false;
    auto in = cast<RankedTensorType>(slice.getInput().getType());
    ArrayRef<int64_t> start = slice.getStart(), limit = slice.getLimit(),
                      stride = slice.getStride();
    for (int64_t d = 0; d < in.getRank(); ++d) {
      if (stride[d] != 1)
        return false;
      if (d == 0 ? start[d] != e * s.width || limit[d] != (e + 1) * s.width
                 : start[d] != 0 || limit[d] != in.getDimSize(d))
        return false;
    }
    return true;
  }

  Stack &s;
  DenseSet<Value> ordered;
};

/// The slot value expert e's result depends on through a slice of dim 0:
/// the first slice of block e of a value of E w rows found walking up from
/// the result.
Value findSlots(Value result, int64_t experts, int64_t e, int64_t &width) {
  SmallVector<Value> work{result};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    Operation *op = v.getDefiningOp();
    if (!op)
      continue;
    if (auto slice = dyn_cast<SliceOp>(op)) {
      auto in = cast<RankedTensorType>(slice.getInput().getType());
      int64_t w = slice.getLimit()[0] - slice.getStart()[0];
      if (in.getRank() && w > 0 && in.getDimSize(0) == experts * w &&
          slice.getStart()[0] == e * w) {
        width = w;
        return slice.getInput();
      }
    }
    llvm::append_range(work, op->getOperands());
  }
  return Value();
}

/// The parameters `result` is computed from, not through `slots`.
DenseSet<Value> paramsReached(Value result, Value slots) {
  DenseSet<Value> params, seen;
  SmallVector<Value> work{result};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (v == slots || !seen.insert(v).second)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
      if (fn && fn.getArgAttr(arg.getArgNumber(), kParamAttr))
        params.insert(v);
      continue;
    }
    llvm::append_range(work, v.getDefiningOp()->getOperands());
  }
  return params;
}

/// A name for the stacked parameter: the parts' names with the one
/// dot-separated field in which they differ replaced by `*`
/// (h.0.moe.expert.*.fc.weight), or the first name and `+` otherwise.
std::string stackName(ArrayRef<std::string> names) {
  SmallVector<SmallVector<StringRef>> fields(names.size());
  for (size_t i = 0; i < names.size(); ++i)
    StringRef(names[i]).split(fields[i], '.');
  int differing = -1;
  bool simple = true;
  for (size_t i = 1; i < names.size() && simple; ++i) {
    if (fields[i].size() != fields[0].size()) {
      simple = false;
      break;
    }
    for (size_t f = 0; f < fields[0].size(); ++f)
      if (fields[i][f] != fields[0][f]) {
        if (differing >= 0 && differing != int(f))
          simple = false;
        differing = int(f);
      }
  }
  if (!simple || differing < 0)
    return names[0] + "+";
  SmallVector<StringRef> out(fields[0]);
  out[size_t(differing)] = "*";
  return llvm::join(out, ".");
}

class Stacker {
public:
  Stacker(func::FuncOp fn) : fn(fn) {}

  /// Finds the experts behind `concat`; fails with `why` set when they are
  /// there but cannot be stacked, with it empty when the concat is not one.
  LogicalResult analyze(ConcatOp concat, Stack &s, std::string &why) {
    s.concat = concat;
    s.experts = int64_t(concat.getInputs().size());
    if (concat.getAxis() != 0 || s.experts < 2 ||
        llvm::any_of(concat.getInputs(), [&](Value v) {
          return v.getType() != concat.getInputs()[0].getType();
        }))
      return failure();
    s.slots = findSlots(concat.getInputs()[0], s.experts, 0, s.width);
    int64_t w1 = 0;
    if (!s.slots ||
        findSlots(concat.getInputs()[1], s.experts, 1, w1) != s.slots ||
        w1 != s.width)
      return failure();
    // Experts have parameters of their own; copies of one computation on
    // blocks of a batch (wse-chunk-attention's) are not experts.
    if (paramsReached(concat.getInputs()[0], s.slots) ==
        paramsReached(concat.getInputs()[1], s.slots))
      return failure();
    s.ops.resize(size_t(s.experts));
    Matcher m(s);
    Value root = concat.getInputs()[0];
    for (int64_t e = 1; e < s.experts; ++e)
      if (failed(m.match(root, concat.getInputs()[e], e))) {
        why = m.why;
        return failure();
      }
    if (!s.perExpert.count(root))
      return failure(); // the same value E times
    return check(s, why);
  }

  void rewrite(Stack &s);

private:
  LogicalResult check(Stack &s, std::string &why);
  FailureOr<Value> lift(OpBuilder &b, Operation *op, Stack &s,
                        std::string *why);
  Value reshape(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape);
  Value padded(OpBuilder &b, Location loc, Value batched, int64_t rank);
  Value expertSlice(OpBuilder &b, Location loc, Value batched, int64_t e);

  func::FuncOp fn;
  DenseMap<Value, Value> lifted; // template value -> its stacked value
  DenseSet<Operation *> mine;     // reshapes this pass made
};

LogicalResult Stacker::check(Stack &s, std::string &why) {
  // Parameters: one group per template parameter, each parameter in one.
  DenseSet<Value> grouped;
  for (Value t : s.order) {
    auto arg = dyn_cast<BlockArgument>(t);
    if (!arg || !s.perExpert.count(t))
      continue;
    SmallVector<BlockArgument> group;
    for (Value v : s.inExpert[t]) {
      auto a = cast<BlockArgument>(v);
      if (!grouped.insert(a).second) {
        why = "a parameter is read in two roles";
        return failure();
      }
      group.push_back(a);
    }
    for (BlockArgument a : group)
      for (NamedAttribute attr : fn.getArgAttrDict(a.getArgNumber()))
        if (attr.getName() != kParamAttr && attr.getName() != kInitAttr) {
          why = "parameter '" +
                fn.getArgAttrOfType<StringAttr>(a.getArgNumber(), kParamAttr)
                    .str() +
                "' carries " + attr.getName().str() +
                ", which a stacked parameter would drop";
          return failure();
        }
    s.params.push_back(std::move(group));
  }
  // A value expert 0 computes from its slots that another expert reads as
  // its own would be read twice.
  for (Value t : s.perExpert)
    for (int64_t e = 1; e < s.experts; ++e)
      if (s.inExpert[t][e] == t) {
        why = "expert " + std::to_string(e) + " reads a value of expert 0";
        return failure();
      }
  // Each op lifts, and a value read outside its expert is read after the
  // concat (the stacked computation replaces the concat there).
  for (Value t : s.order)
    if (s.perExpert.count(t) && t.getDefiningOp() &&
        !t.getDefiningOp<SliceOp>()) {
      OpBuilder probe(fn.getContext());
      if (failed(lift(probe, t.getDefiningOp(), s, &why)))
        return failure();
    }
  for (int64_t e = 0; e < s.experts; ++e)
    for (Operation *op : s.ops[e])
      for (Operation *user : op->getUsers())
        if (user != s.concat && !s.ops[e].count(user) &&
            (user->getBlock() != s.concat->getBlock() ||
             user->isBeforeInBlock(s.concat))) {
          why = "expert " + std::to_string(e) +
                "'s values are read before its results are concatenated";
          return failure();
        }
  return success();
}

Value Stacker::reshape(OpBuilder &b, Location loc, Value v,
                       ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  // Through a reshape of ours: reshapes of reshapes are one reshape.
  if (auto inner = v.getDefiningOp<ReshapeOp>(); inner && mine.count(inner)) {
    v = inner.getInput();
    if (cast<RankedTensorType>(v.getType()).getShape() == shape)
      return v;
  }
  auto r = ReshapeOp::create(b, loc, type.clone(shape), v);
  mine.insert(r);
  return r;
}

/// A batched value [E, s...] with unit dims after E up to per-expert rank
/// `rank`, so that it broadcasts as its per-expert value did.
Value Stacker::padded(OpBuilder &b, Location loc, Value batched,
                      int64_t rank) {
  auto type = cast<RankedTensorType>(batched.getType());
  int64_t r = type.getRank() - 1;
  if (r >= rank)
    return batched;
  SmallVector<int64_t> shape{type.getDimSize(0)};
  shape.append(size_t(rank - r), 1);
  llvm::append_range(shape, type.getShape().drop_front());
  return reshape(b, loc, batched, shape);
}

Value Stacker::expertSlice(OpBuilder &b, Location loc, Value batched,
                           int64_t e) {
  auto type = cast<RankedTensorType>(batched.getType());
  SmallVector<int64_t> start(size_t(type.getRank()), 0),
      limit(type.getShape()), stride(size_t(type.getRank()), 1);
  start[0] = e;
  limit[0] = e + 1;
  SmallVector<int64_t> one(type.getShape());
  one[0] = 1;
  Value s = SliceOp::create(b, loc, type.clone(one), batched,
                            b.getDenseI64ArrayAttr(start),
                            b.getDenseI64ArrayAttr(limit),
                            b.getDenseI64ArrayAttr(stride));
  return reshape(b, loc, s, type.getShape().drop_front());
}

/// Builds op over the leading expert dim from the lifted operands in
/// `lifted` (a null `why` builds; otherwise it only checks and says why
/// not). Returns the lifted result.
FailureOr<Value> Stacker::lift(OpBuilder &b, Operation *op, Stack &s,
                               std::string *why) {
  bool build = !why;
  auto no = [&](const std::string &reason) -> FailureOr<Value> {
    if (why)
      *why = "its '" + op->getName().getStringRef().str() + "' " + reason;
    return failure();
  };
  if (op->getNumResults() != 1)
    return no("has more than one result");
  Location loc = op->getLoc();
  auto rt = cast<RankedTensorType>(op->getResult(0).getType());
  RankedTensorType out = withExperts(rt, s.experts);
  auto rankOf = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getRank();
  };
  auto operand = [&](Value v) { return build ? lifted.lookup(v) : Value(); };
  auto shifted = [&](int64_t axis, int64_t rank) {
    return (axis < 0 ? axis + rank : axis) + 1;
  };
  if (isPointwise(op)) {
    if (!build)
      return Value();
    SmallVector<Value> operands;
    for (Value o : op->getOperands())
      operands.push_back(s.perExpert.count(o)
                             ? padded(b, loc, operand(o), rt.getRank())
                             : o);
    OperationState st(loc, op->getName());
    st.addOperands(operands);
    st.addAttributes(op->getAttrs());
    st.addTypes(out);
    return b.create(st)->getResult(0);
  }
  if (auto r = dyn_cast<ReshapeOp>(op)) {
    if (!build)
      return Value();
    return reshape(b, loc, operand(r.getInput()), out.getShape());
  }
  if (auto t = dyn_cast<TransposeOp>(op)) {
    if (!build)
      return Value();
    SmallVector<int64_t> perm{0};
    for (int64_t p : t.getPerm())
      perm.push_back(p + 1);
    return TransposeOp::create(b, loc, out, operand(t.getInput()),
                               b.getDenseI64ArrayAttr(perm))
        .getResult();
  }
  if (isa<SoftmaxOp, LogSoftmaxOp>(op)) {
    if (!build)
      return Value();
    int64_t axis = cast<IntegerAttr>(op->getAttr("axis")).getInt();
    OperationState st(loc, op->getName());
    st.addOperands(operand(op->getOperand(0)));
    st.addAttributes(op->getAttrs());
    st.addAttribute("axis", b.getI64IntegerAttr(
                                shifted(axis, rankOf(op->getOperand(0)))));
    st.addTypes(out);
    return b.create(st)->getResult(0);
  }
  if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp>(
          op)) {
    if (!build)
      return Value();
    SmallVector<int64_t> axes;
    for (int64_t a : cast<DenseI64ArrayAttr>(op->getAttr("axes")).asArrayRef())
      axes.push_back(shifted(a, rankOf(op->getOperand(0))));
    OperationState st(loc, op->getName());
    st.addOperands(operand(op->getOperand(0)));
    st.addAttributes(op->getAttrs());
    st.addAttribute("axes", b.getDenseI64ArrayAttr(axes));
    st.addTypes(out);
    return b.create(st)->getResult(0);
  }
  if (auto mm = dyn_cast<MatmulOp>(op)) {
    if (mm.getBias() && mm.getBeta().convertToFloat() != 1.0f)
      return no("scales its bias (beta), which a stacked product would not");
    if (!build)
      return Value();
    int64_t rank = std::max(rankOf(mm.getA()), rankOf(mm.getB()));
    auto side = [&](Value v) {
      return s.perExpert.count(v) ? padded(b, loc, operand(v), rank) : v;
    };
    Value a = side(mm.getA()), bb = side(mm.getB());
    Value product =
        MatmulOp::create(b, loc, out, a, bb, Value(), mm.getTransposeAAttr(),
                         mm.getTransposeBAttr(), mm.getAlphaAttr(),
                         b.getF32FloatAttr(1.0f))
            .getResult();
    Value bias = mm.getBias();
    if (!bias)
      return product;
    // alpha A B + C, the C added as the product's own bias add would.
    Value c = s.perExpert.count(bias) ? padded(b, loc, operand(bias), rt.getRank())
                                      : bias;
    return AddOp::create(b, loc, out, product, c).getResult();
  }
  return no("has no stacked form here");
}

/// Records the ops a builder creates.
struct Created : OpBuilder::Listener {
  void notifyOperationInserted(Operation *op, OpBuilder::InsertPoint) override {
    ops.push_back(op);
  }
  SmallVector<Operation *> ops;
};

void Stacker::rewrite(Stack &s) {
  MLIRContext *ctx = fn.getContext();
  Block &entry = fn.getBody().front();
  Created created;
  OpBuilder b(ctx, &created);
  lifted.clear();
  // The stacked parameters, each where its expert-0 part was.
  SmallVector<std::string> remarks;
  for (SmallVector<BlockArgument> &group : s.params) {
    SmallVector<std::string> names;
    std::vector<float> values;
    bool haveValues = true;
    for (BlockArgument a : group) {
      names.push_back(
          fn.getArgAttrOfType<StringAttr>(a.getArgNumber(), kParamAttr).str());
      FailureOr<::wsert::HostTensor> t = failure();
      if (Attribute init = fn.getArgAttr(a.getArgNumber(), kInitAttr))
        t = tensorFromAttr(fn.getLoc(), init);
      if (failed(t) || t->isInt)
        haveValues = false;
      else
        values.insert(values.end(), t->f.begin(), t->f.end());
    }
    RankedTensorType type = withExperts(group[0].getType(), s.experts);
    std::string name = stackName(names);
    NamedAttrList attrs;
    attrs.set(kParamAttr, StringAttr::get(ctx, name));
    SmallVector<Attribute> parts;
    for (const std::string &n : names)
      parts.push_back(StringAttr::get(ctx, n));
    attrs.set(kParamPartsAttr, ArrayAttr::get(ctx, parts));
    if (haveValues)
      attrs.set(kInitAttr,
                DenseResourceElementsAttr::get(
                    type, name,
                    HeapAsmResourceBlob::allocateAndCopyInferAlign(
                        ArrayRef<float>(values))));
    unsigned at = group[0].getArgNumber();
    (void)fn.insertArgument(at, type, attrs.getDictionary(ctx),
                            group[0].getLoc());
    BlockArgument stacked = fn.getArgument(at);
    lifted[group[0]] = stacked;
    std::string dims;
    for (int64_t x : type.getShape())
      dims += (dims.empty() ? "" : "x") + std::to_string(x);
    remarks.push_back(name + " " + dims);
    // Reads of a part outside its expert's computation read its slice.
    b.setInsertionPointToStart(&entry);
    for (auto [e, a] : llvm::enumerate(group)) {
      Value part;
      for (OpOperand &use : llvm::make_early_inc_range(a.getUses())) {
        if (s.ops[e].count(use.getOwner()))
          continue;
        if (!part)
          part = expertSlice(b, a.getLoc(), stacked, int64_t(e));
        use.set(part);
      }
    }
  }
  // The computation, before the concat.
  b.setInsertionPoint(s.concat);
  Location loc = s.concat.getLoc();
  for (Value t : s.order) {
    if (!s.perExpert.count(t) || lifted.count(t))
      continue;
    if (auto slice = t.getDefiningOp<SliceOp>(); slice && slice.getInput() == s.slots) {
      SmallVector<int64_t> shape{s.experts};
      llvm::append_range(shape,
                         cast<RankedTensorType>(t.getType()).getShape());
      lifted[t] = reshape(b, loc, s.slots, shape);
      continue;
    }
    lifted[t] = *lift(b, t.getDefiningOp(), s, nullptr);
  }
  Value root = s.concat.getInputs()[0];
  Value result = reshape(b, loc, lifted[root],
                         s.concat.getType().getShape());
  // Values of an expert read after the concat read their slice.
  for (Value t : s.order) {
    if (!s.perExpert.count(t) || !t.getDefiningOp() ||
        t.getDefiningOp<SliceOp>())
      continue;
    for (int64_t e = 0; e < s.experts; ++e) {
      Value v = s.inExpert[t][e];
      Value part;
      for (OpOperand &use : llvm::make_early_inc_range(v.getUses())) {
        Operation *user = use.getOwner();
        if (user == s.concat || s.ops[e].count(user))
          continue;
        if (!part)
          part = expertSlice(b, loc, lifted[t], e);
        use.set(part);
      }
    }
  }
  s.concat.getResult().replaceAllUsesWith(result);
  s.concat->erase();
  // The E copies, users first.
  for (int64_t e = 0; e < s.experts; ++e)
    for (Value t : llvm::reverse(s.order)) {
      if (!s.perExpert.count(t))
        continue;
      Operation *op = s.inExpert[t][e].getDefiningOp();
      if (op && op->use_empty())
        op->erase();
    }
  llvm::BitVector dead(fn.getNumArguments());
  for (SmallVector<BlockArgument> &group : s.params)
    for (BlockArgument a : group)
      dead.set(a.getArgNumber());
  (void)fn.eraseArguments(dead);
  // Reshapes looked through, and the slots' own reshape if only the experts
  // read it.
  for (Operation *op : llvm::reverse(created.ops))
    if (op->use_empty())
      op->erase();
  if (Operation *def = s.slots.getDefiningOp();
      def && def->use_empty() && isMemoryEffectFree(def))
    def->erase();
  emitRemark(loc) << "wse-stack-experts: stacked " << s.experts
                  << " experts: " << llvm::join(remarks, ", ");
}

struct StackExpertsPass
    : public mlir::wse::impl::StackExpertsBase<StackExpertsPass> {
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      SmallVector<ConcatOp> concats;
      fn.walk([&](ConcatOp c) { concats.push_back(c); });
      Stacker stacker(fn);
      for (ConcatOp c : concats) {
        Stack s;
        std::string why;
        if (succeeded(stacker.analyze(c, s, why))) {
          stacker.rewrite(s);
          continue;
        }
        if (!why.empty())
          c.emitRemark() << "wse-stack-experts: " << s.experts
                         << " experts not stacked: " << why;
      }
    }
  }
};

} // namespace
