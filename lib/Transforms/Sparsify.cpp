//===- Sparsify.cpp - a static unstructured sparsity mask per weight ------===//
//
// Chooses, per selected weight matrix, which entries are trained: the
// largest by magnitude or a seeded random subset, round(density x numel)
// of them. The others start at zero; wse-make-train-step keeps them there
// (Optimizers.cpp). The mask is an attribute of the parameter, so every
// later stage (the reference engine, the mesh) sees the same one.
//
//===----------------------------------------------------------------------===//
#include "wse/Interpreter/Interpreter.h"
#include "wse/Transforms/CheckedOptions.h"
#include "wse/Transforms/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/Support/GlobPattern.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace mlir::wse {
#define GEN_PASS_DEF_SPARSIFY
#include "wse/Transforms/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;
using namespace mlir::wse;

namespace {

/// The f32 values of a parameter's initializer, if it has them.
std::optional<std::vector<float>> initValues(Attribute init, int64_t numel) {
  if (auto r = dyn_cast_or_null<RandomAttr>(init)) {
    FailureOr<::wsert::HostTensor> t =
        tensorFromAttr(UnknownLoc::get(r.getContext()), r);
    if (failed(t))
      return std::nullopt;
    return std::move(t->f);
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(init)) {
    if (!dense.getElementType().isF32())
      return std::nullopt;
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  if (auto res = dyn_cast_or_null<DenseResourceElementsAttr>(init)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob || !res.getElementType().isF32())
      return std::nullopt;
    ArrayRef<float> data = blob->getDataAs<float>();
    if (int64_t(data.size()) != numel)
      return std::nullopt;
    return std::vector<float>(data.begin(), data.end());
  }
  return std::nullopt;
}

/// Indices of the `keep` entries of largest |w|; ties go to the lower
/// flat index.
std::vector<int64_t> byMagnitude(const std::vector<float> &w, int64_t keep) {
  std::vector<int64_t> order(w.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    float ma = std::fabs(w[a]), mb = std::fabs(w[b]);
    return ma != mb ? ma > mb : a < b;
  });
  order.resize(size_t(keep));
  return order;
}

/// A uniform random subset of `keep` of `n` indices: the first `keep` steps
/// of a Fisher-Yates shuffle driven by a 64-bit Mersenne Twister, whose
/// sequence (unlike std's distributions) is the same on every platform.
std::vector<int64_t> atRandom(int64_t n, int64_t keep, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < keep; ++i) {
    uint64_t span = uint64_t(n - i);
    int64_t j = i + int64_t(rng() % span);
    std::swap(order[size_t(i)], order[size_t(j)]);
  }
  order.resize(size_t(keep));
  return order;
}

/// A rank-2 parameter read by a matmul as a factor and by no gather (a
/// gather reads an embedding table, which stays dense).
bool isMatmulWeight(BlockArgument arg) {
  auto type = cast<RankedTensorType>(arg.getType());
  if (type.getRank() != 2)
    return false;
  bool factor = false;
  for (OpOperand &use : arg.getUses()) {
    if (isa<GatherOp>(use.getOwner()))
      return false;
    if (auto mm = dyn_cast<MatmulOp>(use.getOwner()))
      factor |= mm.getA() == arg || mm.getB() == arg;
  }
  return factor;
}

struct SparsifyPass : public mlir::wse::impl::SparsifyBase<SparsifyPass> {
  using Base::Base;

  std::string checkOptions() const {
    if (!(density > 0 && density <= 1)) {
      char text[32];
      snprintf(text, sizeof text, "%g", double(density));
      return std::string("density=") + text + " must be in (0, 1]";
    }
    if (method != "magnitude" && method != "random")
      return "method='" + method + "' is not one of magnitude, random";
    for (const std::string &p : params)
      if (auto g = llvm::GlobPattern::create(p); !g) {
        llvm::consumeError(g.takeError());
        return "params='" + p + "' is not a valid glob pattern";
      }
    return "";
  }

