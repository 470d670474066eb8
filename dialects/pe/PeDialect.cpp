//===- PeDialect.cpp - pe dialect and verifiers ---------------------------===//
#include "pe/PeDialect.h"

#include "fabric/FabricDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace mlir::pe;

#include "pe/PeDialect.cpp.inc"
#include "pe/PeEnums.cpp.inc"

void PeDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "pe/PeOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// The buffer `ref` of the program enclosing `op`, or an error.
static FailureOr<BufferOp> lookupBuffer(Operation *op, FlatSymbolRefAttr ref) {
  auto program = op->getParentOfType<ProgramOp>();
  auto buf = dyn_cast_or_null<BufferOp>(
      SymbolTable::lookupSymbolIn(program, ref.getAttr()));
  if (!buf)
    return op->emitOpError("names ") << ref << ", which is not a pe.buffer of @"
                                     << program.getSymName();
  return buf;
}

/// Checks that `ref` names a buffer of at least `elements` elements.
static LogicalResult needBuffer(Operation *op, FlatSymbolRefAttr ref,
                                int64_t elements, bool wantInt = false) {
  FailureOr<BufferOp> buf = lookupBuffer(op, ref);
  if (failed(buf))
    return failure();
  if (buf->getLength() < elements)
    return op->emitOpError("needs ")
           << elements << " elements of " << ref << ", which holds "
           << buf->getLength();
  if (wantInt != isa<IntegerType>(buf->getElementType()))
    return op->emitOpError() << ref << " must hold "
                             << (wantInt ? "integers" : "floats");
  return success();
}

static int64_t programWidth(Operation *op) {
  auto program = op->getParentOfType<ProgramOp>();
  return program.getSize()[0];
}

static LogicalResult verifyColors(Operation *op, ArrayRef<int64_t> colors) {
  auto m = fabric::getMachine(op);
  int64_t limit = m ? m.getColors() : 24;
  if (colors.empty() || colors.size() > 2)
    return op->emitOpError("takes one color, or two alternating by PE column");
  for (int64_t c : colors)
    if (c < 0 || c >= limit)
      return op->emitOpError("color ")
             << c << " is outside the machine's 0.." << limit - 1;
  return success();
}

//===----------------------------------------------------------------------===//
// Program structure
//===----------------------------------------------------------------------===//

LogicalResult ProgramOp::verify() {
  if (getAt().size() != 2 || getSize().size() != 2)
    return emitOpError("at and size must be [x, y] and [width, height]");
  if (getSize()[0] < 1 || getSize()[1] != 1)
    return emitOpError("programs run on one row of PEs (size [w, 1])");
  // Buffers must not overlap and must fit in SRAM.
  SmallVector<std::pair<int64_t, BufferOp>> spans;
  for (auto buf : getBody().front().getOps<BufferOp>())
    spans.push_back({buf.getOffset(), buf});
  llvm::sort(spans, [](auto &a, auto &b) { return a.first < b.first; });
  int64_t end = 0;
  for (auto &[offset, buf] : spans) {
    if (offset < end)
      return buf.emitOpError("overlaps the buffer before it (ends at ")
             << end << ")";
    end = offset + buf.getLength() * 4;
  }
  if (auto m = fabric::getMachine(*this))
    if (end > m.getSramBytes() - m.getReservedSramBytes())
      return emitOpError("buffers need ")
             << end << " bytes per PE; a PE has "
             << m.getSramBytes() - m.getReservedSramBytes() << " for data";
  return success();
}

LogicalResult BufferOp::verify() {
  if (getLength() < 1)
    return emitOpError("must hold at least one element");
  if (getOffset() < 0 || getOffset() % 4)
    return emitOpError("offset must be a non-negative multiple of 4 bytes");
  Type t = getElementType();
  if (!t.isF32() && !t.isInteger(32))
    return emitOpError("holds f32 or i32, not ") << t;
  return success();
}

