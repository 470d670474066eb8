//===- ChunkAttention.cpp - attention in groups of batches and heads ------===//
//
// An attention's scores and probabilities are [B, H, T, S]: at a large
// batch they outgrow the mesh (GPT-3 13B at batch 8 x 2048: 5.4 GB each,
// and its backward pass holds several) while everything else of the layer
// fits. Batches and heads are independent, so the attention becomes one
// attention per group of them, joined by concats: the backward pass (built
// after this pass) then differentiates each group on its own and the
// scores of one group are live at a time. Every output element is
// computed as before, from the same inputs in the same order.
//
//===----------------------------------------------------------------------===//
#include "Mapping.h"

#include "wse/Conversion/Passes.h"
#include "wse/Support/Machine.h"
#include "wse/Transforms/CheckedOptions.h"
#include "wse/WseDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::wse {
#define GEN_PASS_DEF_CHUNKATTENTION
#include "wse/Conversion/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {

/// A group's scores may take this share of a PE's data SRAM, spread over
/// the whole mesh: the backward pass holds about four tensors that size
/// (scores, probabilities and their gradients) besides the layer's
/// activations.
constexpr int64_t kScoreShare = 32;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

Value concat(OpBuilder &b, Location loc, ArrayRef<Value> parts, int64_t dim) {
  if (parts.size() == 1)
    return parts.front();
  return ConcatOp::create(b, loc, parts, b.getI64IntegerAttr(dim));
}

struct ChunkAttentionPass
    : public mlir::wse::impl::ChunkAttentionBase<ChunkAttentionPass> {
  using Base::Base;

  LogicalResult initializeOptions(
      StringRef options,
      function_ref<LogicalResult(const Twine &)> errorHandler) override {
    return initializeCheckedOptions(
        "wse-chunk-attention",
        [&](auto handler) { return Base::initializeOptions(options, handler); },
        [&] { return checkMachineOptions(machine, mesh, "auto"); },
        errorHandler);
  }

  void runOnOperation() override {
    if (std::string err = checkMachineOptions(machine, mesh, "auto");
        !err.empty()) {
      getOperation().emitError() << err;
      return signalPassFailure();
    }
    ::wsert::MachineDesc m = *::wsert::lookupMachinePreset(machine);
    (void)::wsert::applyMeshOption(m, mesh);             // checked above
    int64_t limit = m.dataSramBytes() / kScoreShare / 4; // elements per PE
    int64_t pes = m.width * m.height;
    SmallVector<AttentionOp> ops;
    getOperation().walk([&](AttentionOp op) { ops.push_back(op); });
    for (AttentionOp op : ops)
      chunk(op, pes, limit);
  }

  void chunk(AttentionOp op, int64_t pes, int64_t limit) {
    auto q = cast<RankedTensorType>(op.getQuery().getType());
    auto k = cast<RankedTensorType>(op.getKey().getType());
    int64_t batch = q.getDimSize(0), heads = q.getDimSize(1);
    int64_t scores = batch * heads * q.getDimSize(2) * k.getDimSize(2);
    int64_t groups = ceilDiv(ceilDiv(scores, pes), std::max<int64_t>(1, limit));
    if (groups <= 1)
      return;
    // Batches first (whole heads), then heads in multiples of the query
    // heads sharing a kv head; ALiBi's slopes depend on the head's index
    // among all of them, so its heads stay together.
    int64_t perBatch = ceilDiv(batch, std::min(batch, groups));
    int64_t headGroups = ceilDiv(groups, ceilDiv(batch, perBatch));
    int64_t rep = heads / int64_t(op.getNumKvHeads());
    int64_t perHeads = heads;
    if (perBatch == 1 && headGroups > 1 && !op.getAlibi()) {
      // The largest multiple of rep dividing heads with enough groups.
      for (int64_t g = heads; g >= rep; g -= rep)
        if (heads % g == 0) {
          perHeads = g;
          if (heads / g >= headGroups)
            break;
        }
    }
    if (perBatch == batch && perHeads == heads)
      return; // one batch whose heads stay together: nothing to split
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value mask = op.getMask();
    auto maskType = mask ? cast<RankedTensorType>(mask.getType()) : nullptr;
    // The mask broadcasts from the right to [B, H, T, S].
    auto sliceMask = [&](int64_t fromEnd, int64_t lo, int64_t hi, Value m) {
      int64_t d = maskType ? maskType.getRank() - fromEnd : -1;
      if (!m || d < 0 || cast<RankedTensorType>(m.getType()).getDimSize(d) == 1)
        return m;
      return mesh::sliceDim(b, loc, m, d, lo, hi);
    };
    SmallVector<Value> byBatch;
    for (int64_t b0 = 0; b0 < batch; b0 += perBatch) {
      int64_t b1 = std::min(batch, b0 + perBatch);
      Value qb = mesh::sliceDim(b, loc, op.getQuery(), 0, b0, b1);
      Value kb = mesh::sliceDim(b, loc, op.getKey(), 0, b0, b1);
      Value vb = mesh::sliceDim(b, loc, op.getValue(), 0, b0, b1);
      Value mb = sliceMask(4, b0, b1, mask);
      SmallVector<Value> byHeads;
      for (int64_t h0 = 0; h0 < heads; h0 += perHeads) {
        int64_t h1 = h0 + perHeads;
        Value qh = mesh::sliceDim(b, loc, qb, 1, h0, h1);
        Value kh = mesh::sliceDim(b, loc, kb, 1, h0 / rep, h1 / rep);
        Value vh = mesh::sliceDim(b, loc, vb, 1, h0 / rep, h1 / rep);
        Value mh = sliceMask(3, h0, h1, mb);
        Operation *part = b.clone(*op);
        part->setOperand(0, qh);
        part->setOperand(1, kh);
        part->setOperand(2, vh);
        if (mh)
          part->setOperand(3, mh);
        part->setAttr("num_heads", b.getI64IntegerAttr(perHeads));
        part->setAttr("num_kv_heads", b.getI64IntegerAttr(perHeads / rep));
        auto v = cast<RankedTensorType>(vh.getType());
        part->getResult(0).setType(RankedTensorType::get(
            {b1 - b0, perHeads, q.getDimSize(2), v.getDimSize(3)},
            q.getElementType()));
        byHeads.push_back(part->getResult(0));
      }
      byBatch.push_back(concat(b, loc, byHeads, 1));
    }
    op.getResult().replaceAllUsesWith(concat(b, loc, byBatch, 0));
    op.erase();
  }
};

} // namespace
