//===- PeIsa.h - the pe instruction set, one definition each ----*- C++ -*-===//
//
// Every pe instruction is defined once, in lib/Support/PeIsa.cpp: its name,
// its buffer operands, the checks its integer and float fields must pass,
// its semantics on one PE's SRAM and its cost in cycles and FLOPs. The pe
// dialect verifier, the .wsebin exporter and loader, and the simulator all
// read this table; adding an instruction is adding one entry.
//
// Instructions work on memory views in the spirit of the CS SDK's DSDs: a
// view is a buffer plus a stride per dim of the instruction's iteration box.
// The box's extent along a dim may depend on the PE's position: a dim split
// over the region's x (or y) axis in blocks covers
// clamp(global - p * block, 0, block) elements on the PE at position p, so
// one SPMD program serves interior and edge PEs alike.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_SUPPORT_PEISA_H
#define WSE_SUPPORT_PEISA_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wsert::isa {

/// The elementwise functions of `map`: name, operand count, immediates
/// (floats), cycles per element on a PE's vector unit, and the expression
/// over operands a, b, c and immediates i0, i1. All data is f32 on a PE;
/// integers (token ids, labels, masks) are exact f32 values.
#define WSE_PE_FNS(X)                                                          \
  X(copy, 1, 0, 1, a)                                                          \
  X(neg, 1, 0, 1, -a)                                                          \
  X(abs, 1, 0, 1, std::fabs(a))                                                \
  X(sign, 1, 0, 1, signF(a))                                                   \
  X(exp, 1, 0, 4, std::exp(a))                                                 \
  X(log, 1, 0, 4, std::log(a))                                                 \
  X(sqrt, 1, 0, 4, std::sqrt(a))                                               \
  X(rsqrt, 1, 0, 4, 1.0f / std::sqrt(a))                                       \
  X(recip, 1, 0, 4, 1.0f / a)                                                  \
  X(tanh, 1, 0, 8, math::tanhF(a))                                            \
  X(erf, 1, 0, 8, std::erf(a))                                                 \
  X(sigmoid, 1, 0, 8, sigmoidF(a))                                             \
  X(softplus, 1, 0, 8, softplusF(a))                                           \
  X(silu, 1, 0, 8, a *sigmoidF(a))                                             \
  X(sin, 1, 0, 8, std::sin(a))                                                 \
  X(cos, 1, 0, 8, std::cos(a))                                                 \
  X(floor, 1, 0, 1, std::floor(a))                                             \
  X(ceil, 1, 0, 1, std::ceil(a))                                               \
  X(gelu, 1, 0, 8, geluF(a, false))                                            \
  X(gelu_tanh, 1, 0, 8, geluF(a, true))                                        \
  X(relu, 1, 0, 1, std::isnan(a) ? a : a > 0.0f ? a : 0.0f)                    \
  X(leaky_relu, 1, 1, 1, a >= 0.0f ? a : i0 * a)                               \
  X(elu, 1, 1, 4, a > 0.0f ? a : i0 * std::expm1(a))                           \
  X(clamp_min, 1, 1, 1, std::isnan(a) ? a : a < i0 ? i0 : a)                   \
  X(clamp_max, 1, 1, 1, std::isnan(a) ? a : a > i0 ? i0 : a)                   \
  X(clamp, 1, 2, 1, std::isnan(a) ? a : a < i0 ? i0 : a > i1 ? i1 : a)         \
  X(not, 1, 0, 1, a != 0.0f ? 0.0f : 1.0f)                                     \
  X(to_bool, 1, 0, 1, a != 0.0f ? 1.0f : 0.0f)                                 \
  X(trunc, 1, 0, 1, truncF(a))                                                 \
  X(add, 2, 0, 1, a + b)                                                       \
  X(sub, 2, 0, 1, a - b)                                                       \
  X(mul, 2, 0, 1, a *b)                                                        \
  X(div, 2, 0, 4, a / b)                                                       \
  X(pow, 2, 0, 8, std::pow(a, b))                                              \
  X(max, 2, 0, 1, maxF(a, b))                                                  \
  X(min, 2, 0, 1, minF(a, b))                                                  \
  X(eq, 2, 0, 1, a == b ? 1.0f : 0.0f)                                         \
  X(lt, 2, 0, 1, a < b ? 1.0f : 0.0f)                                          \
  X(le, 2, 0, 1, a <= b ? 1.0f : 0.0f)                                         \
  X(gt, 2, 0, 1, a > b ? 1.0f : 0.0f)                                          \
  X(ge, 2, 0, 1, a >= b ? 1.0f : 0.0f)                                         \
  X(and, 2, 0, 1, (a != 0.0f && b != 0.0f) ? 1.0f : 0.0f)                      \
  X(or, 2, 0, 1, (a != 0.0f || b != 0.0f) ? 1.0f : 0.0f)                       \
  X(xor, 2, 0, 1, ((a != 0.0f) != (b != 0.0f)) ? 1.0f : 0.0f)                  \
  X(relu_grad, 2, 0, 1, b > 0.0f ? a : 0.0f)                                   \
  X(select, 3, 0, 1, a != 0.0f ? b : c)

