//===- MeshSimulator.cpp - Kahn-network simulation of the PE mesh ---------===//
//
// Local instructions run through the instruction set's own semantics
// (wse/Support/PeIsa.h). Transfers are planned once, at load
// (TransferPlan.cpp): each receiving PE learns which sending PE holds each
// element it needs and where. A send
// copies the sender's pieces into their channels, stamped with the time
// the last wavelet arrives; a receive waits for all of its pieces, then
// writes (or, for partial sums, adds in sender order) them into its tile.
//
//===----------------------------------------------------------------------===//
#include "MeshSimulatorImpl.h"
#include "RegionTiming.h"
#include "wse/Support/Machine.h"
#include "wse/Support/Math.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <cmath>
#include <cstdlib>
#include <thread>
#include <tuple>
#include <limits>
#include <map>
#include <optional>
#include <unordered_map>

namespace wsert::sim {

using namespace detail;

MeshSimulator::MeshSimulator() : impl(std::make_unique<Impl>()) {}
MeshSimulator::~MeshSimulator() = default;

void MeshSimulator::Impl::writeTensor(const wp::Binding &b,
                                      const std::vector<float> &values) {
  writeTensorFrom(b, [&](int64_t lin) { return values[size_t(lin)]; });
}

template <typename F>
void MeshSimulator::Impl::writeTensorFrom(const wp::Binding &b, F valueAt,
                                          int only) {
  Layout l = layoutFromProto(b.layout());
  std::vector<int64_t> strides = rowMajorStrides(l.shape);
  const wp::Program &p = program.programs(b.program());
  // One PE: just its position.
  int64_t y0 = only >= 0 ? pes[size_t(only)].py : 0;
  int64_t x0 = only >= 0 ? pes[size_t(only)].px : 0;
  int64_t y1 = only >= 0 ? y0 + 1 : p.height();
  int64_t x1 = only >= 0 ? x0 + 1 : p.width();
  for (int64_t py = y0; py < y1; ++py)
    for (int64_t px = x0; px < x1; ++px) {
      PE &pe = pes[peAt(b.program(), px, py)];
      float *base = pe.buffers[b.buffer()];
      forEachStored(l, b.program(), px, py,
                    [&](const std::vector<int64_t> &g, int64_t off) {
                      int64_t lin = 0;
                      for (size_t d = 0; d < g.size(); ++d)
                        lin += g[d] * strides[d];
                      base[off] = valueAt(lin);
                    });
    }
}

void MeshSimulator::Impl::writeMicroInputs(int64_t run, int peIdx) {
  for (auto &[index, values] : wholeInputs) {
    const wp::Binding &b = program.inputs(index);
    if (peIdx >= 0 && pes[size_t(peIdx)].prog != b.program())
      continue;
    int64_t n = int64_t(values.size()) / microBatches;
    const float *slice = values.data() + n * run;
    writeTensorFrom(
        b, [&](int64_t lin) { return slice[lin]; }, peIdx);
  }
}

std::string MeshSimulator::createTimingOnly(const wp::WaferProgram &program,
                                            std::unique_ptr<MeshSimulator> &out) {
  return create(program, out, true);
}

std::string MeshSimulator::create(const wp::WaferProgram &program,
                                  std::unique_ptr<MeshSimulator> &out,
                                  bool timingOnly) {
  std::unique_ptr<MeshSimulator> sim(new MeshSimulator());
  Impl &im = *sim->impl;
  im.program = program;
  im.timingOnly = timingOnly;
  im.microBatches = std::max<int64_t>(1, program.micro_batches());
  const wp::Machine &machine = program.machine();
  im.rates = {machine.fmacs_per_cycle(), machine.adds_per_cycle()};
  im.hostRates = {machine.host_fmacs_per_cycle(),
                  machine.host_fmacs_per_cycle()};
  im.hostWaveletsPerCycle = wsert::MachineDesc::hostLinkWaveletsPerCycle(
      machine.host_links(), machine.host_link_gbps(), machine.clock_mhz());
  for (int pi = 0; pi < program.programs_size(); ++pi) {
    const wp::Program &p = program.programs(pi);
    int64_t words = 1;
    std::vector<int64_t> lengths;
    for (const wp::Buffer &b : p.buffers()) {
      words = std::max(words, b.offset() / 4 + b.length());
      lengths.push_back(b.length());
    }
    if (!p.host())
      im.maxSram = std::max(im.maxSram, 4 * words);
    // The functional engine holds host memory in RAM.
    constexpr int64_t kMaxHostWords = int64_t(1) << 32;
    if (p.host() && words > kMaxHostWords && !timingOnly)
      return "the host program uses " + std::to_string(4 * words) +
             " bytes of host memory; the functional engine holds at most " +
             std::to_string(4 * kMaxHostWords) +
             " in RAM (--timing-only times the program without them)";
    im.lengths.push_back(lengths);
    std::vector<isa::Instr> code;
    for (const wp::Instr &m : p.instrs()) {
      isa::Instr in;
      in.op = isa::lookupInstr(m.op());
      in.fn = m.fn().empty() ? -1 : int(*isa::lookupFn(m.fn()));
      in.buffers.assign(m.buffers().begin(), m.buffers().end());
      in.ints.assign(m.ints().begin(), m.ints().end());
      in.floats.assign(m.floats().begin(), m.floats().end());
      in.once = m.once();
      code.push_back(std::move(in));
    }
    im.code.push_back(std::move(code));
    im.firstPe.push_back(int(im.pes.size()));
    if (p.width() * p.height() > (int64_t(1) << 22))
      return "program '" + p.name() + "' spans " +
             std::to_string(p.width() * p.height()) +
             " PEs, more than the simulator runs; compile for a smaller mesh";
    for (int64_t py = 0; py < p.height(); ++py)
      for (int64_t px = 0; px < p.width(); ++px) {
        PE pe;
        pe.prog = pi;
        pe.px = px;
        pe.py = py;
        pe.host = p.host();
        pe.x = pe.host ? -1 : p.x() + px;
        pe.y = pe.host ? 0 : p.y() + py;
        if (!timingOnly) {
          pe.sram.assign(size_t(words), 0.0f);
          for (const wp::Buffer &b : p.buffers())
            pe.buffers.push_back(pe.sram.data() + b.offset() / 4);
        }
        im.pes.push_back(std::move(pe));
      }
  }
  // Buffers moved with the PEs: re-point them.
  for (PE &pe : im.pes) {
    if (timingOnly)
      break;
    const wp::Program &p = program.programs(pe.prog);
    for (int b = 0; b < p.buffers_size(); ++b)
      pe.buffers[b] = pe.sram.data() + p.buffers(b).offset() / 4;
  }
  std::unordered_map<std::string, detail::TransferCost> costOf;
  for (const wp::Transfer &t : program.transfers()) {
    // Its cost follows each micro-batch's data, which the region model
    // (one cost per transfer a step) cannot follow.
    if (t.sparse_rows() && im.microBatches > 1)
      return "transfer '" + t.name() +
             "': sparse rows in a micro-batched step (its cost would "
             "differ from one micro-batch to the next)";
    // Timing only: a transfer's cost from its layouts where the map
    // allows, planned element by element where not.
    // Transfers alike but for their name and color cost the same (a
    // model's layers repeat theirs).
    std::string alike;
    if (timingOnly) {
      wp::Transfer k = t;
      k.clear_name();
      k.clear_color();
      k.clear_src_buffer();
      k.clear_dst_buffer();
      k.clear_rows_updates_buffer();
      k.clear_rows_index_buffer();
      alike = k.SerializeAsString();
      if (auto it = costOf.find(alike); it != costOf.end()) {
        im.transferCosts.push_back(it->second);
        im.plans.emplace_back();
        continue;
      }
      std::optional<detail::TransferCost> c = im.analyticCost(t);
      if (c) {
        costOf[alike] = *c;
        im.transferCosts.push_back(*c);
        im.plans.emplace_back();
        continue;
      }
    }
    TransferPlan plan;
    if (std::string e = im.plan(t, plan); !e.empty())
      return "transfer '" + t.name() + "': " + e;
    im.transferCosts.push_back(
        detail::costFromPlan(plan, im.pes, t.combine() != 0));
    if (timingOnly) {
      costOf[alike] = im.transferCosts.back();
      plan = TransferPlan(); // only its cost is needed
    }
    im.plans.push_back(std::move(plan));
  }
  im.observed.resize(im.code, im.microBatches);
  if (timingOnly) {
    // No data: each instruction's cost from its box alone.
    if (std::string e = im.costInstructions(); !e.empty())
      return e;
    im.observing = false;
    out = std::move(sim);
    return "";
  }
  for (auto *list : {&program.params(), &program.state(), &program.constants()})
    for (const wp::Binding &b : *list) {
      if (b.has_random_init()) {
        // Each tile draws its own elements: no copy of the whole tensor.
        const wp::RandomInit &r = b.random_init();
        im.writeTensorFrom(b, [&](int64_t lin) {
          float v;
          wsert::math::randomInit(int(r.distribution()), r.a(), r.b(), r.seed(),
                                  lin, lin + 1, &v);
          return v;
        });
        continue;
      }
      if (!b.init_size())
        continue;
      // A sparse tensor stores its kept entries; the rest must be zero.
      if (int mask = b.layout().mask(); mask > 0) {
        const std::string &keep = program.masks(mask - 1).keep();
        for (int i = 0; i < b.init_size(); ++i)
          if (!keep[size_t(i)] && b.init(i) != 0.0f)
            return "'" + b.name() + "' is " + std::to_string(b.init(i)) +
                   " at entry " + std::to_string(i) +
                   ", which its sparsity mask drops (masked entries are 0)";
      }
      im.writeTensor(b, std::vector<float>(b.init().begin(), b.init().end()));
    }
  // Index buffers: each PE's slot count, then two 16-bit offsets a word.
  for (const wp::Binding &b : program.indices()) {
    const wp::Program &p = program.programs(b.program());
    for (int64_t py = 0; py < p.height(); ++py)
      for (int64_t px = 0; px < p.width(); ++px)
        if (std::string e = im.writeIndex(
                b, px, py,
                im.pes[im.peAt(b.program(), px, py)].buffers[b.buffer()]);
            !e.empty())
          return e;
  }
  out = std::move(sim);
  return "";
}

std::string MeshSimulator::Impl::writeIndex(const wp::Binding &b, int64_t px,
                                            int64_t py, float *words) {
  const Storage &st = storage(layoutFromProto(b.layout()), b.program());
  const std::vector<int32_t> &offs =
      st.tiles.offsets[size_t(py * program.programs(b.program()).width() + px)];
  words[0] = float(offs.size());
  for (size_t k = 0; k < offs.size(); ++k) {
    if (offs[k] > 65535)
      return "index '" + b.name() + "': a tile offset beyond 16 bits";
    uint16_t v = uint16_t(offs[k]);
    std::memcpy(reinterpret_cast<char *>(words + 1 + k / 2) + 2 * (k % 2), &v,
                sizeof v);
  }
  return "";
}

std::string MeshSimulator::setInput(const std::string &name,
                                    const HostTensor &value) {
  for (int bi = 0; bi < impl->program.inputs_size(); ++bi) {
    const wp::Binding &b = impl->program.inputs(bi);
    if (b.name() != name)
      continue;
    std::vector<int64_t> shape(b.type().shape().begin(),
                               b.type().shape().end());
    if (b.micro_batched())
      shape[0] *= impl->microBatches;
    if (value.shape != shape)
      return "input '" + name + "' must be " +
             HostTensor::floats(shape).shapeString() + ", got " +
             value.shapeString();
    std::vector<float> values;
    if (value.isInt)
      if (std::string e = checkInputRange(
              name, shape, value.i,
              std::vector<int64_t>(b.range().begin(), b.range().end()));
          !e.empty())
        return e;
    if (value.isInt) {
      // Integers live on PEs as exact f32 values.
      for (int64_t v : value.i) {
        if (v < -(int64_t(1) << 24) || v > (int64_t(1) << 24))
          return "input '" + name + "' holds " + std::to_string(v) +
                 ", beyond the integers a PE holds exactly (|v| <= 2^24)";
        values.push_back(float(v));
      }
    } else {
      values.assign(value.f.begin(), value.f.end());
    }
    if (b.micro_batched())
      impl->wholeInputs[bi] = std::move(values);
    else
      impl->writeTensor(b, values);
    return "";
  }
  return "the program has no input '" + name + "'";
}

std::string MeshSimulator::Impl::execute(int peIdx, bool &blocked,
                                         StepStats &stats,
                                         std::vector<int> &woken,
                                         std::vector<TraceEvent> &events) {
  PE &pe = pes[peIdx];
  if (pe.faulted)
    return "";
  const std::vector<isa::Instr> &prog = code[pe.prog];
  const std::vector<isa::InstrDef> &set = isa::instructionSet();
  static const int kSend = isa::lookupInstr("send");
  static const int kPost = isa::lookupInstr("post");
  blocked = false;
  isa::PeState st;
  st.px = pe.px;
  st.py = pe.py;
  st.buffers = pe.buffers.data();
  st.lengths = lengths[pe.prog].data();
  st.microBatch = pe.run;
  bool last = pe.run + 1 == microBatches;
  while (true) {
    if (pe.pc >= int(prog.size())) {
      // Through this micro-batch: on to the next, with its inputs.
      if (pe.run + 1 >= microBatches)
        break;
      st.microBatch = ++pe.run;
      last = pe.run + 1 == microBatches;
      pe.pc = 0;
      writeMicroInputs(pe.run, peIdx);
      continue;
    }
    const isa::Instr &in = prog[pe.pc];
    if (in.once && !last) {
      ++pe.pc;
      continue;
    }
    // An instruction writing memory the out-ramp still sends from waits
    // for that send to finish.
    if (!pe.sending.empty()) {
      int writes = std::min<int>(set[in.op].writes, int(in.buffers.size()));
      for (const PE::Sending &s : pe.sending)
        if (s.until > pe.clock)
          for (int w = 0; w < writes; ++w) {
            size_t b = size_t(in.buffers[size_t(w)]);
            const float *lo = pe.buffers[b];
            const float *hi = lo + lengths[pe.prog][b];
            if (lo < s.end && s.begin < hi) {
              pe.clock = s.until;
              break;
            }
          }
      pe.sending.erase(std::remove_if(pe.sending.begin(), pe.sending.end(),
                                      [&](const PE::Sending &s) {
                                        return s.until <= pe.clock;
                                      }),
                       pe.sending.end());
    }
    uint64_t start = pe.clock;
    const Piece *cause = nullptr; // a receive's decider, for the trace
    if (!set[in.op].fabric) {
      isa::Work w;
      if (std::string e =
              set[in.op].exec(in, st, pe.host ? hostRates : rates, w);
          !e.empty())
        return name(pe) + ", instruction " + std::to_string(pe.pc) + " (" +
               set[in.op].name + "): " + e;
      pe.clock += w.cycles;
      pe.compute += w.cycles;
      stats.flops += w.flops;
      if (observing) {
        // The region model's instruction costs: the slowest PE's cycles,
        // every PE's FLOPs (PEs of a wave run on several threads).
        uint64_t &c = observed.cycles[size_t(pe.prog)][size_t(pe.run)]
                                     [size_t(pe.pc)];
        uint64_t seen = __atomic_load_n(&c, __ATOMIC_RELAXED);
        while (seen < w.cycles &&
               !__atomic_compare_exchange_n(&c, &seen, w.cycles, true,
                                            __ATOMIC_RELAXED, __ATOMIC_RELAXED))
          ;
        __atomic_fetch_add(&observed.flops[size_t(pe.prog)][size_t(pe.run)]
                                          [size_t(pe.pc)],
                           w.flops, __ATOMIC_RELAXED);
      }
    } else if (in.op == kSend) {
      TransferPlan &plan = plans[in.ints[0]];
      detail::PerPe<int32_t>::List mine = plan.bySrc.of(peIdx);
      bool sends = !mine.empty();
      // The core starts the send and goes on; the ramp takes the pieces
      // one after another once it is free.
      uint64_t ramp = std::max(pe.clock, pe.rampOut);
      // A later micro-batch's piece waits until the receiver has taken the
      // last one: mark the wait, then look again, so that a receive taking
      // it meanwhile sees the mark and wakes this PE.
      if (pe.run > 0 && sends) {
        auto unread = [&] {
          for (int32_t pi : mine)
            if (__atomic_load_n(&plan.pieces[size_t(pi)].ready,
                                __ATOMIC_SEQ_CST))
              return true;
          return false;
        };
        if (unread()) {
          __atomic_store_n(&pe.blockedSend, in.ints[0], __ATOMIC_SEQ_CST);
          if (unread()) {
            blocked = true;
            return "";
          }
        }
        __atomic_store_n(&pe.blockedSend, int64_t(-1), __ATOMIC_SEQ_CST);
        for (int32_t pi : mine)
          ramp = std::max(ramp, plan.pieces[size_t(pi)].taken);
      }
      start = ramp;
      uint64_t hostSent = 0; // wavelets the host links carried so far
      const float *base = pe.buffers[in.buffers[0]];
      if (plan.rowsUpdates >= 0 && sends) {
        // A table not stored: this PE's tile, built off its SRAM from its
        // rows as its scatter_add would (only the rows holding a nonzero
        // then leave).
        thread_local std::vector<float> tile;
        tile.assign(size_t(plan.rowsTile), 0.0f);
        float *bufs[3] = {tile.data(), pe.buffers[size_t(plan.rowsUpdates)],
                          pe.buffers[size_t(plan.rowsIndex)]};
        isa::PeState rowsState = st;
        rowsState.buffers = bufs;
        isa::Work unused;
        if (std::string e =
                set[plan.rowsOf.op].exec(plan.rowsOf, rowsState, rates, unused);
            !e.empty())
          return name(pe) + ", instruction " + std::to_string(pe.pc) +
                 " (send): " + e;
        base = tile.data();
      }
      for (int32_t pi : mine) {
        Piece &p = plan.pieces[size_t(pi)];
        p.ready = true;
        if (p.leader >= 0) {
          // Its leader (sent before it) carried the same elements; it
          // arrives its own hops after the leader's wavelets.
          const Piece &l = plan.pieces[size_t(p.leader)];
          p.sent = l.sent;
          p.sentData = l.sentData;
          p.first = l.first - uint64_t(l.hops) + uint64_t(p.hops);
          p.arrival = l.arrival - uint64_t(l.hops) + uint64_t(p.hops);
          continue;
        }
        float *to = plan.data.data() + p.dataBegin;
        for (int32_t k = p.runBegin; k < p.runEnd; ++k) {
          const Run &r = plan.runs[size_t(k)];
          if (r.len == 1)
            *to = base[r.src];
          else
            std::memcpy(to, base + r.src, size_t(r.len) * sizeof(float));
          to += r.len;
        }
        detail::countSent(plan, p, base);
        uint64_t len = p.sent;
        uint64_t leaves = ramp; // its first wavelet
        // One wavelet a cycle leaves the ramp (once per multicast group);
        // the first needs `hops` cycles to arrive, the rest stream behind
        // it. Wavelet-hops count each link of the tree once.
        if (pe.host) {
          // The host links carry many wavelets a cycle.
          hostSent += len;
          ramp = start +
                 uint64_t(std::ceil(double(hostSent) / hostWaveletsPerCycle));
          // A copy within host memory (a slice of a host tensor) does
          // not cross the links.
          if (p.src != p.dst)
            stats.hostBytesIn += 4 * len;
          stats.wavelets += len * uint64_t(p.links);
        } else {
          ramp += len;
          stats.wavelets += len * uint64_t(p.src == p.dst ? 0 : p.links);
          if (pes[size_t(p.dst)].host)
            stats.hostBytesOut += 4 * len;
        }
        p.first = leaves + 1 + uint64_t(p.hops);
        p.arrival = ramp + uint64_t(p.hops);
      }
      // The last piece a receiver waits for wakes it. PEs of one wave run
      // on several threads: the count is atomic, and its release publishes
      // the piece's data to the receiver's acquire. (In a loop of their
      // own: each atomic waits for the stores before it.)
      for (int32_t pi : mine) {
        const Piece &p = plan.pieces[size_t(pi)];
        if (__atomic_sub_fetch(&plan.missing[size_t(p.dstSlot)], 1,
                               __ATOMIC_ACQ_REL) == 0 &&
            p.dst != peIdx)
          woken.push_back(p.dst);
      }
      if (pe.host)
        stats.hostInCycles += ramp - start;
      if (ramp > start) {
        // What the ramp reads: the source, or the rows it is built from.
        for (int b : {plan.rowsUpdates >= 0 ? -1 : int(in.buffers[0]),
                      plan.rowsUpdates, plan.rowsIndex}) {
          if (b < 0)
            continue;
          const float *lo = pe.buffers[size_t(b)];
          pe.sending.push_back({lo, lo + lengths[pe.prog][size_t(b)], ramp});
        }
        if (tracing)
          events.push_back(
              {peIdx, pe.pc, peCycles + start, peCycles + ramp, true});
      }
      pe.rampOut = ramp;
      ++pe.pc;
      continue;
    } else if (in.op == kPost) {
      pe.posted.push_back({in.ints[0], pe.clock});
    } else { // recv
      TransferPlan &plan = plans[in.ints[0]];
      const wp::Transfer &t = program.transfers(in.ints[0]);
      detail::PerPe<int32_t>::List mine = plan.byDst.of(peIdx);
      int slot = plan.slotOf[size_t(peIdx)];
      if (slot >= 0 &&
          __atomic_load_n(&plan.missing[size_t(slot)], __ATOMIC_ACQUIRE) != 0) {
        blocked = true;
        return "";
      }
      // The transfer's post, if any, ends here whether or not pieces come.
      std::optional<uint64_t> postedAt;
      for (size_t k = 0; k < pe.posted.size(); ++k)
        if (pe.posted[k].first == in.ints[0]) {
          postedAt = pe.posted[k].second;
          pe.posted.erase(pe.posted.begin() + std::ptrdiff_t(k));
          break;
        }
      if (detail::PerPe<int32_t>::List zeros = plan.zeros.of(peIdx);
          !zeros.empty()) {
        float *base = pe.buffers[in.buffers[0]];
        for (int32_t off : zeros)
          base[off] = 0.0f;
        pe.clock += (zeros.size() + uint64_t(rates.addsPerCycle) - 1) /
                    uint64_t(rates.addsPerCycle);
      }
      if (slot >= 0) {
        __atomic_store_n(&plan.missing[size_t(slot)],
                         plan.expected[size_t(slot)], __ATOMIC_RELAXED);
        float *base = pe.buffers[in.buffers[0]];
        // Pieces come in from the post (if any), when the in-ramp is free.
        uint64_t from = postedAt.value_or(pe.clock);
        uint64_t last = from;
        std::vector<const Piece *> &inbound = pe.inbound;
        inbound.clear();
        const int combine = t.combine();
        if (combine != 0) {
          float init =
              combine == 1 ? 0.0f : -std::numeric_limits<float>::infinity();
          for (int32_t pi : mine)
            for (int32_t k = plan.pieces[size_t(pi)].runBegin;
                 k < plan.pieces[size_t(pi)].runEnd; ++k) {
              const Run &r = plan.runs[size_t(k)];
              std::fill(base + r.dst, base + r.dst + r.len, init);
            }
        }
        for (int32_t pi : mine) {
          Piece &p = plan.pieces[size_t(pi)];
          const float *from = plan.data.data() + p.dataBegin;
          for (int32_t k = p.runBegin; k < p.runEnd; ++k) {
            const Run &r = plan.runs[size_t(k)];
            float *d = base + r.dst;
            if (combine == 0 && r.len == 1)
              *d = *from;
            else if (combine == 0)
              std::memcpy(d, from, size_t(r.len) * sizeof(float));
            else if (combine == 1)
              for (int32_t e = 0; e < r.len; ++e)
                d[e] += from[e];
            else
              for (int32_t e = 0; e < r.len; ++e)
                d[e] = (std::isnan(d[e]) || std::isnan(from[e]))
                           ? std::numeric_limits<float>::quiet_NaN()
                           : std::max(d[e], from[e]);
            from += r.len;
          }
          if (combine != 0)
            stats.flops += p.sentData;
          if (p.src != peIdx)
            inbound.push_back(&p);
          else
            last = std::max(last, p.arrival);
        }
        // The receiving ramp takes one wavelet a cycle (the host's links
        // many), in order of arrival, and none before it has arrived.
        // (Ties in sender order, as listed: a sort without a buffer.)
        std::sort(
            inbound.begin(), inbound.end(), [](const Piece *a, const Piece *b) {
              return std::tie(a->first, a->src) < std::tie(b->first, b->src);
            });
        uint64_t t = from;
        double hostTaken = 0; // the host's links: whole cycles so far
        // The piece whose arrival decided `t` (null: the post or the ramp).
        const Piece *decider = nullptr;
        for (const Piece *p : inbound) {
          uint64_t intake = p->sent;
          if (pe.host) {
            double before = std::ceil(hostTaken / hostWaveletsPerCycle);
            hostTaken += double(p->sent);
            intake =
                uint64_t(std::ceil(hostTaken / hostWaveletsPerCycle) - before);
          }
          uint64_t next = pe.takeIn(std::max(t, p->first - 1), intake);
          if (p->first - 1 > t || p->arrival > next)
            decider = p;
          t = std::max(next, p->arrival);
          if (pe.host)
            stats.hostOutCycles += intake;
        }
        uint64_t done = std::max(last, t);
        if (tracing && decider && t >= last && t > pe.clock)
          cause = decider;
        pe.clock = std::max(pe.clock, done);
        // The pieces are taken: their senders may send the next
        // micro-batch's (a sender waiting for that is woken).
        for (int32_t pi : mine) {
          Piece &p = plan.pieces[size_t(pi)];
          p.taken = pe.clock;
          // Against the sender's mark of a blocked send (micro-batches
          // only), the store must be ordered before the load below; one
          // step's piece is sent once, before this receive.
          if (microBatches > 1)
            __atomic_store_n(&p.ready, false, __ATOMIC_SEQ_CST);
          else
            __atomic_store_n(&p.ready, false, __ATOMIC_RELAXED);
          if (microBatches > 1 && p.src != peIdx &&
              __atomic_load_n(&pes[size_t(p.src)].blockedSend,
                              __ATOMIC_SEQ_CST) == in.ints[0])
            woken.push_back(p.src);
        }
      }
    }
    if (tracing && pe.clock > start) {
      events.push_back({peIdx, pe.pc, peCycles + start, peCycles + pe.clock});
      if (cause) {
        // Its first wavelet left the sender's ramp `hops` + 1 cycles
        // before it came in.
        events.back().fromPe = cause->src;
        events.back().fromAt =
            peCycles + cause->first - 1 - uint64_t(cause->hops);
      }
    }
    ++pe.pc;
  }
  pe.done = true;
  return "";
}

std::string MeshSimulator::runStep(StepStats &stats) {
  Impl &im = *impl;
  stats = StepStats();
  if (im.timingOnly)
    return im.regionStep(stats);
  // Micro-batched: every PE starts on the first micro-batch's inputs and
  // goes on to the next micro-batch (writing its inputs) when it is
  // through one, without waiting for the others.
  if (im.microBatches > 1) {
    im.writeMicroInputs(0, -1);
    for (TransferPlan &plan : im.plans)
      for (Piece &p : plan.pieces)
        p.taken = 0;
  }
  // Kahn semantics: a PE's results depend only on what it receives, so
  // the ready PEs of a wave may run in any order, on any thread. A wave
  // is split in contiguous chunks, one per thread; whatever the split,
  // values, clocks, counts and the trace (chunks concatenated in order)
  // are those of one thread running the wave in order.
  std::vector<int> wave(im.pes.size());
  for (size_t i = 0; i < im.pes.size(); ++i) {
    PE &pe = im.pes[i];
    pe.pc = 0;
    pe.done = false;
    pe.clock = 0;
    pe.compute = 0;
    pe.rampOut = 0;
    pe.sending.clear();
    pe.inBusy.clear();
    pe.posted.clear();
    pe.run = 0;
    pe.blockedSend = -1;
    wave[i] = int(i);
  }
  struct Lane {
    std::vector<int> woken;
    StepStats stats;
    std::vector<TraceEvent> trace;
    std::vector<std::pair<int, std::string>> faults;
  };
  // A PE that faults stops; the others run on, and the step reports the
  // fault of the lowest PE, which does not depend on the wave it ran in.
  std::map<int, std::string> faults;
  size_t traceBegin = im.trace.size();
  std::vector<Lane> lanes(size_t(std::max(1, im.threads)));
  std::vector<uint8_t> inNext(im.pes.size(), 0);
  while (!wave.empty()) {
    // Below a few PEs per thread, starting threads costs more than it saves.
    size_t used = std::min(lanes.size(), std::max<size_t>(1, wave.size() / 64));
    auto run = [&](size_t l) {
      Lane &lane = lanes[l];
      size_t begin = wave.size() * l / used, end = wave.size() * (l + 1) / used;
      for (size_t k = begin; k < end; ++k) {
        bool blocked;
        if (std::string e = im.execute(wave[k], blocked, lane.stats,
                                       lane.woken, lane.trace);
            !e.empty()) {
          PE &pe = im.pes[size_t(wave[k])];
          pe.faulted = true;
          lane.faults.push_back(
              {wave[k], im.microBatches > 1
                            ? "micro-batch " + std::to_string(pe.run + 1) +
                                  ": " + e
                            : e});
        }
      }
    };
    if (used == 1) {
      run(0);
    } else {
      std::vector<std::thread> pool;
      for (size_t l = 1; l < used; ++l)
        pool.emplace_back(run, l);
      run(0);
      for (std::thread &t : pool)
        t.join();
    }
    std::vector<int> next;
    for (size_t l = 0; l < used; ++l) {
      Lane &lane = lanes[l];
      for (auto &[pe, e] : lane.faults)
        faults.emplace(pe, e);
      lane.faults.clear();
      for (int pe : lane.woken)
        if (!inNext[size_t(pe)]) {
          inNext[size_t(pe)] = 1;
          next.push_back(pe);
        }
      lane.woken.clear();
      if (im.tracing) {
        im.trace.insert(im.trace.end(), lane.trace.begin(), lane.trace.end());
        lane.trace.clear();
      }
    }
    std::sort(next.begin(), next.end());
    for (int pe : next)
      inNext[size_t(pe)] = 0;
    wave = std::move(next);
  }
  for (PE &pe : im.pes)
    pe.faulted = false;
  if (!faults.empty())
    return faults.begin()->second;
  for (Lane &lane : lanes) {
    stats.wavelets += lane.stats.wavelets;
    stats.flops += lane.stats.flops;
    stats.hostBytesIn += lane.stats.hostBytesIn;
    stats.hostBytesOut += lane.stats.hostBytesOut;
    stats.hostInCycles += lane.stats.hostInCycles;
    stats.hostOutCycles += lane.stats.hostOutCycles;
  }
  // The same events in the same order for every thread count.
  std::sort(im.trace.begin() + std::ptrdiff_t(traceBegin), im.trace.end(),
            [](const TraceEvent &a, const TraceEvent &b) {
              return std::tie(a.pe, a.start, a.instr) <
                     std::tie(b.pe, b.start, b.instr);
            });
  std::string waiting;
  int stuck = 0;
  uint64_t meshEnd = 0;
  for (const PE &pe : im.pes) {
    uint64_t end = std::max(pe.clock, pe.rampOut);
    stats.peCycles = std::max(stats.peCycles, end);
    // The compute share is the mesh's: the host's optimizer updates end
    // a streamed step, but its core is not the wafer's.
    if (!pe.host && (end > meshEnd || &pe == &im.pes.front())) {
      meshEnd = end;
      stats.criticalComputeCycles = pe.compute;
    }
    if (pe.done)
      continue;
    if (++stuck <= 3) {
      const isa::Instr &in = im.code[pe.prog][pe.pc];
      const wp::Transfer &t = im.program.transfers(in.ints[0]);
      const TransferPlan &plan = im.plans[in.ints[0]];
      int self = int(&pe - im.pes.data());
      if (pe.blockedSend >= 0) {
        // A later micro-batch's send: the last one's pieces are not taken.
        waiting += "\n  " + im.name(pe) + " waits in send of transfer '" +
                   t.name() + "' (micro-batch " + std::to_string(pe.run + 1) +
                   ") for its last pieces to be received";
        continue;
      }
      // Name a missing sender, another PE before the waiting one itself.
      int missing = 0, shown = -1;
      for (int pi : plan.byDst.of(self))
        if (!plan.pieces[size_t(pi)].ready) {
          ++missing;
          if (shown < 0 || plan.pieces[shown].src == self)
            shown = pi;
        }
      const PE &s = im.pes[plan.pieces[shown].src];
      std::string from =
          (&s == &pe ? std::string("its own part") : im.name(s)) +
          (s.done ? " (finished without sending)" : " (blocked)");
      if (missing > 1)
        from += " and " + std::to_string(missing - 1) + " more";
      waiting += "\n  " + im.name(pe) + " waits in recv of transfer '" +
                 t.name() + "' (color " + std::to_string(t.color()) +
                 ") for " + from;
    }
  }
  if (stuck)
    return "deadlock: " + std::to_string(stuck) + " PEs wait" + waiting;
  // Every part sent must have been received.
  for (size_t t = 0; t < im.plans.size(); ++t)
    for (const Piece &p : im.plans[t].pieces)
      if (p.ready)
        return "transfer '" + im.program.transfers(int(t)).name() + "': " +
               im.name(im.pes[p.src]) + " sent " +
               std::to_string(p.count) + " elements to " +
               im.name(im.pes[p.dst]) + ", which never received them";
  im.observing = false;
  // A transfer with sparse rows costs what this step's data sent.
  for (size_t t = 0; t < im.plans.size(); ++t)
    if (im.program.transfers(int(t)).sparse_rows())
      im.transferCosts[t] = detail::costFromPlan(
          im.plans[t], im.pes, im.program.transfers(int(t)).combine() != 0);
  // The step's cost is the region model's, from what the PEs did; the
  // per-PE clocks above are its refinement (peCycles, the trace).
  StepStats region;
  if (std::string e = im.regionStep(region); !e.empty())
    return e;
  if (region.flops != stats.flops || region.wavelets != stats.wavelets ||
      region.hostBytesIn != stats.hostBytesIn ||
      region.hostBytesOut != stats.hostBytesOut)
    return "internal: the region model counts other work than the PEs did: "
           "FLOPs " + std::to_string(region.flops) + " / " +
           std::to_string(stats.flops) + ", wavelets " +
           std::to_string(region.wavelets) + " / " +
           std::to_string(stats.wavelets) + ", host bytes " +
           std::to_string(region.hostBytesIn) + " / " +
           std::to_string(stats.hostBytesIn) + " in, " +
           std::to_string(region.hostBytesOut) + " / " +
           std::to_string(stats.hostBytesOut) + " out";
  region.peCycles = stats.peCycles;
  stats = region;
  im.peCycles += stats.peCycles;
  return "";
}

std::string MeshSimulator::Impl::regionStep(StepStats &stats) {
  detail::RegionModel m;
  m.program = &program;
  m.code = &code;
  m.instrs = &observed;
  m.transfers = &transferCosts;
  m.microBatches = microBatches;
  m.addsPerCycle = rates.addsPerCycle;
  m.hostWaveletsPerCycle = hostWaveletsPerCycle;
  if (std::string e = detail::regionStep(m, stats); !e.empty())
    return e;
  cycles += stats.cycles;
  wavelets += stats.wavelets;
  flops += stats.flops;
  return "";
}

HostTensor MeshSimulator::read(const wp::Binding &b) const {
  Layout l = layoutFromProto(b.layout());
  std::vector<int64_t> shape(b.type().shape().begin(), b.type().shape().end());
  HostTensor t = b.type().is_int() ? HostTensor::ints(shape)
                                   : HostTensor::floats(shape);
  std::vector<int64_t> strides = rowMajorStrides(l.shape);
  const wp::Program &p = impl->program.programs(b.program());
  // Replicas hold the same values: read the first along each axis.
  // (A nested axis's replicas are read again, group by group.)
  auto reach = [](const AxisSplit &a, int64_t extent) -> int64_t {
    if (a.nested())
      return std::min(a.pes(), extent);
    return a.kind == AxisSplit::Split ? std::min(a.count, extent) : 1;
  };
  int64_t wx = reach(l.x, p.width()), hy = reach(l.y, p.height());
  for (int64_t py = 0; py < hy; ++py)
    for (int64_t px = 0; px < wx; ++px) {
      const PE &pe = impl->pes[impl->peAt(b.program(), px, py)];
      const float *base = pe.buffers[b.buffer()];
      impl->forEachStored(l, b.program(), px, py,
                         [&](const std::vector<int64_t> &g, int64_t off) {
                           int64_t lin = 0;
                           for (size_t d = 0; d < g.size(); ++d)
                             lin += g[d] * strides[d];
                           if (t.isInt)
                             t.i[lin] = int64_t(base[off]);
                           else
                             t.f[lin] = base[off];
                         });
    }
  return t;
}

const wp::WaferProgram &MeshSimulator::program() const {
  return impl->program;
}
uint64_t MeshSimulator::totalCycles() const { return impl->cycles; }
uint64_t MeshSimulator::totalPeCycles() const { return impl->peCycles; }

std::string MeshSimulator::checkTransferCosts(int64_t &derived) const {
  derived = 0;
  for (int i = 0; i < impl->program.transfers_size(); ++i) {
    const wp::Transfer &t = impl->program.transfers(i);
    std::optional<detail::TransferCost> c = impl->analyticCost(t);
    if (!c)
      continue;
    ++derived;
    const detail::TransferCost &planned = impl->transferCosts[size_t(i)];
    if (!(*c == planned))
      return "transfer '" + t.name() + "': from its layouts " + c->str() +
             ", from its plan " + planned.str();
  }
  return "";
}
bool MeshSimulator::timingOnly() const { return impl->timingOnly; }
uint64_t MeshSimulator::totalWavelets() const { return impl->wavelets; }
uint64_t MeshSimulator::totalFlops() const { return impl->flops; }
int64_t MeshSimulator::maxPeSramBytes() const { return impl->maxSram; }
int64_t MeshSimulator::numPes() const { return int64_t(impl->pes.size()); }
int64_t MeshSimulator::numMeshPes() const {
  return int64_t(std::count_if(impl->pes.begin(), impl->pes.end(),
                               [](const detail::PE &pe) { return !pe.host; }));
}
void MeshSimulator::enableTrace() { impl->tracing = true; }
void MeshSimulator::setThreads(int threads) {
  impl->threads = std::max(1, threads);
}
const std::vector<TraceEvent> &MeshSimulator::trace() const {
  return impl->trace;
}
MeshSimulator::PeInfo MeshSimulator::peInfo(int64_t pe) const {
  const PE &p = impl->pes[size_t(pe)];
  return {p.prog, p.px, p.py, p.x, p.y};
}

} // namespace wsert::sim
