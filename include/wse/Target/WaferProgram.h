//===- WaferProgram.h - the .wsebin wafer program --------------*- C++ -*-===//
#ifndef WSE_TARGET_WAFERPROGRAM_H
#define WSE_TARGET_WAFERPROGRAM_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace wsebin {
class WaferProgram;
} // namespace wsebin

namespace mlir::wse {

/// Current format version written into every .wsebin: in the binary
/// header and in the message. 3 added the header with its checksum; 7 a
/// transfer's `reshape` (a reader that skipped it would move the wrong
/// elements).
constexpr unsigned kWaferProgramVersion = 8;

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
/// The bytes of a binary .wsebin: an 24-byte header (8-byte magic, format
/// version, CRC-32C of the message, message length; little endian) followed
/// by the serialized message.
std::string encodeWaferProgram(const wsebin::WaferProgram &program);
/// Parses the bytes of a .wsebin: binary with its header (magic, version,
/// length and checksum checked), or the protobuf text format, which has no
/// header so that it can be edited by hand. Returns an error message, empty
/// on success; does not validate the program.
std::string decodeWaferProgram(const std::string &bytes,
                               wsebin::WaferProgram &program);
/// Reads a .wsebin (binary, or text format when the file starts with '#' or
/// a field name) and checks that it is a consistent program. Returns an error
/// message, empty on success.
std::string loadWaferProgram(const std::string &path,
                             wsebin::WaferProgram &program);
/// The checks loadWaferProgram runs, for programs built in memory.
std::string validateWaferProgram(const wsebin::WaferProgram &program);
} // namespace wsert

#endif
