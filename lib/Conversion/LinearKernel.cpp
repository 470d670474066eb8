//===- LinearKernel.cpp - weight-stationary linear layer ------------------===//
//
// y = act(x W^T + b) with W [out, in] split by rows over a row of PEs: PE i
// holds rows [i*blk, (i+1)*blk) of W and b. Every PE receives the whole x,
// computes its column block of y, and a zero-padded reduction chain west to
// east assembles y on the last PE. Backward, every PE receives the whole dy,
// keeps its column block, and computes its block of dW and db where W and b
// live; dx = dy W is a reduction chain of per-PE partial products. The
// update runs in place.
//
//===----------------------------------------------------------------------===//
#include "KernelEmitter.h"
#include "wse/Conversion/Kernels.h"

using namespace mlir;
using namespace mlir::wse;

namespace {

struct LinearShape {
  int64_t n, in, out, blk;
  bool relu, bias, dx;
  float lr;
  std::string opt; // sgd, momentum, adamw
};

LinearShape shapeOf(DictionaryAttr c, int64_t width) {
  int64_t out = configInt(c, "out");
  auto opt = c.getAs<StringAttr>("opt");
  return {configInt(c, "batch"), configInt(c, "in"), out, out / width,
          configBool(c, "relu"),  configBool(c, "bias"),
          configBool(c, "dx"),    configFloat(c, "lr"),
          opt ? opt.str() : std::string("sgd")};
}

class LinearKernel : public Kernel {
public:
  StringRef name() const override { return "linear"; }

  SmallVector<KernelBuffer> buffers(DictionaryAttr c,
                                    int64_t width) const override {
    LinearShape s = shapeOf(c, width);
    SmallVector<KernelBuffer> bufs = {
        {"x", s.n * s.in},   {"w", s.blk * s.in}, {"z", s.n * s.blk},
        {"t", s.n * s.blk},  {"full", s.n * s.out}, {"dw", s.blk * s.in}};
    if (s.bias) {
      bufs.push_back({"b", s.blk});
      bufs.push_back({"db", s.blk});
    }
    if (s.dx)
      bufs.push_back({"dx", s.n * s.in});
    // Optimizer state lives with the weights; SRAM starts zeroed.
    if (s.opt == "momentum") {
      bufs.push_back({"w_buf", s.blk * s.in});
      if (s.bias)
        bufs.push_back({"b_buf", s.blk});
    } else if (s.opt == "adamw") {
      bufs.push_back({"w_m", s.blk * s.in});
      bufs.push_back({"w_v", s.blk * s.in});
      if (s.bias) {
        bufs.push_back({"b_m", s.blk});
        bufs.push_back({"b_v", s.blk});
      }
      bufs.push_back({"step", 1});
    }
    return bufs;
  }

  std::optional<std::string> portBuffer(StringRef port) const override {
    if (port == "x" || port == "dx")
      return port.str();
    if (port == "y" || port == "dy")
      return std::string("full"); // y leaves before dy arrives: one buffer
    if (port == "weight")
      return std::string("w");
    if (port == "bias")
      return std::string("b");
    return std::nullopt;
  }

  SmallVector<std::pair<std::string, int64_t>>
  chains(DictionaryAttr c, int64_t width) const override {
    LinearShape s = shapeOf(c, width);
    SmallVector<std::pair<std::string, int64_t>> result = {{"fwd", s.n * s.out}};
    if (s.dx)
      result.push_back({"bwd", s.n * s.in});
    return result;
  }

