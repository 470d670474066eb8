//===- LoadWaferProgram.cpp - read and check a .wsebin --------------------===//
//
// A .wsebin comes from outside the process, so every index, size and route
// in it is checked before the simulator trusts it: a corrupt file is an
// error message, never a crash.
//
//===----------------------------------------------------------------------===//
#include "WaferProgram.pb.h"
#include "wse/Support/Crc32c.h"
#include "wse/Support/Layout.h"
#include "wse/Support/PeIsa.h"
#include "wse/Target/WaferLayout.h"
#include "wse/Target/WaferProgram.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace wsert {

namespace wp = ::wsebin;

/// The layout a Layout message describes.
Layout layoutFromProto(const wp::Layout &l) {
  Layout out;
  out.shape.assign(l.shape().begin(), l.shape().end());
  for (int a = 0; a < 2; ++a) {
    const wp::Axis &m = a == 0 ? l.x() : l.y();
    AxisSplit &s = out.axis(a);
    s.kind = AxisSplit::Kind(m.kind());
    s.dim = m.dim();
    s.block = m.block();
    s.count = m.count();
    if (m.inner_count() > 1) {
      s.innerKind = AxisSplit::Kind(m.inner_kind());
      s.innerDim = m.inner_dim();
      s.innerBlock = m.inner_block();
      s.innerCount = m.inner_count();
    }
  }
  out.mask = int64_t(l.mask()) - 1;
  return out;
}

std::vector<uint8_t> maskBits(const wp::Mask &m) {
  return std::vector<uint8_t>(m.keep().begin(), m.keep().end());
}

