//===- PartitionStreaming.cpp - wse-partition's weight-streaming parts ---===//
//
// Under weight streaming parameters and optimizer state live in the host
// region. What this file adds to the partitioner: a value bound for the
// host is summed on the mesh first (it crosses the links once); gradient
// chunks (StreamChunks.cpp) go out to their window of the gradient's host
// tensor as each is computed, so SRAM holds one chunk at a time; and the
// SRAM the pipelined step would need, for execution=auto.
//
//===----------------------------------------------------------------------===//
#include "Partitioner.h"

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::mesh;

namespace mlir::wse::mesh::partition {

/// Where `v` lands in the join of concats above it (which may come later
/// in the step): the outermost concat result it reaches through single
/// uses, and the corner of its window there.
static Value joinOf(Value v, SmallVector<int64_t> &lo) {
  lo.assign(typeOf(v).getRank(), 0);
  Value at = v;
  while (at.hasOneUse()) {
    auto cat = dyn_cast<ConcatOp>(*at.getUsers().begin());
    if (!cat)
      break;
    int64_t axis = cat.getAxis();
    for (Value in : cat.getInputs()) {
      if (in == at)
        break;
      lo[size_t(axis)] += typeOf(in).getDimSize(axis);
    }
    at = cat.getResult();
  }
  return at;
}

/// A chunk (StreamChunks.cpp) that concats join: the join gets its tensor
/// now and the chunk goes to its window at once, so SRAM holds one chunk
/// at a time besides the join. A gradient for an optimizer update on the
/// host joins in host memory; any other join on the mesh, spread over it
/// (each chunk in the layout its kernel chose would hold SRAM until the
/// last is done, in a layout that uses few PEs when the chunk is thin).
LogicalResult Partitioner::streamOutChunk(Value chunk, Location loc) {
  SmallVector<int64_t> lo;
  Value join = joinOf(chunk, lo);
  if (join == chunk)
    return success();
  bool host = feedsHostUpdate(join);
  if (!homes.count(join)) {
    Layout l = defaultLayout(shapeOf(join), host);
    homes[join] = Home{newTensor(join, l, loc, host), l, 0};
    streamedParts[join];
  }
  if (!streamedParts.count(join))
    return success();
  return sendToJoin(chunk, join, lo, loc);
}

/// Whether `v` is only a (dense) gradient that host updates read, directly
/// or through sums (a tied weight's gradient adds its uses' parts) and
/// reshapes.
bool Partitioner::feedsHostUpdate(Value v) {
  if (v.use_empty())
    return false;
  for (OpOperand &use : v.getUses()) {
    Operation *user = use.getOwner();
    // A sum's parts, a reshaped gradient (a bias's [1, 1, N] sum over the
    // batch) and one accumulated over micro-batches are bound for the host
    // too.
    if (isa<AddOp, ReshapeOp, AccumulateOp>(user)) {
      if (!feedsHostUpdate(user->getResult(0)))
        return false;
      continue;
    }
    auto param = user->getNumOperands() > 0
                     ? dyn_cast<BlockArgument>(user->getOperand(0))
                     : BlockArgument();
    auto h = param ? homes.find(param) : homes.end();
    if (!isa<SgdUpdateOp, SgdMomentumUpdateOp, AdamWUpdateOp>(user) ||
        use.getOperandNumber() != 1 || h == homes.end() || !isHost(h->second) ||
        h->second.layout.mask >= 0)
      return false;
  }
  return true;
}

/// A gradient that only host updates read streams out as soon as it is
/// computed: it would otherwise hold SRAM through the rest of the backward
/// pass, until the updates at the end of the step (a layer's weight
/// gradients, on every layer at once).
LogicalResult Partitioner::sendToHost(Operation &op) {
  for (Value r : op.getResults()) {
    auto h = homes.find(r);
    if (h == homes.end() || isHost(h->second) ||
        llvm::any_of(r.getUsers(),
                     [](Operation *u) { return isa<AddOp>(u); }) ||
        !feedsHostUpdate(r))
      continue;
    Layout l = defaultLayout(shapeOf(r), /*host=*/true);
    FailureOr<std::string> s = ensure(r, l, op.getLoc(), /*host=*/true);
    if (failed(s))
      return failure();
    homes[r] = Home{*s, l, 0};
  }
  return success();
}

LogicalResult Partitioner::sendToJoin(Value chunk, Value join,
                                      ArrayRef<int64_t> windowLo,
                                      Location loc) {
  if (!streamedParts[join].insert(chunk).second)
    return success();
  FailureOr<Home> s = summedOnMesh(chunk, loc, -1);
  if (failed(s))
    return failure();
  Movement m;
  m.src = chunk;
  m.affine = true;
  int64_t rank = typeOf(chunk).getRank();
  m.coeffs.assign(rank * rank, 0);
  for (int64_t j = 0; j < rank; ++j)
    m.coeffs[j * rank + j] = 1;
  m.offset.assign(rank, 0);
  m.windowLo.assign(windowLo.begin(), windowLo.end());
  m.windowSize.assign(typeOf(chunk).getShape().begin(),
                      typeOf(chunk).getShape().end());
  transfer(loc, *s, homes[join].sym, &m);
  return success();
}

/// Sends the chunks of a streamed join not sent yet (those no kernel made
/// in the join's tree of concats).
LogicalResult Partitioner::finishStreamedJoin(Value join, Location loc) {
  SmallVector<Value> leaves{join};
  SmallVector<Value> chunks;
  while (!leaves.empty()) {
    Value v = leaves.pop_back_val();
    if (auto cat = v.getDefiningOp<ConcatOp>()) {
      for (Value in : cat.getInputs())
        leaves.push_back(in);
      continue;
    }
    chunks.push_back(v);
  }
  for (Value c : chunks) {
    SmallVector<int64_t> lo;
    if (joinOf(c, lo) != join)
      return emitError(loc, "internal: a streamed gradient chunk lost its "
                            "place in the join");
    if (failed(sendToJoin(c, join, lo, loc)))
      return failure();
  }
  streamedParts.erase(join);
  return success();
}

/// Bytes per PE that the updated parameters, their optimizer state and
/// gradient accumulators take in SRAM where pipelined execution keeps them
/// (spread over the mesh).
int64_t Partitioner::meshBytesOfUpdated() {
  int64_t bytes = 0;
  for (BlockArgument arg : updatedArgs())
    bytes += 4 * storedElements(updateHome(arg));
  // Gradient accumulators hold a step's sums from one micro-batch to the
  // next, one the size of each trained parameter.
  for (auto acc : fn.getBody().front().getOps<AccumulateOp>())
    if (typeOf(acc.getResult()).getRank() > 0)
      bytes += 4 * storedElements(defaultLayout(shapeOf(acc.getResult())));
  return bytes;
}

/// Where `v` is, for a transfer to the host: partial sums (a weight
/// gradient) are summed on the mesh first, spread over it (sparse on
/// `mask` if >= 0), so they cross the host links once.
FailureOr<Home> Partitioner::summedOnMesh(Value v, Location loc, int64_t mask) {
  FailureOr<Home> h = ensureAny(v, loc);
  if (failed(h) || isHost(*h) || !h->layout.isPartial())
    return h;
  Layout spread = defaultLayout(h->layout.shape);
  spread.mask = mask >= 0 ? mask : h->layout.mask;
  FailureOr<std::string> s = ensure(v, spread, loc);
  if (failed(s))
    return failure();
  return Home{*s, spread, 0};
}

} // namespace mlir::wse::mesh::partition
