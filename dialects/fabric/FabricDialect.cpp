//===- FabricDialect.cpp - fabric dialect and verifiers -------------------===//
#include "fabric/FabricDialect.h"
#include "wse/Support/PeIsa.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::fabric;

#include "fabric/FabricDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "fabric/FabricAttrs.cpp.inc"

void FabricDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "fabric/FabricAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "fabric/FabricOps.cpp.inc"
      >();
}

MachineAttr mlir::fabric::getMachine(Operation *op) {
  auto module = isa<ModuleOp>(op) ? cast<ModuleOp>(op)
                                  : op->getParentOfType<ModuleOp>();
  return module ? module->getAttrOfType<MachineAttr>(kMachineAttr)
                : MachineAttr();
}

//===----------------------------------------------------------------------===//
// Layout attribute: #fabric.layout<x: split(1, 16, 8), y: replicated(4)>
//===----------------------------------------------------------------------===//

static void printPart(AsmPrinter &p, int64_t kind, int64_t dim,
                      int64_t block, int64_t count) {
  if (kind == wsert::AxisSplit::Split)
    p << "split(" << dim << ", " << block << ", " << count << ")";
  else
    p << (kind == wsert::AxisSplit::Partial ? "partial(" : "replicated(")
      << count << ")";
}

static void printAxis(AsmPrinter &p, const wsert::AxisSplit &a) {
  printPart(p, a.kind, a.dim, a.block, a.count);
  if (a.nested()) {
    p << " * ";
    printPart(p, a.innerKind, a.innerDim, a.innerBlock, a.innerCount);
  }
}

void LayoutAttr::print(AsmPrinter &p) const {
  wsert::Layout l = toLayout(*this, {});
  p << "<x: ";
  printAxis(p, l.x);
  p << ", y: ";
  printAxis(p, l.y);
  if (getMask() >= 0)
    p << ", sparse(" << getMask() << ")";
  p << ">";
}

static ParseResult parsePart(AsmParser &p, wsert::AxisSplit::Kind &kind,
                             int64_t &dim, int64_t &block, int64_t &count) {
  StringRef k;
  if (p.parseKeyword(&k) || p.parseLParen())
    return failure();
  dim = -1;
  block = 1;
  if (k == "split") {
    kind = wsert::AxisSplit::Split;
    if (p.parseInteger(dim) || p.parseComma() || p.parseInteger(block) ||
        p.parseComma())
      return failure();
  } else if (k == "replicated" || k == "partial") {
    kind = k == "partial" ? wsert::AxisSplit::Partial
                          : wsert::AxisSplit::Replicated;
  } else {
    return p.emitError(p.getCurrentLocation(),
                       "expected split, replicated or partial");
  }
  return failure(p.parseInteger(count) || p.parseRParen());
}

static ParseResult parseAxis(AsmParser &p, StringRef name,
                             wsert::AxisSplit &a) {
  if (p.parseKeyword(name) || p.parseColon() ||
      parsePart(p, a.kind, a.dim, a.block, a.count))
    return failure();
  if (failed(p.parseOptionalStar()))
    return success();
  SMLoc at = p.getCurrentLocation();
  if (parsePart(p, a.innerKind, a.innerDim, a.innerBlock, a.innerCount))
    return failure();
  if (a.kind == wsert::AxisSplit::Partial)
    return p.emitError(at, "a nested axis splits or replicates its groups, "
                           "it does not sum them");
  if (a.innerCount < 2)
    return p.emitError(at, "an inner part spans 2 or more PEs");
  return success();
}

Attribute LayoutAttr::parse(AsmParser &p, Type) {
  wsert::Layout l;
  if (p.parseLess() || parseAxis(p, "x", l.x) || p.parseComma() ||
      parseAxis(p, "y", l.y))
    return {};
  if (succeeded(p.parseOptionalComma())) {
    SMLoc at = p.getCurrentLocation();
    if (p.parseKeyword("sparse") || p.parseLParen() ||
        p.parseInteger(l.mask) || p.parseRParen())
      return {};
    if (l.mask < 0)
      return p.emitError(at, "a mask index is >= 0"), Attribute();
  }
  if (p.parseGreater())
    return {};
  return getLayoutAttr(p.getContext(), l);
}