enum class Fn : int {
#define WSE_FN_ENUM(name, arity, imms, cycles, expr) name##_,
  WSE_PE_FNS(WSE_FN_ENUM)
#undef WSE_FN_ENUM
};

struct FnDef {
  const char *name;
  int arity, immediates, cycles;
};
const FnDef &fnDef(Fn fn);
std::optional<Fn> lookupFn(const std::string &name);
int numFns();

/// How `map` combines a computed value with what its output holds.
/// How a map writes its output. The *From modes first set the whole output
/// buffer to the sum's (0) or the maximum's (-infinity) identity: an
/// output's first term is then written rather than combined (a multiply
/// instead of a multiply-add), so only outputs no term reaches cost a
/// store.
enum class Acc : int64_t {
  Assign = 0,
  Add = 1,
  Max = 2,
  AddFromZero = 3,
  MaxFromLowest = 4
};

/// An instruction as the exporter writes it and the simulator runs it.
struct Instr {
  int op = -1;                  // index into instructionSet()
  // Runs in the last micro-batch of a step only (an optimizer update
  // after gradient accumulation); always when a step has one.
  bool once = false;
  int fn = -1;                  // map only: index into the Fn table
  std::vector<int32_t> buffers; // indices into the program's buffers
  std::vector<int64_t> ints;
  std::vector<float> floats;
};

/// The machine's rates that costs are computed from.
struct Rates {
  int64_t fmacsPerCycle = 1, addsPerCycle = 1;
};

/// What one instruction did on one PE.
struct Work {
  uint64_t cycles = 0;
  uint64_t flops = 0; // an FMAC counts 2
};

/// One PE's view of its SRAM while it executes an instruction.
struct PeState {
  int64_t px = 0, py = 0;       // position in the region
  float *const *buffers = nullptr;  // base of each of the program's buffers
  const int64_t *lengths = nullptr; // each buffer's length in elements
  int64_t microBatch = 0;           // of the step (accumulate)
};

struct InstrDef {
  const char *name;
  const char *summary;
  const char *operands; // the buffer operands, in order
  const char *fields;   // what `ints` and `floats` hold
  int minBuffers, maxBuffers;
  /// Fabric instructions (send, recv) move data between PEs; the simulator
  /// runs them. Every other instruction is local and has `exec`.
  bool fabric;
  /// Static checks against the buffers' lengths (in elements); returns a
  /// message, empty when the instruction is well formed.
  std::string (*check)(const Instr &, const std::vector<int64_t> &lengths);
  /// Semantics on one PE: updates its buffers and says what it cost.
  /// Returns a message on a run-time fault (an index out of range).
  std::string (*exec)(const Instr &, const PeState &, const Rates &, Work &);
  /// The leading buffer operands the instruction writes (the rest it only
  /// reads): a send waits for none, an AdamW update writes three.
  int writes = 1;
};

const std::vector<InstrDef> &instructionSet();
/// The index of the instruction called `name`, or -1.
int lookupInstr(const std::string &name);

/// Checks an instruction's arity, fields and views; empty when fine.
std::string checkInstr(const Instr &in, const std::vector<int64_t> &lengths);

/// Ints of an iteration box: per dim (block, axis, global) where axis is
/// 0 (whole on every PE), 1 (split over x), 2 (split over y), or 3 and 4
/// (split within the groups of a nested x or y: the dim with axis 1 or 2
/// then picks the group, `period` consecutive PEs, and this one the PE
/// in it). `stride` and `period` are not encoded: readBox derives them.
struct BoxDim {
  int64_t block = 1, axis = 0, global = 1;
  int64_t stride = 1; // PEs per step of the dim along its axis
  int64_t period = 0; // an inner dim's group size (0: none)
  /// 0 for x, 1 for y, -1 when not split.
  int64_t gridAxis() const { return axis == 0 ? -1 : (axis - 1) % 2; }
};
/// The block of the dim the PE at (px, py) covers (0 when not split).
int64_t boxPosition(const BoxDim &d, int64_t px, int64_t py);
/// The dim's extent on the PE at (px, py).
int64_t localExtent(const BoxDim &d, int64_t px, int64_t py);

/// What an instruction's cost on a PE depends on besides the program:
/// the extents of its box on that PE (no box: the same on every PE) and,
/// when `indexed`, the slots of the PE's index buffer (a sparse kernel).
struct CostShape {
  std::vector<BoxDim> box;
  bool indexed = false;
  // The FLOPs of all PEs together when one PE's share depends on data
  // values but the sum does not (scatter_add: each row is added once).
  std::optional<uint64_t> wholeFlops;
  // An operand holding row indices (gather, scatter_add), which must be
  // valid: costing without data fills it with zeros (row 0).
  int rowIndexOperand = -1;
};
/// The cost shape of a well-formed local instruction.
CostShape costShape(const Instr &in);
/// What a dense optimizer update (or accumulate) costs on a PE, from its
/// box alone (its buffers may be too large to hold: host memory); false
/// for any other instruction, which the cost model runs on scratch SRAM.
bool costWithoutData(const Instr &in, const PeState &pe, const Rates &rates,
                     Work &work);

} // namespace wsert::isa

#endif