//===----------------------------------------------------------------------===//
// Instructions
//===----------------------------------------------------------------------===//

LogicalResult SendOp::verify() {
  if (failed(verifyColors(*this, getColor())))
    return failure();
  return lookupBuffer(*this, getBufferAttr());
}
LogicalResult RecvOp::verify() {
  if (failed(verifyColors(*this, getColor())))
    return failure();
  return lookupBuffer(*this, getBufferAttr());
}
LogicalResult RecvAddOp::verify() {
  if (failed(verifyColors(*this, getColor())))
    return failure();
  return needBuffer(*this, getBufferAttr(), 1);
}
LogicalResult FillOp::verify() { return needBuffer(*this, getBufferAttr(), 1); }

LogicalResult MatmulOp::verify() {
  int64_t m = getM(), n = getN(), k = getK();
  if (m < 1 || n < 1 || k < 1)
    return emitOpError("sizes must be positive");
  if (failed(needBuffer(*this, getCAttr(), m * n)) ||
      failed(needBuffer(*this, getAAttr(), m * k)) ||
      failed(needBuffer(*this, getBAttr(), k * n)))
    return failure();
  return success();
}

LogicalResult Copy2dOp::verify() {
  int64_t w = programWidth(*this) - 1;
  int64_t rows = getRows(), cols = getCols();
  if (rows < 1 || cols < 1 || cols > getSrcStride() || cols > getDstStride())
    return emitOpError("needs rows, cols >= 1 and cols <= both strides");
  int64_t srcEnd = getSrcOffset() + w * getSrcOffsetPerPe() +
                   (rows - 1) * getSrcStride() + cols;
  int64_t dstEnd = getDstOffset() + w * getDstOffsetPerPe() +
                   (rows - 1) * getDstStride() + cols;
  if (failed(needBuffer(*this, getSrcAttr(), srcEnd)) ||
      failed(needBuffer(*this, getDstAttr(), dstEnd)))
    return failure();
  return success();
}

LogicalResult BiasAddOp::verify() {
  if (failed(needBuffer(*this, getYAttr(), getRows() * getCols())))
    return failure();
  return needBuffer(*this, getBiasAttr(), getCols());
}
LogicalResult ReluOp::verify() {
  if (failed(needBuffer(*this, getDstAttr(), getLength())))
    return failure();
  return needBuffer(*this, getSrcAttr(), getLength());
}
LogicalResult ReluGradOp::verify() {
  if (failed(needBuffer(*this, getDstAttr(), getLength())) ||
      failed(needBuffer(*this, getGradAttr(), getLength())))
    return failure();
  return needBuffer(*this, getInputAttr(), getLength());
}
LogicalResult ColSumOp::verify() {
  if (failed(needBuffer(*this, getSrcAttr(), getRows() * getCols())))
    return failure();
  return needBuffer(*this, getDstAttr(), getCols());
}
LogicalResult SgdOp::verify() {
  if (failed(needBuffer(*this, getParamAttr(), getLength())))
    return failure();
  return needBuffer(*this, getGradAttr(), getLength());
}
LogicalResult AddConstOp::verify() {
  return needBuffer(*this, getBufferAttr(), 1);
}
LogicalResult SgdMomentumOp::verify() {
  int64_t n = getLength();
  if (failed(needBuffer(*this, getParamAttr(), n)) ||
      failed(needBuffer(*this, getGradAttr(), n)))
    return failure();
  return needBuffer(*this, getBufAttr(), n);
}
LogicalResult AdamWOp::verify() {
  int64_t n = getLength();
  if (failed(needBuffer(*this, getParamAttr(), n)) ||
      failed(needBuffer(*this, getGradAttr(), n)) ||
      failed(needBuffer(*this, getMAttr(), n)) ||
      failed(needBuffer(*this, getVAttr(), n)))
    return failure();
  return needBuffer(*this, getStepAttr(), 1);
}
LogicalResult SoftmaxCrossEntropyOp::verify() {
  int64_t r = getRows(), c = getCols();
  if (failed(needBuffer(*this, getLossAttr(), 1)) ||
      failed(needBuffer(*this, getGradAttr(), r * c)) ||
      failed(needBuffer(*this, getLogitsAttr(), r * c)))
    return failure();
  return needBuffer(*this, getLabelsAttr(), r, /*wantInt=*/true);
}