wsert::Layout mlir::fabric::toLayout(LayoutAttr a, ArrayRef<int64_t> shape) {
  wsert::Layout l;
  l.shape.assign(shape.begin(), shape.end());
  l.x = {wsert::AxisSplit::Kind(a.getXKind()),
         a.getXDim(),
         a.getXBlock(),
         a.getXCount(),
         wsert::AxisSplit::Kind(a.getXInnerKind()),
         a.getXInnerDim(),
         a.getXInnerBlock(),
         a.getXInnerCount()};
  l.y = {wsert::AxisSplit::Kind(a.getYKind()),
         a.getYDim(),
         a.getYBlock(),
         a.getYCount(),
         wsert::AxisSplit::Kind(a.getYInnerKind()),
         a.getYInnerDim(),
         a.getYInnerBlock(),
         a.getYInnerCount()};
  l.mask = a.getMask();
  return l;
}

LayoutAttr mlir::fabric::getLayoutAttr(MLIRContext *ctx,
                                       const wsert::Layout &l) {
  return LayoutAttr::get(ctx, l.x.kind, l.x.dim, l.x.block, l.x.count,
                         l.y.kind, l.y.dim, l.y.block, l.y.count, l.mask,
                         l.x.innerKind, l.x.innerDim, l.x.innerBlock,
                         l.x.innerCount, l.y.innerKind, l.y.innerDim,
                         l.y.innerBlock, l.y.innerCount);
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

// Ops that name tensors and regions check them in verifySymbolUses, whose
// symbol tables are built once per graph: a lookup per op through
// SymbolTable::lookupSymbolIn scans the graph, quadratic in its size.
template <typename T>
static T lookupIn(SymbolTableCollection &symbols, Operation *from,
                  FlatSymbolRefAttr ref) {
  auto graph = from->getParentOfType<GraphOp>();
  return graph
             ? dyn_cast_or_null<T>(symbols.lookupSymbolIn(graph, ref.getAttr()))
             : T();
}

LogicalResult GraphOp::verify() { return success(); }

/// The graph's or module's mask with `index`, checked against a tensor shape.
template <typename MaskOpT>
static LogicalResult verifyMaskRef(Operation *op, Operation *scope,
                                   int64_t index, ArrayRef<int64_t> shape) {
  if (index < 0)
    return success();
  for (Region &r : scope->getRegions())
    for (Block &b : r)
      for (auto m : b.getOps<MaskOpT>())
        if (int64_t(m.getIndex()) == index) {
          if (cast<ShapedType>(m.getKeep().getType()).getShape() != shape)
            return op->emitOpError("is sparse(")
                   << index << "), a mask of another shape";
          return success();
        }
  return op->emitOpError("is sparse(") << index << "), which no mask defines";
}

LogicalResult MaskOp::verify() {
  auto t = cast<ShapedType>(getKeep().getType());
  if (!t.getElementType().isInteger(1) || !t.hasStaticShape())
    return emitOpError("keep must be a static i1 tensor");
  return success();
}

LogicalResult RegionOp::verify() {
  if (getGrid().size() != 2 || getGrid()[0] < 1 || getGrid()[1] < 1)
    return emitOpError("grid must be [width, height] with both >= 1");
  if (getHost()) {
    if (getGrid()[0] != 1 || getGrid()[1] != 1)
      return emitOpError("a host region is one 1x1 host");
    if (MachineAttr m = getMachine(*this); m && m.getHostLinks() < 1)
      return emitOpError("needs host links, and machine '")
             << m.getName() << "' has none";
    return success();
  }
  if (auto at = getAt()) {
    if (at->size() != 2 || (*at)[0] < 0 || (*at)[1] < 0)
      return emitOpError("at must be [x, y] with both >= 0");
    if (MachineAttr m = getMachine(*this))
      if ((*at)[0] + getGrid()[0] > m.getWidth() ||
          (*at)[1] + getGrid()[1] > m.getHeight())
        return emitOpError("placed at [")
               << (*at)[0] << ", " << (*at)[1] << "] with grid ["
               << getGrid()[0] << ", " << getGrid()[1] << "] it leaves the "
               << m.getWidth() << "x" << m.getHeight() << " mesh";
  }
  return success();
}

LogicalResult TensorOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto type = dyn_cast<RankedTensorType>(getType());
  if (!type || !type.hasStaticShape())
    return emitOpError("needs a static tensor type");
  auto region = lookupIn<RegionOp>(symbols, *this, getRegionAttr());
  if (!region)
    return emitOpError("region ") << getRegionAttr() << " is not a fabric.region";
  wsert::Layout l = toLayout(getLayout(), type.getShape());
  if (std::string e = l.check(region.getGrid()[0], region.getGrid()[1]);
      !e.empty())
    return emitOpError("layout: ") << e;
  StringRef k = getKind();
  if (k != "temp" && k != "input" && k != "param" && k != "state" &&
      k != "const" && k != "accumulator")
    return emitOpError(
        "kind must be temp, input, param, state, const or accumulator");
  if (k != "temp" && l.isPartial())
    return emitOpError("only a temp can hold partial sums");
  if ((k == "param" || k == "state" || k == "input") && !getName())
    return emitOpError("a tensor of kind ") << k << " needs a name";
  if (auto init = getInit())
    if (cast<ShapedType>(init->getType()).getShape() != type.getShape())
      return emitOpError("init shape differs from the tensor's");
  if (l.mask >= 0 && type.getRank() != 2)
    return emitOpError("only rank-2 tensors are sparse");
  return verifyMaskRef<MaskOp>(*this, (*this)->getParentOp(), l.mask,
                               type.getShape());
}