namespace {

std::string where(const wp::Program &p, int i) {
  return "program '" + p.name() + "' instruction " + std::to_string(i);
}

constexpr int64_t kMaxElements = int64_t(1) << 31;
// Host memory a program may address (weight streaming's parameters,
// optimizer state and gradients): MemoryX holds terabytes to petabytes.
// The functional engine, which holds it in RAM, takes less (MeshSimulator).
constexpr int64_t kMaxHostBytes = int64_t(1) << 50;

/// Checks a layout against a program's grid and a buffer's length (for
/// an index buffer: the words of its sparse layout's index).
std::string checkLayout(const wp::WaferProgram &w, const wp::Layout &m,
                        int program, int buffer, const std::string &what,
                        bool index = false, bool stored = true) {
  if (program < 0 || program >= w.programs_size())
    return what + ": program index out of range";
  const wp::Program &p = w.programs(program);
  if (buffer < 0 || buffer >= p.buffers_size())
    return what + ": buffer index out of range";
  if (m.shape_size() > 8)
    return what + ": rank above 8";
  int64_t n = 1;
  for (int64_t d : m.shape()) {
    if (d < 0 || d > kMaxElements)
      return what + ": bad shape";
    n *= d;
    if (n > kMaxElements)
      return what + ": too large";
  }
  for (const wp::Axis *a : {&m.x(), &m.y()})
    if (a->kind() < 0 || a->kind() > 2 || a->block() < 1 ||
        a->inner_kind() < 0 || a->inner_kind() > 2 || a->inner_count() < 0 ||
        a->inner_count() > kMaxElements ||
        (a->inner_count() > 1 &&
         (a->inner_block() < 1 || a->inner_block() > kMaxElements)) ||
        a->block() > kMaxElements)
      return what + ": bad layout axis";
  Layout l = layoutFromProto(m);
  if (std::string e = l.check(p.width(), p.height()); !e.empty())
    return what + ": " + e;
  if (index && l.mask < 0)
    return what + ": an index binding needs a sparse layout";
  if (l.mask >= 0) {
    if (l.mask >= w.masks_size())
      return what + ": mask " + std::to_string(l.mask) + " out of range";
    const wp::Mask &mk = w.masks(int(l.mask));
    if (!std::equal(mk.shape().begin(), mk.shape().end(), l.shape.begin(),
                    l.shape.end()))
      return what + ": its mask has another shape";
    SparseTiles tiles = sparseTiles(l, maskBits(mk), p.width(), p.height());
    int64_t need = index ? indexWords(tiles.maxKept) : tiles.maxKept;
    if (need > p.buffers(buffer).length())
      return what + ": " + std::to_string(need) + (index ? " index words" : " slots") +
             " do not fit buffer '" + p.buffers(buffer).name() + "'";
    return "";
  }
  if (stored && l.tileElements() > p.buffers(buffer).length())
    return what + ": its tile of " + std::to_string(l.tileElements()) +
           " elements does not fit buffer '" + p.buffers(buffer).name() + "'";
  return "";
}

std::string checkInstrMsg(const wp::WaferProgram &w, int program, int idx) {
  const wp::Program &p = w.programs(program);
  const wp::Instr &m = p.instrs(idx);
  isa::Instr in;
  in.op = isa::lookupInstr(m.op());
  if (in.op < 0)
    return where(p, idx) + ": unknown instruction '" + m.op() + "'";
  if (!m.fn().empty()) {
    std::optional<isa::Fn> fn = isa::lookupFn(m.fn());
    if (!fn)
      return where(p, idx) + ": unknown function '" + m.fn() + "'";
    in.fn = int(*fn);
  }
  std::vector<int64_t> lengths;
  for (int b : m.buffers()) {
    if (b < 0 || b >= p.buffers_size())
      return where(p, idx) + ": buffer index " + std::to_string(b) +
             " out of range";
    in.buffers.push_back(b);
    lengths.push_back(p.buffers(b).length());
  }
  in.ints.assign(m.ints().begin(), m.ints().end());
  in.floats.assign(m.floats().begin(), m.floats().end());
  if (std::string e = isa::checkInstr(in, lengths); !e.empty())
    return where(p, idx) + ": " + e;
  if (isa::instructionSet()[in.op].fabric) {
    if (in.ints[0] >= w.transfers_size())
      return where(p, idx) + ": transfer index out of range";
    // A send reads the transfer's source tile, a recv writes its
    // destination tile: the buffer it names must be the transfer's.
    const wp::Transfer &t = w.transfers(int(in.ints[0]));
    bool send = m.op() == "send";
    int want = send ? t.src_buffer() : t.dst_buffer();
    int wantProgram = send ? t.src_program() : t.dst_program();
    if (in.buffers.empty() || program != wantProgram || in.buffers[0] != want)
      return where(p, idx) + ": " + m.op() + " of transfer '" + t.name() +
             "' names another buffer or program than the transfer's " +
             (send ? "source" : "destination");
  }
  return "";
}

/// The source index range an affine transfer reads must lie in the source.
std::string checkTransferMap(const wp::Transfer &t) {
  int64_t srcRank = t.src().shape_size(), dstRank = t.dst().shape_size();
  if (t.window_lo_size() != dstRank || t.window_size_size() != dstRank)
    return "window rank differs from the destination's";
  int64_t windowElems = 1;
  for (int64_t k = 0; k < dstRank; ++k) {
    if (t.window_lo(k) < 0 || t.window_size(k) < 0 ||
        t.window_lo(k) + t.window_size(k) > t.dst().shape(k))
      return "window outside the destination";
    windowElems *= t.window_size(k);
  }
  if (t.map_kind() == 0) {
    if (t.reshape_size() > 0)
      return "a reshape renumbers only an affine map's index";
    int64_t srcElems = 1;
    for (int64_t d : t.src().shape())
      srcElems *= d;
    if (srcElems != windowElems)
      return "a reshape moves " + std::to_string(srcElems) + " elements into " +
             std::to_string(windowElems);
    return "";
  }
  if (t.map_kind() != 1)
    return "unknown index map";
  // The index the map reads: the window's, or the window renumbered into
  // `reshape`.
  int64_t rank = t.reshape_size() > 0 ? t.reshape_size() : dstRank;
  if (t.reshape_size() > 0) {
    int64_t n = 1;
    for (int64_t d : t.reshape()) {
      if (d < 0 || d > kMaxElements)
        return "reshape dim out of range";
      n *= d;
    }
    if (n != windowElems)
      return "a reshape of the window to " + std::to_string(n) +
             " elements; the window has " + std::to_string(windowElems);
  }
  if (t.affine_size() != srcRank * rank || t.offset_size() != srcRank)
    return "affine map of the wrong size";
  if (windowElems == 0)
    return "";
  for (int64_t j = 0; j < srcRank; ++j) {
    int64_t lo = t.offset(j), hi = t.offset(j);
    for (int64_t k = 0; k < rank; ++k) {
      int64_t a = t.affine(j * rank + k);
      if (a < -kMaxElements || a > kMaxElements)
        return "affine coefficient out of range";
      int64_t size = t.reshape_size() > 0 ? t.reshape(k) : t.window_size(k);
      int64_t reach = a * (size - 1);
      (reach < 0 ? lo : hi) += reach;
    }
    if (lo < 0 || hi >= t.src().shape(j))
      return "reads outside the source along dim " + std::to_string(j);
  }
  return "";
}

/// A transfer's sender or receiver filter: a sparse layout of a mask over
/// the program of `tensor`, indexing one of its dims.
std::string checkFilter(const wp::WaferProgram &w, const wp::Layout &f,
                        bool present,
                        const google::protobuf::RepeatedField<int64_t> &dims,
                        int program, const wp::Layout &tensor,
                        const std::string &what) {
  if (!present)
    return dims.empty() ? "" : what + "_dims without a " + what + " layout";
  Layout l = layoutFromProto(f);
  if (l.mask < 0 || l.mask >= w.masks_size() || f.shape_size() != 2)
    return what + " is not a sparse layout of a mask";
  const wp::Mask &mk = w.masks(int(l.mask));
  if (!std::equal(mk.shape().begin(), mk.shape().end(), f.shape().begin(),
                  f.shape().end()))
    return what + "'s mask has another shape";
  for (const wp::Axis *a : {&f.x(), &f.y()})
    if (a->kind() < 0 || a->kind() > 2 || a->block() < 1 ||
        a->inner_kind() < 0 || a->inner_kind() > 2 || a->inner_count() < 0 ||
        a->inner_count() > kMaxElements ||
        (a->inner_count() > 1 &&
         (a->inner_block() < 1 || a->inner_block() > kMaxElements)) ||
        a->block() > kMaxElements)
      return "bad " + what + " layout axis";
  const wp::Program &p = w.programs(program);
  if (std::string e = l.check(p.width(), p.height()); !e.empty())
    return what + ": " + e;
  if (dims.size() != 2 || dims[0] < 0 || dims[0] > 1 || dims[1] < 0 ||
      dims[1] >= tensor.shape_size() ||
      f.shape(int(dims[0])) != tensor.shape(int(dims[1])))
    return what + "_dims must be [mask dim, tensor dim] of one extent";
  return "";
}

/// A source built from rows at each send (`rows_box`): a scatter-add over
/// buffers of the source's program whose box tiles the table as the
/// source layout does on every PE.
std::string checkRowsSource(const wp::WaferProgram &w, const wp::Transfer &t) {
  if (t.rows_box_size() != 9 || !t.sparse_rows())
    return "a source built from rows needs a rows_box of 9 ints and sparse "
           "rows";
  const wp::Program &p = w.programs(t.src_program());
  for (int b : {t.rows_updates_buffer(), t.rows_index_buffer()})
    if (b < 0 || b >= p.buffers_size())
      return "rows buffer index out of range";
  Layout src = layoutFromProto(t.src());
  std::vector<int64_t> tile = src.tileShape();
  isa::Instr in;
  in.op = isa::lookupInstr("scatter_add");
  in.buffers = {0, 1, 2};
  in.ints.assign(t.rows_box().begin(), t.rows_box().end());
  if (tile.size() != 2)
    return "a source built from rows is a rank-2 table";
  std::vector<int64_t> lengths = {
      tile[0] * tile[1], p.buffers(t.rows_updates_buffer()).length(),
      p.buffers(t.rows_index_buffer()).length()};
  if (std::string e = isa::checkInstr(in, lengths); !e.empty())
    return "rows: " + e;
  isa::BoxDim dims[3];
  for (int d = 0; d < 3; ++d)
    dims[d] = {in.ints[size_t(3 * d)], in.ints[size_t(3 * d + 1)],
               in.ints[size_t(3 * d + 2)]};
  if (dims[2].block != tile[0] || dims[1].block != tile[1] ||
      dims[2].global != src.shape[0] || dims[1].global != src.shape[1] ||
      dims[1].axis > 2 || dims[2].axis > 2)
    return "rows_box does not tile the source";
  for (int64_t py = 0; py < p.height(); ++py)
    for (int64_t px = 0; px < p.width(); ++px) {
      if (!src.holds(px, py))
        continue;
      // The rows a PE builds are those of its tile.
      for (auto [dim, box] : {std::pair<int64_t, int>{0, 2}, {1, 1}}) {
        int64_t begin, size;
        src.range(dim, px, py, begin, size);
        if (isa::localExtent(dims[box], px, py) > 0 &&
            isa::boxPosition(dims[box], px, py) * dims[box].block != begin)
          return "rows_box does not tile the source at PE " +
                 std::to_string(px) + ", " + std::to_string(py);
      }
    }
  return "";
}

std::string checkTransfer(const wp::WaferProgram &w, const wp::Transfer &t) {
  std::string what = "transfer '" + t.name() + "'";
  bool rows = t.rows_box_size() > 0;
  if (std::string e = checkLayout(w, t.src(), t.src_program(), t.src_buffer(),
                                  what, false, /*stored=*/!rows);
      !e.empty())
    return e;
  if (rows)
    if (std::string e = checkRowsSource(w, t); !e.empty())
      return what + ": " + e;
  if (std::string e =
          checkLayout(w, t.dst(), t.dst_program(), t.dst_buffer(), what);
      !e.empty())
    return e;
  if (layoutFromProto(t.dst()).isPartial())
    return what + ": a partial destination";
  if (t.combine() < 0 || t.combine() > 2 ||
      (t.combine() != 0) != layoutFromProto(t.src()).isPartial())
    return what + ": combine mode does not match the source's layout";
  if (t.sparse_rows() && (t.combine() != 1 || t.src().mask() != 0))
    return what + ": sparse rows need a sum of dense partial tiles";
  if (t.color() < 0 || t.color() >= w.machine().colors())
    return what + ": color out of range";
  if (std::string e = checkTransferMap(t); !e.empty())
    return what + ": " + e;
  if (std::string e = checkFilter(w, t.need(), t.has_need(), t.need_dims(),
                                  t.dst_program(), t.dst(), "need");
      !e.empty())
    return what + ": " + e;
  if (std::string e = checkFilter(w, t.have(), t.has_have(), t.have_dims(),
                                  t.src_program(), t.src(), "have");
      !e.empty())
    return what + ": " + e;
  return "";
}

std::string checkBinding(const wp::WaferProgram &w, const wp::Binding &b,
                         const std::string &kind) {
  std::string what = kind + " '" + b.name() + "'";
  if (std::string e = checkLayout(w, b.layout(), b.program(), b.buffer(), what,
                                  kind == "index");
      !e.empty())
    return e;
  if (!std::equal(b.type().shape().begin(), b.type().shape().end(),
                  b.layout().shape().begin(), b.layout().shape().end()))
    return what + ": type and layout shapes differ";
  if (layoutFromProto(b.layout()).isPartial())
    return what + ": partial layout";
  if (b.range_size() != 0 &&
      (kind != "input" || b.range_size() < 2 || b.range_size() > 3 ||
       b.range(0) > b.range(1)))
    return what + ": bad value range";
  if (b.init_size() != 0 && b.init_size() != layoutFromProto(b.layout()).numElements())
    return what + ": initial value has " + std::to_string(b.init_size()) +
           " elements";
  if (b.parts_size() != 0) {
    if (kind != "parameter")
      return what + ": has parts, which only a stacked parameter has";
    if (b.type().shape().empty() ||
        b.type().shape(0) != int64_t(b.parts_size()))
      return what + ": " + std::to_string(b.parts_size()) +
             " parts for a dim 0 of " +
             (b.type().shape().empty() ? std::string("none")
                                       : std::to_string(b.type().shape(0)));
    for (const std::string &p : b.parts())
      if (p.empty())
        return what + ": a part without a name";
  }
  if (b.has_random_init()) {
    const wp::RandomInit &r = b.random_init();
    if (kind != "parameter" && kind != "state" && kind != "constant")
      return what + ": a seeded initial value on an " + kind;
    if (b.init_size() != 0)
      return what + ": both initial values and a seeded generator";
    if (b.type().is_int())
      return what + ": a seeded initial value for integers";
    if (b.layout().mask() > 0)
      return what + ": a seeded initial value for a sparse layout";
    if (r.distribution() > 2 || !std::isfinite(r.a()) ||
        !std::isfinite(r.b()) || (r.distribution() == 0 && !(r.b() > 0)) ||
        (r.distribution() == 1 && !(r.a() < r.b())))
      return what + ": bad seeded initial value (distribution " +
             std::to_string(r.distribution()) + ")";
  }
  return "";
}

class QuietErrors : public google::protobuf::io::ErrorCollector {
public:
  void AddError(int, int, const std::string &) override {}
};

} // namespace

