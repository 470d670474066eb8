//===- WseDialect.cpp - dialect registration ------------------------------===//
#include "wse/WseDialect.h"

using namespace mlir;
using namespace mlir::wse;

#include "wse/WseDialect.cpp.inc"
#include "wse/WseInterfaces.cpp.inc"

void WseDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "wse/WseOps.cpp.inc"
      >();
}
