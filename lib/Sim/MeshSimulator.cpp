//===- MeshSimulator.cpp - Kahn-network simulation of the PE mesh ---------===//
#include "wse/Sim/MeshSimulator.h"
#include "WaferProgram.pb.h"
#include "wse/Support/Math.h"
#include "wse/Support/Routing.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <unordered_map>

namespace wsert::sim {

namespace wp = ::wsebin;

uint64_t CostModel::matmul(int64_t m, int64_t n, int64_t k) const {
  return uint64_t((m * n * k + fmacsPerCycle - 1) / fmacsPerCycle);
}
uint64_t CostModel::elementwise(int64_t n) const {
  return uint64_t((n + addsPerCycle - 1) / addsPerCycle);
}
uint64_t CostModel::copy(int64_t n) const { return uint64_t(n); }
uint64_t CostModel::sgd(int64_t n) const {
  return uint64_t((n + fmacsPerCycle - 1) / fmacsPerCycle);
}
uint64_t CostModel::optimizer(int64_t n, int64_t opsPerElement) const {
  return uint64_t((n * opsPerElement + fmacsPerCycle - 1) / fmacsPerCycle);
}
uint64_t CostModel::softmaxCrossEntropy(int64_t rows, int64_t cols) const {
  // max, exp, sum and the gradient: about four passes over the logits.
  return uint64_t(4 * rows * cols);
}

namespace {

uint64_t xyKey(int64_t x, int64_t y) { return (uint64_t(x) << 32) | uint64_t(y); }
uint64_t routerKey(int64_t x, int64_t y, int64_t c) {
  return (uint64_t(x) << 40) | (uint64_t(y) << 8) | uint64_t(c);
}

struct Message {
  std::vector<uint32_t> data;
  uint64_t firstArrival;
};

struct PE {
  int prog;
  int64_t col;
  int64_t x, y;
  std::vector<uint32_t> sram; // the data part of SRAM, in 4-byte words
  uint64_t clock = 0;
  int pc = 0;
  bool done = false;
};

/// Where a send from one PE on one color ends up.
struct Delivery {
  std::vector<std::pair<int, int64_t>> dests; // PE index, hops to it
  int64_t links = 0;                          // links the tree uses
};

std::string pos(int64_t x, int64_t y) {
  return "(" + std::to_string(x) + ", " + std::to_string(y) + ")";
}

} // namespace

struct MeshSimulator::Impl {
  wp::WaferProgram program;
  CostModel cost;
  int64_t colors = 0;
  std::vector<PE> pes;
  std::vector<int> firstPe; // per program
  std::unordered_map<uint64_t, int> peAt;
  std::unordered_map<uint64_t, RouterEntry> routers;
  std::unordered_map<uint64_t, std::string> routerOwner;
  std::vector<std::deque<Message>> queues; // pe * colors + color
  std::map<std::pair<int, int64_t>, Delivery> deliveries;
  uint64_t wavelets = 0;
  bool tracing = false;
  std::vector<TraceEvent> trace;

  std::string addEntries(const std::vector<RouterEntry> &entries,
                         const std::string &owner);
  std::string delivery(int pe, int64_t color, const Delivery *&out);
  std::string senderOf(int pe, int64_t color) const;
  std::string execute(PE &pe, const wp::Instr &in, bool &blocked);

