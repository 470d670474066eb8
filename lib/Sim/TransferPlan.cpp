//===- TransferPlan.cpp - who sends which elements to whom ----------------===//
//
// Planned once, at load: from a transfer's source and destination layouts
// and its index map, each receiving PE learns which sending PE holds each
// element it needs and where (pieces of runs), and each sparse layout's
// per-PE slots (Storage).
//
//===----------------------------------------------------------------------===//
#include "MeshSimulatorImpl.h"

#include <algorithm>
#include <climits>
#include <cstdlib>

namespace wsert::sim {

using namespace detail;

const Storage &MeshSimulator::Impl::storage(const Layout &l, int prog) {
  const wp::Program &p = program.programs(prog);
  std::string key = std::to_string(p.width()) + "x" +
                    std::to_string(p.height()) + " " + l.str();
  for (int64_t d : l.shape)
    key += " " + std::to_string(d);
  auto it = storages.find(key);
  if (it != storages.end())
    return it->second;
  Storage s;
  s.tiles = sparseTiles(l, maskBits(program.masks(int(l.mask))), p.width(),
                        p.height());
  int64_t tile = l.tileElements();
  for (const std::vector<int32_t> &offsets : s.tiles.offsets) {
    std::vector<int32_t> inv(size_t(tile), -1);
    for (size_t k = 0; k < offsets.size(); ++k)
      inv[size_t(offsets[k])] = int32_t(k);
    s.slotOf.push_back(std::move(inv));
  }
  return storages.emplace(key, std::move(s)).first->second;
}

std::string MeshSimulator::Impl::plan(const wp::Transfer &t,
                                      TransferPlan &out) {
  Layout src = layoutFromProto(t.src()), dst = layoutFromProto(t.dst());
  const wp::Program &dp = program.programs(t.dst_program());
  int64_t srcRank = int64_t(src.shape.size());
  int64_t dstRank = int64_t(dst.shape.size());
  std::vector<int64_t> lo(t.window_lo().begin(), t.window_lo().end());
  std::vector<int64_t> wsize(t.window_size().begin(), t.window_size().end());
  std::vector<int64_t> windowStrides = rowMajorStrides(wsize);
  std::vector<int64_t> reshape(t.reshape().begin(), t.reshape().end());
  std::vector<int64_t> reshapeStrides = rowMajorStrides(reshape);
  int64_t indexRank = int64_t(reshape.size());
  std::vector<int64_t> m(indexRank > 0 ? reshape.size() : size_t(dstRank));
  // A window index's row-major number, and a number as the index of a
  // shape with the given strides.
  auto windowNumber = [&](const std::vector<int64_t> &g) {
    int64_t lin = 0;
    for (int64_t k = 0; k < dstRank; ++k)
      lin += (g[size_t(k)] - lo[size_t(k)]) * windowStrides[size_t(k)];
    return lin;
  };
  auto unflattenInto = [](int64_t lin, const std::vector<int64_t> &strides,
                          std::vector<int64_t> &out) {
    for (size_t j = 0; j < strides.size(); ++j) {
      out[j] = strides[j] ? lin / strides[j] : 0;
      lin -= out[j] * strides[j];
    }
  };
  std::vector<int64_t> srcStrides = rowMajorStrides(src.shape);
  std::vector<int64_t> srcTileStrides = rowMajorStrides(src.tileShape());
  std::vector<int64_t> s(srcRank);
  std::vector<int64_t> holders[2]; // per axis, the source positions of s
  std::unordered_map<int, int> pieceOf; // source PE -> piece, per receiver
  std::vector<std::vector<Run>> pending; // runs of this receiver's pieces
  std::vector<std::pair<int, int32_t>> zeros; // (receiver, offset)
  const Storage *srcSparse =
      src.mask >= 0 ? &storage(src, t.src_program()) : nullptr;
  int64_t srcWidth = program.programs(t.src_program()).width();
  // A receiver filter: the indices along a mask dim of the entries each
  // destination PE keeps under `need`; it takes only elements at those
  // indices along destination dim `needDim`.
  const Storage *needed = nullptr;
  Layout need;
  int64_t needMaskDim = 0, needDim = -1;
  std::vector<char> wanted;
  if (t.has_need()) {
    need = layoutFromProto(t.need());
    needed = &storage(need, t.dst_program());
    needMaskDim = t.need_dims(0);
    needDim = t.need_dims(1);
  }
  // A sender filter: the sorted indices along a mask dim of the entries
  // each source PE keeps under `have` (built as senders come up).
  Layout have;
  const Storage *had = nullptr;
  int64_t haveMaskDim = 0, haveDim = -1;
  std::unordered_map<int, std::vector<int32_t>> hasIndex;
  if (t.has_have()) {
    have = layoutFromProto(t.have());
    had = &storage(have, t.src_program());
    haveMaskDim = t.have_dims(0);
    haveDim = t.have_dims(1);
  }
  auto holds = [&](int64_t sx, int64_t sy, int64_t index) {
    int pe = int(sy * srcWidth + sx);
    auto [it, added] = hasIndex.try_emplace(pe);
    if (added)
      it->second = keptIndices(have, had->tiles, haveMaskDim, sx, sy);
    return std::binary_search(it->second.begin(), it->second.end(),
                              int32_t(index));
  };
  for (int64_t py = 0; py < dp.height(); ++py)
    for (int64_t px = 0; px < dp.width(); ++px) {
      int dstPe = peAt(t.dst_program(), px, py);
      pieceOf.clear();
      if (needed) {
        wanted.assign(size_t(need.shape[size_t(needMaskDim)]), 0);
        for (int32_t i : keptIndices(need, needed->tiles, needMaskDim, px, py))
          wanted[size_t(i)] = 1;
      }
      size_t firstPiece = out.pieces.size();
      int lastSrc = -1, lastPiece = -1;
      forEachStored(dst, t.dst_program(), px, py,
                    [&](const std::vector<int64_t> &g, int64_t dstOff) {
        // Inside the window?
        for (int64_t k = 0; k < dstRank; ++k)
          if (g[k] < lo[k] || g[k] >= lo[k] + wsize[k])
            return;
        if (needed && !wanted[size_t(g[size_t(needDim)])])
          return;
        if (t.map_kind() == 0) {
          unflattenInto(windowNumber(g), srcStrides, s);
        } else {
          // The affine map reads the window index, or its number renumbered
          // into `reshape`.
          if (indexRank > 0)
            unflattenInto(windowNumber(g), reshapeStrides, m);
          else
            for (int64_t k = 0; k < dstRank; ++k)
              m[size_t(k)] = g[size_t(k)] - lo[size_t(k)];
          int64_t rank = int64_t(m.size());
          for (int64_t j = 0; j < srcRank; ++j) {
            s[j] = t.offset(j);
            for (int64_t k = 0; k < rank; ++k)
              s[j] += t.affine(j * rank + k) * m[size_t(k)];
          }
        }
        // The source PEs holding s: one, or one per partial sum.
        int64_t srcOff = 0;
        for (int64_t j = 0; j < srcRank; ++j) {
          int64_t local = s[j];
          for (int a = 0; a < 2; ++a) {
            const AxisSplit &ax = src.axis(a);
            if (ax.kind == AxisSplit::Split && ax.dim == j)
              local -= (s[j] / ax.block) * ax.block;
            if (ax.nested() && ax.innerKind == AxisSplit::Split &&
                ax.innerDim == j)
              local -= (s[j] / ax.innerBlock) * ax.innerBlock;
          }
          srcOff += local * srcTileStrides[j];
        }
        for (int a = 0; a < 2; ++a) {
          const AxisSplit &ax = src.axis(a);
          int64_t mine = a == 0 ? px : py;
          std::vector<int64_t> &at = holders[a];
          at.clear();
          // A replica: the receiver's own position's, so a copy between
          // equal layouts stays on its PE.
          auto pick = [&](AxisSplit::Kind kind, int64_t dim, int64_t block,
                          int64_t count, int64_t own, auto add) {
            if (kind == AxisSplit::Split)
              add(s[size_t(dim)] / block);
            else if (kind == AxisSplit::Replicated)
              add(own % count);
            else
              for (int64_t c = 0; c < count; ++c)
                add(c);
          };
          pick(ax.kind, ax.dim, ax.block, ax.count, mine / ax.innerCount,
               [&](int64_t g) {
                 if (!ax.nested()) {
                   at.push_back(g);
                   return;
                 }
                 pick(ax.innerKind, ax.innerDim, ax.innerBlock, ax.innerCount,
                      mine % ax.innerCount, [&](int64_t i) {
                        at.push_back(g * ax.innerCount + i);
                      });
               });
        }
        if (srcSparse) {
          // A sparse source sends its slots; an entry it does not keep is
          // zero (partial sums along an axis hold the same entries).
          int64_t sx = holders[0][0], sy = holders[1][0];
          const std::vector<int32_t> &slotOf =
              srcSparse->slotOf[size_t(sy * srcWidth + sx)];
          int32_t slot = srcOff < int64_t(slotOf.size())
                             ? slotOf[size_t(srcOff)]
                             : -1;
          if (slot < 0) {
            zeros.push_back({dstPe, int32_t(dstOff)});
            return;
          }
          srcOff = slot;
        }
        bool sent = false;
        for (int64_t sy : holders[1])
          for (int64_t sx : holders[0]) {
            if (had && !holds(sx, sy, s[size_t(haveDim)]))
              continue; // a zero the sparse kernel left
            sent = true;
            int srcPe = peAt(t.src_program(), sx, sy);
            // Consecutive elements mostly come from one sender.
            if (srcPe == lastSrc) {
              Piece &p = out.pieces[size_t(lastPiece)];
              ++p.count;
              addElement(pending[size_t(lastPiece) - firstPiece],
                         int32_t(srcOff), int32_t(dstOff));
              continue;
            }
            auto [it, added] = pieceOf.try_emplace(srcPe, 0);
            if (added) {
              it->second = int(out.pieces.size());
              Piece p;
              p.src = srcPe;
              p.dst = dstPe;
              p.hops = int32_t(hopsBetween(pes[srcPe], pes[dstPe]));
              out.pieces.push_back(p);
              if (pending.size() < out.pieces.size() - firstPiece)
                pending.emplace_back();
            }
            lastSrc = srcPe;
            lastPiece = it->second;
            Piece &p = out.pieces[size_t(it->second)];
            ++p.count;
            addElement(pending[size_t(it->second) - firstPiece],
                       int32_t(srcOff), int32_t(dstOff));
          }
        if (!sent)
          zeros.push_back({dstPe, int32_t(dstOff)});
      });
      // This receiver's pieces are complete: into the flat arrays.
      for (size_t i = firstPiece; i < out.pieces.size(); ++i) {
        std::vector<Run> &runs = pending[i - firstPiece];
        Piece &p = out.pieces[i];
        if (out.runs.size() + runs.size() > size_t(INT32_MAX))
          return "more than 2^31 runs of elements";
        p.runBegin = int32_t(out.runs.size());
        out.runs.insert(out.runs.end(), runs.begin(), runs.end());
        p.runEnd = int32_t(out.runs.size());
        runs.clear();
      }
    }
  out.runs.shrink_to_fit();
  if (t.rows_box_size() > 0) {
    out.rowsUpdates = t.rows_updates_buffer();
    out.rowsIndex = t.rows_index_buffer();
    out.rowsOf.op = isa::lookupInstr("scatter_add");
    out.rowsOf.buffers = {0, 1, 2};
    out.rowsOf.ints.assign(t.rows_box().begin(), t.rows_box().end());
    out.rowsTile = src.tileElements();
  }
  if (t.sparse_rows())
    out.rowLength = std::max<int64_t>(
        1, src.shape.empty() ? 1 : src.tileShape().back());
  for (Piece &p : out.pieces)
    p.sent = p.sentData = uint64_t(p.count);
  // A piece's sender and source offsets as (start, length) ranges, in
  // bytes: what a multicast group's members share.
  auto groupKey = [&](const Piece &p) {
    std::vector<int32_t> r = {p.src};
    for (int64_t k = p.runBegin; k < p.runEnd; ++k) {
      const Run &run = out.runs[size_t(k)];
      if (r.size() > 1 && r[r.size() - 2] + r.back() == run.src) {
        r.back() += run.len;
      } else {
        r.push_back(run.src);
        r.push_back(run.len);
      }
    }
    return std::string(reinterpret_cast<const char *>(r.data()),
                       r.size() * sizeof(int32_t));
  };
  // Multicast groups: same sender, same source elements.
  std::unordered_map<std::string, std::vector<int>> groups;
  std::vector<const std::vector<int> *> order; // first-seen order
  for (size_t i = 0; i < out.pieces.size(); ++i)
    if (out.pieces[i].src != out.pieces[i].dst) {
      auto [it, added] = groups.try_emplace(groupKey(out.pieces[i]));
      if (added)
        order.push_back(&it->second);
      it->second.push_back(int(i));
    }
  for (const std::vector<int> *group : order) {
    const std::vector<int> &members = *group;
    std::vector<int> receivers;
    for (int i : members)
      receivers.push_back(out.pieces[size_t(i)].dst);
    out.pieces[members[0]].links =
        treeLinks(out.pieces[members[0]].src, receivers);
    for (size_t k = 1; k < members.size(); ++k)
      out.pieces[members[k]].leader = members[0];
  }
  // A group's elements are sent once: its members read the leader's.
  for (Piece &p : out.pieces)
    if (p.leader < 0) {
      p.dataBegin = int64_t(out.data.size());
      out.data.resize(out.data.size() + size_t(p.count));
    } else {
      p.dataBegin = out.pieces[size_t(p.leader)].dataBegin;
    }
  std::vector<std::pair<int, int32_t>> bySrc, byDst;
  for (size_t i = 0; i < out.pieces.size(); ++i) {
    bySrc.push_back({out.pieces[i].src, int32_t(i)});
    byDst.push_back({out.pieces[i].dst, int32_t(i)});
  }
  // Partial sums are combined in sender order, whatever order they arrive.
  std::stable_sort(byDst.begin(), byDst.end(), [&](auto &a, auto &b) {
    return std::make_pair(a.first, out.pieces[size_t(a.second)].src) <
           std::make_pair(b.first, out.pieces[size_t(b.second)].src);
  });
  out.bySrc.build(pes.size(), bySrc);
  out.byDst.build(pes.size(), byDst);
  out.zeros.build(pes.size(), zeros);
  out.slotOf.assign(pes.size(), -1);
  for (size_t pe = 0; pe < pes.size(); ++pe) {
    PerPe<int32_t>::List mine = out.byDst.of(int(pe));
    if (mine.empty())
      continue;
    int slot = int(out.missing.size());
    out.slotOf[pe] = slot;
    out.missing.push_back(int(mine.size()));
    out.expected.push_back(int(mine.size()));
    for (int32_t i : mine)
      out.pieces[size_t(i)].dstSlot = slot;
  }
  return "";
}

namespace detail {

void countSent(const TransferPlan &plan, Piece &p, const float *base) {
  if (plan.rowLength == 0) {
    p.sent = p.sentData = uint64_t(p.count);
    return;
  }
  // A piece's runs follow the receiver's order: a source row can come up
  // in several runs, so rows are counted once through a small set.
  int64_t row = plan.rowLength;
  uint64_t data = 0;
  // Scratch kept per thread: a send runs on the thread of its PE's wave.
  thread_local std::vector<int64_t> rows; // with a nonzero, sorted below
  thread_local std::vector<std::pair<int64_t, int64_t>> segments; // (row, n)
  rows.clear();
  segments.clear();
  for (int64_t k = p.runBegin; k < p.runEnd; ++k) {
    const Run &r = plan.runs[size_t(k)];
    for (int64_t at = r.src; at < r.src + r.len;) {
      int64_t rowId = at / row;
      int64_t end = std::min<int64_t>(r.src + r.len, (rowId + 1) * row);
      segments.push_back({rowId, end - at});
      for (int64_t e = at; e < end; ++e)
        if (base[e] != 0.0f) {
          rows.push_back(rowId);
          break;
        }
      at = end;
    }
  }
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  for (auto [rowId, n] : segments)
    if (std::binary_search(rows.begin(), rows.end(), rowId))
      data += uint64_t(n);
  p.sentData = data;
  p.sent = data + uint64_t(rows.size());
}

} // namespace detail

} // namespace wsert::sim
