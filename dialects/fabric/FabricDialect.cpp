//===- FabricDialect.cpp - fabric dialect and verifiers -------------------===//
#include "fabric/FabricDialect.h"

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

static RegionOp lookupRegion(Operation *from, FlatSymbolRefAttr ref) {
  auto graph = from->getParentOfType<GraphOp>();
  return graph ? dyn_cast_or_null<RegionOp>(
                     SymbolTable::lookupSymbolIn(graph, ref.getAttr()))
               : RegionOp();
}

LogicalResult RegionOp::verify() {
  if (getGrid().size() != 2 || getGrid()[0] < 1 || getGrid()[1] < 1)
    return emitOpError("grid must be [width, height] with both >= 1");
  if (auto at = getAt()) {
    if (at->size() != 2 || (*at)[0] < 0 || (*at)[1] < 0)
      return emitOpError("at must be [x, y] with both >= 0");
    if (MachineAttr m = getMachine(*this)) {
      if ((*at)[0] + getGrid()[0] > m.getWidth() ||
          (*at)[1] + getGrid()[1] > m.getHeight())
        return emitOpError("placed at [")
               << (*at)[0] << ", " << (*at)[1] << "] with grid ["
               << getGrid()[0] << ", " << getGrid()[1]
               << "] it leaves the " << m.getWidth() << "x" << m.getHeight()
               << " mesh";
    }
  }
  if (MachineAttr m = getMachine(*this))
    if (getSram() > m.getSramBytes() - m.getReservedSramBytes())
      return emitOpError("needs ")
             << getSram() << " bytes of SRAM per PE; a PE has "
             << m.getSramBytes() - m.getReservedSramBytes()
             << " for data";
  return success();
}

static LogicalResult verifyColor(Operation *op, int64_t color) {
  MachineAttr m = getMachine(op);
  int64_t colors = m ? m.getColors() : 24;
  if (color < 0 || color >= colors)
    return op->emitOpError("color ")
           << color << " is outside the machine's 0.." << colors - 1;
  return success();
}

LogicalResult StreamOp::verify() {
  if (!lookupRegion(*this, getSrcAttr()))
    return emitOpError("source ") << getSrcAttr() << " is not a fabric.region";
  if (!lookupRegion(*this, getDstAttr()))
    return emitOpError("destination ")
           << getDstAttr() << " is not a fabric.region";
  if (getElements() <= 0)
    return emitOpError("must move at least one element");
  if (auto path = getPath())
    if (path->size() < 4 || path->size() % 2)
      return emitOpError("path must list at least two points as x, y pairs");
  if (auto c = getColor())
    return verifyColor(*this, *c);
  return success();
}

LogicalResult ChainOp::verify() {
  if (!lookupRegion(*this, getRegionAttr()))
    return emitOpError("region ") << getRegionAttr()
                                  << " is not a fabric.region";
  if (auto colors = getColors()) {
    if (colors->size() != 2 || (*colors)[0] == (*colors)[1])
      return emitOpError("needs two different colors");
    for (int64_t c : *colors)
      if (failed(verifyColor(*this, c)))
        return failure();
  }
  return success();
}

LogicalResult GraphOp::verify() {
  // Placed regions must not share a PE.
  SmallVector<RegionOp> placed;
  for (auto r : getBody().getOps<RegionOp>())
    if (r.getAt() && r.getGrid().size() == 2 && r.getAt()->size() == 2)
      placed.push_back(r);
  for (size_t i = 0; i < placed.size(); ++i)
    for (size_t j = i + 1; j < placed.size(); ++j) {
      auto a = *placed[i].getAt(), b = *placed[j].getAt();
      auto ga = placed[i].getGrid(), gb = placed[j].getGrid();
      if (a[0] < b[0] + gb[0] && b[0] < a[0] + ga[0] && a[1] < b[1] + gb[1] &&
          b[1] < a[1] + ga[1])
        return placed[j].emitOpError("overlaps region @")
               << placed[i].getSymName() << " on the mesh";
    }
  return success();
}

/// Host bindings name an existing region and carry a ranked tensor type.
static LogicalResult verifyBinding(Operation *op, FlatSymbolRefAttr region,
                                   Type type) {
  if (!lookupRegion(op, region))
    return op->emitOpError("region ") << region << " is not a fabric.region";
  if (!isa<RankedTensorType>(type))
    return op->emitOpError("binds a ranked tensor, not ") << type;
  return success();
}

LogicalResult InputOp::verify() {
  return verifyBinding(*this, getRegionAttr(), getType());
}
LogicalResult OutputOp::verify() {
  return verifyBinding(*this, getRegionAttr(), getType());
}
LogicalResult ParamOp::verify() {
  if (failed(verifyBinding(*this, getRegionAttr(), getType())))
    return failure();
  if (auto init = getInit())
    if (init->getType() != getType())
      return emitOpError("init has type ")
             << init->getType() << ", the parameter " << getType();
  return success();
}

#define GET_OP_CLASSES
#include "fabric/FabricOps.cpp.inc"
