//===- TransferCost.cpp - a transfer's region cost from its layouts -------===//
//
// What costFromPlan derives from a planned transfer (its pieces), derived
// from the layouts and the index map alone, without listing elements, for
// --timing-only. A receiving PE's elements form a box; along each source
// axis its senders are a short list that depends on one receiver
// coordinate (found in closed form when the split source dim follows one
// window dim, by walking the window dims it depends on otherwise, as
// through a reshape), so a receiver's pieces are the product of a list
// per axis, computed once per position along the axis. Mesh to mesh, the
// receivers are then taken per distinct pair of per-axis sides, or per
// multicast class; transfers with the host enumerate their pieces. Sparse
// layouts, filters and maps where one window dim chooses both sender
// coordinates are planned element by element.
//
//===----------------------------------------------------------------------===//
#include "RegionTiming.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <unordered_map>

namespace wsert::sim {

using namespace detail;

namespace {

/// Source dim j reads window index m_k as s_j = off + a * m_k (k = -1: the
/// constant off).
struct DimMap {
  int64_t k = -1, a = 0, off = 0;
};

/// The dims of `shape` longer than 1, in order.
std::vector<int64_t> longDims(const std::vector<int64_t> &shape) {
  std::vector<int64_t> out;
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] > 1)
      out.push_back(int64_t(d));
  return out;
}

/// Matches the long dims of `from` to those of `to` when the two shapes
/// differ only by dims of 1 (a reshape that renumbers nothing else):
/// to-dim -> from-dim, or empty when they differ otherwise.
std::optional<std::vector<int64_t>>
unitReshape(const std::vector<int64_t> &from, const std::vector<int64_t> &to) {
  std::vector<int64_t> f = longDims(from), t = longDims(to);
  if (f.size() != t.size())
    return std::nullopt;
  std::vector<int64_t> out(to.size(), -1);
  for (size_t i = 0; i < f.size(); ++i) {
    if (from[size_t(f[i])] != to[size_t(t[i])])
      return std::nullopt;
    out[size_t(t[i])] = f[i];
  }
  return out;
}

/// One sender coordinate along a source axis for a receiver: the
/// elements of window dim k (when the axis follows one) it holds, as the
/// range [mlo, mhi) of m_k.
struct Option {
  int64_t coord, count, mlo, mhi;
};

} // namespace