  LogicalResult emit(OpBuilder &b, Location loc, DictionaryAttr c,
                     int64_t width, const RegionPorts &ports) const override {
    LinearShape s = shapeOf(c, width);
    KernelEmitter e(b, loc);
    using pe::When;
    auto recvIfStreamed = [&](StringRef port, StringRef buffer) {
      auto it = ports.inColor.find(port);
      if (it != ports.inColor.end())
        e.op<pe::RecvOp>({e.buf("buffer", buffer), e.colors({it->second})});
    };
    auto sendIfStreamed = [&](StringRef port, StringRef buffer) {
      auto it = ports.outColor.find(port);
      if (it != ports.outColor.end())
        e.op<pe::SendOp>({e.buf("buffer", buffer), e.colors({it->second}),
                          e.when(When::last)});
    };

    // Forward: z = x W_i^T + b_i, the activation of it, then y assembled.
    recvIfStreamed("x", "x");
    e.op<pe::MatmulOp>({e.buf("c", "z"), e.buf("a", "x"), e.buf("b", "w"),
                        e.i64("m", s.n), e.i64("n", s.blk), e.i64("k", s.in),
                        e.flag("transpose_b")});
    if (s.bias)
      e.op<pe::BiasAddOp>({e.buf("y", "z"), e.buf("bias", "b"),
                           e.i64("rows", s.n), e.i64("cols", s.blk)});
    StringRef act = "z";
    if (s.relu) {
      e.op<pe::ReluOp>({e.buf("dst", "t"), e.buf("src", "z"),
                        e.i64("length", s.n * s.blk)});
      act = "t";
    }
    e.op<pe::FillOp>({e.buf("buffer", "full"), e.f32("value", 0.0f)});
    e.op<pe::Copy2dOp>({e.buf("dst", "full"), e.buf("src", act),
                        e.i64("rows", s.n), e.i64("cols", s.blk),
                        e.i64("src_stride", s.blk), e.i64("dst_stride", s.out),
                        e.i64("dst_offset_per_pe", s.blk)});
    e.chainReduce("full", ports.chainColors.lookup("fwd"));
    sendIfStreamed("y", "full");

    // Backward: this PE's column block of dy, through the activation.
    if (!ports.inColor.count("dy"))
      return emitError(loc, "linear kernel needs dy streamed in to train");
    recvIfStreamed("dy", "full");
    e.op<pe::Copy2dOp>({e.buf("dst", "t"), e.buf("src", "full"),
                        e.i64("rows", s.n), e.i64("cols", s.blk),
                        e.i64("src_stride", s.out),
                        e.i64("src_offset_per_pe", s.blk),
                        e.i64("dst_stride", s.blk)});
    if (s.relu)
      e.op<pe::ReluGradOp>({e.buf("dst", "t"), e.buf("grad", "t"),
                            e.buf("input", "z"), e.i64("length", s.n * s.blk)});
    e.op<pe::MatmulOp>({e.buf("c", "dw"), e.buf("a", "t"), e.buf("b", "x"),
                        e.i64("m", s.blk), e.i64("n", s.in), e.i64("k", s.n),
                        e.flag("transpose_a")});
    if (s.bias)
      e.op<pe::ColSumOp>({e.buf("dst", "db"), e.buf("src", "t"),
                          e.i64("rows", s.n), e.i64("cols", s.blk)});
    if (s.dx) {
      e.op<pe::MatmulOp>({e.buf("c", "dx"), e.buf("a", "t"), e.buf("b", "w"),
                          e.i64("m", s.n), e.i64("n", s.in),
                          e.i64("k", s.blk)});
      e.chainReduce("dx", ports.chainColors.lookup("bwd"));
      sendIfStreamed("dx", "dx");
    }

    // Update where the weights live.
    auto update = [&](StringRef param, StringRef grad, int64_t length) {
      if (s.opt == "momentum") {
        e.op<pe::SgdMomentumOp>(
            {e.buf("param", param), e.buf("grad", grad),
             e.buf("buf", (param + "_buf").str()), e.i64("length", length),
             e.f32("lr", s.lr), e.f32("momentum", configFloat(c, "momentum")),
             e.f32("weight_decay", configFloat(c, "weight_decay")),
             b.getNamedAttr("nesterov",
                            b.getBoolAttr(configBool(c, "nesterov")))});
      } else if (s.opt == "adamw") {
        e.op<pe::AdamWOp>(
            {e.buf("param", param), e.buf("grad", grad),
             e.buf("m", (param + "_m").str()), e.buf("v", (param + "_v").str()),
             e.buf("step", "step"), e.i64("length", length),
             e.f32("lr", s.lr), e.f32("beta1", configFloat(c, "beta1")),
             e.f32("beta2", configFloat(c, "beta2")),
             e.f32("eps", configFloat(c, "eps")),
             e.f32("weight_decay", configFloat(c, "weight_decay"))});
      } else {
        e.op<pe::SgdOp>({e.buf("param", param), e.buf("grad", grad),
                         e.i64("length", length), e.f32("lr", s.lr)});
      }
    };
    if (s.opt == "adamw")
      e.op<pe::AddConstOp>({e.buf("buffer", "step"), e.f32("value", 1.0f)});
    update("w", "dw", s.blk * s.in);
    if (s.bias)
      update("b", "db", s.blk);
    return success();
  }
};

} // namespace

const Kernel &mlir::wse::linearKernel() {
  static LinearKernel kernel;
  return kernel;
}
