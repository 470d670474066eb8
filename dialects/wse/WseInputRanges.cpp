//===- WseInputRanges.cpp - the values integer inputs may hold ------------===//
//
// Token ids index an embedding table and labels pick a class; a value
// outside the table or the classes is a data error that torch reports
// (nn.Embedding and cross_entropy raise), while ONNX Gather would wrap a
// negative index and silently read another row. Both engines check each
// integer input against the range the ops reading it need: [0, rows) for
// a lookup in a parameter table, [-rows, rows) (ONNX Gather) for other
// gathers.
//
//===----------------------------------------------------------------------===//
#include "wse/WseDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace mlir::wse;

namespace {

struct Range {
  int64_t lo, hi;
  std::optional<int64_t> ignored; // INT64_MIN: labels with no ignore index
};

/// The argument `v` reads through reshapes, if any.
BlockArgument argumentOf(Value v) {
  while (auto r = v.getDefiningOp<ReshapeOp>())
    v = r.getInput();
  return dyn_cast<BlockArgument>(v);
}

std::optional<Range> rangeFromUse(Operation *op, Value indices) {
  auto dim = [](Value v, int64_t d) {
    return cast<RankedTensorType>(v.getType()).getDimSize(d);
  };
  if (auto g = dyn_cast<GatherOp>(op); g && g.getIndices() == indices) {
    int64_t n = dim(g.getData(), g.getAxis());
    // A lookup in a trained table is torch's Embedding, which rejects
    // negative ids; any other gather keeps ONNX's wrap-around.
    BlockArgument table = argumentOf(g.getData());
    auto fn = table ? dyn_cast<func::FuncOp>(table.getOwner()->getParentOp())
                    : func::FuncOp();
    bool embedding = fn && fn.getArgAttr(table.getArgNumber(), kParamAttr);
    return Range{embedding ? 0 : -n, n, std::nullopt};
  }
  if (auto s = dyn_cast<ScatterAddOp>(op); s && s.getIndices() == indices)
    return Range{0, dim(s.getDest(), s.getAxis()), std::nullopt};
  if (auto s = dyn_cast<SoftmaxCrossEntropyOp>(op))
    return Range{0, dim(s.getLogits(), 1), INT64_MIN};
  if (auto s = dyn_cast<SoftmaxCrossEntropyGradOp>(op))
    return Range{0, dim(s.getLogits(), 1), INT64_MIN};
  auto nll = [&](auto n) {
    auto ig = n.getIgnoreIndex();
    return Range{0, dim(n.getInput(), 1),
                 ig ? int64_t(*ig) : int64_t(INT64_MIN)};
  };
  if (auto n = dyn_cast<NllLossOp>(op); n && n.getLabels() == indices)
    return nll(n);
  if (auto n = dyn_cast<NllLossGradOp>(op); n && n.getLabels() == indices)
    return nll(n);
  return std::nullopt;
}

} // namespace

void mlir::wse::annotateInputRanges(func::FuncOp fn) {
  if (fn.isExternal())
    return;
  llvm::DenseMap<unsigned, Range> ranges;
  fn.walk([&](Operation *op) {
    for (Value operand : op->getOperands()) {
      BlockArgument arg = argumentOf(operand);
      if (!arg || arg.getOwner() != &fn.getBody().front() ||
          !isa<IntegerType>(
              cast<ShapedType>(arg.getType()).getElementType()))
        continue;
      std::optional<Range> r = rangeFromUse(op, operand);
      if (!r)
        continue;
      auto [it, inserted] = ranges.try_emplace(arg.getArgNumber(), *r);
      if (inserted)
        continue;
      // Several readers: the values all of them accept.
      it->second.lo = std::max(it->second.lo, r->lo);
      it->second.hi = std::min(it->second.hi, r->hi);
      if (it->second.ignored != r->ignored)
        it->second.ignored = r->ignored ? r->ignored : it->second.ignored;
    }
  });
  Builder b(fn.getContext());
  for (auto &[argNo, r] : ranges) {
    SmallVector<int64_t> attr{r.lo, r.hi};
    if (r.ignored)
      attr.push_back(*r.ignored);
    fn.setArgAttr(argNo, kRangeAttr, b.getDenseI64ArrayAttr(attr));
  }
}
