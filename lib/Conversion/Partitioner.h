//===- Partitioner.h - wse-partition's state, shared by its files -*- C++
//-*-===//
//
// The partitioner walks @train_step once (Partition.cpp), choosing each
// kernel's split in PartitionChoose.cpp; weight streaming's parts of it
// (host-resident values, gradient chunks streamed out, what SRAM the
// pipelined step would need) are in PartitionStreaming.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_LIB_CONVERSION_PARTITIONER_H
#define WSE_LIB_CONVERSION_PARTITIONER_H

#include "Mapping.h"

#include "fabric/FabricDialect.h"
#include "wse/Support/Layout.h"
#include "wse/Support/Machine.h"
#include "wse/WseDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <map>
#include <set>

namespace mlir::wse::mesh::partition {

using ::wsert::AxisSplit;
using ::wsert::Layout;

inline RankedTensorType typeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

inline std::vector<int64_t> shapeOf(Value v) {
  auto s = typeOf(v).getShape();
  return {s.begin(), s.end()};
}

/// A value's data on the mesh: its tensor and layout.
struct Home {
  std::string sym;
  Layout layout;
  int64_t combine = 0; // how partial axes combine (1 add, 2 max)
  // Most rows of each partial tile are zero (a row gather from a split
  // table, a row scatter-add of split indices): transfers summing them
  // send only the rows holding a nonzero.
  bool sparseRows = false;
};

/// Where a parameter, state, input or constant comes from, until its first
/// use fixes its layout.
struct Source {
  std::string kind, name;
  Attribute init;
  DenseI64ArrayAttr range;
  ArrayAttr parts; // a stacked parameter's parts (wse.param_parts)
};

/// A box split: for each grid axis, the box dim it splits (or -1), and for
/// a nested axis the box dim split within each of its groups (or -1).
struct Choice {
  int64_t dim[2] = {-1, -1};
  int64_t block[2] = {1, 1};
  int64_t count[2] = {1, 1};
  int64_t inner[2] = {-1, -1};
  int64_t innerBlock[2] = {1, 1};
  /// The extent of box dim `d` on one PE: its block if split, else whole.
  int64_t local(int64_t d, const SmallVector<int64_t> &iter) const {
    for (int a = 0; a < 2; ++a) {
      if (d == dim[a])
        return block[a];
      if (d == inner[a])
        return innerBlock[a];
    }
    return iter[size_t(d)];
  }
  /// Per box dim: the axis it is split over (0 none, 1 x, 2 y, 3 and 4
  /// within the groups of x and y) and its block.
  void boxAxes(const SmallVector<int64_t> &iter, std::vector<int64_t> &axes,
               std::vector<int64_t> &blocks) const {
    axes.assign(iter.size(), 0);
    blocks.assign(iter.begin(), iter.end());
    for (int a = 0; a < 2; ++a) {
      if (dim[a] >= 0) {
        axes[size_t(dim[a])] = a + 1;
        blocks[size_t(dim[a])] = block[a];
      }
      if (inner[a] >= 0) {
        axes[size_t(inner[a])] = a + 3;
        blocks[size_t(inner[a])] = innerBlock[a];
      }
    }
  }
};

inline std::string layoutKey(const Layout &l) { return l.str(); }

class Partitioner {
public:
  Partitioner(ModuleOp module, func::FuncOp fn, const ::wsert::MachineDesc &m,
              int64_t wafer[2], StringRef execution)
      : module(module), fn(fn), machine(m),
        b(module.getContext()), wafer{wafer[0], wafer[1]},
        execution(execution.str()) {}
  LogicalResult run();
  /// Lets nested splits group the PEs by any small non-reduction box dim,
  /// not only by a stack's: fewer replicas (less SRAM), more and smaller
  /// transfers (more cycles). For steps that do not fit otherwise.
  void nestSmallDims(bool on) { nestAll = on; }
  /// Prefers, for each kernel, the cheapest split whose operand tiles take
  /// at most `bytes` a PE (0: no preference), and the cheapest that fits
  /// SRAM where none does: smaller tiles (a split table instead of a
  /// replicated one) for steps whose live tiles together do not fit.
  void preferTilesOf(int64_t bytes) { tileCap = bytes; }

private:
  ModuleOp module;
  func::FuncOp fn;
  ::wsert::MachineDesc machine;
  OpBuilder b;
  int64_t wafer[2]; // the whole preset, for "a larger mesh" advice
  fabric::GraphOp graph;
  std::string region = "mesh";
  int64_t grid[2] = {1, 1};
  std::string execution; // pipelined, weight-streaming or auto
  bool nestAll = false;
  int64_t tileCap = 0;
  // Weight streaming: parameters and state live in the host region.
  bool streaming = false;
  static constexpr const char *kHost = "host";
  std::set<std::string> onHost; // tensors in the host region
  // A streamed product's operand tiles take at most this share of a PE's
  // data SRAM; larger ones run in chunks (StreamChunks.cpp).
  static constexpr int64_t kStreamShare = 4;
  // Gradient chunks joined (by concats, nested) for a host update stream
  // out as each is computed: the join's host tensor gets each chunk at
  // its window; the chunks not sent yet go when the update reads it.
  DenseMap<Value, DenseSet<Value>> streamedParts; // join -> chunks sent
  LogicalResult streamOutChunk(Value chunk, Location loc);
  bool feedsHostUpdate(Value v);
  LogicalResult finishStreamedJoin(Value join, Location loc);
  LogicalResult sendToJoin(Value chunk, Value join, ArrayRef<int64_t> windowLo,
                           Location loc);
  // Micro-batching (wse.accumulate): the fabric ops made for a once-per-
  // step op (the optimizer update) and for the step's results are marked
  // to run in the last micro-batch only.
  struct OnceMarker : public OpBuilder::Listener {
    bool on = false;
    void notifyOperationInserted(Operation *op,
                                 OpBuilder::InsertPoint) override {
      if (on)
        op->setAttr(kOnceAttr, UnitAttr::get(op->getContext()));
    }
  } onceMarker;
  DenseMap<Value, Home> homes;
  DenseMap<Value, Source> sources;
  DenseMap<Value, SmallVector<Movement, 2>> pending;
  std::map<std::pair<void *, std::string>, std::string> relayouts;
  // Weight streaming saves SRAM over transfers: a relayout larger than its
  // value's home (a replicated copy for one kernel) is reused only by ops
  // close after it; a use further on (the backward pass's) transfers the
  // value again rather than keep the copy alive in between.
  static constexpr int64_t kCopyReuseWindow = 32;
  int64_t opIndex = 0;
  std::map<std::pair<void *, std::string>, int64_t> relayoutMadeAt;
  int64_t tensors = 0, transfers = 0;
  // Bytes per PE that tensors alive for the whole step (parameters, state,
  // inputs, constants) already hold: later kernels fit in the rest.
  int64_t persistentBytes = 0;
  std::set<std::string> persistent;