  LogicalResult initializeOptions(
      StringRef options,
      function_ref<LogicalResult(const Twine &)> errorHandler) override {
    return initializeCheckedOptions(
        "wse-sparsify",
        [&](auto handler) { return Base::initializeOptions(options, handler); },
        [&] { return checkOptions(); }, errorHandler);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (std::string e = checkOptions(); !e.empty()) {
      module.emitError() << "wse-sparsify: " << e;
      return signalPassFailure();
    }
    SmallVector<llvm::GlobPattern> globs;
    for (const std::string &p : params)
      globs.push_back(cantFail(llvm::GlobPattern::create(p)));
    llvm::SmallBitVector used(globs.size());
    bool ok = true;
    unsigned selected = 0;
    module.walk([&](func::FuncOp fn) {
      if (fn.isExternal())
        return;
      for (BlockArgument arg : fn.getArguments()) {
        auto name = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                    kParamAttr);
        if (!name)
          continue;
        bool chosen = false;
        for (auto [i, g] : llvm::enumerate(globs))
          if (g.match(name.getValue())) {
            used.set(i);
            chosen = true;
          }
        if (globs.empty())
          chosen = isMatmulWeight(arg);
        if (!chosen)
          continue;
        ++selected;
        if (failed(sparsify(fn, arg, name.getValue())))
          ok = false;
      }
    });
    for (auto [i, p] : llvm::enumerate(params))
      if (!used.test(i)) {
        module.emitError() << "wse-sparsify: params='" << p
                           << "' matches no parameter";
        ok = false;
      }
    if (ok && selected == 0 && params.empty())
      module.emitRemark() << "wse-sparsify: no rank-2 parameter is used as a "
                             "matmul factor; nothing to sparsify";
    if (!ok)
      signalPassFailure();
  }

  LogicalResult sparsify(func::FuncOp fn, BlockArgument arg, StringRef name) {
    auto type = cast<RankedTensorType>(arg.getType());
    Location loc = argumentUseLoc(arg);
    if (type.getRank() != 2)
      return emitError(loc) << "wse-sparsify: parameter '" << name
                            << "' has rank " << type.getRank()
                            << " (" << type
                            << "); unstructured sparsity applies to weight "
                               "matrices (rank 2)";
    int64_t numel = type.getNumElements();
    Attribute init = fn.getArgAttr(arg.getArgNumber(), kInitAttr);
    std::optional<std::vector<float>> w = initValues(init, numel);
    if (!w)
      return emitError(loc) << "wse-sparsify: parameter '" << name
                            << "' has no f32 initial value to mask";
    int64_t keep = std::max<int64_t>(
        1, std::min<int64_t>(numel, std::llround(density * double(numel))));
    // Each parameter draws from its own stream: the seed and its position.
    std::vector<int64_t> kept =
        method == "magnitude"
            ? byMagnitude(*w, keep)
            : atRandom(numel, keep,
                       seed * 0x9E3779B97F4A7C15ull + arg.getArgNumber());
    std::vector<char> mask(size_t(numel), 0);
    for (int64_t k : kept)
      mask[size_t(k)] = 1;
    for (int64_t e = 0; e < numel; ++e)
      if (!mask[size_t(e)])
        (*w)[size_t(e)] = 0.0f;
    Builder b(fn.getContext());
    SmallVector<bool> bits(mask.begin(), mask.end());
    fn.setArgAttr(arg.getArgNumber(), kMaskAttr,
                  DenseElementsAttr::get(type.clone(b.getI1Type()),
                                         ArrayRef<bool>(bits)));
    fn.setArgAttr(arg.getArgNumber(), kInitAttr,
                  DenseResourceElementsAttr::get(
                      type, name,
                      HeapAsmResourceBlob::allocateAndCopyInferAlign(
                          ArrayRef<float>(*w))));
    char ratio[32];
    snprintf(ratio, sizeof ratio, "%.4f", double(keep) / double(numel));
    emitRemark(loc) << "wse-sparsify: '" << name << "' keeps " << keep
                    << " of " << numel << " entries (density " << ratio
                    << ", " << method << ")";
    return success();
  }
};

} // namespace
