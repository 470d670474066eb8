//===- PeDialect.cpp - pe dialect and verifiers ---------------------------===//
//
// Instructions are checked against the pe instruction set's own definition
// (wse/Support/PeIsa.h), the same checks the .wsebin loader runs.
//
//===----------------------------------------------------------------------===//
#include "pe/PeDialect.h"

#include "wse/Support/PeIsa.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace mlir::pe;

#include "pe/PeDialect.cpp.inc"

void PeDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "pe/PeOps.cpp.inc"
      >();
}

/// The buffer `@program::@buffer` (or `@buffer` inside a program). Ops
/// that name buffers check them in verifySymbolUses, whose symbol tables
/// are built once: SymbolTable::lookupSymbolIn scans, quadratic in the
/// program's size.
static BufferOp lookupBuffer(SymbolTableCollection &symbols, Operation *from,
                             SymbolRefAttr ref) {
  auto module = from->getParentOfType<ModuleOp>();
  if (auto program = from->getParentOfType<ProgramOp>())
    if (ref.getNestedReferences().empty())
      return dyn_cast_or_null<BufferOp>(
          symbols.lookupSymbolIn(program, ref.getRootReference()));
  return module
             ? dyn_cast_or_null<BufferOp>(symbols.lookupSymbolIn(module, ref))
             : BufferOp();
}

// After the instructions' own checks (verifySymbolUses, run by the
// SymbolTable trait before this): a fabric instruction names a transfer by
// its index in the module, counted once here rather than per instruction.
LogicalResult ProgramOp::verifyRegions() {
  auto module = (*this)->getParentOfType<ModuleOp>();
  if (!module)
    return success();
  int64_t transfers = llvm::range_size(module.getOps<TransferOp>());
  for (auto instr : getBody().front().getOps<InstrOp>()) {
    int op = wsert::isa::lookupInstr(instr.getOp().str());
    if (op >= 0 && wsert::isa::instructionSet()[op].fabric &&
        !instr.getInts().empty() && instr.getInts()[0] >= transfers)
      return instr.emitOpError("names transfer ")
             << instr.getInts()[0] << "; the module has " << transfers;
  }
  return success();
}

LogicalResult ProgramOp::verify() {
  if (getAt().size() != 2 || getSize().size() != 2 || getSize()[0] < 1 ||
      getSize()[1] < 1)
    return emitOpError("at and size must be [x, y] and [width, height]");
  if (getHost() && (getSize()[0] != 1 || getSize()[1] != 1))
    return emitOpError("a host program runs on one 1x1 host");
  // The host's buffers are host memory, not SRAM, and it is off the mesh.
  if (auto m = fabric::getMachine(*this); m && !getHost()) {
    if (getAt()[0] < 0 || getAt()[1] < 0 ||
        getAt()[0] + getSize()[0] > m.getWidth() ||
        getAt()[1] + getSize()[1] > m.getHeight())
      return emitOpError("lies outside the ")
             << m.getWidth() << "x" << m.getHeight() << " mesh";
    int64_t limit = m.getSramBytes() - m.getReservedSramBytes();
    for (auto buf : getBody().front().getOps<BufferOp>())
      if (int64_t(buf.getOffset() + 4 * buf.getLength()) > limit)
        return buf.emitOpError("ends at byte ")
               << buf.getOffset() + 4 * buf.getLength() << "; a PE has "
               << limit << " bytes of SRAM for data ("
               << m.getSramBytes() << " less " << m.getReservedSramBytes()
               << " reserved)";
  }
  return success();
}

LogicalResult BufferOp::verify() {
  if (int64_t(getLength()) < 1 || int64_t(getOffset()) < 0 ||
      getOffset() % 4)
    return emitOpError("needs a positive length and a 4-byte aligned offset");
  return success();
}

LogicalResult InstrOp::verifySymbolUses(SymbolTableCollection &symbols) {
  wsert::isa::Instr in;
  in.op = wsert::isa::lookupInstr(getOp().str());
  if (in.op < 0)
    return emitOpError("'") << getOp() << "' is not a pe instruction";
  if (auto fn = getFn()) {
    auto f = wsert::isa::lookupFn(fn->str());
    if (!f)
      return emitOpError("'") << *fn << "' is not a function of map";
    in.fn = int(*f);
  }
  std::vector<int64_t> lengths;
  int i = 0;
  for (Attribute a : getBuffers()) {
    auto ref = cast<SymbolRefAttr>(a);
    BufferOp buf = ref.getNestedReferences().empty()
                       ? lookupBuffer(symbols, *this, ref)
                       : BufferOp();
    if (!buf)
      return emitOpError("names ")
             << a << ", which is not a pe.buffer of this program";
    in.buffers.push_back(i++);
    lengths.push_back(buf.getLength());
  }
  in.ints.assign(getInts().begin(), getInts().end());
  in.floats.assign(getFloats().begin(), getFloats().end());
  if (std::string e = wsert::isa::checkInstr(in, lengths); !e.empty())
    return emitOpError(e);
  return success();
}

