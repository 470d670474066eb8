//===- ExportFloorplanSvg.cpp - draw placement and routing as SVG ---------===//
//
// `wse-translate --export-floorplan-svg program.mlir -o floorplan.svg` draws
// the used corner of the mesh from a pe-level module: each region as a
// labelled rectangle (name, grid, SRAM per PE) and the transfers each color
// carries. Cost grows with regions and transfers, not the mesh.
//
//===----------------------------------------------------------------------===//
#include "wse/Target/WaferProgram.h"

#include "fabric/FabricDialect.h"
#include "pe/PeDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "wse/WseDialect.h"
#include "llvm/Support/Format.h"

#include <map>

using namespace mlir;

namespace {

/// A distinct hue for each of up to 24 colors.
std::string hue(int64_t color) {
  return "hsl(" + std::to_string((color * 137) % 360) + ",70%,40%)";
}

LogicalResult drawFloorplan(ModuleOp module, llvm::raw_ostream &os) {
  auto machine = fabric::getMachine(module);
  if (!machine)
    return emitError(module.getLoc(), "no fabric.machine: draw a module lowered by "
                            "wse-lower-to-pe (wse-train-pipeline)");
  // The used corner: programs and routes, plus a margin.
  int64_t maxX = 0, maxY = 0;
  bool streaming = false; // a host program: weight streaming
  for (auto p : module.getOps<pe::ProgramOp>()) {
    if (p.getHost()) {
      streaming = true;
      continue;
    }
    maxX = std::max(maxX, p.getAt()[0] + p.getSize()[0]);
    maxY = std::max(maxY, p.getAt()[1] + p.getSize()[1]);
  }
  if (maxX == 0)
    return emitError(module.getLoc(), "no pe.program to draw: run wse-lower-to-pe");
  int64_t w = std::min<int64_t>(maxX + 1, machine.getWidth());
  int64_t h = std::min<int64_t>(maxY + 1, machine.getHeight());
  double cell = std::max(6.0, std::min(48.0, 1000.0 / double(std::max(w, h))));
  double top = 40, left = 10;
  // Coordinates as short decimals.
  auto X = [&](double x) { return llvm::format("%.1f", left + x * cell); };
  auto Y = [&](double y) { return llvm::format("%.1f", top + y * cell); };
  auto N = [](double v) { return llvm::format("%.1f", v); };
  double width = left + double(w) * cell + 10;
  double height = top + double(h) * cell + 30;

  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << N(width)
     << "\" height=\"" << N(height) << "\" font-family=\"sans-serif\">\n";
  os << "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
        "markerWidth=\"5\" markerHeight=\"5\" orient=\"auto-start-reverse\">"
        "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"context-stroke\"/></marker></defs>\n";
  os << "<text x=\"" << N(left) << "\" y=\"18\" font-size=\"14\">"
     << machine.getName() << " " << machine.getWidth() << "x"
     << machine.getHeight() << " PEs; showing the used " << w << "x" << h
     << " corner (one square per PE)"
     << (streaming ? "; weights stream in from host memory over the west edge"
                   : "")
     << "</text>\n";
  // Mesh grid.
  os << "<rect x=\"" << X(0) << "\" y=\"" << Y(0) << "\" width=\"" << N(w * cell)
     << "\" height=\"" << N(h * cell) << "\" fill=\"#f8f8f8\" stroke=\"#999\"/>\n";
  if (cell >= 10) {
    for (int64_t x = 1; x < w; ++x)
      os << "<line x1=\"" << X(double(x)) << "\" y1=\"" << Y(0) << "\" x2=\""
         << X(double(x)) << "\" y2=\"" << Y(double(h))
         << "\" stroke=\"#e4e4e4\"/>\n";
    for (int64_t y = 1; y < h; ++y)
      os << "<line x1=\"" << X(0) << "\" y1=\"" << Y(double(y)) << "\" x2=\""
         << X(double(w)) << "\" y2=\"" << Y(double(y))
         << "\" stroke=\"#e4e4e4\"/>\n";
  }
  // Regions.
  int idx = 0;
  for (auto p : module.getOps<pe::ProgramOp>()) {
    if (p.getHost())
      continue;
    int64_t bytes = 0;
    for (auto b : p.getBody().front().getOps<pe::BufferOp>())
      bytes = std::max<int64_t>(bytes, b.getOffset() + 4 * b.getLength());
    os << "<g><title>@" << p.getSymName() << ": " << p.getSize()[0] << "x"
       << p.getSize()[1] << " PEs at (" << p.getAt()[0] << ", " << p.getAt()[1]
       << "), " << bytes << " bytes of SRAM per PE</title>";
    os << "<rect x=\"" << X(double(p.getAt()[0])) << "\" y=\""
       << Y(double(p.getAt()[1])) << "\" width=\"" << N(p.getSize()[0] * cell)
       << "\" height=\"" << N(p.getSize()[1] * cell) << "\" fill=\"hsl("
       << (idx++ * 67) % 360 << ",60%,85%)\" stroke=\"#333\"/>";
    os << "<text x=\"" << X(double(p.getAt()[0]) + 2 / cell) << "\" y=\""
       << Y(double(p.getAt()[1] + p.getSize()[1]) + 12 / cell)
       << "\" font-size=\"11\">" << p.getSymName() << " " << p.getSize()[0]
       << "x" << p.getSize()[1] << ", " << bytes / 1024 << " KiB</text></g>\n";
  }
  // Transfers, by color: how many each color carries per step.
  std::map<int64_t, int64_t> perColor;
  for (auto t : module.getOps<pe::TransferOp>())
    perColor[t.getColor()]++;
  double ty = top + double(h) * cell + 18;
  os << "<text x=\"" << N(left) << "\" y=\"" << N(ty)
     << "\" font-size=\"11\">transfers per step by color:";
  for (auto [color, n] : perColor)
    os << " <tspan fill=\"" << hue(color) << "\">c" << color << " " << n
       << "</tspan>";
  os << "</text>\n";
  os << "</svg>\n";
  return success();
}

} // namespace

void mlir::wse::registerFloorplanSvgExport() {
  TranslateFromMLIRRegistration(
      "export-floorplan-svg",
      "Draw the placed regions and transfer colors of pe programs as SVG",
      [](ModuleOp m, llvm::raw_ostream &os) { return drawFloorplan(m, os); },
      [](DialectRegistry &registry) {
        registry.insert<mlir::wse::WseDialect, fabric::FabricDialect,
                        pe::PeDialect, func::FuncDialect>();
      });
}
