//===- RoutedScatters.cpp - MoE row gathers as scatters from the holders --===//
//
// See RoutedScatters.h.
//
//===----------------------------------------------------------------------===//
#include "RoutedScatters.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::wse;

namespace {

/// The rows of a table padded with one row of +0 at the end
/// (concat(rows, zeros) along dim 0), or null.
Value unpadded(Value table) {
  auto cat = table.getDefiningOp<ConcatOp>();
  if (!cat || cat.getAxis() != 0 || cat.getInputs().size() != 2)
    return {};
  auto pad = cat.getInputs()[1].getDefiningOp<ConstantOp>();
  auto v = pad ? dyn_cast<DenseElementsAttr>(pad.getValue()) : nullptr;
  if (!v || !v.isSplat() || !v.getElementType().isF32() ||
      !v.getSplatValue<APFloat>().isPosZero() ||
      cast<RankedTensorType>(v.getType()).getDimSize(0) != 1)
    return {};
  return cat.getInputs()[0];
}

/// A row gather at `indices` of a padded table of `rows` + 1 rank-2 rows.
bool isPaddedGather(GatherOp g, Value indices, int64_t rows) {
  auto t = cast<RankedTensorType>(g.getData().getType());
  return g.getAxis() == 0 && g.getIndices() == indices && t.getRank() == 2 &&
         t.getDimSize(0) == rows + 1 && unpadded(g.getData());
}

Value reshapeTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto t = cast<RankedTensorType>(v.getType());
  return t.getShape() == shape ? v
                               : Value(ReshapeOp::create(b, loc, t.clone(shape), v));
}

} // namespace

Value mlir::wse::scatterRows(OpBuilder &b, Location loc, Value rows,
                             Value indices, int64_t dests) {
  auto t = cast<RankedTensorType>(rows.getType());
  int64_t d = t.getDimSize(1);
  auto tableType = t.clone({dests + 1, d});
  Value zeros = ConstantOp::create(b, loc, DenseElementsAttr::get(tableType, 0.0f));
  Value table = ScatterAddOp::create(b, loc, zeros, indices, rows,
                                     b.getI64IntegerAttr(0));
  return SliceOp::create(b, loc, t.clone({dests, d}), table,
                         b.getDenseI64ArrayAttr({0, 0}),
                         b.getDenseI64ArrayAttr({dests, d}),
                         b.getDenseI64ArrayAttr({1, 1}));
}

RoutedGathers mlir::wse::findRoutedGathers(MoeRouteOp route) {
  auto slotType = cast<RankedTensorType>(route.getSlot().getType());
  int64_t tokens = slotType.getDimSize(0), k = slotType.getDimSize(1);
  int64_t slots = route.getExperts() * route.getCapacity();
  RoutedGathers out;
  for (Operation *user : route.getSrc().getUsers())
    if (auto g = dyn_cast<GatherOp>(user);
        g && isPaddedGather(g, route.getSrc(), tokens))
      out.bySrc.push_back(g);
  for (Operation *user : route.getSlot().getUsers()) {
    auto flat = dyn_cast<ReshapeOp>(user);
    if (!flat || cast<RankedTensorType>(flat.getType()).getShape() !=
                     ArrayRef<int64_t>{tokens * k})
      continue;
    for (Operation *reader : flat.getResult().getUsers())
      if (auto g = dyn_cast<GatherOp>(reader);
          g && isPaddedGather(g, flat.getResult(), slots))
        out.bySlot.push_back(g);
  }
  return out;
}

void mlir::wse::scatterRoutedGathers(const RoutedGathers &gathers,
                                     Value slotFlat, Value choiceOfSlot,
                                     int64_t k) {
  int64_t choices = cast<RankedTensorType>(slotFlat.getType()).getDimSize(0);
  for (GatherOp g : gathers.bySrc) {
    // Dispatch: token t's row, once per choice, to the slot of each.
    OpBuilder b(g);
    Location loc = g.getLoc();
    Value rows = unpadded(g.getData());
    auto t = cast<RankedTensorType>(rows.getType());
    int64_t tokens = t.getDimSize(0), d = t.getDimSize(1);
    Value once = reshapeTo(b, loc, rows, {tokens, 1, d});
    Value copies = once;
    if (k > 1)
      copies = ConcatOp::create(b, loc, SmallVector<Value>(k, once),
                                b.getI64IntegerAttr(1));
    Value perChoice = reshapeTo(b, loc, copies, {choices, d});
    int64_t slots = cast<RankedTensorType>(g.getType()).getDimSize(0);
    g.getResult().replaceAllUsesWith(
        scatterRows(b, loc, perChoice, slotFlat, slots));
    g.erase();
  }
  for (GatherOp g : gathers.bySlot) {
    // Combine: slot s's row to the choice it holds.
    OpBuilder b(g);
    g.getResult().replaceAllUsesWith(scatterRows(
        b, g.getLoc(), unpadded(g.getData()), choiceOfSlot, choices));
    g.erase();
  }
}
