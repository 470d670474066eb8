//===- WaferProgram.h - the .wsebin wafer program --------------*- C++ -*-===//
#ifndef WSE_TARGET_WAFERPROGRAM_H
#define WSE_TARGET_WAFERPROGRAM_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace wsebin {
class WaferProgram;
} // namespace wsebin

namespace mlir::wse {

/// Current format version written into every .wsebin.
constexpr unsigned kWaferProgramVersion = 2;

/// Translates a pe-level module (after wse-lower-to-pe) into the message.
LogicalResult exportWaferProgram(ModuleOp module,
                                 ::wsebin::WaferProgram &program);

/// Registers --export-wafer-program (binary protobuf) and
/// --export-wafer-program-text (protobuf text format) with mlir-translate.
void registerWaferProgramExport();

/// Registers --export-floorplan-svg: regions, routes and chains as SVG.
void registerFloorplanSvgExport();

} // namespace mlir::wse

namespace wsert {
/// Reads a .wsebin (binary, or text format when the file starts with '#' or
/// a field name) and checks that it is a consistent program. Returns an error
/// message, empty on success.
std::string loadWaferProgram(const std::string &path,
                             wsebin::WaferProgram &program);
/// The checks loadWaferProgram runs, for programs built in memory.
std::string validateWaferProgram(const wsebin::WaferProgram &program);
} // namespace wsert

#endif
