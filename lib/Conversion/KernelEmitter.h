//===- KernelEmitter.h - terse construction of pe instructions -*- C++ -*-===//
#ifndef WSE_LIB_CONVERSION_KERNELEMITTER_H
#define WSE_LIB_CONVERSION_KERNELEMITTER_H

#include "pe/PeDialect.h"
#include "mlir/IR/Builders.h"

namespace mlir::wse {

/// Builds pe instructions from named attributes, so kernels read like the
/// programs they emit.
class KernelEmitter {
public:
  KernelEmitter(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  NamedAttribute buf(StringRef key, StringRef buffer) {
    return b.getNamedAttr(key, FlatSymbolRefAttr::get(b.getContext(), buffer));
  }
  NamedAttribute i64(StringRef key, int64_t v) {
    return b.getNamedAttr(key, b.getI64IntegerAttr(v));
  }
  NamedAttribute f32(StringRef key, float v) {
    return b.getNamedAttr(key, b.getF32FloatAttr(v));
  }
  NamedAttribute flag(StringRef key) {
    return b.getNamedAttr(key, b.getBoolAttr(true));
  }
  NamedAttribute colors(ArrayRef<int64_t> c) {
    return b.getNamedAttr("color", b.getDenseI64ArrayAttr(c));
  }
  NamedAttribute when(pe::When w) {
    return b.getNamedAttr("when", pe::WhenAttr::get(b.getContext(), w));
  }

  template <typename OpTy> OpTy op(ArrayRef<NamedAttribute> attrs) {
    return OpTy::create(b, loc, TypeRange{}, ValueRange{}, attrs);
  }

  /// PE i adds what PE i-1 sent and sends the sum on; the last PE keeps it.
  void chainReduce(StringRef buffer, std::array<int64_t, 2> c) {
    op<pe::RecvAddOp>({buf("buffer", buffer), colors({c[1], c[0]}),
                       when(pe::When::not_first)});
    op<pe::SendOp>({buf("buffer", buffer), colors({c[0], c[1]}),
                    when(pe::When::not_last)});
  }

private:
  OpBuilder &b;
  Location loc;
};

} // namespace mlir::wse

#endif