LogicalResult ComputeOp::verifySymbolUses(SymbolTableCollection &symbols) {
  size_t rank = getIter().size();
  if (getAxes().size() != rank || getBlocks().size() != rank)
    return emitOpError("iter, axes and blocks must have one entry per dim");
  bool onAxis[5] = {false, false, false, false, false};
  for (size_t d = 0; d < rank; ++d) {
    if (getAxes()[d] < 0 || getAxes()[d] > 4 ||
        (getBlocks()[d] < 1 && getIter()[d] != 0) ||
        (getAxes()[d] == 0 && getBlocks()[d] != getIter()[d]))
      return emitOpError("dim ") << d << " has a bad axis or block";
    if (getAxes()[d] != 0 && onAxis[getAxes()[d]])
      return emitOpError("splits two box dims over axis ")
             << (getAxes()[d] % 2 == 1 ? "x" : "y")
             << (getAxes()[d] > 2 ? " (inner)" : "");
    onAxis[getAxes()[d]] = true;
  }
  if ((onAxis[3] && !onAxis[1]) || (onAxis[4] && !onAxis[2]))
    return emitOpError("splits a box dim within groups that no dim splits");
  auto region = lookupIn<RegionOp>(symbols, *this, getRegionAttr());
  if (!region)
    return emitOpError("region ") << getRegionAttr() << " is not a fabric.region";
  int kernel = wsert::isa::lookupInstr(getKernel().str());
  if (kernel < 0 || wsert::isa::instructionSet()[kernel].fabric)
    return emitOpError("kernel '") << getKernel()
                                   << "' is not a local pe instruction";
  bool spmap = getKernel() == "spmap";
  if ((getKernel() == "map" || spmap) != bool(getFn()) ||
      (getFn() && !wsert::isa::lookupFn(getFn()->str())))
    return emitOpError("a map kernel needs a known fn, other kernels none");
  if (spmap != bool(getPattern()))
    return emitOpError("an spmap kernel names its pattern operand, other "
                       "kernels none");
  size_t operands = getOuts().size() + getIns().size();
  if (getMaps().size() != operands)
    return emitOpError("needs one map per operand");
  if (spmap && (*getPattern() < 0 || uint64_t(*getPattern()) >= operands))
    return emitOpError("pattern ") << *getPattern() << " is not an operand";
  std::optional<wsert::Layout> pattern;
  DenseI64ArrayAttr patternMap;
  size_t i = 0;
  for (Attribute refs : {getOuts(), getIns()})
    for (Attribute ref : cast<ArrayAttr>(refs)) {
      bool isOut = i < getOuts().size();
      auto t = lookupIn<TensorOp>(symbols, *this, cast<FlatSymbolRefAttr>(ref));
      if (!t)
        return emitOpError("operand ") << ref << " is not a fabric.tensor";
      auto map = dyn_cast<DenseI64ArrayAttr>(getMaps()[i++]);
      auto type = cast<RankedTensorType>(t.getType());
      if (!map || int64_t(map.size()) != type.getRank())
        return emitOpError("the map of ") << ref << " needs one entry per dim";
      for (int64_t d : map.asArrayRef())
        if (d < -1 || d >= int64_t(rank))
          return emitOpError("the map of ") << ref << " names dim " << d;
      // The tile each PE holds must be the one the box gives it.
      std::vector<int64_t> iter(getIter().begin(), getIter().end()),
          axes(getAxes().begin(), getAxes().end()),
          blocks(getBlocks().begin(), getBlocks().end());
      wsert::Layout want = wsert::boxOperandLayout(
          {type.getShape().begin(), type.getShape().end()},
          {map.asArrayRef().begin(), map.asArrayRef().end()}, iter, axes,
          blocks, isOut);
      wsert::Layout have = toLayout(t.getLayout(), type.getShape());
      want.mask = have.mask;
      if (have.mask >= 0) {
        if (getKernel() == "map" || getKernel() == "gather" ||
            getKernel() == "scatter_add")
          return emitOpError("operand ")
                 << ref << " is sparse; a " << getKernel()
                 << " kernel reads dense tiles";
        if (!pattern) {
          pattern = have;
          patternMap = map;
        } else if (have != *pattern || map != patternMap) {
          return emitOpError("sparse operand ")
                 << ref << " differs from the kernel's first sparse operand "
                 << "in layout or map";
        }
        if (spmap && (map.size() != 2 || map[0] < 0 || map[1] < 0))
          return emitOpError("sparse operand ")
                 << ref << " maps to box dims " << map
                 << "; an spmap iterates two box dims";
      } else if (spmap && int64_t(i - 1) == int64_t(*getPattern())) {
        return emitOpError("pattern operand ") << ref << " is not sparse";
      }
      if (isOut && have.isPartial() && (getKernel() == "map" || spmap) &&
          getAcc() == 0)
        return emitOpError("leaves partial sums in ")
               << ref << " but overwrites instead of accumulating (acc 0)";
      if (have != want)
        return emitOpError("operand ")
               << ref << " is laid out " << have.str() << "; the box gives it "
               << want.str();
    }
  return success();
}