static LogicalResult verifyLaidOut(SymbolTableCollection &symbols,
                                   Operation *op, SymbolRefAttr ref,
                                   ArrayRef<int64_t> shape, Attribute layout,
                                   bool stored = true) {
  BufferOp buf = lookupBuffer(symbols, op, ref);
  if (!buf)
    return op->emitOpError("names ") << ref << ", which is not a pe.buffer";
  auto program = buf->getParentOfType<ProgramOp>();
  wsert::Layout l = fabric::toLayout(cast<fabric::LayoutAttr>(layout), shape);
  if (std::string e = l.check(program.getSize()[0], program.getSize()[1]);
      !e.empty())
    return op->emitOpError("layout: ") << e;
  if (l.mask >= 0) {
    // A sparse buffer holds the most slots a PE has (the loader checks).
    auto module = op->getParentOfType<ModuleOp>();
    for (auto m : module.getOps<MaskOp>())
      if (int64_t(m.getIndex()) == l.mask) {
        if (cast<ShapedType>(m.getKeep().getType()).getShape() != shape)
          return op->emitOpError("is sparse(")
                 << l.mask << "), a mask of another shape";
        return success();
      }
    return op->emitOpError("is sparse(") << l.mask << "), which no pe.mask defines";
  }
  if (stored && l.tileElements() > int64_t(buf.getLength()))
    return op->emitOpError("a tile of ")
           << l.tileElements() << " elements does not fit " << ref;
  return success();
}

LogicalResult TransferOp::verifySymbolUses(SymbolTableCollection &symbols) {
  if (failed(verifyLaidOut(symbols, *this, getSrc(), getSrcShape(),
                           getSrcLayout(), /*stored=*/!getRows())) ||
      failed(verifyLaidOut(symbols, *this, getDst(), getDstShape(),
                           getDstLayout())))
    return failure();
  if (getMap() != "linear" && getMap() != "affine")
    return emitOpError("map must be linear or affine");
  if (!getReshape().empty()) {
    int64_t window = 1, n = 1;
    for (int64_t d : getWindowSize())
      window *= d;
    for (int64_t d : getReshape())
      n = d < 0 ? -1 : n * d;
    if (getMap() != "affine" ||
        getAffine().size() != getSrcShape().size() * getReshape().size() ||
        n != window)
      return emitOpError("a reshaped index needs an affine map of src rank x "
                         "reshape rank coefficients and as many elements as "
                         "the window");
  }
  if (auto m = fabric::getMachine(*this))
    if (int64_t(getColor()) < 0 || int64_t(getColor()) >= m.getColors())
      return emitOpError("color ") << getColor() << " is outside the machine's 0.."
                                   << m.getColors() - 1;
  wsert::Layout src = fabric::toLayout(getSrcLayout(), getSrcShape());
  if ((getCombine() != 0) != src.isPartial() || getCombine() < 0 ||
      getCombine() > 2)
    return emitOpError("combine must be 1 (sum) or 2 (max) exactly when the "
                       "source holds partial sums");
  if (fabric::toLayout(getDstLayout(), getDstShape()).isPartial())
    return emitOpError("cannot write partial sums");
  if (ArrayAttr rows = getRowsAttr()) {
    // Rows and indices of the source's program, of a scatter-add's box
    // whose table tile is the source's.
    auto program = lookupBuffer(symbols, *this, getSrc())
                       ->getParentOfType<ProgramOp>();
    if (rows.size() != 2 || getRowsBox().size() != 9 || !getSparseRows())
      return emitOpError("rows needs two buffers (updates, indices), a "
                         "rows_box of 9 ints and sparse_rows");
    for (Attribute r : rows) {
      BufferOp buf = lookupBuffer(symbols, *this, cast<SymbolRefAttr>(r));
      if (!buf || buf->getParentOfType<ProgramOp>() != program)
        return emitOpError("rows names ")
               << r << ", which is not a pe.buffer of the source's program";
    }
    ArrayRef<int64_t> box = getRowsBox();
    std::vector<int64_t> tile = src.tileShape();
    if (tile.size() != 2 || box[3] != tile[1] || box[6] != tile[0])
      return emitOpError("rows_box's blocks of v and d (")
             << box[6] << ", " << box[3] << ") are not the source tile's";
  }
  return success();
}

LogicalResult MaskOp::verify() {
  auto t = cast<ShapedType>(getKeep().getType());
  if (!t.getElementType().isInteger(1) || !t.hasStaticShape() ||
      t.getRank() != 2)
    return emitOpError("keep must be a static rank-2 i1 tensor");
  return success();
}

LogicalResult BindOp::verifySymbolUses(SymbolTableCollection &symbols) {
  StringRef k = getKind();
  if (k != "input" && k != "output" && k != "param" && k != "state" &&
      k != "const" && k != "index")
    return emitOpError(
        "kind must be input, output, param, state, const or index");
  if (k == "index" &&
      fabric::toLayout(getLayout(), cast<ShapedType>(getType()).getShape())
              .mask < 0)
    return emitOpError("an index binding needs a sparse layout");
  auto type = dyn_cast<RankedTensorType>(getType());
  if (!type || !type.hasStaticShape())
    return emitOpError("needs a static tensor type");
  return verifyLaidOut(symbols, *this, getTarget(), type.getShape(),
                       getLayout());
}

#define GET_OP_CLASSES
#include "pe/PeOps.cpp.inc"
