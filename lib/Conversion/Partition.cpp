//===- Partition.cpp - train step -> kernels over a PE region (wse -> fabric)
//
// Walks @train_step in program order. Each op asks its mapping
// (Mapping.h) what it is: a kernel over an iteration box, a data movement,
// or a constant. For a kernel, the partitioner picks which box dims to
// split over the region's x and y axes by a cost (local work, operand
// relayouts, partial sums to combine, SRAM), derives each operand's layout
// from that choice, and moves operands whose layout differs with
// `fabric.transfer`s. Data movements are not materialized until a consumer
// asks for a layout, so a reshape or transpose and the relayout its
// consumer needs are one transfer. Parameters, inputs and constants take
// the layout of their first use; updated parameters and optimizer state
// are written back into their own tensors at the end of the step.
//
// Weight streaming (execution=weight-streaming, or auto when parameters
// and optimizer state do not fit SRAM) keeps parameters and state in a
// second, `host` region: host memory, one 1x1 "PE" off the mesh. Every
// kernel that reads a parameter streams its own copy in over the host
// links (the forward and the backward each), so SRAM holds a layer's
// weights only while it computes; the optimizer updates run on the host,
// reading the gradients streamed out.
//
//===----------------------------------------------------------------------===//
#include "Partitioner.h"

#include "fabric/FabricDialect.h"
#include "wse/Support/Layout.h"
#include "wse/Support/Machine.h"
#include "wse/WseDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <map>
#include <set>

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::mesh;
using ::wsert::AxisSplit;
using ::wsert::ceilDiv;
using ::wsert::Layout;

