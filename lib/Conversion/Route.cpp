//===- Route.cpp - paths and colors for streams and chains ----------------===//
//
// Streams get a dimension-ordered path from the producer's last PE to the
// span of the consumer's PEs; chains run along their region's row. Colors
// are assigned greedily, lowest first, so that no router holds two routes on
// one color (which also keeps a PE from sending and receiving on a color).
//
//===----------------------------------------------------------------------===//
#include "wse/Conversion/Passes.h"
#include "wse/Support/Routing.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::wse {
#define GEN_PASS_DEF_ROUTE
#include "wse/Conversion/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {

/// Colors taken at each router that any route touches.
class ColorMap {
public:
  explicit ColorMap(int64_t colors) : colors(colors) {}

  /// Lowest color free on every PE of `entries` and not in `avoid`.
  std::optional<int64_t> lowestFree(const std::vector<::wsert::RouterEntry> &e,
                                    uint32_t avoid = 0) const {
    uint32_t used = avoid;
    for (const auto &entry : e)
      used |= taken.lookup(key(entry.x, entry.y));
    for (int64_t c = 0; c < colors; ++c)
      if (!(used & (1u << c)))
        return c;
    return std::nullopt;
  }
  void take(const std::vector<::wsert::RouterEntry> &entries) {
    for (const auto &e : entries)
      taken[key(e.x, e.y)] |= 1u << e.color;
  }

private:
  static uint64_t key(int64_t x, int64_t y) {
    return (uint64_t(x) << 32) | uint64_t(y);
  }
  int64_t colors;
  llvm::DenseMap<uint64_t, uint32_t> taken;
};

static std::vector<::wsert::RouterEntry>
withColor(std::vector<::wsert::RouterEntry> entries, int64_t color) {
  for (auto &e : entries)
    e.color = color;
  return entries;
}

struct RoutePass : public mlir::wse::impl::RouteBase<RoutePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    fabric::MachineAttr m = fabric::getMachine(module);
    if (!m) {
      module.emitError("no fabric.machine on the module: run wse-partition "
                       "first");
      return signalPassFailure();
    }
    ColorMap colors(std::min<int64_t>(m.getColors(), 32));
    auto placed = [&](Operation *op, FlatSymbolRefAttr ref)
        -> fabric::RegionOp {
      auto graph = op->getParentOfType<fabric::GraphOp>();
      auto region = cast<fabric::RegionOp>(
          SymbolTable::lookupSymbolIn(graph, ref.getAttr()));
      if (!region.getAt()) {
        op->emitError() << "region " << ref
                        << " is not placed: run wse-place first";
        return {};
      }
      return region;
    };
    auto outOfColors = [&](Operation *op, StringRef what,
                           const std::vector<::wsert::RouterEntry> &e) {
      op->emitError() << "out of colors for " << what << ": all "
                      << m.getColors()
                      << " colors are taken on some router it crosses, e.g. "
                         "PE ("
                      << e.front().x << ", " << e.front().y
                      << "); place regions further apart or split the model";
    };

    WalkResult r = module.walk([&](Operation *op) {
      if (auto s = dyn_cast<fabric::StreamOp>(op)) {
        fabric::RegionOp src = placed(s, s.getSrcAttr());
        fabric::RegionOp dst = placed(s, s.getDstAttr());
        if (!src || !dst)
          return WalkResult::interrupt();
        int64_t sx = (*src.getAt())[0] + src.getGrid()[0] - 1;
        int64_t sy = (*src.getAt())[1];
        int64_t x0 = (*dst.getAt())[0], y = (*dst.getAt())[1];
        std::vector<int64_t> path =
            ::wsert::spanPath(sx, sy, x0, x0 + dst.getGrid()[0] - 1, y);
        std::vector<::wsert::RouterEntry> entries;
        if (std::string err = ::wsert::expandRoute(path, 0, entries);
            !err.empty()) {
          s.emitError() << "cannot route @" << s.getSymName() << ": " << err;
          return WalkResult::interrupt();
        }
        std::optional<int64_t> c = colors.lowestFree(entries);
        if (!c) {
          outOfColors(s, "stream @" + s.getSymName().str(), entries);
          return WalkResult::interrupt();
        }
        colors.take(withColor(entries, *c));
        OpBuilder b(s);
        s.setColorAttr(b.getI64IntegerAttr(*c));
        s.setPathAttr(b.getDenseI64ArrayAttr(path));
      } else if (auto ch = dyn_cast<fabric::ChainOp>(op)) {
        fabric::RegionOp region = placed(ch, ch.getRegionAttr());
        if (!region)
          return WalkResult::interrupt();
        std::vector<::wsert::RouterEntry> entries;
        int64_t w = region.getGrid()[0];
        ::wsert::expandChain((*region.getAt())[0], (*region.getAt())[1],
                           w, 0, 0, entries);
        std::optional<int64_t> c0 = colors.lowestFree(entries);
        std::optional<int64_t> c1 =
            c0 ? colors.lowestFree(entries, 1u << *c0) : std::nullopt;
        if (!c0 || !c1) {
          outOfColors(ch, "chain @" + ch.getSymName().str(), entries);
          return WalkResult::interrupt();
        }
        // Both colors are reserved on every PE of the row.
        colors.take(withColor(entries, *c0));
        colors.take(withColor(entries, *c1));
        ch.setColorsAttr(OpBuilder(ch).getDenseI64ArrayAttr({*c0, *c1}));
      }
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