std::string validateWaferProgram(const wp::WaferProgram &w) {
  if (w.version() != mlir::wse::kWaferProgramVersion)
    return "unsupported wafer program version " + std::to_string(w.version()) +
           " (this build reads " +
           std::to_string(mlir::wse::kWaferProgramVersion) + ")";
  const wp::Machine &m = w.machine();
  if (m.width() < 1 || m.height() < 1 || m.width() > 100000 ||
      m.height() > 100000 || m.colors() < 1 || m.colors() > 32 ||
      m.sram_bytes() < 4 || m.sram_bytes() > (int64_t(1) << 30) ||
      m.reserved_sram_bytes() < 0 ||
      m.reserved_sram_bytes() >= m.sram_bytes() || m.fmacs_per_cycle() < 1 ||
      m.adds_per_cycle() < 1 || m.clock_mhz() < 1 || m.host_links() < 0 ||
      m.host_links() > 1024 || m.host_link_gbps() < 0 ||
      m.host_link_gbps() > 100000 || m.host_fmacs_per_cycle() < 0 ||
      m.host_fmacs_per_cycle() > (int64_t(1) << 20))
    return "bad machine description";
  if (w.micro_batches() < 0 || w.micro_batches() > (int64_t(1) << 20))
    return "micro_batches is " + std::to_string(w.micro_batches()) +
           ", not in [0, 2^20]";
  for (const auto *list : {&w.outputs(), &w.params(), &w.state(),
                           &w.constants(), &w.indices()})
    for (const wp::Binding &b : *list)
      if (b.micro_batched())
        return "binding '" + b.name() +
               "' is micro_batched, which only inputs may be";
  for (const wp::Binding &b : w.inputs())
    if (b.micro_batched() && (w.micro_batches() < 2 || b.type().shape().empty()))
      return "input '" + b.name() +
             "' is micro_batched in a program of " +
             std::to_string(w.micro_batches()) + " micro-batches, or has no dim 0";
  for (int i = 0; i < w.masks_size(); ++i) {
    const wp::Mask &mk = w.masks(i);
    int64_t n = 1;
    for (int64_t d : mk.shape()) {
      if (d < 1 || d > kMaxElements || (n *= d) > kMaxElements)
        return "mask " + std::to_string(i) + " has a bad shape";
    }
    if (mk.shape_size() != 2 || n != int64_t(mk.keep().size()))
      return "mask " + std::to_string(i) + " is not a rank-2 mask of its shape";
    for (char c : mk.keep())
      if (c != 0 && c != 1)
        return "mask " + std::to_string(i) + " holds a byte other than 0 or 1";
  }
  int64_t dataBytes = m.sram_bytes() - m.reserved_sram_bytes();
  for (int pi = 0; pi < w.programs_size(); ++pi) {
    const wp::Program &p = w.programs(pi);
    if (p.host()) {
      // Weight streaming's host: one "PE" off the mesh, reached over the
      // machine's host links, with host memory instead of SRAM.
      if (p.width() != 1 || p.height() != 1 || p.x() != 0 || p.y() != 0)
        return "host program '" + p.name() + "' is not one 1x1 host at [0, 0]";
      if (m.host_links() < 1 || m.host_link_gbps() < 1 ||
          m.host_fmacs_per_cycle() < 1)
        return "host program '" + p.name() +
               "' needs host links and a host update rate in the machine";
    } else if (p.width() < 1 || p.height() < 1 || p.x() < 0 || p.y() < 0 ||
               p.x() + p.width() > m.width() ||
               p.y() + p.height() > m.height()) {
      return "program '" + p.name() + "' lies outside the mesh";
    }
    int64_t limit = p.host() ? kMaxHostBytes : dataBytes;
    for (const wp::Buffer &b : p.buffers())
      if (b.offset() < 0 || b.offset() % 4 || b.length() < 1 ||
          b.length() > kMaxElements || b.offset() > limit ||
          b.offset() + 4 * b.length() > limit)
        return "program '" + p.name() + "': buffer '" + b.name() + "' lies " +
               (p.host() ? "beyond the " + std::to_string(limit) +
                               " bytes of host memory a program addresses"
                         : "outside the PE's " + std::to_string(dataBytes) +
                               " bytes of data SRAM");
    for (int i = 0; i < p.instrs_size(); ++i)
      if (std::string e = checkInstrMsg(w, pi, i); !e.empty())
        return e;
    // A posted transfer is received later, once: the simulator keeps the
    // post until its recv.
    std::set<int64_t> open;
    for (int i = 0; i < p.instrs_size(); ++i) {
      const wp::Instr &in = p.instrs(i);
      if (in.op() != "post" && in.op() != "recv")
        continue;
      int64_t t = in.ints(0);
      if (in.op() == "recv") {
        open.erase(t);
      } else if (!open.insert(t).second) {
        return where(p, i) + ": posts transfer '" + w.transfers(int(t)).name() +
               "' again before receiving it";
      }
    }
    if (!open.empty())
      return "program '" + p.name() + "' posts transfer '" +
             w.transfers(int(*open.begin())).name() + "' and never receives it";
  }
  for (const wp::Transfer &t : w.transfers())
    if (std::string e = checkTransfer(w, t); !e.empty())
      return e;
  for (const wp::Binding &b : w.inputs())
    if (std::string e = checkBinding(w, b, "input"); !e.empty())
      return e;
  for (const wp::Binding &b : w.outputs())
    if (std::string e = checkBinding(w, b, "output"); !e.empty())
      return e;
  for (const wp::Binding &b : w.params())
    if (std::string e = checkBinding(w, b, "parameter"); !e.empty())
      return e;
  for (const wp::Binding &b : w.state())
    if (std::string e = checkBinding(w, b, "state"); !e.empty())
      return e;
  for (const wp::Binding &b : w.constants())
    if (std::string e = checkBinding(w, b, "constant"); !e.empty())
      return e;
  for (const wp::Binding &b : w.indices())
    if (std::string e = checkBinding(w, b, "index"); !e.empty())
      return e;
  for (const wp::Binding &b : w.inputs())
    if (b.layout().mask() != 0)
      return "input '" + b.name() + "' has a sparse layout";
  return "";
}