  float *f32(PE &pe, int buffer) {
    const wp::Buffer &b = program.programs(pe.prog).buffers(buffer);
    return reinterpret_cast<float *>(pe.sram.data() + b.offset() / 4);
  }
  int32_t *i32(PE &pe, int buffer) {
    const wp::Buffer &b = program.programs(pe.prog).buffers(buffer);
    return reinterpret_cast<int32_t *>(pe.sram.data() + b.offset() / 4);
  }
  int64_t length(const PE &pe, int buffer) const {
    return program.programs(pe.prog).buffers(buffer).length();
  }
  std::string name(const PE &pe) const {
    return "PE " + pos(pe.x, pe.y) + " of @" + program.programs(pe.prog).name();
  }
};

std::string MeshSimulator::Impl::addEntries(
    const std::vector<RouterEntry> &entries, const std::string &owner) {
  for (const RouterEntry &e : entries) {
    uint64_t key = routerKey(e.x, e.y, e.color);
    auto [it, inserted] = routers.emplace(key, e);
    if (!inserted)
      return "router conflict at PE " + pos(e.x, e.y) + " on color " +
             std::to_string(e.color) + ": " + routerOwner[key] + " and " +
             owner + " both use it";
    routerOwner[key] = owner;
  }
  return "";
}

std::string MeshSimulator::Impl::delivery(int peIdx, int64_t color,
                                          const Delivery *&out) {
  auto key = std::make_pair(peIdx, color);
  auto found = deliveries.find(key);
  if (found != deliveries.end()) {
    out = &found->second;
    return "";
  }
  const PE &src = pes[peIdx];
  auto first = routers.find(routerKey(src.x, src.y, color));
  if (first == routers.end() || first->second.in != Port::Ramp)
    return name(src) + " sends on color " + std::to_string(color) +
           ", but its router takes nothing from the ramp on that color";
  Delivery d;
  struct Visit {
    int64_t x, y, hops;
  };
  std::vector<Visit> stack = {{src.x, src.y, 0}};
  size_t visited = 0;
  while (!stack.empty()) {
    Visit v = stack.back();
    stack.pop_back();
    if (++visited > routers.size())
      return "the route of color " + std::to_string(color) + " from " +
             name(src) + " loops";
    const RouterEntry &e = routers.at(routerKey(v.x, v.y, color));
    for (Port p : {Port::Ramp, Port::North, Port::East, Port::South,
                   Port::West}) {
      if (!(e.outs & (1u << unsigned(p))))
        continue;
      if (p == Port::Ramp) {
        auto pe = peAt.find(xyKey(v.x, v.y));
        if (pe == peAt.end())
          return "the route of color " + std::to_string(color) + " from " +
                 name(src) + " delivers to PE " + pos(v.x, v.y) +
                 ", which runs no program";
        d.dests.push_back({pe->second, v.hops});
        continue;
      }
      int64_t nx = v.x + (p == Port::East) - (p == Port::West);
      int64_t ny = v.y + (p == Port::South) - (p == Port::North);
      Port expect = p == Port::East    ? Port::West
                    : p == Port::West  ? Port::East
                    : p == Port::North ? Port::South
                                       : Port::North;
      auto next = routers.find(routerKey(nx, ny, color));
      if (next == routers.end() || next->second.in != expect)
        return "the route of color " + std::to_string(color) + " from " +
               name(src) + " leaves PE " + pos(v.x, v.y) + " toward " +
               portName(p) + ", but PE " + pos(nx, ny) +
               " has no route taking it";
      d.links++;
      stack.push_back({nx, ny, v.hops + 1});
    }
  }
  std::sort(d.dests.begin(), d.dests.end());
  out = &deliveries.emplace(key, std::move(d)).first->second;
  return "";
}

std::string MeshSimulator::Impl::senderOf(int peIdx, int64_t color) const {
  int64_t x = pes[peIdx].x, y = pes[peIdx].y;
  for (size_t guard = 0; guard <= routers.size(); ++guard) {
    auto e = routers.find(routerKey(x, y, color));
    if (e == routers.end())
      return "no route reaches it on this color";
    if (e->second.in == Port::Ramp) {
      auto pe = peAt.find(xyKey(x, y));
      if (pe == peAt.end())
        return "its sender would be PE " + pos(x, y) + ", which runs nothing";
      const PE &s = pes[pe->second];
      return "its sender is " + name(s) +
             (s.done ? " (finished without sending)" : " (itself blocked)");
    }
    Port in = e->second.in;
    x += (in == Port::East) - (in == Port::West);
    y += (in == Port::South) - (in == Port::North);
  }
  return "its route loops";
}

std::string MeshSimulator::Impl::execute(PE &pe, const wp::Instr &in,
                                         bool &blocked) {
  blocked = false;
  const wp::Program &prog = program.programs(pe.prog);
  int64_t w = prog.width();
  bool run = true;
  switch (in.when()) {
  case wp::FIRST: run = pe.col == 0; break;
  case wp::NOT_FIRST: run = pe.col != 0; break;
  case wp::LAST: run = pe.col == w - 1; break;
  case wp::NOT_LAST: run = pe.col != w - 1; break;
  default: break;
  }
  if (!run)
    return "";
  const auto &I = in.ints();
  auto B = [&](int k) { return in.buffers(k); };
  int64_t color =
      in.colors_size() ? in.colors(int(pe.col % in.colors_size())) : 0;
  switch (in.op()) {
  case wp::Instr::SEND: {
    const Delivery *d = nullptr;
    int peIdx = int(&pe - pes.data());
    if (std::string e = delivery(peIdx, color, d); !e.empty())
      return e;
    const wp::Buffer &b = prog.buffers(B(0));
    std::vector<uint32_t> data(pe.sram.begin() + b.offset() / 4,
                               pe.sram.begin() + b.offset() / 4 + b.length());
    for (auto [dst, hops] : d->dests)
      queues[size_t(dst) * colors + color].push_back(
          {data, cost.firstArrival(pe.clock, hops)});
    wavelets += uint64_t(b.length()) * uint64_t(d->links);
    pe.clock += uint64_t(b.length());
    return "";
  }
  case wp::Instr::RECV:
  case wp::Instr::RECV_ADD: {
    int peIdx = int(&pe - pes.data());
    auto &q = queues[size_t(peIdx) * colors + color];
    if (q.empty()) {
      blocked = true;
      return "";
    }
    Message m = std::move(q.front());
    q.pop_front();
    int64_t len = length(pe, B(0));
    if (int64_t(m.data.size()) != len)
      return name(pe) + " receives " + std::to_string(m.data.size()) +
             " wavelets on color " + std::to_string(color) + " into '" +
             prog.buffers(B(0)).name() + "', which holds " +
             std::to_string(len);
    pe.clock = std::max(pe.clock, m.firstArrival) + uint64_t(len);
    if (in.op() == wp::Instr::RECV) {
      std::copy(m.data.begin(), m.data.end(),
                pe.sram.begin() + prog.buffers(B(0)).offset() / 4);
    } else {
      float *dst = f32(pe, B(0));
      for (int64_t e = 0; e < len; ++e) {
        float v;
        std::memcpy(&v, &m.data[e], 4);
        dst[e] = v + dst[e];
      }
    }
    return "";
  }
  case wp::Instr::FILL: {
    float *dst = f32(pe, B(0));
    std::fill(dst, dst + length(pe, B(0)), in.value());
    pe.clock += cost.elementwise(length(pe, B(0)));
    return "";
  }
  case wp::Instr::MATMUL:
    math::matmul(f32(pe, B(0)), f32(pe, B(1)), f32(pe, B(2)), I[0], I[1], I[2],
                 in.transpose_a(), in.transpose_b(), in.accumulate());
    pe.clock += cost.matmul(I[0], I[1], I[2]);
    return "";
  case wp::Instr::COPY2D: {
    float *dst = f32(pe, B(0));
    const float *src = f32(pe, B(1));
    int64_t so = I[3] + pe.col * I[4], dO = I[6] + pe.col * I[7];
    for (int64_t r = 0; r < I[0]; ++r)
      std::memmove(dst + dO + r * I[5], src + so + r * I[2],
                   size_t(I[1]) * 4);
    pe.clock += cost.copy(I[0] * I[1]);
    return "";
  }
  case wp::Instr::BIAS_ADD: {
    float *y = f32(pe, B(0));
    const float *b = f32(pe, B(1));
    for (int64_t r = 0; r < I[0]; ++r)
      for (int64_t c = 0; c < I[1]; ++c)
        y[r * I[1] + c] += b[c];
    pe.clock += cost.elementwise(I[0] * I[1]);
    return "";
  }
  case wp::Instr::RELU: {
    float *dst = f32(pe, B(0));
    const float *src = f32(pe, B(1));
    for (int64_t e = 0; e < I[0]; ++e)
      dst[e] = src[e] > 0.0f ? src[e] : 0.0f;
    pe.clock += cost.elementwise(I[0]);
    return "";
  }
  case wp::Instr::RELU_GRAD: {
    float *dst = f32(pe, B(0));
    const float *g = f32(pe, B(1));
    const float *x = f32(pe, B(2));
    for (int64_t e = 0; e < I[0]; ++e)
      dst[e] = x[e] > 0.0f ? g[e] : 0.0f;
    pe.clock += cost.elementwise(I[0]);
    return "";
  }
  case wp::Instr::COL_SUM: {
    float *dst = f32(pe, B(0));
    const float *src = f32(pe, B(1));
    std::fill(dst, dst + I[1], 0.0f);
    for (int64_t r = 0; r < I[0]; ++r)
      for (int64_t c = 0; c < I[1]; ++c)
        dst[c] += src[r * I[1] + c];
    pe.clock += cost.elementwise(I[0] * I[1]);
    return "";
  }
  case wp::Instr::SGD: {
    float *p = f32(pe, B(0));
    const float *g = f32(pe, B(1));
    float lr = in.value();
    for (int64_t e = 0; e < I[0]; ++e)
      p[e] = p[e] - lr * g[e];
    pe.clock += cost.sgd(I[0]);
    return "";
  }
  case wp::Instr::ADD_CONST: {
    float *dst = f32(pe, B(0));
    for (int64_t e = 0, n = length(pe, B(0)); e < n; ++e)
      dst[e] += in.value();
    pe.clock += cost.elementwise(length(pe, B(0)));
    return "";
  }
  case wp::Instr::SGD_MOMENTUM:
    math::sgdMomentumUpdate<float>(f32(pe, B(0)), f32(pe, B(1)), f32(pe, B(2)),
                                   I[0], in.value(), in.floats(0), 0.0f,
                                   in.floats(1), in.flag());
    pe.clock += cost.optimizer(I[0], 3);
    return "";
  case wp::Instr::ADAMW:
    math::adamwUpdate<float>(f32(pe, B(0)), f32(pe, B(1)), f32(pe, B(2)),
                             f32(pe, B(3)), I[0], double(*f32(pe, B(4))),
                             in.value(), in.floats(0), in.floats(1),
                             in.floats(2), in.floats(3));
    pe.clock += cost.optimizer(I[0], 8);
    return "";
  case wp::Instr::SOFTMAX_CE: {
    const int32_t *labels32 = i32(pe, B(3));
    std::vector<int64_t> labels(labels32, labels32 + I[0]);
    float loss = 0.0f;
    if (!math::softmaxCrossEntropy(f32(pe, B(2)), labels.data(), I[0], I[1],
                                   1.0f, &loss, f32(pe, B(1))))
      return name(pe) + ": a label is outside [0, " + std::to_string(I[1]) +
             ")";
    *f32(pe, B(0)) = loss;
    pe.clock += cost.softmaxCrossEntropy(I[0], I[1]);
    return "";
  }
  default:
    return name(pe) + ": unknown instruction";
  }
}

MeshSimulator::MeshSimulator() : impl(std::make_unique<Impl>()) {}
MeshSimulator::~MeshSimulator() = default;

std::string MeshSimulator::create(const wp::WaferProgram &program,
                                  std::unique_ptr<MeshSimulator> &out) {
  std::unique_ptr<MeshSimulator> sim(new MeshSimulator());
  Impl &s = *sim->impl;
  s.program = program;
  s.cost.fmacsPerCycle = program.machine().fmacs_per_cycle();
  s.cost.addsPerCycle = program.machine().adds_per_cycle();
  s.colors = program.machine().colors();
  // Simulated SRAM is allocated per PE: refuse what this host cannot hold.
  int64_t totalWords = 0;
  for (const wp::Program &prog : program.programs())
    for (const wp::Buffer &b : prog.buffers())
      totalWords += prog.width() * (b.offset() / 4 + b.length());
  if (totalWords > (int64_t(1) << 31))
    return "the program needs more than 8 GiB of simulated SRAM";
  for (int p = 0; p < program.programs_size(); ++p) {
    const wp::Program &prog = program.programs(p);
    int64_t words = 0;
    for (const wp::Buffer &b : prog.buffers())
      words = std::max(words, b.offset() / 4 + b.length());
    s.firstPe.push_back(int(s.pes.size()));
    for (int64_t c = 0; c < prog.width(); ++c) {
      PE pe;
      pe.prog = p;
      pe.col = c;
      pe.x = prog.x() + c;
      pe.y = prog.y();
      pe.sram.assign(size_t(words), 0u);
      if (!s.peAt.emplace(xyKey(pe.x, pe.y), int(s.pes.size())).second)
        return "programs overlap at PE " + pos(pe.x, pe.y);
      s.pes.push_back(std::move(pe));
    }
  }
  s.queues.resize(s.pes.size() * size_t(s.colors));
  for (const wp::Route &r : program.routes()) {
    std::vector<RouterEntry> entries;
    std::vector<int64_t> path(r.path().begin(), r.path().end());
    if (std::string e = expandRoute(path, r.color(), entries); !e.empty())
      return "route '" + r.name() + "': " + e;
    if (std::string e = s.addEntries(entries, "route '" + r.name() + "'");
        !e.empty())
      return e;
  }
  for (const wp::Chain &c : program.chains()) {
    const wp::Program &prog = program.programs(c.program());
    std::vector<RouterEntry> entries;
    expandChain(prog.x(), prog.y(), prog.width(), c.color0(), c.color1(),
                entries);
    if (std::string e = s.addEntries(entries, "chain '" + c.name() + "'");
        !e.empty())
      return e;
  }
  // Parameter tiles: dim 0 in equal blocks over the program's PEs.
  for (const wp::Binding &b : program.params()) {
    const wp::Program &prog = program.programs(b.program());
    int64_t per = b.init_size() / prog.width();
    for (int64_t c = 0; c < prog.width(); ++c) {
      PE &pe = s.pes[size_t(s.firstPe[b.program()] + c)];
      float *dst = s.f32(pe, b.buffer());
      std::copy(b.init().begin() + c * per, b.init().begin() + (c + 1) * per,
                dst);
    }
  }
  out = std::move(sim);
  return "";
}

std::string MeshSimulator::setInput(const std::string &name,
                                    const HostTensor &value) {
  Impl &s = *impl;
  for (const wp::Binding &b : s.program.inputs()) {
    if (b.name() != name)
      continue;
    std::vector<int64_t> shape(b.type().shape().begin(),
                               b.type().shape().end());
    if (value.shape != shape || value.isInt != b.type().is_int())
      return "input '" + name + "' has the wrong shape or element type";
    const wp::Program &prog = s.program.programs(b.program());
    for (int64_t c = 0; c < prog.width(); ++c) {
      PE &pe = s.pes[size_t(s.firstPe[b.program()] + c)];
      if (value.isInt) {
        int32_t *dst = s.i32(pe, b.buffer());
        for (size_t e = 0; e < value.i.size(); ++e) {
          if (value.i[e] < INT32_MIN || value.i[e] > INT32_MAX)
            return "input '" + name + "' holds " + std::to_string(value.i[e]) +
                   ", which does not fit a 32-bit PE word";
          dst[e] = int32_t(value.i[e]);
        }
      } else {
        std::copy(value.f.begin(), value.f.end(), s.f32(pe, b.buffer()));
      }
    }
    return "";
  }
  return "the program has no input named '" + name + "'";
}

std::string MeshSimulator::runStep(StepStats &stats) {
  Impl &s = *impl;
  uint64_t start = 0;
  for (const PE &pe : s.pes)
    start = std::max(start, pe.clock);
  uint64_t wavelets0 = s.wavelets;
  for (PE &pe : s.pes) {
    pe.pc = 0;
    pe.done = false;
    pe.clock = start; // a step starts when the host starts it
  }
  size_t remaining = s.pes.size();
  while (remaining > 0) {
    bool progress = false;
    for (PE &pe : s.pes) {
      if (pe.done)
        continue;
      const wp::Program &prog = s.program.programs(pe.prog);
      while (pe.pc < prog.instrs_size()) {
        bool blocked = false;
        uint64_t before = pe.clock;
        if (std::string e = s.execute(pe, prog.instrs(pe.pc), blocked);
            !e.empty())
          return e;
        if (blocked)
          break;
        if (s.tracing && pe.clock > before)
          s.trace.push_back({int64_t(&pe - s.pes.data()), pe.pc, before,
                             pe.clock});
        ++pe.pc;
        progress = true;
      }
      if (pe.pc == prog.instrs_size()) {
        pe.done = true;
        --remaining;
        progress = true;
      }
    }
    if (!progress) {
      std::string msg = "deadlock: no PE can run;";
      int shown = 0;
      for (size_t i = 0; i < s.pes.size(); ++i) {
        const PE &pe = s.pes[i];
        if (pe.done)
          continue;
        if (shown++ == 8) {
          msg += "\n  ... and " + std::to_string(remaining - 8) + " more";
          break;
        }
        const wp::Instr &in = s.program.programs(pe.prog).instrs(pe.pc);
        int64_t color = in.colors(int(pe.col % in.colors_size()));
        msg += "\n  " + s.name(pe) + " waits on color " +
               std::to_string(color) + " at instruction " +
               std::to_string(pe.pc) + "; " + s.senderOf(int(i), color);
      }
      return msg;
    }
  }
  for (size_t i = 0; i < s.queues.size(); ++i)
    if (!s.queues[i].empty())
      return "the step ended with data nobody received: " +
             s.name(s.pes[i / size_t(s.colors)]) + " on color " +
             std::to_string(i % size_t(s.colors));
  uint64_t end = start;
  for (const PE &pe : s.pes)
    end = std::max(end, pe.clock);
  stats.cycles = end - start;
  stats.wavelets = s.wavelets - wavelets0;
  return "";
}

HostTensor MeshSimulator::readOutput(const wp::Binding &b) const {
  const Impl &s = *impl;
  const wp::Program &prog = s.program.programs(b.program());
  const PE &pe = s.pes[size_t(s.firstPe[b.program()] + prog.width() - 1)];
  std::vector<int64_t> shape(b.type().shape().begin(), b.type().shape().end());
  const wp::Buffer &buf = prog.buffers(b.buffer());
  const uint32_t *words = pe.sram.data() + buf.offset() / 4;
  HostTensor t = b.type().is_int() ? HostTensor::ints(shape)
                                   : HostTensor::floats(shape);
  for (int64_t e = 0; e < t.numElements(); ++e) {
    if (t.isInt)
      t.i[e] = int32_t(words[e]);
    else
      std::memcpy(&t.f[e], &words[e], 4);
  }
  return t;
}

HostTensor MeshSimulator::readParam(const wp::Binding &b) const {
  const Impl &s = *impl;
  const wp::Program &prog = s.program.programs(b.program());
  std::vector<int64_t> shape(b.type().shape().begin(), b.type().shape().end());
  HostTensor t = HostTensor::floats(shape);
  int64_t per = t.numElements() / prog.width();
  const wp::Buffer &buf = prog.buffers(b.buffer());
  for (int64_t c = 0; c < prog.width(); ++c) {
    const PE &pe = s.pes[size_t(s.firstPe[b.program()] + c)];
    std::memcpy(t.f.data() + c * per, pe.sram.data() + buf.offset() / 4,
                size_t(per) * 4);
  }
  return t;
}

const wp::WaferProgram &MeshSimulator::program() const { return impl->program; }

uint64_t MeshSimulator::totalCycles() const {
  uint64_t t = 0;
  for (const PE &pe : impl->pes)
    t = std::max(t, pe.clock);
  return t;
}

uint64_t MeshSimulator::totalWavelets() const { return impl->wavelets; }

int64_t MeshSimulator::maxPeSramBytes() const {
  int64_t m = 0;
  for (const wp::Program &p : impl->program.programs())
    for (const wp::Buffer &b : p.buffers())
      m = std::max(m, b.offset() + 4 * b.length());
  return m;
}

int64_t MeshSimulator::numPes() const { return int64_t(impl->pes.size()); }

void MeshSimulator::enableTrace() { impl->tracing = true; }

const std::vector<TraceEvent> &MeshSimulator::trace() const {
  return impl->trace;
}

MeshSimulator::PeInfo MeshSimulator::peInfo(int64_t pe) const {
  const PE &p = impl->pes[size_t(pe)];
  return {p.prog, p.col, p.x, p.y};
}

} // namespace wsert::sim
