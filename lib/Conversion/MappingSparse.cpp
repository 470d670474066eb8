//===- MappingSparse.cpp - kernels that run over a mask's kept entries ----===//
//
// A value the partitioner knows to be zero outside a static mask (a
// sparsified parameter, its optimizer state, a gradient the train step
// multiplies by the mask) is stored on the mesh as the mask's kept entries
// only. A kernel may then iterate those entries instead of the two box
// dims they span, where skipping the rest cannot change the result: a
// product with a zero is zero, sums and copies of zeros are zero, and a
// result that is only ever multiplied by the mask matters only where the
// mask keeps it. Anything else reads the value densely (a transfer writes
// the zeros back).
//
//===----------------------------------------------------------------------===//
#include "Mapping.h"

#include "wse/WseDialect.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::mesh;

namespace {

int64_t rankOf(Value v) { return cast<RankedTensorType>(v.getType()).getRank(); }

/// Whether `map` names two box dims (a rank-2 operand that spans them).
bool spans(ArrayRef<int64_t> map) {
  return map.size() == 2 && map[0] >= 0 && map[1] >= 0;
}

/// The mask every use of `v` multiplies it by, or -1.
int64_t demandedMask(Value v, const SparseFacts &f) {
  int64_t mask = -1;
  for (OpOperand &use : v.getUses()) {
    auto mul = dyn_cast<MulOp>(use.getOwner());
    if (!mul)
      return -1;
    Value other = mul->getOperand(1 - use.getOperandNumber());
    int64_t m = f.maskConstOf(other);
    if (m < 0 || (mask >= 0 && m != mask))
      return -1;
    mask = m;
  }
  return mask;
}

/// Marks operand `pattern` (of kernel k) as the one whose slots the
/// kernel iterates, and every other operand with the same mask and map as
/// slots too.
void iterateSlotsOf(Kernel &k, int64_t pattern, int64_t mask,
                    const SparseFacts &f) {
  k.kernel = "spmap";
  k.mask = mask;
  k.pattern = pattern;
  size_t n = k.outs.size() + k.ins.size();
  k.slots.assign(n, false);
  k.slots[pattern] = true;
  for (size_t i = k.outs.size(); i < n; ++i) {
    Value v = k.ins[i - k.outs.size()];
    if (f.patternOf(v) == mask && k.maps[i] == k.maps[pattern])
      k.slots[i] = true;
  }
  if (k.maps[0] == k.maps[pattern])
    k.slots[0] = true;
}

} // namespace

bool mesh::sparsifyKernel(Operation *op, Kernel &k, const SparseFacts &f) {
  if (k.isUpdate()) {
    // Parameter, gradient and state all zero outside one mask: the update
    // of a zero is zero (weight decay included), so it runs over slots.
    int64_t mask = f.patternOf(k.ins[0]);
    if (mask < 0)
      return false;
    for (Value v : k.ins)
      if (rankOf(v) > 0 && f.patternOf(v) != mask)
        return false;
    k.mask = mask;
    for (Value v : k.outs)
      (void)v, k.slots.push_back(true);
    for (Value v : k.ins)
      k.slots.push_back(rankOf(v) > 0);
    return true;
  }
  if (k.kernel != "map" || k.outs.size() != 1)
    return false;
  Value out = k.outs[0];
  // x * mask: x at the mask's kept entries.
  if (auto mul = dyn_cast<MulOp>(op); mul && k.acc == 0 && rankOf(out) == 2)
    for (int side = 0; side < 2; ++side) {
      int64_t mask = f.maskConstOf(mul->getOperand(side));
      Value x = mul->getOperand(1 - side);
      if (mask < 0 || x.getType() != out.getType() || !spans(k.maps[0]))
        continue;
      k.fn = "copy";
      SmallVector<int64_t> xMap = k.maps[2 - side];
      k.ins = {x};
      k.maps = {k.maps[0], xMap};
      iterateSlotsOf(k, 0, mask, f);
      return true;
    }
  // A result only ever multiplied by a mask matters only where it keeps.
  if (int64_t mask = demandedMask(out, f);
      mask >= 0 && rankOf(out) == 2 && spans(k.maps[0]) &&
      (k.acc == 0 || (k.acc == 1 && (k.fn == "mul" || k.fn == "copy")))) {
    iterateSlotsOf(k, 0, mask, f);
    return true;
  }
  // An operand zero outside a mask whose zeros the function keeps.
  for (size_t i = 0; i < k.ins.size(); ++i) {
    Value v = k.ins[i];
    int64_t mask = f.patternOf(v);
    size_t operand = 1 + i;
    if (mask < 0 || !spans(k.maps[operand]))
      continue;
    bool allSparse = llvm::all_of(llvm::seq<size_t>(0, k.ins.size()),
                                  [&](size_t j) {
                                    return f.patternOf(k.ins[j]) == mask &&
                                           k.maps[1 + j] == k.maps[operand];
                                  });
    bool exact = (k.fn == "mul" && k.acc <= 1) ||
                 (k.fn == "copy" && k.acc == 1) ||
                 (k.acc == 0 && (k.fn == "copy" || k.fn == "neg")) ||
                 (k.acc == 0 && (k.fn == "add" || k.fn == "sub") && allSparse);
    // An assignment must write every entry of its result it keeps: only
    // a result laid out like the pattern, as its slots.
    if (!exact || (k.acc == 0 && k.maps[0] != k.maps[operand]))
      continue;
    iterateSlotsOf(k, int64_t(operand), mask, f);
    return true;
  }
  return false;
}
