//===- RegionTiming.cpp - the region-synchronous cost model ---------------===//
//
// Each program is one timing unit with the three clocks a PE has (core,
// out-ramp, in-ramp); the rules are the per-PE model's (simulator.md)
// applied to a transfer's busiest sender and receiver and its longest
// path, so a step costs work per region and instruction, not per PE.
//
//===----------------------------------------------------------------------===//
#include "RegionTiming.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

namespace wsert::sim::detail {

std::string TransferCost::str() const {
  auto n = [](uint64_t v) { return std::to_string(v); };
  return std::string("{any ") + (any ? "1" : "0") + ", out " + n(out) +
         ", in " + n(in) + ", hops " + std::to_string(hops) + ", self " +
         (self ? "1" : "0") + ", zeros " + n(zeros) + ", wavelets " +
         n(wavelets) + ", combined " + n(combined) + ", host in " + n(hostIn) +
         ", host out " + n(hostOut) + "}";
}

TransferCost costFromPlan(const TransferPlan &plan, const std::vector<PE> &pes,
                          bool combines) {
  TransferCost c;
  std::unordered_map<int, uint64_t> out, in;
  for (const Piece &p : plan.pieces) {
    c.any = true;
    // What the sends put on the ramps (all of it, but with sparse rows).
    uint64_t n = p.sent;
    bool leads = p.leader < 0;
    if (leads)
      out[p.src] += n;
    if (p.src != p.dst) {
      in[p.dst] += n;
      c.hops = std::max(c.hops, int64_t(p.hops));
      if (leads)
        c.wavelets += n * uint64_t(p.links);
    } else {
      c.self = true;
    }
    // A copy within host memory does not cross the links.
    if (leads && p.src != p.dst && pes[size_t(p.src)].host)
      c.hostIn += n;
    if (leads && p.src != p.dst && pes[size_t(p.dst)].host)
      c.hostOut += n;
    if (combines)
      c.combined += p.sentData;
  }
  for (auto &[pe, n] : out)
    c.out = std::max(c.out, n);
  for (auto &[pe, n] : in)
    c.in = std::max(c.in, n);
  for (size_t pe = 0; pe + 1 < plan.zeros.start.size(); ++pe)
    c.zeros = std::max(c.zeros, uint64_t(plan.zeros.of(int(pe)).size()));
  return c;
}

void InstrCosts::resize(const std::vector<std::vector<isa::Instr>> &code,
                        int64_t microBatches) {
  cycles.assign(code.size(), {});
  flops.assign(code.size(), {});
  for (size_t p = 0; p < code.size(); ++p) {
    cycles[p].assign(size_t(microBatches),
                     std::vector<uint64_t>(code[p].size(), 0));
    flops[p] = cycles[p];
  }
}

namespace {

struct Unit {
  uint64_t core = 0, ramp = 0, compute = 0;
  BusyCycles inBusy;
  std::vector<std::pair<int64_t, uint64_t>> posted; // transfer, when
  struct Sending {
    int64_t lo, hi; // words of SRAM
    uint64_t until;
  };
  std::vector<Sending> sending;
  int pc = 0;
  int64_t run = 0;
  bool done = false;
};

/// A transfer's channel in the current step: the micro-batch it last
/// carried and when that one's wavelets come in.
struct Channel {
  int64_t sent = -1, taken = -1;
  uint64_t first = 0, arrival = 0, selfAt = 0, takenAt = 0;
};

uint64_t ceilDivU(uint64_t a, double rate) {
  return uint64_t(std::ceil(double(a) / rate));
}

} // namespace

std::string regionStep(const RegionModel &m, StepStats &stats) {
  const wp::WaferProgram &prog = *m.program;
  const std::vector<isa::InstrDef> &set = isa::instructionSet();
  static const int kSend = isa::lookupInstr("send");
  static const int kPost = isa::lookupInstr("post");
  std::vector<Unit> units(size_t(prog.programs_size()));
  std::vector<Channel> chans(size_t(prog.transfers_size()));
  uint64_t flops = 0, wavelets = 0, hostIn = 0, hostOut = 0;
  uint64_t hostInCycles = 0, hostOutCycles = 0;
  auto words = [&](int p, int32_t b, int64_t &lo, int64_t &hi) {
    const wp::Buffer &buf = prog.programs(p).buffers(b);
    lo = buf.offset() / 4;
    hi = lo + buf.length();
  };
  // Runs unit `p` until it blocks or ends.
  auto advance = [&](int p) {
    Unit &u = units[size_t(p)];
    const std::vector<isa::Instr> &code = (*m.code)[size_t(p)];
    bool host = prog.programs(p).host();
    while (true) {
      if (u.pc >= int(code.size())) {
        if (u.run + 1 >= m.microBatches) {
          u.done = true;
          return;
        }
        ++u.run;
        u.pc = 0;
        continue;
      }
      const isa::Instr &in = code[size_t(u.pc)];
      if (in.once && u.run + 1 != m.microBatches) {
        ++u.pc;
        continue;
      }
      if (!u.sending.empty()) {
        int writes = std::min<int>(set[in.op].writes, int(in.buffers.size()));
        for (const Unit::Sending &s : u.sending)
          if (s.until > u.core)
            for (int w = 0; w < writes; ++w) {
              int64_t lo, hi;
              words(p, in.buffers[size_t(w)], lo, hi);
              if (lo < s.hi && s.lo < hi) {
                u.core = s.until;
                break;
              }
            }
        u.sending.erase(std::remove_if(u.sending.begin(), u.sending.end(),
                                       [&](const Unit::Sending &s) {
                                         return s.until <= u.core;
                                       }),
                        u.sending.end());
      }
      if (!set[in.op].fabric) {
        uint64_t c = m.instrs->cycles[size_t(p)][size_t(u.run)][size_t(u.pc)];
        u.core += c;
        u.compute += c;
        flops += m.instrs->flops[size_t(p)][size_t(u.run)][size_t(u.pc)];
        ++u.pc;
        continue;
      }
      int64_t t = in.ints[0];
      const TransferCost &cost = (*m.transfers)[size_t(t)];
      Channel &ch = chans[size_t(t)];
      if (in.op == kSend) {
        if (!cost.any) {
          ++u.pc;
          continue;
        }
        // A channel holds one micro-batch's pieces.
        if (ch.taken < ch.sent)
          return;
        uint64_t start = std::max({u.core, u.ramp, ch.takenAt});
        uint64_t cycles =
            host ? ceilDivU(cost.out, m.hostWaveletsPerCycle) : cost.out;
        u.ramp = start + cycles;
        ch.first = start + 1 + uint64_t(cost.hops);
        ch.arrival = u.ramp + uint64_t(cost.hops);
        ch.selfAt = u.ramp;
        ch.sent = u.run;
        wavelets += cost.wavelets;
        hostIn += cost.hostIn;
        hostOut += cost.hostOut;
        if (host)
          hostInCycles += cycles;
        if (cycles > 0) {
          int64_t lo, hi;
          words(p, in.buffers[0], lo, hi);
          u.sending.push_back({lo, hi, u.ramp});
        }
        ++u.pc;
        continue;
      }
      if (in.op == kPost) {
        u.posted.push_back({t, u.core});
        ++u.pc;
        continue;
      }
      // recv
      if (cost.any && ch.sent != u.run)
        return;
      std::optional<uint64_t> postedAt;
      for (size_t k = 0; k < u.posted.size(); ++k)
        if (u.posted[k].first == t) {
          postedAt = u.posted[k].second;
          u.posted.erase(u.posted.begin() + std::ptrdiff_t(k));
          break;
        }
      u.core += (cost.zeros + uint64_t(m.addsPerCycle) - 1) /
                uint64_t(std::max<int64_t>(1, m.addsPerCycle));
      if (cost.any) {
        uint64_t from = postedAt.value_or(u.core);
        uint64_t done = from;
        if (cost.in > 0) {
          uint64_t n =
              host ? ceilDivU(cost.in, m.hostWaveletsPerCycle) : cost.in;
          uint64_t end = takeFree(u.inBusy, std::max(from, ch.first - 1), n);
          done = std::max(end, ch.arrival);
          if (host)
            hostOutCycles += n;
        }
        if (cost.self)
          done = std::max(done, ch.selfAt);
        u.core = std::max(u.core, done);
        flops += cost.combined;
        ch.taken = u.run;
        ch.takenAt = u.core;
      }
      ++u.pc;
    }
  };
  while (true) {
    bool progress = false, all = true;
    for (int p = 0; p < int(units.size()); ++p) {
      Unit &u = units[size_t(p)];
      if (u.done)
        continue;
      int pc = u.pc;
      int64_t run = u.run;
      advance(p);
      progress |= u.done || u.pc != pc || u.run != run;
      all &= u.done;
    }
    if (all)
      break;
    if (!progress) {
      for (int p = 0; p < int(units.size()); ++p) {
        const Unit &u = units[size_t(p)];
        if (u.done)
          continue;
        const isa::Instr &in = (*m.code)[size_t(p)][size_t(u.pc)];
        std::string what = in.op == kSend ? "send" : "recv";
        return "region timing: @" + prog.programs(p).name() + " waits in " +
               what + " of transfer '" + prog.transfers(int(in.ints[0])).name() +
               "'" +
               (m.microBatches > 1
                    ? " (micro-batch " + std::to_string(u.run + 1) + ")"
                    : std::string()) +
               ", which no program sends before it; the region model runs "
               "a program's instructions in order on all its PEs at once";
      }
    }
  }
  stats = StepStats();
  uint64_t meshEnd = 0;
  bool first = true;
  for (int p = 0; p < int(units.size()); ++p) {
    const Unit &u = units[size_t(p)];
    uint64_t end = std::max(u.core, u.ramp);
    stats.cycles = std::max(stats.cycles, end);
    if (!prog.programs(p).host() && (end > meshEnd || first)) {
      meshEnd = end;
      stats.criticalComputeCycles = u.compute;
      first = false;
    }
  }
  stats.flops = flops;
  stats.wavelets = wavelets;
  stats.hostBytesIn = 4 * hostIn;
  stats.hostBytesOut = 4 * hostOut;
  stats.hostInCycles = hostInCycles;
  stats.hostOutCycles = hostOutCycles;
  return "";
}

} // namespace wsert::sim::detail

