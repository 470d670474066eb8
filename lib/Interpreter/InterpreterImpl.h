//===- InterpreterImpl.h - helpers shared by the interpreter files -*- C++ -*-===//
//
// Private to lib/Interpreter. The interpreter is split by op family; each
// family file exports one `interpret<Family>Op` entry that returns
// std::nullopt for ops it does not know, so the driver can try the next.
//
// Element types: a HostTensor keeps f32 data in `f` and every integer kind
// (i64, i32, i1) in `i`; i32 values are kept wrapped to 32 bits and i1
// values are 0 or 1, so every op that makes integers normalizes them with
// `wrapInt` for its result type.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_LIB_INTERPRETER_INTERPRETERIMPL_H
#define WSE_LIB_INTERPRETER_INTERPRETERIMPL_H

#include "wse/Interpreter/Interpreter.h"
#include "wse/Support/HostTensor.h"
#include "wse/WseDialect.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <cstdint>
#include <optional>
#include <vector>

// The interpreter's sources are compiled twice: as WseInterpreter (f32 data
// in float, as on a PE) and, with WSE_INTERP_F64, as WseInterpreter64 (f32
// data in double, for gradient checks). The second build renames its
// internal namespace and its constant reader so the two can link together.
#ifdef WSE_INTERP_F64
#define interp interp64
#define tensorFromAttr tensorFromAttr64
#endif

namespace mlir::wse::interp {

#ifdef WSE_INTERP_F64
using Real = double;
#else
using Real = float;
#endif
using HostTensor = ::wsert::BasicHostTensor<Real>;
using Shape = std::vector<int64_t>;

enum class Elem { F32, I64, I32, I1 };

/// The element kind of a tensor type (or of an element type).
Elem elemOf(Type t);
inline bool isIntElem(Elem e) { return e != Elem::F32; }

/// Normalizes an integer to the value range of `e`: i32 wraps (two's
/// complement), i1 is `v != 0`, i64 is unchanged.
inline int64_t wrapInt(int64_t v, Elem e) {
  switch (e) {
  case Elem::I32:
    return int64_t(int32_t(uint32_t(uint64_t(v))));
  case Elem::I1:
    return v != 0 ? 1 : 0;
  default:
    return v;
  }
}

/// Wrapping int64 arithmetic (no signed-overflow UB).
inline int64_t addWrap(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) + uint64_t(b));
}
inline int64_t subWrap(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) - uint64_t(b));
}
inline int64_t mulWrap(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) * uint64_t(b));
}

Shape shapeOf(Type t);
int64_t numElementsOf(const Shape &shape);
/// Row-major strides of `shape`.
Shape stridesOf(const Shape &shape);

/// For each element (row-major) of `iter`, the offset
/// `sum_d coord[d] * steps[d]`. `steps` has one entry per dim of `iter`.
std::vector<int64_t> offsetMap(const Shape &iter, const Shape &steps);

/// For each element of `out`, the index of the element of `in` that NumPy
/// broadcasting maps to it. `in` must broadcast to `out`.
std::vector<int64_t> broadcastIndex(const Shape &in, const Shape &out);

/// Broadcasting by rows: `out` walked as rows of its last dim (`len`
/// elements each); for each row, the offset in `in` of its first element
/// (`base`), and the step between the row's elements (1, or 0 where `in`
/// repeats one element along the last dim). Per-row rather than
/// per-element bookkeeping, so the inner loops run over spans.
struct RowBroadcast {
  std::vector<int64_t> base;
  int64_t len = 1, step = 0;
};
RowBroadcast broadcastRows(const Shape &in, const Shape &out);

/// An empty tensor of `shape` holding the kind of `e` (zero filled).
HostTensor makeTensor(Shape shape, Elem e);

/// out[k] = in[map[k]], element kind kept; `shape` has map.size() elements.
/// out (row-major `shape`) at coordinates c = in[base + sum_d c_d steps_d]:
/// a transpose or a slice, in loops over the last dim (no offset table).
HostTensor stridedCopy(const HostTensor &in, Shape shape, const Shape &steps,
                       int64_t base);

HostTensor gatherElements(const HostTensor &in, Shape shape,
                          const std::vector<int64_t> &map);

/// The view of `shape` around `axis` as [outer, shape[axis], inner].
struct AxisView {
  int64_t outer = 1, len = 1, inner = 1;
};
AxisView axisView(const Shape &shape, int64_t axis);

/// Values of the running function.
class Interp {
public:
  llvm::DenseMap<Value, HostTensor> env;
  const HostTensor &get(Value v) const { return env.find(v)->second; }
  void set(Value v, HostTensor t) { env[v] = std::move(t); }
  void drop(Value v) { env.erase(v); }
  /// v's tensor, moved out when the running op is the last to read it
  /// (`dying`), else a copy.
  HostTensor take(Value v) {
    auto it = env.find(v);
    return dying.contains(v) ? std::move(it->second) : it->second;
  }
  llvm::DenseSet<Value> dying;
};

using Handled = std::optional<LogicalResult>;

/// Each returns std::nullopt when `op` is not of its family.
Handled interpretMathOp(Interp &in, Operation *op);
Handled interpretReduceOp(Interp &in, Operation *op);
Handled interpretShapeOp(Interp &in, Operation *op);
Handled interpretNNOp(Interp &in, Operation *op);
Handled interpretOptimizerOp(Interp &in, Operation *op);

} // namespace mlir::wse::interp

#endif