namespace mlir::wse::mesh::partition {

std::string Partitioner::newTensor(Value v, const Layout &l, Location loc,
                                   bool host, StringRef kind, StringRef name,
                                   Attribute init, DenseI64ArrayAttr range,
                                   ArrayAttr parts) {
  std::string s = "t" + std::to_string(tensors++);
  if (host) {
    onHost.insert(s);
  } else if (kind != "temp") {
    persistent.insert(s);
    persistentBytes += 4 * storedElements(l);
  }
  fabric::TensorOp::create(b, loc, b.getStringAttr(s),
                           TypeAttr::get(v.getType()),
                           fabric::getLayoutAttr(b.getContext(), l),
                           sym(host ? kHost : region), b.getStringAttr(kind),
                           name.empty() ? StringAttr() : b.getStringAttr(name),
                           init ? cast<TypedAttr>(init) : TypedAttr(), range,
                           parts);
  return s;
}

void Partitioner::transfer(Location loc, const Home &src, StringRef dst,
                           const Movement *move) {
  std::string s = "x" + std::to_string(transfers++);
  bool affine = move && move->affine;
  fabric::TransferOp::create(
      b, loc, b.getStringAttr(s), sym(src.sym), sym(dst),
      b.getStringAttr(affine ? "affine" : "linear"),
      b.getDenseI64ArrayAttr(affine ? ArrayRef<int64_t>(move->coeffs)
                                    : ArrayRef<int64_t>()),
      b.getDenseI64ArrayAttr(affine ? ArrayRef<int64_t>(move->offset)
                                    : ArrayRef<int64_t>()),
      b.getDenseI64ArrayAttr(move ? ArrayRef<int64_t>(move->windowLo)
                                  : ArrayRef<int64_t>()),
      b.getDenseI64ArrayAttr(move ? ArrayRef<int64_t>(move->windowSize)
                                  : ArrayRef<int64_t>()),
      b.getI64IntegerAttr(src.layout.isPartial() ? src.combine : 0), nullptr,
      b.getDenseI64ArrayAttr(move ? ArrayRef<int64_t>(move->reshape)
                                  : ArrayRef<int64_t>()),
      /*need=*/nullptr, /*need_dims=*/nullptr, /*have=*/nullptr,
      /*have_dims=*/nullptr,
      src.sparseRows && src.combine == 1 && src.layout.isPartial()
          ? b.getUnitAttr()
          : UnitAttr());
}

/// The last dim over x and the largest other dim over y; on the host, the
/// whole tensor. A tensor of rank 3 or more whose leading dim is small (a
/// stack of experts' weights, a batch) puts each of its indices on its own
/// band of rows, the largest other dim split within the band.
Layout Partitioner::defaultLayout(const std::vector<int64_t> &shape,
                                  bool host) const {
  Layout l;
  l.shape = shape;
  if (host)
    return l;
  int64_t rank = int64_t(shape.size());
  int64_t xd = -1, yd = -1;
  for (int64_t d = rank - 1; d >= 0 && xd < 0; --d)
    if (shape[d] > 1)
      xd = d;
  for (int64_t d = 0; d < rank; ++d)
    if (d != xd && shape[d] > 1 && (yd < 0 || shape[d] > shape[yd]))
      yd = d;
  // A grid axis of one PE splits nothing.
  l.x = xd < 0 || grid[0] == 1 ? AxisSplit::replicated(1)
                               : AxisSplit::split(xd, shape[xd], grid[0]);
  l.y = yd < 0 || grid[1] == 1 ? AxisSplit::replicated(1)
                               : AxisSplit::split(yd, shape[yd], grid[1]);
  if (rank >= 3 && xd != 0 && shape[0] > 1 && grid[1] / shape[0] >= 2) {
    int64_t inner = -1;
    for (int64_t d = 1; d < rank; ++d)
      if (d != xd && shape[d] > 1 && (inner < 0 || shape[d] > shape[inner]))
        inner = d;
    if (inner >= 0)
      l.y = AxisSplit::nest(
          {AxisSplit::Split, 0, 1, shape[0]},
          AxisSplit::split(inner, shape[inner], grid[1] / shape[0]));
  }
  return l;
}

/// The parameters and optimizer state an update reads (not scalars), each
/// once, in the order the step first reads them.
SmallVector<BlockArgument> Partitioner::updatedArgs() {
  SmallVector<BlockArgument> args;
  DenseSet<Value> seen;
  for (Operation &op : fn.getBody().front().without_terminator()) {
    if (!isa<SgdUpdateOp, SgdMomentumUpdateOp, AdamWUpdateOp>(op))
      continue;
    for (Value v : op.getOperands()) {
      auto arg = dyn_cast<BlockArgument>(v);
      auto src = arg ? sources.find(arg) : sources.end();
      if (arg && typeOf(arg).getRank() > 0 && src != sources.end() &&
          (src->second.kind == "param" || src->second.kind == "state") &&
          seen.insert(arg).second)
        args.push_back(arg);
    }
  }
  return args;
}

/// Where pipelined execution keeps an updated parameter or state: spread
/// over the mesh, as its mask's slots if it has one.
Layout Partitioner::updateHome(BlockArgument arg) const {
  Layout l = defaultLayout(shapeOf(arg));
  l.mask = patterns.lookup_or(arg, -1);
  return l;
}

FailureOr<Home> Partitioner::ensureAny(Value v, Location loc) {
  auto it = homes.find(v);
  if (it != homes.end())
    return it->second;
  Layout l = defaultLayout(shapeOf(v));
  FailureOr<std::string> s = ensure(v, l, loc);
  if (failed(s))
    return failure();
  if (!homes.count(v))
    homes[v] = Home{*s, l, 0};
  return homes[v];
}

FailureOr<std::string> Partitioner::ensure(Value v, const Layout &want,
                                           Location loc, bool host) {
  if (auto src = sources.find(v); src != sources.end()) {
    std::string s =
        newTensor(v, want, loc, host, src->second.kind, src->second.name,
                  src->second.init, src->second.range, src->second.parts);
    homes[v] = Home{s, want, 0};
    sources.erase(src);
    return s;
  }
  if (streamedParts.count(v) && failed(finishStreamedJoin(v, loc)))
    return failure();
  auto home = homes.find(v);
  if (home != homes.end() && home->second.layout == want &&
      isHost(home->second) == host)
    return home->second.sym;
  // A streamed weight is not kept: each kernel that reads it streams its
  // own copy, which SRAM holds only until that kernel is done.
  bool restream = home != homes.end() && isHost(home->second) && !host;
  auto key = std::make_pair(v.getAsOpaquePointer(),
                            (host ? "host " : "") + layoutKey(want));
  if (auto c = relayouts.find(key); c != relayouts.end() && !restream) {
    bool stale = false;
    if (streaming && opIndex - relayoutMadeAt[key] > kCopyReuseWindow) {
      // What the value takes where it lives: its home, or for a data
      // movement's result the homes of what it is built from.
      int64_t compact = 0;
      if (home != homes.end())
        compact = storedElements(home->second.layout);
      else if (auto p = pending.find(v); p != pending.end())
        for (const Movement &m : p->second)
          if (auto h = homes.find(m.src); h != homes.end())
            compact += storedElements(h->second.layout);
      stale = compact > 0 && storedElements(want) > compact;
    }
    if (!stale)
      return c->second;
  }
  std::string dst;
  if (auto p = pending.find(v); p != pending.end() && home == homes.end()) {
    // A data movement's result: build it straight in the wanted layout.
    SmallVector<Home> srcs;
    SmallVector<Movement, 2> moves;
    for (const Movement &m : p->second)
      moves.push_back(throughPending(m, v));
    for (const Movement &m : moves) {
      FailureOr<Home> s =
          host ? summedOnMesh(m.src, loc, -1) : ensureAny(m.src, loc);
      if (failed(s))
        return failure();
      if (!host)
        if (std::optional<Layout> mid = sumBeforeMoving(s->layout, want)) {
          std::string t = newTensor(m.src, *mid, loc, false);
          transfer(loc, *s, t, nullptr);
          s = Home{t, *mid, 0};
        }
      srcs.push_back(*s);
    }
    dst = newTensor(v, want, loc, host);
    for (auto [m, s] : llvm::zip(moves, srcs)) {
      transfer(loc, s, dst, &m);
      restream |= isHost(s) && !host;
    }
  } else {
    if (home == homes.end())
      return emitError(loc, "internal: a value has no data on the mesh");
    FailureOr<Home> from =
        host ? summedOnMesh(v, loc, want.mask) : FailureOr<Home>(home->second);
    if (failed(from))
      return failure();
    if (!host && want.mask < 0) {
      if (std::optional<Layout> mid = allReduceMiddle(from->layout, want)) {
        // Sum where the middle layout splits the tile, then gather.
        std::string m = newTensor(v, *mid, loc, false);
        transfer(loc, *from, m, nullptr);
        from = Home{m, *mid, 0};
      }
    }
    // A parameter (or state) placed before the step's first kernel is
    // read in its old value until the update: its relayout can run at the
    // start of the step, while the PEs wait for their first inputs, if
    // SRAM can hold the copy that long.
    int64_t bytes = 4 * storedElements(want);
    bool early = !host && !streaming && setupEnd && isa<BlockArgument>(v) &&
                 setupTensors.count(from->sym) &&
                 persistentBytes + bytes <= machine.dataSramBytes() / 2;
    OpBuilder::InsertionGuard guard(b);
    if (early) {
      b.setInsertionPointAfter(setupEnd);
      persistentBytes += bytes;
    }
    dst = newTensor(v, want, loc, host);
    transfer(loc, *from, dst, nullptr);
    if (early)
      setupEnd = &*std::prev(b.getInsertionPoint());
  }
  if (!restream) {
    relayouts[key] = dst;
    relayoutMadeAt[key] = opIndex;
  }
  return dst;
}

LogicalResult Partitioner::mapKernel(Operation *op, Kernel &k) {
  sparsifyKernel(op, k, facts());
  // An optimizer update of a parameter (or state) in host memory runs on
  // the host, which reads the gradient streamed out.
  bool host = false;
  if (streaming && k.isUpdate())
    if (auto h = homes.find(k.ins[0]); h != homes.end())
      host = isHost(h->second);
  // So does the sum of a tied weight's gradient parts where one part was
  // streamed out already, chunk by chunk, as it was computed (else the
  // sum is made on the mesh and crosses the links once).
  if (streaming && isa<AddOp>(op) && feedsHostUpdate(op->getResult(0)))
    host = llvm::any_of(op->getOperands(), [&](Value v) {
      auto h = homes.find(v);
      return h != homes.end() && isHost(h->second);
    });
  // Gradients are accumulated over micro-batches where they are updated.
  if (streaming && isa<AccumulateOp>(op) && feedsHostUpdate(op->getResult(0)))
    host = true;
  FailureOr<Choice> c = choose(op, k, host);
  if (failed(c))
    return failure();
  SmallVector<Attribute> ins, outs, maps;
  for (size_t i = 0; i < k.ins.size(); ++i) {
    Layout l = operandLayout(k, k.outs.size() + i, *c, false);
    FailureOr<std::string> s = ensure(k.ins[i], l, op->getLoc(), host);
    if (failed(s))
      return failure();
    ins.push_back(sym(*s));
  }
  for (size_t i = 0; i < k.outs.size(); ++i) {
    Layout l = operandLayout(k, i, *c, true);
    std::string s = inPlaceTarget(op, k, k.outs[i], l, host);
    // An accumulator holds its sum from one micro-batch to the next.
    if (s.empty())
      s = newTensor(k.outs[i], l, op->getLoc(), host,
                    isa<AccumulateOp>(op) ? "accumulator" : "temp");
    homes[k.outs[i]] = Home{s, l, k.combine};
    homes[k.outs[i]].sparseRows = l.isPartial() && sparseRows(k);
    if (l.mask >= 0)
      patterns[k.outs[i]] = l.mask;
    outs.push_back(sym(s));
  }
  for (auto &m : k.maps)
    maps.push_back(b.getDenseI64ArrayAttr(m));
  std::vector<int64_t> axes, blocks;
  c->boxAxes(k.iter, axes, blocks);
  auto compute = fabric::ComputeOp::create(
      b, op->getLoc(), b.getStringAttr(k.kernel),
      k.fn.empty() ? StringAttr() : b.getStringAttr(k.fn),
      sym(host ? kHost : region), b.getArrayAttr(outs), b.getArrayAttr(ins),
      b.getDenseI64ArrayAttr(k.iter), b.getDenseI64ArrayAttr(axes),
      b.getDenseI64ArrayAttr(blocks), b.getArrayAttr(maps),
      b.getI64IntegerAttr(k.acc), b.getDenseI64ArrayAttr(k.ints),
      b.getDenseF32ArrayAttr(k.floats),
      k.kernel == "spmap" ? b.getI64IntegerAttr(k.pattern) : IntegerAttr());
  compute->setAttr("source", b.getStringAttr(op->getName().getStringRef()));
  if (unstored(k, operandLayout(k, 0, *c, true)))
    compute.setUnstored(true);
  return success();
}

int64_t Partitioner::addMask(DenseElementsAttr keep) {
  for (int64_t i = 0; i < int64_t(masks.size()); ++i)
    if (masks[i] == keep)
      return i;
  std::vector<uint8_t> bits;
  SmallVector<float> ones;
  for (bool k : keep.getValues<bool>()) {
    bits.push_back(k);
    ones.push_back(k ? 1.0f : 0.0f);
  }
  auto f32 = RankedTensorType::get(keep.getType().getShape(), b.getF32Type());
  maskOfConstant[DenseElementsAttr::get(f32, ArrayRef<float>(ones))] =
      int64_t(masks.size());
  masks.push_back(keep);
  maskBits.push_back(std::move(bits));
  return int64_t(masks.size()) - 1;
}

/// The most kept entries of `l`'s mask one PE's tile holds.
int64_t Partitioner::maxKept(const Layout &l) {
  std::string key = l.str();
  for (int64_t d : l.shape)
    key += " " + std::to_string(d);
  if (auto it = keptCache.find(key); it != keptCache.end())
    return it->second;
  // Count per (block along dim 0, block along dim 1); replicated and
  // partial axes repeat a tile.
  int64_t rows = l.shape[0], cols = l.shape[1];
  int64_t rb = rows, cb = cols;
  for (int a = 0; a < 2; ++a)
    if (l.axis(a).kind == AxisSplit::Split)
      (l.axis(a).dim == 0 ? rb : cb) = l.axis(a).block;
  int64_t nr = ceilDiv(rows, rb), nc = ceilDiv(cols, cb);
  std::vector<int64_t> count(size_t(nr * nc), 0);
  const std::vector<uint8_t> &bits = maskBits[size_t(l.mask)];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      if (bits[size_t(r * cols + c)])
        ++count[size_t((r / rb) * nc + c / cb)];
  int64_t most = 0;
  for (int64_t n : count)
    most = std::max(most, n);
  keptCache[key] = most;
  return most;
}

/// `x * mask` where x is already zero outside that mask and stored as its
/// slots: the result is x itself.
bool Partitioner::aliasMaskedProduct(Operation &op) {
  auto mul = dyn_cast<MulOp>(op);
  if (!mul)
    return false;
  for (int side = 0; side < 2; ++side) {
    int64_t mask = maskConsts.lookup_or(mul->getOperand(side), -1);
    Value x = mul->getOperand(1 - side);
    auto home = homes.find(x);
    if (mask < 0 || x.getType() != mul.getType() ||
        patterns.lookup_or(x, -1) != mask || home == homes.end() ||
        home->second.layout.mask != mask)
      continue;
    Home h = home->second; // homes[] below may rehash
    homes[mul.getResult()] = h;
    patterns[mul.getResult()] = mask;
    return true;
  }
  return false;
}

/// Whether `v`, or a shape op's result built from it, is read after `op`.
static bool readAfter(Value v, Operation *op) {
  for (Operation *user : v.getUsers()) {
    if (user == op)
      continue;
    if (!user->isBeforeInBlock(op))
      return true;
    if (isa<ReshapeOp, TransposeOp, BroadcastToOp, SliceOp, ConcatOp,
            InsertSliceOp>(user) &&
        readAfter(user->getResult(0), op))
      return true;
  }
  return false;
}

/// An optimizer update whose result is the step's new value of a parameter
/// (or state) can write straight into that argument's tensor when it has
/// the same layout and nothing reads the old value afterwards: the update
/// then needs no write-back copy. Returns that tensor, or "".
std::string Partitioner::inPlaceTarget(Operation *op, const Kernel &k,
                                       Value out, const Layout &l, bool host) {
  if (!k.isUpdate())
    return "";
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  for (unsigned i = 0; i < ret.getNumOperands(); ++i) {
    if (unmasked(ret.getOperand(i)) != out)
      continue;
    for (StringRef attr : {kParamAttr, kStateAttr}) {
      auto name = dyn_cast_or_null<StringAttr>(fn.getResultAttr(i, attr));
      if (!name)
        continue;
      for (BlockArgument arg : fn.getArguments()) {
        auto n = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), attr);
        auto home = homes.find(arg);
        if (n != name || home == homes.end() || home->second.layout != l ||
            isHost(home->second) != host || readAfter(arg, op))
          continue;
        return home->second.sym;
      }
    }
  }
  return "";
}

