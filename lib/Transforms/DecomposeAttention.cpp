//===- DecomposeAttention.cpp - attention and rope -> primitive ops -------===//
#include "wse/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::wse {
#define GEN_PASS_DEF_DECOMPOSEATTENTION
#include "wse/Transforms/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {
struct DecomposeAttentionPass
    : public mlir::wse::impl::DecomposeAttentionBase<DecomposeAttentionPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<AttentionOp, RopeOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      Value replacement;
      if (auto att = dyn_cast<AttentionOp>(op))
        replacement = buildAttentionFromPrimitives(b, att).result;
      else if (auto rope = dyn_cast<RopeOp>(op))
        replacement = buildRopeFromPrimitives(b, rope.getLoc(), rope.getInput(),
                                              rope.getTheta().convertToFloat(),
                                              rope.getInterleaved(), false);
      op->getResult(0).replaceAllUsesWith(replacement);
      op->erase();
    }
  }
};
} // namespace