  // Sparsity (wse-sparsify): the masks of the step, which values are zero
  // outside one of them (and stored as its slots where a kernel allows),
  // and which constants are a mask.
  SmallVector<DenseElementsAttr> masks;
  std::vector<std::vector<uint8_t>> maskBits;
  DenseMap<Attribute, int64_t> maskOfConstant; // the mask as 0/1 f32
  DenseMap<Value, int64_t> patterns, maskConsts;
  std::map<std::string, int64_t> keptCache;
  int64_t addMask(DenseElementsAttr keep);
  int64_t maxKept(const Layout &l);
  int64_t storedElements(const Layout &l) {
    return l.mask >= 0 ? std::max<int64_t>(1, maxKept(l)) : l.tileElements();
  }
  /// `v` with multiplications by a mask stripped (the train step masks
  /// an updated parameter; on the mesh that is the update's own result).
  Value unmasked(Value v) const {
    while (auto mul = v.getDefiningOp<MulOp>()) {
      if (maskConsts.count(mul.getRhs()))
        v = mul.getLhs();
      else if (maskConsts.count(mul.getLhs()))
        v = mul.getRhs();
      else
        break;
    }
    return v;
  }
  bool aliasMaskedProduct(Operation &op);
  SparseFacts facts() {
    return {[this](Value v) { return patterns.lookup_or(v, -1); },
            [this](Value v) { return maskConsts.lookup_or(v, -1); }};
  }

  FlatSymbolRefAttr sym(StringRef s) {
    return FlatSymbolRefAttr::get(b.getContext(), s);
  }
  std::string newTensor(Value v, const Layout &l, Location loc, bool host,
                        StringRef kind = "temp", StringRef name = "",
                        Attribute init = {}, DenseI64ArrayAttr range = {},
                        ArrayAttr parts = {});
  bool isHost(const Home &h) const { return onHost.count(h.sym) != 0; }
  void transfer(Location loc, const Home &src, StringRef dst,
                const Movement *move);
  Layout defaultLayout(const std::vector<int64_t> &shape,
                       bool host = false) const;
  int64_t meshBytesOfUpdated();
  SmallVector<BlockArgument> updatedArgs();
  Layout updateHome(BlockArgument arg) const;
  FailureOr<std::string> ensure(Value v, const Layout &want, Location loc,
                                bool host = false);
  FailureOr<Home> ensureAny(Value v, Location loc);
  /// `m` (writing part of `v`) reading past the pending movements it is
  /// built on, as far as their index maps compose.
  Movement throughPending(Movement m, Value v) const;
  std::optional<Layout> allReduceMiddle(const Layout &from,
                                        const Layout &want) const;
  /// For a data movement built from partial sums `from` into `want` (the
  /// movement's result): the layout to sum them in first, when that is
  /// cheaper than summing at each receiver.
  std::optional<Layout> sumBeforeMoving(const Layout &from,
                                        const Layout &want) const;
  FailureOr<Home> summedOnMesh(Value v, Location loc, int64_t mask);
  Layout operandLayout(const Kernel &k, size_t operand, const Choice &c,
                       bool isOut) const;
  FailureOr<Choice> choose(Operation *op, const Kernel &k, bool host);
  bool sparseRows(const Kernel &k) const;
  bool unstored(const Kernel &k, const Layout &out) const;
  double rowsSent(const Kernel &k, const Layout &l, const Choice &c) const;
  LogicalResult mapKernel(Operation *op, Kernel &k);
  std::string inPlaceTarget(Operation *op, const Kernel &k, Value out,
                            const Layout &l, bool host);
  LogicalResult finish();
  DenseSet<Operation *> sentToUpdate;
  Operation *setupEnd = nullptr;      // the last op placing step-long tensors
  std::set<std::string> setupTensors; // the tensors placed by then
  LogicalResult sendToUpdates(Operation &op);
  LogicalResult sendToHost(Operation &op);
};

} // namespace mlir::wse::mesh::partition

#endif
