//===- MeshSimulatorImpl.h - the mesh engine's state --------------*- C++ -*-===//
//
// Shared by MeshSimulator.cpp (loading, stepping, the PEs' instructions)
// and TransferPlan.cpp (which PE sends which elements to which, planned
// once at load). Not a public header.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_LIB_SIM_MESHSIMULATORIMPL_H
#define WSE_LIB_SIM_MESHSIMULATORIMPL_H

#include "wse/Sim/MeshSimulator.h"
#include "WaferProgram.pb.h"
#include "wse/Support/Layout.h"
#include "wse/Support/PeIsa.h"
#include "wse/Target/WaferLayout.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace wsert::sim {

namespace wp = ::wsebin;

namespace detail {

inline std::vector<int64_t> rowMajorStrides(const std::vector<int64_t> &shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    s[d] = s[d + 1] * shape[d + 1];
  return s;
}

/// The cycles a ramp is busy in a step: disjoint [start, end) stretches,
/// sorted and merged where they touch. A flat vector: most takes append
/// at its end, and a tree node per stretch cost an allocation each.
struct BusyCycles {
  std::vector<std::pair<uint64_t, uint64_t>> stretches;
  void clear() { stretches.clear(); }
};

/// Takes `n` cycles of a ramp that is busy in `busy` from `t` on, the
/// first free ones; returns when the last ends.
inline uint64_t takeFree(BusyCycles &busy, uint64_t t, uint64_t n) {
  std::vector<std::pair<uint64_t, uint64_t>> &v = busy.stretches;
  while (n > 0) {
    // The first stretch starting after t.
    size_t next = size_t(
        std::upper_bound(v.begin(), v.end(), t,
                         [](uint64_t at, const std::pair<uint64_t, uint64_t>
                                             &s) { return at < s.first; }) -
        v.begin());
    if (next > 0 && v[next - 1].second > t) { // t is inside a busy stretch
      t = v[next - 1].second;
      continue;
    }
    uint64_t use = next == v.size() ? n : std::min(n, v[next].first - t);
    uint64_t end = t + use;
    // Merge with the stretches either side it touches.
    bool before = next > 0 && v[next - 1].second == t;
    bool after = next < v.size() && v[next].first == end;
    if (before && after) {
      v[next - 1].second = v[next].second;
      v.erase(v.begin() + std::ptrdiff_t(next));
    } else if (before) {
      v[next - 1].second = end;
    } else if (after) {
      v[next].first = t;
    } else {
      v.insert(v.begin() + std::ptrdiff_t(next), {t, end});
    }
    n -= use;
    t += use;
  }
  return t;
}

struct PE {
  int prog;
  int64_t px, py, x, y;
  // Weight streaming's host: off the mesh (x = -1), its ramps are the host
  // links and its core runs at the host's update rate.
  bool host = false;
  std::vector<float> sram; // the data part of SRAM, in 4-byte words
  std::vector<float *> buffers;
  uint64_t clock = 0;
  uint64_t compute = 0; // cycles this step in local instructions
  // The out-ramp runs beside the core (an asynchronous fabric output):
  // when it is free again, and the buffers it is still sending from.
  uint64_t rampOut = 0;
  struct Sending {
    const float *begin, *end;
    uint64_t until;
  };
  std::vector<Sending> sending;
  // The in-ramp likewise: the cycles it is busy this step ([start, end),
  // merged), and the transfers posted (their pieces may come in from then
  // on) and not yet received. A posted transfer's wavelets take the ramp
  // whenever it is free after they arrive, also before a transfer whose
  // recv came first in the program.
  BusyCycles inBusy;
  std::vector<std::pair<int64_t, uint64_t>> posted;
  /// Takes `n` free in-ramp cycles from `t` on; returns when the last ends.
  uint64_t takeIn(uint64_t t, uint64_t n) { return takeFree(inBusy, t, n); }
  std::vector<const struct Piece *> inbound; // a recv's pieces (scratch)
  int pc = 0;
  // The micro-batch this PE is running (a micro-batched step runs its
  // program once per micro-batch, each PE going on to the next as soon as
  // it is through one), and the transfer whose send waits for the
  // receiver to take the last micro-batch's piece (-1: none).
  int64_t run = 0;
  int64_t blockedSend = -1;
  bool done = false;
  bool faulted = false; // stopped by a run-time fault this step
};

/// Links a wavelet crosses from `a` to `b`: x then y on the mesh; to or
/// from the host, from the west edge in the mesh PE's row (the host links
/// enter the wafer along its edge).
inline int64_t hopsBetween(const PE &a, const PE &b) {
  if (a.host != b.host)
    return (a.host ? b.x : a.x) + 1;
  return std::abs(a.x - b.x) + std::abs(a.y - b.y);
}

/// A stretch of a piece's elements contiguous in both tiles.
struct Run {
  int32_t src, dst, len;
};

/// The elements one PE sends another for one transfer: runs and data live
/// in the plan's flat arrays (a step moves millions of small pieces, so a
/// piece is kept small: a step walks them all twice).
struct Piece {
  int32_t src, dst; // PE indices
  int32_t hops;
  // Pieces of one sender holding the same elements (a replicated layout)
  // leave as one multicast: the first of the group (the leader) pays the
  // ramp and the links of the tree; the others ride along and share its
  // data (the same elements in the same order).
  int32_t leader = -1; // -1: this piece leads its group
  int64_t links = 0;   // leader: links of the group's x-then-y tree
  int32_t runBegin = 0, runEnd = 0; // in TransferPlan::runs
  int64_t dataBegin = 0;            // in TransferPlan::data
  int32_t count = 0;
  int32_t dstSlot = -1; // the receiver's entry in the plan's `missing`
  // What the last send put on the ramp: `count`, or for a transfer with
  // sparse rows the elements of its rows holding a nonzero plus a header
  // wavelet per such row (`sentData` without the headers).
  uint64_t sent = 0, sentData = 0;
  uint64_t first = 0;   // when the first wavelet is in
  uint64_t arrival = 0; // when the last wavelet is in
  // Sent and not yet received. A micro-batched step sends it again in the
  // next micro-batch only once it is received (a channel holds one piece),
  // and not before `taken`, the cycle its receive ended.
  uint64_t taken = 0;
  bool ready = false;
};

/// Per PE, a list of indices (compressed rows: the lists of PE `pe` are
/// `items[start[pe] .. start[pe + 1])`).
template <typename T> struct PerPe {
  std::vector<int32_t> start;
  std::vector<T> items;
  /// PE `pe`'s list, for range-for.
  struct List {
    const T *first, *last;
    const T *begin() const { return first; }
    const T *end() const { return last; }
    bool empty() const { return first == last; }
    size_t size() const { return size_t(last - first); }
  };
  List of(int pe) const {
    return {items.data() + start[size_t(pe)],
            items.data() + start[size_t(pe) + 1]};
  }
  /// From (pe, item) pairs in the order each list should keep.
  void build(size_t numPes, const std::vector<std::pair<int, T>> &pairs) {
    start.assign(numPes + 1, 0);
    for (const auto &[pe, item] : pairs)
      ++start[size_t(pe) + 1];
    for (size_t i = 0; i < numPes; ++i)
      start[i + 1] += start[i];
    items.resize(pairs.size());
    std::vector<int32_t> at(start.begin(), start.end() - 1);
    for (const auto &[pe, item] : pairs)
      items[size_t(at[size_t(pe)]++)] = item;
  }
};

/// Appends (src, dst) to runs, extending the last run when contiguous.
inline void addElement(std::vector<Run> &runs, int32_t src, int32_t dst) {
  if (!runs.empty()) {
    Run &r = runs.back();
    if (r.src + r.len == src && r.dst + r.len == dst) {
      ++r.len;
      return;
    }
  }
  runs.push_back({src, dst, 1});
}

struct TransferPlan {
  std::vector<Piece> pieces;
  std::vector<Run> runs;
  std::vector<float>
      data; // the pieces' elements (a group's once), filled by the sends
  PerPe<int32_t> bySrc,
      byDst; // PE -> its pieces (a receiver's in sender order)
  // Per receiver (`slotOf` its PE, -1 for none), the pieces not yet sent
  // this step: a receive is ready when its count is 0, and the last send
  // wakes it.
  std::vector<int32_t> slotOf;
  std::vector<int> missing, expected;
  // Entries of a dense destination that a sparse source does not keep:
  // the receiver writes zeros there (no wavelet carries them).
  PerPe<int32_t> zeros;
  // Sparse rows: the source tile's row length (its last dim), 0 when every
  // element is sent.
  int64_t rowLength = 0;
  // A source not stored (pe.transfer `rows`): the scatter_add over the
  // sender's updates and indices buffers that builds its tile at a send.
  int rowsUpdates = -1, rowsIndex = -1;
  isa::Instr rowsOf;
  int64_t rowsTile = 0;
};

/// A piece's wavelets as sent from the source tile `base`: with sparse
/// rows only the rows (of `plan.rowLength`) holding a nonzero go, each
/// with a header. Sets `p.sent` and `p.sentData`.
void countSent(const TransferPlan &plan, Piece &p, const float *base);

/// How a sparse layout is stored on a program's PEs: each PE's slots
/// (tile offsets of kept entries) and, per tile offset, its slot or -1.
struct Storage {
  SparseTiles tiles;
  std::vector<std::vector<int32_t>> slotOf;
};

inline std::string pos(int64_t x, int64_t y) {
  return "(" + std::to_string(x) + ", " + std::to_string(y) + ")";
}

/// One transfer in the region model.
struct TransferCost {
  bool any = false;      // some PE sends some PE a piece
  uint64_t out = 0;      // wavelets the busiest sender's out-ramp puts out
                         // (the pieces it leads, copies to itself included)
  uint64_t in = 0;       // wavelets the busiest receiver's in-ramp takes
                         // (pieces from other PEs)
  int64_t hops = 0;      // the longest path of a piece between two PEs
  bool self = false;     // some PE sends itself a piece
  uint64_t zeros = 0;    // the most elements a receiver writes as zeros
  uint64_t wavelets = 0; // wavelet-hops of all its pieces
  uint64_t combined = 0; // partial-sum elements its receivers combine
  uint64_t hostIn = 0, hostOut = 0; // wavelets from and to the host
  bool operator==(const TransferCost &o) const {
    return any == o.any && out == o.out && in == o.in && hops == o.hops &&
           self == o.self && zeros == o.zeros && wavelets == o.wavelets &&
           combined == o.combined && hostIn == o.hostIn &&
           hostOut == o.hostOut;
  }
  std::string str() const;
};

/// Per program, per micro-batch, per instruction: the most cycles a PE of
/// the program spent on it and the FLOPs all of them did.
struct InstrCosts {
  std::vector<std::vector<std::vector<uint64_t>>> cycles, flops;
  void resize(const std::vector<std::vector<isa::Instr>> &code,
              int64_t microBatches);
};

} // namespace detail