//===----------------------------------------------------------------------===//
// Routes and host bindings
//===----------------------------------------------------------------------===//

LogicalResult RouteOp::verify() {
  ArrayRef<int64_t> p = getPath();
  if (p.size() < 4 || p.size() % 2)
    return emitOpError("path must list at least two points as x, y pairs");
  for (size_t i = 2; i < p.size(); i += 2)
    if (p[i] != p[i - 2] && p[i + 1] != p[i - 1])
      return emitOpError("segment ") << i / 2 << " is not straight";
  auto m = fabric::getMachine(*this);
  for (size_t i = 0; i < p.size(); i += 2)
    if (p[i] < 0 || p[i + 1] < 0 ||
        (m && (p[i] >= m.getWidth() || p[i + 1] >= m.getHeight())))
      return emitOpError("point (") << p[i] << ", " << p[i + 1]
                                    << ") is off the mesh";
  return verifyColors(*this, {static_cast<int64_t>(getColor())});
}

LogicalResult ChainOp::verify() {
  if (getColors().size() != 2 || getColors()[0] == getColors()[1])
    return emitOpError("needs two different colors");
  if (!SymbolTable::lookupNearestSymbolFrom<ProgramOp>(*this, getProgramAttr()))
    return emitOpError("names ") << getProgramAttr()
                                 << ", which is not a pe.program";
  return verifyColors(*this, getColors());
}

/// Resolves @program::@buffer.
static FailureOr<BufferOp> lookupTarget(Operation *op, SymbolRefAttr ref) {
  auto buf = dyn_cast_or_null<BufferOp>(
      SymbolTable::lookupNearestSymbolFrom(op, ref));
  if (!buf)
    return op->emitOpError("names ")
           << ref << ", which is not a buffer of a pe.program";
  return buf;
}

static LogicalResult verifyBinding(Operation *op, SymbolRefAttr ref, Type type,
                                   int64_t divideBy = 1) {
  FailureOr<BufferOp> buf = lookupTarget(op, ref);
  if (failed(buf))
    return failure();
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return op->emitOpError("binds a ranked tensor, not ") << type;
  if (tensor.getNumElements() / divideBy > buf->getLength())
    return op->emitOpError("binds ")
           << tensor.getNumElements() / divideBy << " elements per PE to "
           << ref << ", which holds " << buf->getLength();
  return success();
}

LogicalResult InputOp::verify() {
  return verifyBinding(*this, getTarget(), getType());
}
LogicalResult OutputOp::verify() {
  return verifyBinding(*this, getSource(), getType());
}
LogicalResult ParamOp::verify() {
  auto program = SymbolTable::lookupNearestSymbolFrom<ProgramOp>(
      *this, getTarget().getRootReference());
  if (!program)
    return emitOpError("names ") << getTarget() << " outside any pe.program";
  int64_t parts = program.getSize()[0];
  auto tensor = dyn_cast<RankedTensorType>(getType());
  if (!tensor || tensor.getRank() < 1 || tensor.getDimSize(0) % parts)
    return emitOpError("dim 0 of ")
           << getType() << " does not split evenly over " << parts << " PEs";
  if (auto init = getInit())
    if (init->getType() != getType())
      return emitOpError("init has type ") << init->getType();
  return verifyBinding(*this, getTarget(), getType(), parts);
}

#define GET_OP_CLASSES
#include "pe/PeOps.cpp.inc"