std::optional<TransferCost>
MeshSimulator::Impl::analyticCost(const wp::Transfer &t) const {
  Layout src = layoutFromProto(t.src()), dst = layoutFromProto(t.dst());
  // Nested axes (groups of PEs along one axis) are planned.
  // Sparse rows, without data, cost every row: the dense derivation.
  if (src.mask >= 0 || dst.mask >= 0 || t.has_need() || t.has_have() ||
      src.isPartial() != (t.combine() != 0) || dst.isPartial() ||
      src.isNested() || dst.isNested())
    return std::nullopt;
  int64_t rank = int64_t(dst.shape.size());
  std::vector<int64_t> lo(t.window_lo().begin(), t.window_lo().end());
  std::vector<int64_t> ws(t.window_size().begin(), t.window_size().end());
  // The map as one window dim (or none) per source dim where it is that
  // simple; otherwise (a reshape that splits or merges dims, a source dim
  // reading two window dims) `generic`, and senders are found by walking
  // the window dims a split source dim depends on.
  int64_t srcRank = int64_t(src.shape.size());
  std::vector<DimMap> maps(static_cast<size_t>(srcRank));
  std::vector<int64_t> reshape(t.reshape().begin(), t.reshape().end());
  bool generic = false;
  if (t.map_kind() == 0) {
    if (std::optional<std::vector<int64_t>> m = unitReshape(ws, src.shape)) {
      for (size_t j = 0; j < maps.size(); ++j)
        if ((*m)[j] >= 0)
          maps[j] = {(*m)[j], 1, 0};
    } else {
      generic = true;
    }
  } else {
    // Index k' of the affine map's input -> window dim (-1: always 0).
    std::vector<int64_t> input(static_cast<size_t>(rank));
    if (!reshape.empty()) {
      if (std::optional<std::vector<int64_t>> m = unitReshape(ws, reshape))
        input = *m;
      else
        generic = true;
    } else {
      for (int64_t k = 0; k < rank; ++k)
        input[size_t(k)] = ws[size_t(k)] > 1 ? k : -1;
    }
    int64_t cols = int64_t(reshape.empty() ? rank : int64_t(reshape.size()));
    for (size_t j = 0; j < maps.size() && !generic; ++j) {
      maps[j].off = t.offset(int(j));
      for (int64_t c = 0; c < cols; ++c) {
        int64_t a = t.affine(int(int64_t(j) * cols + c));
        if (a == 0 || input[size_t(c)] < 0)
          continue;
        if (a < 0 || maps[j].k >= 0)
          generic = true;
        else
          maps[j] = {input[size_t(c)], a, maps[j].off};
      }
    }
  }
  // The source index of window index m (window-relative), as the plan
  // computes it, and the window dims each source dim depends on.
  std::vector<int64_t> wStrides = rowMajorStrides(ws);
  std::vector<int64_t> sStrides = rowMajorStrides(src.shape);
  std::vector<int64_t> rStrides = rowMajorStrides(reshape);
  auto srcAt = [&](const std::vector<int64_t> &m, int64_t j) {
    int64_t lin = 0;
    for (int64_t k = 0; k < rank; ++k)
      lin += m[size_t(k)] * wStrides[size_t(k)];
    if (t.map_kind() == 0)
      return (lin / sStrides[size_t(j)]) % src.shape[size_t(j)];
    int64_t cols = reshape.empty() ? rank : int64_t(reshape.size());
    int64_t v = t.offset(int(j));
    for (int64_t c = 0; c < cols; ++c) {
      int64_t mc = reshape.empty() ? m[size_t(c)]
                                   : (lin / rStrides[size_t(c)]) %
                                         reshape[size_t(c)];
      v += t.affine(int(j * cols + c)) * mc;
    }
    return v;
  };
  // Dependencies through row-major renumbering: dims of two shapes fall
  // in groups of equal products; a dim of one depends on its group's.
  auto dimGroups = [](const std::vector<int64_t> &from,
                   const std::vector<int64_t> &to) {
    std::vector<std::vector<int64_t>> dep(to.size());
    size_t i = 0, j = 0;
    while (i < from.size() || j < to.size()) {
      std::vector<int64_t> fs, ts;
      int64_t pf = 1, pt = 1;
      do {
        if (pf <= pt && i < from.size()) {
          pf *= from[i];
          fs.push_back(int64_t(i++));
        } else if (j < to.size()) {
          pt *= to[j];
          ts.push_back(int64_t(j++));
        } else if (i < from.size()) {
          pf *= from[i];
          fs.push_back(int64_t(i++));
        }
      } while ((pf != pt || fs.empty() || ts.empty()) &&
               (i < from.size() || j < to.size()));
      for (int64_t d : ts)
        dep[size_t(d)] = fs;
    }
    return dep;
  };
  std::vector<std::vector<int64_t>> depends(static_cast<size_t>(srcRank));
  if (t.map_kind() == 0) {
    depends = dimGroups(ws, src.shape);
  } else {
    int64_t cols = reshape.empty() ? rank : int64_t(reshape.size());
    std::vector<std::vector<int64_t>> viaReshape;
    if (!reshape.empty())
      viaReshape = dimGroups(ws, reshape);
    for (int64_t j = 0; j < srcRank; ++j)
      for (int64_t c = 0; c < cols; ++c) {
        if (t.affine(int(j * cols + c)) == 0)
          continue;
        if (reshape.empty())
          depends[size_t(j)].push_back(c);
        else
          for (int64_t k : viaReshape[size_t(c)])
            depends[size_t(j)].push_back(k);
      }
  }
  std::vector<bool> used(size_t(rank), false);
  for (std::vector<int64_t> &d : depends) {
    d.erase(std::remove_if(d.begin(), d.end(),
                           [&](int64_t k) { return ws[size_t(k)] <= 1; }),
            d.end());
    for (int64_t k : d)
      used[size_t(k)] = true;
  }
  const wp::Program &sp = program.programs(t.src_program());
  bool same = t.src_program() == t.dst_program();
  // The receiver axis (0 x, 1 y, -1 none) a window dim's range follows.
  auto recvAxis = [&](int64_t k) -> int {
    for (int a = 0; a < 2; ++a)
      if (dst.axis(a).kind == AxisSplit::Split && dst.axis(a).dim == k)
        return a;
    return -1;
  };
  // A window dim's range [b, e) of m on a receiver at position p along
  // its axis (any p when it has none).
  auto window = [&](int64_t k, int64_t p, int64_t &b, int64_t &e) {
    int64_t begin, size;
    int a = recvAxis(k);
    dst.range(k, a == 0 ? p : 0, a == 1 ? p : 0, begin, size);
    b = std::max(begin, lo[size_t(k)]) - lo[size_t(k)];
    e = std::min(begin + size, lo[size_t(k)] + ws[size_t(k)]) - lo[size_t(k)];
    if (e < b)
      e = b;
  };
  // Per source axis: the window dim it follows, and the receiver axis
  // whose coordinate chooses its senders (-1: none, 2: its own position,
  // a replicated source).
  bool tooBig = false; // a source dim depends on a box too large to walk
  int follows[2] = {-1, -1}, driver[2] = {-1, -1};
  bool joint[2] = {false, false};
  std::vector<int64_t> walk[2]; // the window dims a split axis depends on
  for (int a = 0; a < 2; ++a) {
    const AxisSplit &s = src.axis(a);
    if (s.kind == AxisSplit::Split) {
      walk[a] = depends[size_t(s.dim)];
      joint[a] = generic;
      follows[a] = generic ? -1 : int(maps[size_t(s.dim)].k);
      driver[a] = walk[a].empty() ? -1 : recvAxis(walk[a][0]);
      for (int64_t k : walk[a])
        if (recvAxis(k) != driver[a])
          return std::nullopt; // chosen by both receiver coordinates
    } else if (s.kind == AxisSplit::Replicated) {
      driver[a] = a;
    }
  }
  for (int64_t k : walk[0])
    if (std::count(walk[1].begin(), walk[1].end(), k))
      return std::nullopt; // one window dim chooses both coordinates
  auto followed = [&](int64_t k) {
    return std::count(walk[0].begin(), walk[0].end(), k) +
               std::count(walk[1].begin(), walk[1].end(), k) >
           0;
  };
  // A source axis's senders for a receiver at position p along its driver.
  auto options = [&](int a, int64_t p, std::vector<Option> &out) {
    out.clear();
    const AxisSplit &s = src.axis(a);
    if (s.kind == AxisSplit::Partial) {
      for (int64_t c = 0; c < s.count; ++c)
        out.push_back({c, 1, 0, 0});
      return;
    }
    if (s.kind == AxisSplit::Replicated) {
      out.push_back({same && p < s.count ? p : p % s.count, 1, 0, 0});
      return;
    }
    if (joint[a] || walk[a].empty()) {
      // Walk the box of the window dims the split dim depends on.
      std::vector<int64_t> m(size_t(rank), 0), los(walk[a].size()),
          his(walk[a].size());
      int64_t box = 1;
      for (size_t i = 0; i < walk[a].size(); ++i) {
        window(walk[a][i], p, los[i], his[i]);
        if (los[i] >= his[i])
          return;
        box *= his[i] - los[i];
        m[size_t(walk[a][i])] = los[i];
      }
      if (box > (int64_t(1) << 22)) {
        tooBig = true;
        return;
      }
      std::map<int64_t, int64_t> blocks;
      for (int64_t n = 0; n < box; ++n) {
        ++blocks[srcAt(m, s.dim) / s.block];
        for (size_t i = walk[a].size(); i-- > 0;) {
          int64_t &v = m[size_t(walk[a][i])];
          if (++v < his[i])
            break;
          v = los[i];
        }
      }
      for (auto [coord, n] : blocks)
        out.push_back({coord, n, 0, 0});
      return;
    }
    const DimMap &m = maps[size_t(s.dim)];
    int64_t b, e;
    window(m.k, p, b, e);
    if (b >= e)
      return;
    // Blocks of s = off + a m for m in [b, e).
    for (int64_t c = (m.off + m.a * b) / s.block;
         c <= (m.off + m.a * (e - 1)) / s.block; ++c) {
      int64_t from = std::max(b, (c * s.block - m.off + m.a - 1) / m.a);
      int64_t to = std::min(e, ((c + 1) * s.block - m.off + m.a - 1) / m.a);
      if (from < to)
        out.push_back({c, to - from, from, to});
    }
  };
  // Per receiver axis and position: the elements of the window dims
  // split there that no source axis follows, and each following source
  // axis's senders.
  struct AxisAt {
    int64_t factor = 1;
    bool empty = false;
    std::vector<Option> opts[2];
    int64_t range[2] = {0, 0}; // the split dim's m range (grouping)
  };
  auto axisAt = [&](int ra, int64_t p, AxisAt &out) {
    out.factor = 1;
    out.empty = false;
    for (int k = 0; k < rank; ++k) {
      if (recvAxis(k) != ra)
        continue;
      int64_t b, e;
      window(k, p, b, e);
      out.range[0] = b;
      out.range[1] = e;
      if (b >= e)
        out.empty = true;
      if (!followed(k))
        out.factor *= e - b;
    }
    for (int a = 0; a < 2; ++a)
      if (driver[a] == ra || (ra == -1 && driver[a] == -1))
        options(a, p, out.opts[a]);
  };
  int64_t cx = dst.x.count, cy = dst.y.count;
  std::vector<AxisAt> xs(static_cast<size_t>(cx)), ys(static_cast<size_t>(cy));
  for (int64_t p = 0; p < cx; ++p)
    axisAt(0, p, xs[size_t(p)]);
  for (int64_t p = 0; p < cy; ++p)
    axisAt(1, p, ys[size_t(p)]);
  AxisAt none;
  axisAt(-1, 0, none);
  if (tooBig)
    return std::nullopt;
  auto optsFor = [&](int a, int64_t rx, int64_t ry) -> std::vector<Option> & {
    if (driver[a] == 0)
      return xs[size_t(rx)].opts[a];
    if (driver[a] == 1)
      return ys[size_t(ry)].opts[a];
    return none.opts[a];
  };
  // Receivers along an axis get the same elements from a sender (one
  // multicast) when it is replicated or splits a dim the map ignores.
  bool multicast = false;
  for (int a = 0; a < 2; ++a) {
    const AxisSplit &d = dst.axis(a);
    if (d.count > 1 && (d.kind == AxisSplit::Replicated ||
                        !used[size_t(d.dim)]))
      multicast = true;
  }
  // Mesh to mesh: a receiver's pieces are the product of its source axes'
  // option lists, so its wavelets, longest path and copy to itself come
  // from each list's sum, ends and entry at its own position; receivers
  // alike along an axis (one multicast) are taken as one class.
  auto meshToMesh = [&]() -> std::optional<TransferCost> {
    TransferCost c;
    const wp::Program &dp = program.programs(t.dst_program());
    int64_t sx0 = sp.x(), sy0 = sp.y(), dx0 = dp.x(), dy0 = dp.y();
    auto coordOf = [](const std::vector<Option> &l, int64_t coord) -> int64_t {
      auto it = std::lower_bound(
          l.begin(), l.end(), coord,
          [](const Option &o, int64_t v) { return o.coord < v; });
      return it != l.end() && it->coord == coord ? it->count : 0;
    };
    auto sum = [](const std::vector<Option> &l) {
      int64_t n = 0;
      for (const Option &o : l)
        n += o.count;
      return n;
    };
    // Links along one axis from a list's senders (at base + coord) to a
    // receiver at `at`: the count-weighted distance and the farthest.
    auto dist = [](const std::vector<Option> &l, int64_t base, int64_t at,
                   int64_t &far) {
      int64_t d = 0;
      far = 0;
      for (const Option &o : l)
        d += o.count * std::abs(base + o.coord - at);
      if (!l.empty())
        far = std::max(std::abs(base + l.front().coord - at),
                       std::abs(base + l.back().coord - at));
      return d;
    };
    // Classes of receiver positions along each axis: one per position,
    // or, along a multicast axis, positions whose pieces are alike.
    struct Class {
      int64_t first, lo, hi, count;
    };
    std::vector<int64_t> classX(static_cast<size_t>(cx)), classY(static_cast<size_t>(cy));
    auto classes = [&](int ra, int64_t n, std::vector<AxisAt> &at,
                       std::vector<int64_t> &of) {
      std::vector<Class> out;
      const AxisSplit &d = dst.axis(ra);
      bool alike = d.kind == AxisSplit::Replicated || !used[size_t(d.dim)];
      if (!alike || !multicast) {
        for (int64_t p = 0; p < n; ++p) {
          of[size_t(p)] = p;
          out.push_back({p, p, p, 1});
        }
        return out;
      }
      std::map<std::vector<int64_t>, size_t> index;
      for (int64_t p = 0; p < n; ++p) {
        const AxisAt &a = at[size_t(p)];
        std::vector<int64_t> key = {a.empty ? -1 : a.factor,
                                    a.range[1] - a.range[0]};
        for (int s = 0; s < 2; ++s)
          if (driver[s] == ra)
            for (const Option &o : a.opts[s]) {
              key.push_back(o.coord);
              key.push_back(o.count);
            }
        auto [it, added] = index.try_emplace(key, out.size());
        if (added)
          out.push_back({p, p, p, 0});
        of[size_t(p)] = int64_t(it->second);
        Class &c = out[it->second];
        c.lo = std::min(c.lo, p);
        c.hi = std::max(c.hi, p);
        ++c.count;
      }
      return out;
    };
    std::vector<Class> cxs = classes(0, cx, xs, classX),
                       cys = classes(1, cy, ys, classY);
    std::vector<uint64_t> out(size_t(sp.width() * sp.height()), 0);
    bool perReceiver = !multicast;
    // Without multicast the senders' loads separate by axis: each source
    // coordinate's share is summed along the receiver axis driving it.
    std::unordered_map<int64_t, uint64_t> share[3];
    if (perReceiver) {
      for (int ra = -1; ra < 2; ++ra) {
        int64_t n = ra == 0 ? cx : ra == 1 ? cy : 1;
        auto &m = share[ra + 1];
        for (int64_t p = 0; p < n; ++p) {
          const AxisAt &a = ra == 0 ? xs[size_t(p)] : ra == 1 ? ys[size_t(p)] : none;
          int64_t f = a.empty ? 0 : (ra >= 0 ? a.factor : 1);
          if (f == 0)
            continue;
          std::vector<Option> one = {{-1, 1, 0, 0}};
          const std::vector<Option> &la = driver[0] == ra ? a.opts[0] : one;
          const std::vector<Option> &lb = driver[1] == ra ? a.opts[1] : one;
          for (const Option &u : la)
            for (const Option &v : lb)
              m[(u.coord + 1) * (int64_t(1) << 32) + (v.coord + 1)] +=
                  uint64_t(f * u.count * v.count);
        }
      }
      uint64_t best = uint64_t(none.factor);
      for (auto &m : share) {
        uint64_t most = 0;
        for (auto &[k, v] : m)
          most = std::max(most, v);
        best *= most;
      }
      c.out = best;
    }
    // Each source axis's senders chosen by its own receiver coordinate
    // (or by none): every quantity separates into a function of rx and
    // one of ry, so receivers are taken per distinct pair of those.
    bool separable = perReceiver && driver[0] != 1 && driver[1] != 0;
    if (separable) {
      // Per position along an axis: its elements' share (factor times the
      // axis's sender count), the part from the PE itself, the farthest
      // sender along the axis, and the factor times the distances.
      struct Side {
        int64_t all, self, far, dist;
        bool operator<(const Side &o) const {
          return std::tie(all, self, far) < std::tie(o.all, o.self, o.far);
        }
      };
      auto side = [&](int ra, int64_t p, std::set<Side> &distinct,
                      int64_t &sumAll, int64_t &sumDist) {
        const AxisAt &at = ra == 0 ? xs[size_t(p)] : ys[size_t(p)];
        int a = ra; // the source axis along this receiver axis
        const std::vector<Option> &l = driver[a] == ra ? at.opts[a] : none.opts[a];
        int64_t f = at.empty ? 0 : at.factor;
        int64_t far = 0;
        int64_t d = dist(l, ra == 0 ? sx0 : sy0, (ra == 0 ? dx0 : dy0) + p, far);
        Side s{f * sum(l), same ? f * coordOf(l, p) : 0, far, f * d};
        sumAll += s.all;
        sumDist += s.dist;
        if (s.all > 0)
          distinct.insert(s);
      };
      std::set<Side> dxs, dys;
      int64_t allX = 0, distX = 0, allY = 0, distY = 0;
      for (int64_t p = 0; p < cx; ++p)
        side(0, p, dxs, allX, distX);
      for (int64_t p = 0; p < cy; ++p)
        side(1, p, dys, allY, distY);
      int64_t nf = none.empty ? 0 : none.factor;
      if (nf == 0 || dxs.empty() || dys.empty())
        return c;
      c.any = true;
      for (const Side &a : dxs)
        for (const Side &b : dys) {
          int64_t all = nf * a.all * b.all, self = nf * a.self * b.self;
          c.self |= self > 0;
          c.in = std::max(c.in, uint64_t(all - self));
          if (all > self)
            c.hops = std::max(c.hops, a.far + b.far);
        }
      c.wavelets = uint64_t(nf * (distX * allY + allX * distY));
      if (t.combine() != 0)
        c.combined = uint64_t(nf * allX * allY);
      return c;
    }
    for (size_t ix = 0; ix < cxs.size(); ++ix)
      for (size_t iy = 0; iy < cys.size(); ++iy) {
        const Class &kx = cxs[ix], &ky = cys[iy];
        const AxisAt &X = xs[size_t(kx.first)], &Y = ys[size_t(ky.first)];
        if (X.empty || Y.empty || none.empty)
          continue;
        int64_t base = X.factor * Y.factor * none.factor;
        if (base == 0)
          continue;
        const std::vector<Option> &la = optsFor(0, kx.first, ky.first),
                                  &lb = optsFor(1, kx.first, ky.first);
        if (la.empty() || lb.empty())
          continue;
        c.any = true;
        int64_t members = kx.count * ky.count;
        if (perReceiver) {
          int64_t rx = kx.first, ry = ky.first;
          int64_t all = base * sum(la) * sum(lb);
          int64_t self = same ? base * coordOf(la, rx) * coordOf(lb, ry) : 0;
          if (self)
            c.self = true;
          if (t.combine() != 0)
            c.combined += uint64_t(all);
          c.in = std::max(c.in, uint64_t(all - self));
          int64_t farX, farY;
          int64_t dX = dist(la, sx0, dx0 + rx, farX);
          int64_t dY = dist(lb, sy0, dy0 + ry, farY);
          if (all > self)
            c.hops = std::max(c.hops, farX + farY);
          c.wavelets += uint64_t(base * (dX * sum(lb) + sum(la) * dY));
          continue;
        }
        // One group per combination: its members are the class product.
        int64_t inAll = 0, leastSelf = -1, selfHits = 0;
        for (const Option &a : la)
          for (const Option &b : lb) {
            int64_t n = base * a.count * b.count;
            inAll += n;
            int64_t sx = sx0 + a.coord, sy = sy0 + b.coord;
            bool self = same && a.coord < cx && b.coord < cy &&
                        classX[size_t(a.coord)] == int64_t(ix) &&
                        classY[size_t(b.coord)] == int64_t(iy);
            int srcIdx = int(b.coord * sp.width() + a.coord);
            if (t.combine() != 0)
              c.combined += uint64_t(n * members);
            if (self) {
              c.self = true;
              out[size_t(srcIdx)] += uint64_t(n);
              ++selfHits;
              leastSelf = leastSelf < 0 ? n : std::min(leastSelf, n);
              if (members == 1)
                continue;
            }
            out[size_t(srcIdx)] += uint64_t(n);
            int64_t x0 = dx0 + kx.lo, x1 = dx0 + kx.hi;
            int64_t y0 = dy0 + ky.lo, y1 = dy0 + ky.hi;
            int64_t links = (std::max(sx, x1) - std::min(sx, x0)) +
                            kx.count * (std::max(sy, y1) - std::min(sy, y0));
            c.wavelets += uint64_t(n * links);
            c.hops = std::max(c.hops, std::max(std::abs(sx - x0), std::abs(sx - x1)) +
                                          std::max(std::abs(sy - y0), std::abs(sy - y1)));
          }
        c.in = std::max(c.in, uint64_t(selfHits < members ? inAll : inAll - leastSelf));
      }
    if (!perReceiver)
      for (uint64_t n : out)
        c.out = std::max(c.out, n);
    return c;
  };
  const wp::Program &dp = program.programs(t.dst_program());
  if (!sp.host() && !dp.host())
    return meshToMesh();
  TransferCost c;
  int firstSrc = firstPe[size_t(t.src_program())];
  std::vector<uint64_t> out(size_t(sp.width() * sp.height()), 0);
  // What a group of pieces with the same elements from one sender costs:
  // its wavelets once on the sender's ramp, over the links of its tree.
  auto send = [&](int srcPe, uint64_t n, const std::vector<int> &members) {
    out[size_t(srcPe - firstSrc)] += n;
    c.wavelets += n * uint64_t(treeLinks(srcPe, members));
    if (pes[size_t(srcPe)].host)
      c.hostIn += n;
    if (pes[size_t(members[0])].host)
      c.hostOut += n;
  };
  struct Group {
    uint64_t size = 0;
    int src = 0;
    std::vector<int> members;
  };
  std::unordered_map<std::string, Group> groups;
  std::vector<int64_t> key;
  std::vector<int> one(1);
  for (int64_t ry = 0; ry < cy; ++ry)
    for (int64_t rx = 0; rx < cx; ++rx) {
      const AxisAt &X = xs[size_t(rx)], &Y = ys[size_t(ry)];
      if (X.empty || Y.empty || none.empty)
        continue;
      int64_t base = X.factor * Y.factor * none.factor;
      if (base == 0)
        continue;
      int dstPe = peAt(t.dst_program(), rx, ry);
      uint64_t in = 0;
      const std::vector<Option> &ox = optsFor(0, rx, ry),
                                &oy = optsFor(1, rx, ry);
      for (const Option &a : ox)
        for (const Option &b : oy) {
          uint64_t n = uint64_t(base * a.count * b.count);
          int srcPe = peAt(t.src_program(), a.coord, b.coord);
          c.any = true;
          if (t.combine() != 0)
            c.combined += n;
          if (same && srcPe == dstPe) {
            c.self = true;
            out[size_t(srcPe - firstSrc)] += n;
            continue;
          }
          in += n;
          c.hops = std::max(
              c.hops, hopsBetween(pes[size_t(srcPe)], pes[size_t(dstPe)]));
          if (!multicast) {
            one[0] = dstPe;
            send(srcPe, n, one);
            continue;
          }
          // The elements sent: the sender, each mapped dim's range (a
          // followed one: the sender's part), each ignored dim's length.
          key.assign({int64_t(srcPe)});
          for (int k = 0; k < rank; ++k) {
            int ra = recvAxis(k);
            int64_t lo = 0, hi = ws[size_t(k)];
            if (ra >= 0) {
              lo = (ra == 0 ? X : Y).range[0];
              hi = (ra == 0 ? X : Y).range[1];
            }
            if (follows[0] == k && !joint[0]) {
              lo = a.mlo;
              hi = a.mhi;
            } else if (follows[1] == k && !joint[1]) {
              lo = b.mlo;
              hi = b.mhi;
            }
            if (!used[size_t(k)]) {
              hi -= lo;
              lo = 0;
            }
            key.push_back(lo);
            key.push_back(hi);
          }
          Group &g = groups[std::string(
              reinterpret_cast<const char *>(key.data()),
              key.size() * sizeof(int64_t))];
          g.size = n;
          g.src = srcPe;
          g.members.push_back(dstPe);
        }
      c.in = std::max(c.in, in);
    }
  for (auto &[k, g] : groups)
    send(g.src, g.size, g.members);
  for (uint64_t n : out)
    c.out = std::max(c.out, n);
  return c;
}