struct MeshSimulator::Impl {
  using PE = detail::PE;
  using TransferPlan = detail::TransferPlan;
  using Storage = detail::Storage;
  wp::WaferProgram program;
  isa::Rates rates, hostRates;
  double hostWaveletsPerCycle = 0; // all host links together
  std::vector<PE> pes;
  std::vector<int> firstPe; // per program
  std::vector<std::vector<isa::Instr>> code; // per program
  std::vector<std::vector<int64_t>> lengths; // per program, per buffer
  std::vector<TransferPlan> plans;
  // The region model's inputs (RegionTiming.h): each transfer's cost from
  // its plan, and each instruction's as the PEs ran it in the first step.
  std::vector<detail::TransferCost> transferCosts;
  detail::InstrCosts observed;
  bool observing = true;
  // --timing-only: PEs without SRAM, nothing runs but the region model.
  bool timingOnly = false;
  /// Each local instruction's cost without data (timing-only): run on
  /// scratch SRAM at one PE of each class its cost can differ between.
  std::string costInstructions();
  std::string regionStep(StepStats &stats);
  /// The region cost of a transfer from its layouts and map, without
  /// planning it; none when the map is not one the derivation covers.
  std::optional<detail::TransferCost> analyticCost(const wp::Transfer &t) const;
  /// Links of the x-then-y multicast tree from `srcPe` to `members`.
  int64_t treeLinks(int srcPe, const std::vector<int> &members) const;
  /// Writes PE (px, py)'s part of index binding `b` into `words`.
  std::string writeIndex(const wp::Binding &b, int64_t px, int64_t py,
                         float *words);
  std::map<std::string, Storage> storages;
  uint64_t cycles = 0, peCycles = 0, wavelets = 0, flops = 0;
  // Gradient accumulation: a step runs every program once per micro-batch
  // (`micro` of `microBatches`); micro-batched inputs wait here, whole,
  // and each run writes its slice.
  int64_t microBatches = 1;
  std::map<int, std::vector<float>> wholeInputs; // by input binding
  /// Writes micro-batch `run`'s slice of every micro-batched input into
  /// the tiles of PE `peIdx` (all PEs when -1).
  void writeMicroInputs(int64_t run, int peIdx);
  int64_t maxSram = 0;
  bool tracing = false;
  std::vector<TraceEvent> trace;

