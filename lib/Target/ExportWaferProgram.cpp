//===- ExportWaferProgram.cpp - pe dialect -> .wsebin ---------------------===//
#include "wse/Target/WaferProgram.h"
#include "WaferProgram.pb.h"
#include "wse/Interpreter/Interpreter.h"

#include "fabric/FabricDialect.h"
#include "pe/PeDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "wse/WseDialect.h"
#include "llvm/ADT/TypeSwitch.h"

#include <google/protobuf/text_format.h>

using namespace mlir;
namespace wp = ::wsebin;

namespace {

class Exporter {
public:
  explicit Exporter(wp::WaferProgram &out) : out(out) {}
  LogicalResult run(ModuleOp module);

private:
  LogicalResult program(pe::ProgramOp prog);
  LogicalResult instr(Operation *op, wp::Instr &in);
  FailureOr<std::pair<int, int>> target(Operation *op, SymbolRefAttr ref);
  LogicalResult binding(Operation *op, StringRef name, SymbolRefAttr ref,
                        Type type, wp::Binding &b);

  wp::WaferProgram &out;
  llvm::StringMap<int> programIndex;
  llvm::StringMap<llvm::StringMap<int>> bufferIndex;
};

LogicalResult Exporter::program(pe::ProgramOp prog) {
  auto *p = out.add_programs();
  p->set_name(prog.getSymName().str());
  p->set_x(prog.getAt()[0]);
  p->set_y(prog.getAt()[1]);
  p->set_width(prog.getSize()[0]);
  p->set_height(prog.getSize()[1]);
  programIndex[prog.getSymName()] = out.programs_size() - 1;
  auto &bufs = bufferIndex[prog.getSymName()];
  for (Operation &op : prog.getBody().front()) {
    if (auto buf = dyn_cast<pe::BufferOp>(op)) {
      auto *b = p->add_buffers();
      b->set_name(buf.getSymName().str());
      b->set_offset(buf.getOffset());
      b->set_length(buf.getLength());
      b->set_is_int(isa<IntegerType>(buf.getElementType()));
      bufs[buf.getSymName()] = p->buffers_size() - 1;
    }
  }
  for (Operation &op : prog.getBody().front())
    if (!isa<pe::BufferOp>(op) && failed(instr(&op, *p->add_instrs())))
      return failure();
  return success();
}

LogicalResult Exporter::instr(Operation *op, wp::Instr &in) {
  auto prog = op->getParentOfType<pe::ProgramOp>();
  auto &bufs = bufferIndex[prog.getSymName()];
  auto buf = [&](FlatSymbolRefAttr ref) { in.add_buffers(bufs[ref.getValue()]); };
  auto ints = [&](std::initializer_list<int64_t> v) {
    for (int64_t x : v)
      in.add_ints(x);
  };
  auto colors = [&](ArrayRef<int64_t> c) {
    for (int64_t x : c)
      in.add_colors(x);
  };
  if (auto when = op->getAttrOfType<pe::WhenAttr>("when"))
    in.set_when(static_cast<wp::When>(static_cast<int>(when.getValue())));
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<pe::SendOp>([&](auto o) {
        in.set_op(wp::Instr::SEND);
        buf(o.getBufferAttr());
        colors(o.getColor());
        return success();
      })
      .Case<pe::RecvOp>([&](auto o) {
        in.set_op(wp::Instr::RECV);
        buf(o.getBufferAttr());
        colors(o.getColor());
        return success();
      })
      .Case<pe::RecvAddOp>([&](auto o) {
        in.set_op(wp::Instr::RECV_ADD);
        buf(o.getBufferAttr());
        colors(o.getColor());
        return success();
      })
      .Case<pe::FillOp>([&](auto o) {
        in.set_op(wp::Instr::FILL);
        buf(o.getBufferAttr());
        in.set_value(o.getValue().convertToFloat());
        return success();
      })
      .Case<pe::MatmulOp>([&](auto o) {
        in.set_op(wp::Instr::MATMUL);
        buf(o.getCAttr());
        buf(o.getAAttr());
        buf(o.getBAttr());
        ints({int64_t(o.getM()), int64_t(o.getN()), int64_t(o.getK())});
        in.set_transpose_a(o.getTransposeA());
        in.set_transpose_b(o.getTransposeB());
        in.set_accumulate(o.getAccumulate());
        return success();
      })
      .Case<pe::Copy2dOp>([&](auto o) {
        in.set_op(wp::Instr::COPY2D);
        buf(o.getDstAttr());
        buf(o.getSrcAttr());
        ints({int64_t(o.getRows()), int64_t(o.getCols()),
              int64_t(o.getSrcStride()), int64_t(o.getSrcOffset()),
              int64_t(o.getSrcOffsetPerPe()), int64_t(o.getDstStride()),
              int64_t(o.getDstOffset()), int64_t(o.getDstOffsetPerPe())});
        return success();
      })
      .Case<pe::BiasAddOp>([&](auto o) {
        in.set_op(wp::Instr::BIAS_ADD);
        buf(o.getYAttr());
        buf(o.getBiasAttr());
        ints({int64_t(o.getRows()), int64_t(o.getCols())});
        return success();
      })
      .Case<pe::ReluOp>([&](auto o) {
        in.set_op(wp::Instr::RELU);
        buf(o.getDstAttr());
        buf(o.getSrcAttr());
        ints({int64_t(o.getLength())});
        return success();
      })
      .Case<pe::ReluGradOp>([&](auto o) {
        in.set_op(wp::Instr::RELU_GRAD);
        buf(o.getDstAttr());
        buf(o.getGradAttr());
        buf(o.getInputAttr());
        ints({int64_t(o.getLength())});
        return success();
      })
      .Case<pe::ColSumOp>([&](auto o) {
        in.set_op(wp::Instr::COL_SUM);
        buf(o.getDstAttr());
        buf(o.getSrcAttr());
        ints({int64_t(o.getRows()), int64_t(o.getCols())});
        return success();
      })
      .Case<pe::SgdOp>([&](auto o) {
        in.set_op(wp::Instr::SGD);
        buf(o.getParamAttr());
        buf(o.getGradAttr());
        ints({int64_t(o.getLength())});
        in.set_value(o.getLr().convertToFloat());
        return success();
      })
      .Case<pe::AddConstOp>([&](auto o) {
        in.set_op(wp::Instr::ADD_CONST);
        buf(o.getBufferAttr());
        in.set_value(o.getValue().convertToFloat());
        return success();
      })
      .Case<pe::SgdMomentumOp>([&](auto o) {
        in.set_op(wp::Instr::SGD_MOMENTUM);
        buf(o.getParamAttr());
        buf(o.getGradAttr());
        buf(o.getBufAttr());
        ints({int64_t(o.getLength())});
        in.set_value(o.getLr().convertToFloat());
        in.add_floats(o.getMomentum().convertToFloat());
        in.add_floats(o.getWeightDecay().convertToFloat());
        in.set_flag(o.getNesterov());
        return success();
      })
      .Case<pe::AdamWOp>([&](auto o) {
        in.set_op(wp::Instr::ADAMW);
        for (auto ref : {o.getParamAttr(), o.getGradAttr(), o.getMAttr(),
                         o.getVAttr(), o.getStepAttr()})
          buf(ref);
        ints({int64_t(o.getLength())});
        in.set_value(o.getLr().convertToFloat());
        for (auto f : {o.getBeta1(), o.getBeta2(), o.getEps(),
                       o.getWeightDecay()})
          in.add_floats(f.convertToFloat());
        return success();
      })
      .Case<pe::SoftmaxCrossEntropyOp>([&](auto o) {
        in.set_op(wp::Instr::SOFTMAX_CE);
        buf(o.getLossAttr());
        buf(o.getGradAttr());
        buf(o.getLogitsAttr());
        buf(o.getLabelsAttr());
        ints({int64_t(o.getRows()), int64_t(o.getCols())});
        return success();
      })
      .Default([](Operation *o) {
        return o->emitError() << "no wafer program encoding for '"
                              << o->getName() << "'";
      });
}

FailureOr<std::pair<int, int>> Exporter::target(Operation *op,
                                                SymbolRefAttr ref) {
  auto p = programIndex.find(ref.getRootReference());
  if (p == programIndex.end() || ref.getNestedReferences().size() != 1)
    return op->emitError() << "unknown program buffer " << ref;
  auto &bufs = bufferIndex[ref.getRootReference()];
  auto b = bufs.find(ref.getLeafReference());
  if (b == bufs.end())
    return op->emitError() << "unknown program buffer " << ref;
  return std::make_pair(p->second, b->second);
}

LogicalResult Exporter::binding(Operation *op, StringRef name,
                                SymbolRefAttr ref, Type type, wp::Binding &b) {
  FailureOr<std::pair<int, int>> t = target(op, ref);
  if (failed(t))
    return failure();
  b.set_name(name.str());
  b.set_program(t->first);
  b.set_buffer(t->second);
  auto tensor = cast<RankedTensorType>(type);
  for (int64_t d : tensor.getShape())
    b.mutable_type()->add_shape(d);
  b.mutable_type()->set_is_int(isa<IntegerType>(tensor.getElementType()));
  return success();
}

LogicalResult Exporter::run(ModuleOp module) {
  auto m = fabric::getMachine(module);
  if (!m)
    return module.emitError("no fabric.machine: export a module lowered by "
                            "wse-lower-to-pe (wse-train-pipeline)");
  out.set_version(mlir::wse::kWaferProgramVersion);
  auto *mm = out.mutable_machine();
  mm->set_name(m.getName().str());
  mm->set_width(m.getWidth());
  mm->set_height(m.getHeight());
  mm->set_sram_bytes(m.getSramBytes());
  mm->set_reserved_sram_bytes(m.getReservedSramBytes());
  mm->set_colors(m.getColors());
  mm->set_clock_mhz(m.getClockMhz());
  mm->set_fmacs_per_cycle(m.getFmacsPerCycle());
  mm->set_adds_per_cycle(m.getAddsPerCycle());

  for (auto prog : module.getOps<pe::ProgramOp>())
    if (failed(program(prog)))
      return failure();
  if (out.programs_size() == 0)
    return module.emitError("no pe.program to export: run wse-lower-to-pe");
  for (Operation &op : module.getBody()->getOperations()) {
    if (auto r = dyn_cast<pe::RouteOp>(op)) {
      auto *route = out.add_routes();
      route->set_name(r.getSymName().str());
      route->set_color(r.getColor());
      for (int64_t v : r.getPath())
        route->add_path(v);
    } else if (auto c = dyn_cast<pe::ChainOp>(op)) {
      auto *chain = out.add_chains();
      chain->set_name(c.getSymName().str());
      chain->set_program(programIndex[c.getProgram()]);
      chain->set_color0(c.getColors()[0]);
      chain->set_color1(c.getColors()[1]);
    } else if (auto in = dyn_cast<pe::InputOp>(op)) {
      if (failed(binding(in, in.getName(), in.getTarget(), in.getType(),
                         *out.add_inputs())))
        return failure();
    } else if (auto o = dyn_cast<pe::OutputOp>(op)) {
      auto *b = out.add_outputs();
      if (failed(binding(o, o.getName(), o.getSource(), o.getType(), *b)))
        return failure();
      b->set_loss(o.getLoss());
    } else if (auto p = dyn_cast<pe::ParamOp>(op)) {
      auto *b = out.add_params();
      if (failed(binding(p, p.getName(), p.getTarget(), p.getType(), *b)))
        return failure();
      if (!p.getInit())
        return p.emitError() << "parameter '" << p.getName()
                             << "' has no initial value (import it from ONNX "
                                "or give its argument {wse.init})";
      FailureOr<::wsert::HostTensor> init =
          mlir::wse::tensorFromAttr(p.getLoc(), *p.getInit());
      if (failed(init))
        return failure();
      for (float v : init->f)
        b->add_init(v);
    }
  }
  std::string err = ::wsert::validateWaferProgram(out);
  if (!err.empty())
    return module.emitError() << "inconsistent wafer program: " << err;
  return success();
}

LogicalResult translate(ModuleOp module, llvm::raw_ostream &os, bool text) {
  wp::WaferProgram program;
  if (failed(Exporter(program).run(module)))
    return failure();
  std::string bytes;
  if (text) {
    if (!google::protobuf::TextFormat::PrintToString(program, &bytes))
      return module.emitError("cannot print the wafer program as text");
  } else if (!program.SerializeToString(&bytes)) {
    return module.emitError("cannot serialize the wafer program");
  }
  os << bytes;
  return success();
}

} // namespace

LogicalResult mlir::wse::exportWaferProgram(ModuleOp module,
                                            wp::WaferProgram &program) {
  return Exporter(program).run(module);
}

void mlir::wse::registerWaferProgramExport() {
  registerFloorplanSvgExport();
  auto dialects = [](DialectRegistry &registry) {
    registry.insert<mlir::wse::WseDialect, fabric::FabricDialect,
                    pe::PeDialect, func::FuncDialect>();
  };
  TranslateFromMLIRRegistration(
      "export-wafer-program", "pe programs -> .wsebin (binary protobuf)",
      [](ModuleOp m, llvm::raw_ostream &os) { return translate(m, os, false); },
      dialects);
  TranslateFromMLIRRegistration(
      "export-wafer-program-text",
      "pe programs -> wafer program in protobuf text format",
      [](ModuleOp m, llvm::raw_ostream &os) { return translate(m, os, true); },
      dialects);
}
