//===- RoutedScatters.h - MoE row gathers as scatters from the holders ----===//
//
// Part of wse-decompose-for-mesh. A raised mixture of experts moves rows by
// gathers at routed indices: the dispatch gathers the token table at each
// slot's token, the combine gathers the expert outputs at each choice's
// slot. On the mesh a gather brings its table to the readers, every row to
// every PE that might read it; a scatter-add of split rows sends each row
// from the PE holding it to the PE of its destination only (sparse rows,
// `mapping.md`). Since moe_route's two indices are inverse maps (slot s
// holds choice c of token t exactly when choice c of t went to s), each
// such gather is a scatter-add of the table's rows at the inverse index.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_TRANSFORMS_ROUTEDSCATTERS_H
#define WSE_TRANSFORMS_ROUTEDSCATTERS_H

#include "wse/WseDialect.h"

namespace mlir::wse {

/// The gathers that read rows through one moe_route's indices, padded
/// tables only (the last row an exact zero, the row a dropped choice or
/// an empty slot reads): `bySrc` gather [tokens + 1, d] at `src`, `bySlot`
/// gather [slots + 1, d] at the flattened `slot`.
struct RoutedGathers {
  SmallVector<GatherOp> bySrc, bySlot;
  bool empty() const { return bySrc.empty() && bySlot.empty(); }
};

/// `rows` [M, d] scatter-added at `indices` [M] into a [dests + 1, d] of
/// zeros whose last row takes what goes nowhere, and that row cut off.
Value scatterRows(OpBuilder &b, Location loc, Value rows, Value indices,
                  int64_t dests);

/// Finds them, before the route is decomposed.
RoutedGathers findRoutedGathers(MoeRouteOp route);

/// Replaces each by a scatter-add into zeros at the inverse index: the
/// token rows, one copy per choice, at `slotFlat` (i64 [tokens k], a
/// dropped choice at the padding slot), or the slot rows at `choiceOfSlot`
/// (i64 [slots], each slot's choice as token k + c, an empty slot at
/// tokens k; used only for `bySlot` gathers). Every destination row receives at most one row, so each
/// result is +0 plus the gathered row: the same values.
void scatterRoutedGathers(const RoutedGathers &gathers, Value slotFlat,
                          Value choiceOfSlot, int64_t k);

} // namespace mlir::wse

#endif // WSE_TRANSFORMS_ROUTEDSCATTERS_H