namespace wsert::sim {

namespace {

/// Positions along one axis of `extent` PEs between which an instruction's
/// cost can change: where a box dim split over the axis goes from full
/// blocks to the short one and to none, and, along an axis no dim is split
/// over, after the first PE (the only one that works). Returns (first
/// position, count) per class.
std::vector<std::pair<int64_t, int64_t>>
costClasses(const std::vector<isa::BoxDim> &box, int64_t axis, int64_t extent) {
  std::vector<int64_t> at = {0, extent};
  bool split = false;
  for (const isa::BoxDim &d : box)
    if (d.gridAxis() == axis - 1) {
      split = true;
      int64_t b = std::max<int64_t>(1, d.block);
      int64_t s = std::max<int64_t>(1, d.stride);
      // An inner dim's classes repeat in every group of `period` PEs.
      int64_t groups = d.period > 0 ? (extent + d.period - 1) / d.period : 1;
      for (int64_t g = 0; g < groups; ++g) {
        int64_t base = g * d.period;
        at.push_back(base + s * (d.global / b));
        at.push_back(base + s * ((d.global + b - 1) / b));
        if (d.period > 0)
          at.push_back(base + d.period);
      }
    }
  if (!split)
    at.push_back(1);
  for (int64_t &p : at)
    p = std::clamp<int64_t>(p, 0, extent);
  std::sort(at.begin(), at.end());
  at.erase(std::unique(at.begin(), at.end()), at.end());
  std::vector<std::pair<int64_t, int64_t>> out;
  for (size_t i = 0; i + 1 < at.size(); ++i)
    out.push_back({at[i], at[i + 1] - at[i]});
  return out;
}

} // namespace

std::string MeshSimulator::Impl::costInstructions() {
  const std::vector<isa::InstrDef> &set = isa::instructionSet();
  static const int kAccumulate = isa::lookupInstr("accumulate");
  for (int p = 0; p < program.programs_size(); ++p) {
    const wp::Program &pr = program.programs(p);
    // Scratch SRAM for the buffers of the instruction being costed (host
    // memory may be far larger than this process; its updates are costed
    // without any).
    std::vector<float> sram;
    std::vector<float *> buffers(size_t(pr.buffers_size()), nullptr);
    isa::PeState st;
    st.lengths = lengths[size_t(p)].data();
    st.buffers = buffers.data();
    const isa::Instr *current = nullptr;
    auto scratch = [&] {
      size_t words = 0;
      for (int32_t b : current->buffers)
        words += size_t(lengths[size_t(p)][size_t(b)]);
      if (sram.size() < words)
        sram.assign(words, 0.0f);
      size_t at = 0;
      for (int32_t b : current->buffers) {
        buffers[size_t(b)] = sram.data() + at;
        at += size_t(lengths[size_t(p)][size_t(b)]);
      }
    };
    const isa::Rates &r = pr.host() ? hostRates : rates;
    std::vector<const wp::Binding *> indices;
    for (const wp::Binding &b : program.indices())
      if (b.program() == p)
        indices.push_back(&b);
    const std::vector<isa::Instr> &prog = code[size_t(p)];
    for (size_t pc = 0; pc < prog.size(); ++pc) {
      const isa::Instr &in = prog[pc];
      if (set[size_t(in.op)].fabric)
        continue;
      isa::CostShape shape = isa::costShape(in);
      current = &in;
      // Only accumulate's cost depends on the micro-batch.
      int64_t runs = in.op == kAccumulate ? microBatches : 1;
      for (int64_t run = 0; run < runs; ++run) {
        st.microBatch = run;
        uint64_t most = 0, flopsSum = 0;
        auto at = [&](int64_t px, int64_t py, uint64_t pes) -> std::string {
          st.px = px;
          st.py = py;
          isa::Work w;
          if (isa::costWithoutData(in, st, r, w)) {
            most = std::max(most, w.cycles);
            flopsSum += w.flops * pes;
            return "";
          }
          scratch();
          if (shape.rowIndexOperand >= 0) {
            int32_t b = in.buffers[size_t(shape.rowIndexOperand)];
            std::fill(buffers[size_t(b)],
                      buffers[size_t(b)] + lengths[size_t(p)][size_t(b)], 0.0f);
          }
          if (std::string e = set[size_t(in.op)].exec(in, st, r, w); !e.empty())
            return "@" + pr.name() + ", instruction " + std::to_string(pc) +
                   " (" + set[size_t(in.op)].name + "): " + e;
          most = std::max(most, w.cycles);
          flopsSum += w.flops * pes;
          return "";
        };
        if (shape.indexed) {
          // A sparse kernel's work follows each PE's slots: every PE.
          scratch();
          for (int64_t py = 0; py < pr.height(); ++py)
            for (int64_t px = 0; px < pr.width(); ++px) {
              for (const wp::Binding *b : indices)
                if (std::count(in.buffers.begin(), in.buffers.end(),
                               b->buffer()))
                  if (std::string e =
                        writeIndex(*b, px, py, buffers[size_t(b->buffer())]);
                    !e.empty())
                  return e;
              if (std::string e = at(px, py, 1); !e.empty())
                return e;
            }
        } else {
          for (auto [x, nx] : costClasses(shape.box, 1, pr.width()))
            for (auto [y, ny] : costClasses(shape.box, 2, pr.height()))
              if (std::string e = at(x, y, uint64_t(nx * ny)); !e.empty())
                return e;
        }
        if (shape.wholeFlops)
          flopsSum = *shape.wholeFlops;
        for (int64_t k = run; k < (runs == 1 ? microBatches : run + 1); ++k) {
          observed.cycles[size_t(p)][size_t(k)][pc] = most;
          observed.flops[size_t(p)][size_t(k)][pc] = flopsSum;
        }
      }
    }
  }
  return "";
}

} // namespace wsert::sim
