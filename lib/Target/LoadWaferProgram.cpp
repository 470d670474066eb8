//===- LoadWaferProgram.cpp - read and check a .wsebin --------------------===//
//
// A .wsebin comes from outside the process, so every index, size and route
// in it is checked before the simulator trusts it: a corrupt file is an
// error message, never a crash.
//
//===----------------------------------------------------------------------===//
#include "WaferProgram.pb.h"
#include "wse/Support/Routing.h"
#include "wse/Target/WaferProgram.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <fstream>
#include <sstream>

namespace wsert {

namespace wp = ::wsebin;

namespace {

std::string where(const wp::Program &p, int i) {
  return "program '" + p.name() + "' instruction " + std::to_string(i);
}

/// Operand counts per opcode: buffers, ints, colors (-1: one or two).
struct Arity {
  int buffers, ints, colors;
};

Arity arityOf(wp::Instr::Op op) {
  switch (op) {
  case wp::Instr::SEND:
  case wp::Instr::RECV:
  case wp::Instr::RECV_ADD: return {1, 0, -1};
  case wp::Instr::FILL: return {1, 0, 0};
  case wp::Instr::MATMUL: return {3, 3, 0};
  case wp::Instr::COPY2D: return {2, 8, 0};
  case wp::Instr::BIAS_ADD: return {2, 2, 0};
  case wp::Instr::RELU: return {2, 1, 0};
  case wp::Instr::RELU_GRAD: return {3, 1, 0};
  case wp::Instr::COL_SUM: return {2, 2, 0};
  case wp::Instr::SGD: return {2, 1, 0};
  case wp::Instr::SOFTMAX_CE: return {4, 2, 0};
  case wp::Instr::ADD_CONST: return {1, 0, 0};
  case wp::Instr::SGD_MOMENTUM: return {3, 1, 0};
  case wp::Instr::ADAMW: return {5, 1, 0};
  default: return {-1, -1, -1};
  }
}

bool positive(int64_t v) { return v > 0 && v < (int64_t(1) << 31); }

std::string checkInstr(const wp::Program &p, int idx, int64_t colors) {
  const wp::Instr &in = p.instrs(idx);
  Arity a = arityOf(in.op());
  if (a.buffers < 0)
    return where(p, idx) + ": unknown opcode " + std::to_string(in.op());
  if (in.buffers_size() != a.buffers || in.ints_size() != a.ints ||
      (a.colors == 0 ? in.colors_size() != 0
                     : (in.colors_size() < 1 || in.colors_size() > 2)))
    return where(p, idx) + ": wrong number of operands";
  if (in.when() < wp::ALL || in.when() > wp::NOT_LAST)
    return where(p, idx) + ": bad 'when'";
  for (int b : in.buffers())
    if (b < 0 || b >= p.buffers_size())
      return where(p, idx) + ": buffer index " + std::to_string(b) +
             " out of range";
  for (int64_t c : in.colors())
    if (c < 0 || c >= colors)
      return where(p, idx) + ": color " + std::to_string(c) + " out of range";
  auto len = [&](int k) { return p.buffers(in.buffers(k)).length(); };
  auto isInt = [&](int k) { return p.buffers(in.buffers(k)).is_int(); };
  auto need = [&](int k, int64_t n) { return n <= len(k); };
  for (int64_t v : in.ints())
    if (v < 0 || v >= (int64_t(1) << 31))
      return where(p, idx) + ": integer operand out of range";
  const auto &I = in.ints();
  bool ok = true;
  switch (in.op()) {
  case wp::Instr::MATMUL:
    ok = positive(I[0]) && positive(I[1]) && positive(I[2]) &&
         need(0, I[0] * I[1]) && need(1, I[0] * I[2]) && need(2, I[2] * I[1]);
    break;
  case wp::Instr::COPY2D: {
    int64_t w = p.width() - 1;
    ok = positive(I[0]) && positive(I[1]) && I[1] <= I[2] && I[1] <= I[5] &&
         need(1, I[3] + w * I[4] + (I[0] - 1) * I[2] + I[1]) &&
         need(0, I[6] + w * I[7] + (I[0] - 1) * I[5] + I[1]);
    break;
  }
  case wp::Instr::BIAS_ADD:
  case wp::Instr::COL_SUM:
    ok = positive(I[0]) && positive(I[1]) &&
         need(in.op() == wp::Instr::BIAS_ADD ? 0 : 1, I[0] * I[1]) &&
         need(in.op() == wp::Instr::BIAS_ADD ? 1 : 0, I[1]);
    break;
  case wp::Instr::RELU:
  case wp::Instr::SGD:
    ok = positive(I[0]) && need(0, I[0]) && need(1, I[0]);
    break;
  case wp::Instr::RELU_GRAD:
    ok = positive(I[0]) && need(0, I[0]) && need(1, I[0]) && need(2, I[0]);
    break;
  case wp::Instr::SGD_MOMENTUM:
    ok = positive(I[0]) && need(0, I[0]) && need(1, I[0]) && need(2, I[0]) &&
         in.floats_size() == 2;
    break;
  case wp::Instr::ADAMW:
    ok = positive(I[0]) && need(0, I[0]) && need(1, I[0]) && need(2, I[0]) &&
         need(3, I[0]) && need(4, 1) && in.floats_size() == 4;
    break;
  case wp::Instr::SOFTMAX_CE:
    ok = positive(I[0]) && positive(I[1]) && need(0, 1) &&
         need(1, I[0] * I[1]) && need(2, I[0] * I[1]) && need(3, I[0]) &&
         isInt(3) && !isInt(0) && !isInt(1) && !isInt(2);
    break;
  default:
    break;
  }
  if (!ok)
    return where(p, idx) + ": sizes exceed its buffers";
  bool floatsOnly = in.op() != wp::Instr::SEND && in.op() != wp::Instr::RECV &&
                    in.op() != wp::Instr::SOFTMAX_CE;
  if (floatsOnly)
    for (int k = 0; k < in.buffers_size(); ++k)
      if (isInt(k))
        return where(p, idx) + ": needs float buffers";
  return "";
}

std::string checkBinding(const wp::WaferProgram &w, const wp::Binding &b,
                         const char *kind, bool split) {
  std::string what = std::string(kind) + " '" + b.name() + "'";
  if (b.program() < 0 || b.program() >= w.programs_size())
    return what + ": program index out of range";
  const wp::Program &p = w.programs(b.program());
  if (b.buffer() < 0 || b.buffer() >= p.buffers_size())
    return what + ": buffer index out of range";
  int64_t n = 1;
  for (int64_t d : b.type().shape()) {
    if (d < 0 || d > (int64_t(1) << 31))
      return what + ": bad shape";
    n *= d;
    if (n > (int64_t(1) << 31))
      return what + ": too large";
  }
  if (split) {
    if (b.type().shape_size() < 1 || b.type().shape(0) % p.width())
      return what + ": dim 0 does not split over " +
             std::to_string(p.width()) + " PEs";
    if (b.init_size() != n)
      return what + ": initial value has " + std::to_string(b.init_size()) +
             " elements, the type needs " + std::to_string(n);
    n /= p.width();
  }
  if (n > p.buffers(b.buffer()).length())
    return what + ": does not fit its buffer";
  if (b.type().is_int() != p.buffers(b.buffer()).is_int())
    return what + ": element kind differs from its buffer's";
  return "";
}

/// Keeps protobuf's text parser from printing to stderr; our caller reports.
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
      m.adds_per_cycle() < 1 || m.clock_mhz() < 1)
    return "bad machine description";
  int64_t dataBytes = m.sram_bytes() - m.reserved_sram_bytes();
  for (const wp::Program &p : w.programs()) {
    if (p.width() < 1 || p.height() != 1 || p.x() < 0 || p.y() < 0 ||
        p.x() + p.width() > m.width() || p.y() + p.height() > m.height())
      return "program '" + p.name() + "' lies outside the mesh";
    for (const wp::Buffer &b : p.buffers())
      if (b.offset() < 0 || b.offset() % 4 || b.length() < 1 ||
          b.offset() + 4 * b.length() > dataBytes)
        return "program '" + p.name() + "': buffer '" + b.name() +
               "' lies outside the PE's SRAM";
    for (int i = 0; i < p.instrs_size(); ++i)
      if (std::string e = checkInstr(p, i, m.colors()); !e.empty())
        return e;
  }
  for (const wp::Route &r : w.routes()) {
    if (r.color() < 0 || r.color() >= m.colors())
      return "route '" + r.name() + "': color out of range";
    for (int i = 0; i < r.path_size(); ++i)
      if (r.path(i) < 0 || r.path(i) >= (i % 2 ? m.height() : m.width()))
        return "route '" + r.name() + "': point off the mesh";
    std::vector<RouterEntry> entries;
    std::vector<int64_t> path(r.path().begin(), r.path().end());
    if (std::string e = expandRoute(path, r.color(), entries); !e.empty())
      return "route '" + r.name() + "': " + e;
  }
  for (const wp::Chain &c : w.chains())
    if (c.program() < 0 || c.program() >= w.programs_size() ||
        c.color0() < 0 || c.color0() >= m.colors() || c.color1() < 0 ||
        c.color1() >= m.colors() || c.color0() == c.color1())
      return "chain '" + c.name() + "': bad program or colors";
  for (const wp::Binding &b : w.inputs())
    if (std::string e = checkBinding(w, b, "input", false); !e.empty())
      return e;
  for (const wp::Binding &b : w.outputs())
    if (std::string e = checkBinding(w, b, "output", false); !e.empty())
      return e;
  for (const wp::Binding &b : w.params())
    if (std::string e = checkBinding(w, b, "parameter", true); !e.empty())
      return e;
  return "";
}

std::string loadWaferProgram(const std::string &path,
                             wp::WaferProgram &program) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return path + ": cannot open";
  std::stringstream ss;
  ss << f.rdbuf();
  std::string bytes = ss.str();
  bool parsed = program.ParseFromString(bytes);
  if (!parsed) {
    // Not a binary message: maybe the text form.
    program.Clear();
    google::protobuf::TextFormat::Parser parser;
    QuietErrors errors;
    parser.RecordErrorsTo(&errors);
    parser.AllowPartialMessage(false);
    parsed = parser.ParseFromString(bytes, &program);
  }
  if (!parsed)
    return path + ": not a wafer program (neither binary nor text protobuf)";
  if (std::string e = validateWaferProgram(program); !e.empty())
    return path + ": " + e;
  return "";
}

} // namespace wsert
