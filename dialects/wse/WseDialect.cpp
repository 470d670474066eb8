//===- WseDialect.cpp - dialect registration ------------------------------===//
#include "wse/WseDialect.h"

using namespace mlir;
using namespace mlir::wse;

#include "wse/WseDialect.cpp.inc"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#define GET_ATTRDEF_CLASSES
#include "wse/WseAttrs.cpp.inc"
#include "wse/WseInterfaces.cpp.inc"

void WseDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "wse/WseOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "wse/WseAttrs.cpp.inc"
      >();
}

LogicalResult WseDialect::verifyRegionArgAttribute(Operation *op,
                                                   unsigned region,
                                                   unsigned arg,
                                                   NamedAttribute attr) {
  // A parameter's initial value has the parameter's type.
  if (attr.getName() != kInitAttr || op->getNumRegions() <= region ||
      op->getRegion(region).empty())
    return success();
  Block &entry = op->getRegion(region).front();
  if (arg >= entry.getNumArguments())
    return success();
  Type want = entry.getArgument(arg).getType();
  auto typed = dyn_cast<TypedAttr>(attr.getValue());
  if (!typed)
    return op->emitError() << "wse.init of argument " << arg
                           << " is not a typed value";
  if (typed.getType() != want)
    return op->emitError() << "wse.init of argument " << arg << " has type "
                           << typed.getType() << " but the argument is "
                           << want;
  return success();
}