int64_t MeshSimulator::Impl::treeLinks(int srcPe,
                                       const std::vector<int> &members) const {
  const PE &s = pes[size_t(srcPe)];
  if (s.host) {
    // Host links enter at the west edge in each receiver's row.
    std::map<int64_t, int64_t> rows; // y -> farthest x
    for (int i : members) {
      const PE &d = pes[size_t(i)];
      auto [it, added] = rows.try_emplace(d.y, d.x);
      it->second = std::max(it->second, d.x);
    }
    int64_t links = 0;
    for (auto &[y, x] : rows)
      links += x + 1;
    return links;
  }
  // x along the sender's row to each receiver's column, then y.
  int64_t minX = s.x, maxX = s.x;
  std::map<int64_t, std::pair<int64_t, int64_t>> columns; // x -> y range
  for (int i : members) {
    const PE &d = pes[size_t(i)];
    minX = std::min(minX, d.x);
    maxX = std::max(maxX, d.x);
    auto [it, added] = columns.try_emplace(d.x, std::make_pair(s.y, s.y));
    it->second.first = std::min(it->second.first, d.y);
    it->second.second = std::max(it->second.second, d.y);
  }
  int64_t links = maxX - minX;
  for (auto &[x, range] : columns)
    links += range.second - range.first;
  return links;
}

} // namespace wsert::sim