/// A layout whose partial axes are summed away (held by one PE).
Layout combined(Layout l) {
  for (int a = 0; a < 2; ++a) {
    AxisSplit &ax = l.axis(a);
    if (ax.kind == AxisSplit::Partial)
      ax = AxisSplit::replicated(1);
    // A group's partial sums summed onto each of its PEs.
    if (ax.nested() && ax.innerKind == AxisSplit::Partial)
      ax.innerKind = AxisSplit::Replicated;
  }
  return l;
}

LogicalResult Partitioner::finish() {
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  // Arguments by the name of the parameter or state they hold.
  std::map<std::pair<std::string, std::string>, BlockArgument> named;
  for (BlockArgument arg : fn.getArguments())
    for (StringRef attr : {kParamAttr, kStateAttr})
      if (auto n = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), attr))
        named[{attr.str(), n.str()}] = arg;
  // Each result, in the step's order, becomes an output the host reads
  // after the step; updated parameters and state are first written back
  // into their own tensors, which the output then reads.
  struct Output {
    std::string name, tensor;
    bool loss = false, metric = false;
  };
  SmallVector<Output> outputs;
  for (unsigned i = 0; i < ret.getNumOperands(); ++i) {
    Value r = ret.getOperand(i);
    Location loc = r.getLoc();
    StringRef attr = fn.getResultAttr(i, kParamAttr)   ? StringRef(kParamAttr)
                     : fn.getResultAttr(i, kStateAttr) ? StringRef(kStateAttr)
                                                       : StringRef();
    bool loss = bool(fn.getResultAttr(i, kLossAttr));
    auto metric = fn.getResultAttrOfType<StringAttr>(i, kMetricAttr);
    if (loss || attr.empty()) {
      FailureOr<Home> h = ensureAny(r, loc);
      if (failed(h))
        return failure();
      FailureOr<std::string> s = ensure(r, combined(h->layout), loc);
      if (failed(s))
        return failure();
      std::string name = loss     ? "loss"
                         : metric ? metric.str()
                                  : "result" + std::to_string(i);
      outputs.push_back({name, *s, loss, bool(metric)});
      continue;
    }
    auto name = cast<StringAttr>(fn.getResultAttr(i, attr));
    auto it = named.find({attr.str(), name.str()});
    if (it == named.end())
      return emitError(loc, "result ")
             << i << " updates '" << name.getValue()
             << "', which no argument of the train step holds";
    BlockArgument arg = it->second;
    if (r == arg) {
      FailureOr<Home> h = ensureAny(arg, loc);
      if (failed(h))
        return failure();
      outputs.push_back({name.str(), h->sym});
      continue;
    }
    FailureOr<Home> h = ensureAny(r, loc);
    if (failed(h))
      return failure();
    // Into the argument's own tensor, whatever its layout: the transfer
    // relayouts (and sums partials) on the way. An update that already
    // wrote in place needs none.
    std::string dst;
    if (auto home = homes.find(arg); home != homes.end()) {
      dst = home->second.sym;
      if (h->sym == dst) {
        outputs.push_back({name.str(), dst});
        continue;
      }
    } else {
      FailureOr<std::string> s = ensure(arg, combined(h->layout), loc);
      if (failed(s))
        return failure();
      dst = *s;
    }
    transfer(loc, *h, dst, nullptr);
    outputs.push_back({name.str(), dst});
  }
  for (const Output &o : outputs)
    fabric::OutputOp::create(b, fn.getLoc(), b.getStringAttr(o.name),
                             sym(o.tensor), o.loss ? b.getUnitAttr() : UnitAttr(),
                             o.metric ? b.getUnitAttr() : UnitAttr());
  // Inputs, parameters and state nothing read still get a tensor, so the
  // host can bind and dump them.
  for (BlockArgument arg : fn.getArguments())
    if (sources.count(arg) &&
        failed(ensure(arg, defaultLayout(shapeOf(arg)), arg.getLoc())))
      return failure();
  return success();
}