namespace {

constexpr char kMagic[8] = {'\x89', 'W', 'S', 'E', '\r', '\n', '\x1a', '\n'};
constexpr size_t kHeaderBytes = 24;

void putLE(std::string &out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(char((v >> (8 * i)) & 0xff));
}

uint64_t getLE(const std::string &in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= uint64_t(uint8_t(in[at + i])) << (8 * i);
  return v;
}

std::string hex(uint32_t v) {
  char buf[16];
  snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

} // namespace

std::string encodeWaferProgram(const wp::WaferProgram &program) {
  std::string message = program.SerializeAsString();
  std::string out(kMagic, sizeof kMagic);
  putLE(out, mlir::wse::kWaferProgramVersion, 4);
  putLE(out, crc32c(message), 4);
  putLE(out, message.size(), 8);
  return out + message;
}

std::string decodeWaferProgram(const std::string &bytes,
                               wp::WaferProgram &program) {
  program.Clear();
  if (bytes.compare(0, sizeof kMagic, kMagic, sizeof kMagic) == 0) {
    if (bytes.size() < kHeaderBytes)
      return "truncated wafer program (the header is cut off)";
    uint64_t version = getLE(bytes, 8, 4);
    if (version != mlir::wse::kWaferProgramVersion)
      return "wafer program format version " + std::to_string(version) +
             "; this build reads version " +
             std::to_string(mlir::wse::kWaferProgramVersion) +
             " (recompile it with this build's wse-translate)";
    uint64_t length = getLE(bytes, 16, 8);
    if (length != bytes.size() - kHeaderBytes)
      return "truncated or padded wafer program: the header gives " +
             std::to_string(length) + " bytes of program, the file holds " +
             std::to_string(bytes.size() - kHeaderBytes);
    std::string message = bytes.substr(kHeaderBytes);
    uint32_t expected = uint32_t(getLE(bytes, 12, 4));
    uint32_t actual = crc32c(message);
    if (actual != expected)
      return "corrupted wafer program: CRC-32C " + hex(actual) +
             " does not match the header's " + hex(expected);
    if (!program.ParseFromString(message))
      return "the wafer program message does not parse (written by a "
             "different build?)";
    return "";
  }
  // Without the header: the hand-editable text form.
  google::protobuf::TextFormat::Parser parser;
  QuietErrors errors;
  parser.RecordErrorsTo(&errors);
  parser.AllowPartialMessage(false);
  if (!parser.ParseFromString(bytes, &program))
    return "not a wafer program (no .wsebin header, and not the protobuf "
           "text form)";
  return "";
}

std::string loadWaferProgram(const std::string &path,
                             wp::WaferProgram &program) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return path + ": cannot open";
  std::stringstream ss;
  ss << f.rdbuf();
  if (std::string e = decodeWaferProgram(ss.str(), program); !e.empty())
    return path + ": " + e;
  if (std::string e = validateWaferProgram(program); !e.empty())
    return path + ": " + e;
  return "";
}

} // namespace wsert
