//===- SoftmaxCrossEntropyKernel.cpp - loss and its gradient on one PE ----===//
//
// Receives the logits, takes the labels from the host, and sends
// d(loss)/d(logits) back; the host reads the loss from the PE.
//
//===----------------------------------------------------------------------===//
#include "KernelEmitter.h"
#include "wse/Conversion/Kernels.h"

using namespace mlir;
using namespace mlir::wse;

namespace {

class SoftmaxCrossEntropyKernel : public Kernel {
public:
  StringRef name() const override { return "softmax_cross_entropy"; }

  SmallVector<KernelBuffer> buffers(DictionaryAttr c,
                                    int64_t width) const override {
    int64_t n = configInt(c, "batch"), k = configInt(c, "classes");
    return {{"logits", n * k}, {"labels", n, /*isInt=*/true}, {"loss", 1},
            {"grad", n * k}};
  }

  std::optional<std::string> portBuffer(StringRef port) const override {
    if (port == "logits" || port == "labels" || port == "loss")
      return port.str();
    if (port == "dlogits")
      return std::string("grad");
    return std::nullopt;
  }

  SmallVector<std::pair<std::string, int64_t>>
  chains(DictionaryAttr, int64_t) const override {
    return {};
  }

  LogicalResult emit(OpBuilder &b, Location loc, DictionaryAttr c,
                     int64_t width, const RegionPorts &ports) const override {
    KernelEmitter e(b, loc);
    auto in = ports.inColor.find("logits");
    auto out = ports.outColor.find("dlogits");
    if (in == ports.inColor.end() || out == ports.outColor.end())
      return emitError(loc, "softmax_cross_entropy kernel needs logits "
                            "streamed in and dlogits streamed out");
    e.op<pe::RecvOp>({e.buf("buffer", "logits"), e.colors({in->second})});
    e.op<pe::SoftmaxCrossEntropyOp>(
        {e.buf("loss", "loss"), e.buf("grad", "grad"),
         e.buf("logits", "logits"), e.buf("labels", "labels"),
         e.i64("rows", configInt(c, "batch")),
         e.i64("cols", configInt(c, "classes"))});
    e.op<pe::SendOp>({e.buf("buffer", "grad"), e.colors({out->second})});
    return success();
  }
};

} // namespace

const Kernel &mlir::wse::softmaxCrossEntropyKernel() {
  static SoftmaxCrossEntropyKernel kernel;
  return kernel;
}