LogicalResult Partitioner::run() {
  grid[0] = machine.width;
  grid[1] = machine.height;
  b.setInsertionPoint(fn);
  graph = fabric::GraphOp::create(b, fn.getLoc(), b.getStringAttr("train_step"));
  graph.getBody().push_back(new Block());
  b.setInsertionPointToStart(&graph.getBody().front());
  fabric::RegionOp::create(b, fn.getLoc(), b.getStringAttr(region),
                           b.getDenseI64ArrayAttr({grid[0], grid[1]}), nullptr,
                           nullptr);
  for (BlockArgument arg : fn.getArguments()) {
    unsigned n = arg.getArgNumber();
    Source s;
    s.init = fn.getArgAttr(n, kInitAttr);
    if (auto p = fn.getArgAttrOfType<StringAttr>(n, kParamAttr)) {
      s.kind = "param";
      s.name = p.str();
      s.parts = fn.getArgAttrOfType<ArrayAttr>(n, kParamPartsAttr);
    } else if (auto st = fn.getArgAttrOfType<StringAttr>(n, kStateAttr)) {
      s.kind = "state";
      s.name = st.str();
    } else {
      s.kind = "input";
      auto in = fn.getArgAttrOfType<StringAttr>(n, kInputAttr);
      s.name = in ? in.str() : "arg" + std::to_string(n);
      s.init = {};
      s.range = fn.getArgAttrOfType<DenseI64ArrayAttr>(n, kRangeAttr);
    }
    sources[arg] = s;
    // A parameter (and its optimizer state) that wse-sparsify masked.
    if (s.kind != "input")
      if (auto keep = fn.getArgAttrOfType<DenseElementsAttr>(n, kMaskAttr);
          keep && keep.getType().getShape() == typeOf(arg).getShape() &&
          typeOf(arg).getRank() == 2 && keep.getElementType().isInteger(1) &&
          !(keep.isSplat() && keep.getSplatValue<bool>()))
        patterns[arg] = addMask(keep);
  }
  // Constants that are a mask, wherever they sit in the step (a result's
  // users may come before the constant they multiply by).
  for (auto c : fn.getBody().front().getOps<ConstantOp>())
    if (auto it = maskOfConstant.find(c.getValue()); it != maskOfConstant.end())
      maskConsts[c.getResult()] = it->second;
  for (int64_t i = 0; i < int64_t(masks.size()); ++i)
    fabric::MaskOp::create(b, fn.getLoc(), b.getI64IntegerAttr(i),
                           cast<ElementsAttr>(masks[i]));
  // Pipelined unless asked otherwise or the updated parameters and their
  // state do not fit SRAM.
  int64_t needed = meshBytesOfUpdated();
  streaming = execution == "weight-streaming" ||
              (execution == "auto" && needed > machine.dataSramBytes());
  if (streaming) {
    // Products too large for SRAM even one at a time run in chunks.
    if (failed(mesh::chunkForStreaming(fn, grid[0], grid[1],
                                       machine.dataSramBytes() / kStreamShare)))
      return failure();
    fabric::RegionOp::create(b, fn.getLoc(), b.getStringAttr(kHost),
                             b.getDenseI64ArrayAttr({1, 1}), nullptr,
                             b.getUnitAttr());
    // Every parameter and state lives in host memory, frozen ones too.
    for (BlockArgument arg : fn.getArguments()) {
      auto src = sources.find(arg);
      if (src == sources.end() ||
          (src->second.kind != "param" && src->second.kind != "state"))
        continue;
      Layout l = defaultLayout(shapeOf(arg), /*host=*/true);
      if (typeOf(arg).getRank() == 2)
        l.mask = patterns.lookup_or(arg, -1);
      if (failed(ensure(arg, l, arg.getLoc(), /*host=*/true)))
        return failure();
    }
  }
  // Parameters and optimizer state live where they are updated: spread
  // over the whole region (no replicas, which every update would have to
  // rebroadcast and which SRAM pays for once per replica). Kernels that
  // want another layout read a relayout, which the cost model charges.
  // Frozen parameters take the layout of their first use.
  if (!streaming)
    for (BlockArgument arg : updatedArgs())
      if (failed(ensure(arg, updateHome(arg), arg.getLoc())))
        return failure();
  if (persistentBytes > machine.dataSramBytes()) {
    // Pointed at the first use of the largest of them.
    BlockArgument largest;
    int64_t largestBytes = 0;
    for (BlockArgument arg : fn.getArguments()) {
      auto h = homes.find(arg);
      if (h == homes.end() || !persistent.count(h->second.sym))
        continue;
      int64_t bytes = 4 * storedElements(h->second.layout);
      if (bytes > largestBytes) {
        largestBytes = bytes;
        largest = arg;
      }
    }
    InFlightDiagnostic d =
        emitError(largest ? argumentUseLoc(largest) : fn.getLoc(),
                  "does not fit: the parameters and optimizer state need ")
        << persistentBytes << " bytes per PE spread over the whole "
        << grid[0] << "x" << grid[1] << " mesh, and a PE has "
        << machine.dataSramBytes() << " bytes of SRAM for data";
    if (largest) {
      unsigned n = largest.getArgNumber();
      auto name = fn.getArgAttrOfType<StringAttr>(n, kParamAttr);
      if (!name)
        name = fn.getArgAttrOfType<StringAttr>(n, kStateAttr);
      d << "; the largest, '" << (name ? name.getValue() : "?") << "' ("
        << largestBytes << " bytes per PE), is first used here";
    }
    d << ". ";
    if (machine.width < wafer[0] || machine.height < wafer[1])
      d << "A larger mesh (mesh=WxH, up to " << machine.name << "'s "
        << wafer[0] << "x" << wafer[1] << ") would make them fit, or ";
    d << "execution=weight-streaming keeps them in host memory and streams "
         "each layer's weights in";
    return failure();
  }
  // Tensors placed so far live for the whole step; relayouts of them may
  // go right after them.
  if (!graph.getBody().front().empty())
    setupEnd = &graph.getBody().front().back();
  for (const std::string &t : persistent)
    setupTensors.insert(t);
  DenseMap<Operation *, MicroPhase> phases;
  if (int64_t micro = microBatchesOf(fn); micro > 1) {
    FailureOr<DenseMap<Operation *, MicroPhase>> p = microBatchPhases(fn);
    if (failed(p))
      return failure();
    phases = std::move(*p);
    SmallVector<Attribute> inputs;
    for (BlockArgument arg : fn.getArguments())
      if (fn.getArgAttr(arg.getArgNumber(), kMicroBatchedAttr))
        if (auto name = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                        kInputAttr))
          inputs.push_back(name);
    module->setAttr(kMicroBatchesAttr, b.getI64IntegerAttr(micro));
    module->setAttr(kMicroBatchedInputsAttr, b.getArrayAttr(inputs));
    b.setListener(&onceMarker);
  }
  for (Operation &op : fn.getBody().front().without_terminator()) {
    ++opIndex;
    onceMarker.on = phases.lookup(&op) == MicroPhase::PerStep;
    if (aliasMaskedProduct(op))
      continue;
    FailureOr<OpMapping> m = mapOp(&op);
    if (failed(m))
      return failure();
    switch (m->kind) {
    case OpMapping::Constant: {
      auto c = cast<ConstantOp>(op);
      sources[c.getResult()] = Source{"const", "", c.getValue(), {}, {}};
      break;
    }
    case OpMapping::Failed:
      return failure();
    case OpMapping::Move:
      pending[op.getResult(0)] = m->moves;
      break;
    case OpMapping::Compute:
      if (failed(mapKernel(&op, m->kernel)))
        return failure();
      if (streaming)
        for (Value r : op.getResults()) {
          if (failed(streamOutChunk(r, op.getLoc())))
            return failure();
          // A chunk that stays on the mesh is summed there at once: its
          // partial sums would hold SRAM until the join is built.
          auto h = homes.find(r);
          if (r.hasOneUse() && isa<ConcatOp>(*r.getUsers().begin()) &&
              h != homes.end() && h->second.layout.isPartial()) {
            FailureOr<Home> s = summedOnMesh(r, op.getLoc(), -1);
            if (failed(s))
              return failure();
            homes[r] = *s;
          }
        }
      break;
    }
    if (!streaming && failed(sendToUpdates(op)))
      return failure();
    if (streaming && failed(sendToHost(op)))
      return failure();
  }
  // The step's results are read after its last micro-batch.
  onceMarker.on = !phases.empty();
  if (failed(finish()))
    return failure();
  b.setListener(nullptr);
  fn.erase();
  return success();
}

} // namespace mlir::wse::mesh::partition