LogicalResult TransferOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto src = lookupIn<TensorOp>(symbols, *this, getSrcAttr());
  auto dst = lookupIn<TensorOp>(symbols, *this, getDstAttr());
  if (!src || !dst)
    return emitOpError("source and destination must be fabric.tensors");
  if (getMap() != "linear" && getMap() != "affine")
    return emitOpError("map must be linear or affine");
  auto st = cast<RankedTensorType>(src.getType());
  auto dt = cast<RankedTensorType>(dst.getType());
  if (!getReshape().empty() && getMap() != "affine")
    return emitOpError("only an affine map reads its index reshaped");
  // The index space the affine map reads: the window's, or `reshape`.
  int64_t indexRank =
      getReshape().empty() ? dt.getRank() : int64_t(getReshape().size());
  if (getMap() == "affine" &&
      (getAffine().size() != size_t(st.getRank() * indexRank) ||
       getOffset().size() != size_t(st.getRank())))
    return emitOpError("an affine map needs src rank x index rank "
                       "coefficients and src rank offsets");
  if ((!getWindowLo().empty() || !getWindowSize().empty()) &&
      (getWindowLo().size() != size_t(dt.getRank()) ||
       getWindowSize().size() != size_t(dt.getRank())))
    return emitOpError("window needs one entry per destination dim");
  if (getCombine() < 0 || getCombine() > 2)
    return emitOpError("combine must be 0, 1 or 2");
  if (getSparseRows() && getCombine() != 1)
    return emitOpError("leaves zero rows unsent, which only a sum "
                       "(combine 1) may");
  wsert::Layout sl = toLayout(src.getLayout(), st.getShape());
  wsert::Layout dl = toLayout(dst.getLayout(), dt.getShape());
  if ((getCombine() != 0) != sl.isPartial())
    return emitOpError(sl.isPartial()
                           ? "reads partial sums but combines nothing"
                           : "combines a source that holds no partial sums");
  if (dl.isPartial())
    return emitOpError("cannot write partial sums");
  int64_t window = 1;
  for (size_t d = 0; d < size_t(dt.getRank()); ++d) {
    int64_t lo = getWindowLo().empty() ? 0 : getWindowLo()[d];
    int64_t size = getWindowSize().empty() ? dt.getDimSize(d)
                                           : getWindowSize()[d];
    if (lo < 0 || size < 0 || lo + size > dt.getDimSize(d))
      return emitOpError("window leaves the destination along dim ") << d;
    window *= size;
  }
  if (getMap() == "linear" && window != st.getNumElements())
    return emitOpError("moves ") << st.getNumElements()
                                 << " elements into a window of " << window;
  if (!getReshape().empty()) {
    int64_t n = 1;
    for (int64_t d : getReshape())
      n = d < 0 ? -1 : n * d;
    if (n != window)
      return emitOpError("reshapes a window of ")
             << window << " elements into " << n;
  }
  if (getMap() == "affine" && window > 0)
    for (int64_t j = 0; j < st.getRank(); ++j) {
      int64_t lo = getOffset()[j], hi = lo;
      for (int64_t k = 0; k < indexRank; ++k) {
        int64_t size = !getReshape().empty()     ? getReshape()[k]
                       : getWindowSize().empty() ? dt.getDimSize(k)
                                                 : getWindowSize()[k];
        int64_t reach = getAffine()[j * indexRank + k] * (size - 1);
        (reach < 0 ? lo : hi) += reach;
      }
      if (lo < 0 || hi >= st.getDimSize(j))
        return emitOpError("reads outside the source along dim ") << j;
    }
  // A sender (`have`) or receiver (`need`) filter: a sparse layout of a
  // mask over the tensor's region, indexing one of its dims.
  auto filter = [&](StringRef what, fabric::LayoutAttr l,
                    ArrayRef<int64_t> dims, TensorOp t,
                    RankedTensorType tt) -> LogicalResult {
    if (!l)
      return dims.empty()
                 ? success()
                 : emitOpError(what) << "_dims without a " << what << " layout";
    if (dims.size() != 2 || dims[0] < 0 || dims[0] > 1 || dims[1] < 0 ||
        dims[1] >= tt.getRank())
      return emitOpError(what) << "_dims must be [mask dim (0 or 1), tensor "
                                  "dim]";
    if (l.getMask() < 0)
      return emitOpError(what) << " must be a sparse layout";
    std::optional<SmallVector<int64_t>> maskShape;
    for (auto m : (*this)->getParentOp()->getRegion(0).getOps<MaskOp>())
      if (int64_t(m.getIndex()) == l.getMask())
        maskShape =
            llvm::to_vector(cast<ShapedType>(m.getKeep().getType()).getShape());
    if (!maskShape)
      return emitOpError(what) << " uses mask " << l.getMask()
                               << ", which no fabric.mask defines";
    if ((*maskShape)[dims[0]] != tt.getDimSize(dims[1]))
      return emitOpError(what)
             << " indexes dim " << dims[1] << " of extent "
             << tt.getDimSize(dims[1]) << " by mask dim " << dims[0]
             << " of extent " << (*maskShape)[dims[0]];
    if (auto region = lookupIn<RegionOp>(symbols, *this, t.getRegionAttr()))
      if (std::string e = toLayout(l, *maskShape)
                              .check(region.getGrid()[0], region.getGrid()[1]);
          !e.empty())
        return emitOpError(what) << " layout: " << e;
    return success();
  };
  if (failed(filter("need", getNeedAttr(), getNeedDims(), dst, dt)) ||
      failed(filter("have", getHaveAttr(), getHaveDims(), src, st)))
    return failure();
  if (auto c = getColor()) {
    MachineAttr m = getMachine(*this);
    int64_t colors = m ? m.getColors() : 24;
    if (int64_t(*c) < 0 || int64_t(*c) >= colors)
      return emitOpError("color ") << *c << " is outside the machine's 0.."
                                   << colors - 1;
  }
  return success();
}

LogicalResult OutputOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto t = lookupIn<TensorOp>(symbols, *this, getTensorAttr());
  if (!t)
    return emitOpError("tensor ") << getTensorAttr() << " is not a fabric.tensor";
  if (toLayout(t.getLayout(), cast<RankedTensorType>(t.getType()).getShape())
          .isPartial())
    return emitOpError("reads a tensor of partial sums");
  return success();
}

#define GET_OP_CLASSES
#include "fabric/FabricOps.cpp.inc"
