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

#include <set>

using namespace mlir;
namespace wp = ::wsebin;

namespace {

class Exporter {
public:
  explicit Exporter(wp::WaferProgram &out) : out(out) {}
  LogicalResult run(ModuleOp module);

private:
  LogicalResult program(pe::ProgramOp prog);
  FailureOr<std::pair<int, int>> target(Operation *op, SymbolRefAttr ref);
  void layout(fabric::LayoutAttr l, ArrayRef<int64_t> shape, wp::Layout &m);

  wp::WaferProgram &out;
  llvm::StringMap<int> programIndex;
  llvm::StringMap<llvm::StringMap<int>> bufferIndex;
};

void Exporter::layout(fabric::LayoutAttr l, ArrayRef<int64_t> shape,
                      wp::Layout &m) {
  ::wsert::Layout s = fabric::toLayout(l, shape);
  for (int64_t d : shape)
    m.add_shape(d);
  for (int a = 0; a < 2; ++a) {
    wp::Axis *ax = a == 0 ? m.mutable_x() : m.mutable_y();
    ax->set_kind(s.axis(a).kind);
    ax->set_dim(s.axis(a).dim);
    ax->set_block(s.axis(a).block);
    ax->set_count(s.axis(a).count);
    if (s.axis(a).nested()) {
      ax->set_inner_kind(s.axis(a).innerKind);
      ax->set_inner_dim(s.axis(a).innerDim);
      ax->set_inner_block(s.axis(a).innerBlock);
      ax->set_inner_count(s.axis(a).innerCount);
    }
  }
  m.set_mask(int32_t(s.mask + 1));
}

LogicalResult Exporter::program(pe::ProgramOp prog) {
  int index = out.programs_size();
  programIndex[prog.getSymName()] = index;
  auto *p = out.add_programs();
  p->set_name(prog.getSymName().str());
  p->set_x(prog.getAt()[0]);
  p->set_y(prog.getAt()[1]);
  p->set_width(prog.getSize()[0]);
  p->set_height(prog.getSize()[1]);
  p->set_host(prog.getHost());
  auto &buffers = bufferIndex[prog.getSymName()];
  for (auto buf : prog.getBody().front().getOps<pe::BufferOp>()) {
    buffers[buf.getSymName()] = p->buffers_size();
    auto *b = p->add_buffers();
    b->set_name(buf.getSymName().str());
    b->set_offset(buf.getOffset());
    b->set_length(buf.getLength());
  }
  for (auto instr : prog.getBody().front().getOps<pe::InstrOp>()) {
    auto *in = p->add_instrs();
    in->set_op(instr.getOp().str());
    in->set_once(instr->hasAttr(mlir::wse::kOnceAttr));
    if (auto fn = instr.getFn())
      in->set_fn(fn->str());
    for (Attribute a : instr.getBuffers()) {
      auto ref = cast<SymbolRefAttr>(a);
      auto it = buffers.find(ref.getLeafReference());
      if (it == buffers.end())
        return instr.emitOpError("names an unknown buffer ") << ref;
      in->add_buffers(it->second);
    }
    for (int64_t v : instr.getInts())
      in->add_ints(v);
    for (float v : instr.getFloats())
      in->add_floats(v);
  }
  return success();
}

FailureOr<std::pair<int, int>> Exporter::target(Operation *op,
                                                SymbolRefAttr ref) {
  auto prog = programIndex.find(ref.getRootReference());
  if (prog == programIndex.end() || ref.getNestedReferences().size() != 1)
    return op->emitOpError("names ") << ref << ", not @program::@buffer";
  auto &buffers = bufferIndex[ref.getRootReference()];
  auto buf = buffers.find(ref.getLeafReference());
  if (buf == buffers.end())
    return op->emitOpError("names an unknown buffer ") << ref;
  return std::make_pair(prog->second, buf->second);
}

LogicalResult Exporter::run(ModuleOp module) {
  auto m = fabric::getMachine(module);
  if (!m)
    return emitError(module.getLoc(), "no fabric.machine: export a module lowered by "
                            "wse-lower-to-pe (wse-train-pipeline)");
  out.set_version(mlir::wse::kWaferProgramVersion);
  if (auto rc = module->getAttrOfType<StringAttr>(mlir::wse::kRecomputeAttr))
    out.set_recompute(rc.str());
  if (auto n = module->getAttrOfType<IntegerAttr>(mlir::wse::kMicroBatchesAttr))
    out.set_micro_batches(n.getInt());
  std::set<std::string> microInputs;
  if (auto names =
          module->getAttrOfType<ArrayAttr>(mlir::wse::kMicroBatchedInputsAttr))
    for (Attribute a : names)
      microInputs.insert(cast<StringAttr>(a).str());
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
  mm->set_host_links(m.getHostLinks());
  mm->set_host_link_gbps(m.getHostLinkGbps());
  mm->set_host_fmacs_per_cycle(m.getHostFmacsPerCycle());

  for (auto mask : module.getOps<pe::MaskOp>()) {
    if (int64_t(mask.getIndex()) != out.masks_size())
      return mask.emitOpError("has index ")
             << mask.getIndex() << "; masks are numbered 0, 1, ... in order";
    auto keep = cast<DenseElementsAttr>(mask.getKeep());
    auto *mm = out.add_masks();
    for (int64_t d : keep.getType().getShape())
      mm->add_shape(d);
    std::string bits;
    for (bool k : keep.getValues<bool>())
      bits.push_back(k ? 1 : 0);
    mm->set_keep(bits);
  }
  for (auto prog : module.getOps<pe::ProgramOp>())
    if (failed(program(prog)))
      return failure();
  if (out.programs_size() == 0)
    return emitError(module.getLoc(), "no pe.program to export: run wse-lower-to-pe");
  for (auto t : module.getOps<pe::TransferOp>()) {
    auto *x = out.add_transfers();
    x->set_name(t.getSymName().str());
    FailureOr<std::pair<int, int>> src = target(t, t.getSrc());
    FailureOr<std::pair<int, int>> dst = target(t, t.getDst());
    if (failed(src) || failed(dst))
      return failure();
    x->set_src_program(src->first);
    x->set_src_buffer(src->second);
    x->set_dst_program(dst->first);
    x->set_dst_buffer(dst->second);
    layout(t.getSrcLayout(), t.getSrcShape(), *x->mutable_src());
    layout(t.getDstLayout(), t.getDstShape(), *x->mutable_dst());
    x->set_map_kind(t.getMap() == "affine" ? 1 : 0);
    for (int64_t v : t.getAffine())
      x->add_affine(v);
    for (int64_t v : t.getOffset())
      x->add_offset(v);
    for (int64_t v : t.getWindowLo())
      x->add_window_lo(v);
    for (int64_t v : t.getWindowSize())
      x->add_window_size(v);
    for (int64_t v : t.getReshape())
      x->add_reshape(v);
    x->set_combine(int32_t(t.getCombine()));
    x->set_sparse_rows(t.getSparseRows());
    if (ArrayAttr rows = t.getRowsAttr()) {
      FailureOr<std::pair<int, int>> upd =
          target(t, cast<SymbolRefAttr>(rows[0]));
      FailureOr<std::pair<int, int>> idx =
          target(t, cast<SymbolRefAttr>(rows[1]));
      if (failed(upd) || failed(idx))
        return failure();
      x->set_rows_updates_buffer(upd->second);
      x->set_rows_index_buffer(idx->second);
      for (int64_t v : t.getRowsBox())
        x->add_rows_box(v);
    }
    x->set_color(t.getColor());
    if (auto need = t.getNeedAttr()) {
      layout(cast<fabric::LayoutAttr>(need), t.getNeedShape(),
             *x->mutable_need());
      for (int64_t v : t.getNeedDims())
        x->add_need_dims(v);
    }
    if (auto have = t.getHaveAttr()) {
      layout(cast<fabric::LayoutAttr>(have), t.getHaveShape(),
             *x->mutable_have());
      for (int64_t v : t.getHaveDims())
        x->add_have_dims(v);
    }
  }
  for (auto bind : module.getOps<pe::BindOp>()) {
    StringRef kind = bind.getKind();
    wp::Binding *b = kind == "input"    ? out.add_inputs()
                     : kind == "output" ? out.add_outputs()
                     : kind == "param"  ? out.add_params()
                     : kind == "state"  ? out.add_state()
                     : kind == "index"  ? out.add_indices()
                                        : out.add_constants();
    b->set_name(bind.getName().str());
    FailureOr<std::pair<int, int>> t = target(bind, bind.getTarget());
    if (failed(t))
      return failure();
    b->set_program(t->first);
    b->set_buffer(t->second);
    auto type = cast<RankedTensorType>(bind.getType());
    for (int64_t d : type.getShape())
      b->mutable_type()->add_shape(d);
    b->mutable_type()->set_is_int(!type.getElementType().isF32());
    if (auto i = dyn_cast<IntegerType>(type.getElementType()))
      b->mutable_type()->set_int_bits(int32_t(i.getWidth()));
    layout(bind.getLayout(), type.getShape(), *b->mutable_layout());
    b->set_loss(bind.getLoss());
    b->set_micro_batched(kind == "input" &&
                         microInputs.count(bind.getName().str()));
    b->set_metric(bind.getMetric());
    if (auto range = bind.getRange())
      for (int64_t v : *range)
        b->add_range(v);
    if (auto parts = bind.getParts())
      for (Attribute p : *parts)
        b->add_parts(cast<StringAttr>(p).str());
    if (kind == "param" && !bind.getInit())
      return emitError(bind.getLoc()) << "parameter '" << bind.getName()
                              << "' has no initial value (import it from "
                                 "ONNX or give its argument {wse.init})";
    if (auto r = dyn_cast_or_null<mlir::wse::RandomAttr>(
            bind.getInit().value_or(TypedAttr()))) {
      // The generator, not its values: the loader draws them.
      wp::RandomInit *ri = b->mutable_random_init();
      ri->set_distribution(uint32_t(r.getDistributionCode()));
      ri->set_a(r.getA().convertToDouble());
      ri->set_b(r.getB().convertToDouble());
      ri->set_seed(r.getSeed());
    } else if (auto splat = dyn_cast_or_null<DenseElementsAttr>(
                   bind.getInit().value_or(TypedAttr()));
               splat && splat.isSplat() &&
               isa<FloatType>(splat.getElementType()) &&
               b->layout().mask() == 0 &&
               splat.getSplatValue<APFloat>().isFinite()) {
      // One value everywhere (optimizer state starts at zero): the
      // constant generator, not a copy per element.
      wp::RandomInit *ri = b->mutable_random_init();
      ri->set_distribution(2);
      ri->set_a(splat.getSplatValue<APFloat>().convertToDouble());
    } else if (auto init = bind.getInit()) {
      FailureOr<::wsert::HostTensor> v =
          mlir::wse::tensorFromAttr(bind.getLoc(), *init);
      if (failed(v))
        return failure();
      if (v->isInt)
        for (int64_t e : v->i) {
          // PEs hold integers as exact f32 values.
          if (e < -(int64_t(1) << 24) || e > (int64_t(1) << 24))
            return emitError(bind.getLoc())
                   << "'" << bind.getName() << "' holds the integer " << e
                   << ", beyond what a PE holds exactly as f32 (|v| <= 2^24)";
          b->add_init(float(e));
        }
      else
        for (float e : v->f)
          b->add_init(e);
    }
  }
  std::string err = ::wsert::validateWaferProgram(out);
  if (!err.empty())
    return emitError(module.getLoc()) << "inconsistent wafer program: " << err;
  return success();
}

LogicalResult translate(ModuleOp module, llvm::raw_ostream &os, bool text) {
  wp::WaferProgram program;
  if (failed(Exporter(program).run(module)))
    return failure();
  std::string bytes;
  if (text) {
    if (!google::protobuf::TextFormat::PrintToString(program, &bytes))
      return emitError(module.getLoc(), "cannot print the wafer program as text");
  } else {
    bytes = ::wsert::encodeWaferProgram(program);
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