  int peAt(int prog, int64_t px, int64_t py) const {
    const wp::Program &p = program.programs(prog);
    return firstPe[prog] + int(py * p.width() + px);
  }
  std::string name(const PE &pe) const {
    return "PE " + detail::pos(pe.x, pe.y) + " of @" + program.programs(pe.prog).name();
  }
  std::string plan(const wp::Transfer &t, TransferPlan &out);
  const Storage &storage(const Layout &l, int prog);
  /// forEachTileElement over what the PE stores: a sparse layout's kept
  /// entries, `off` being their slot.
  template <typename F>
  void forEachStored(const Layout &l, int prog, int64_t px, int64_t py, F f) {
    if (l.mask < 0)
      return forEachTileElement(l, px, py, f);
    const Storage &s = storage(l, prog);
    const std::vector<int32_t> &slotOf =
        s.slotOf[size_t(py * s.tiles.gridW + px)];
    forEachTileElement(l, px, py,
                       [&](const std::vector<int64_t> &g, int64_t off) {
                         if (int32_t slot = slotOf[size_t(off)]; slot >= 0)
                           f(g, slot);
                       });
  }
  std::string execute(int peIdx, bool &blocked, StepStats &stats,
                      std::vector<int> &woken, std::vector<TraceEvent> &events);
  int threads = 1;
  void writeTensor(const wp::Binding &b, const std::vector<float> &values);
  /// Writes element `valueAt(row-major index)` into every tile holding it.
  /// Only into the tiles of PE `only` when it is not -1.
  template <typename F>
  void writeTensorFrom(const wp::Binding &b, F valueAt, int only = -1);
};

} // namespace wsert::sim

#endif // WSE_LIB_SIM_MESHSIMULATORIMPL_H
