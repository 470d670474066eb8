//===- ImportOnnx.cpp - ONNX model -> wse dialect: the driver -------------===//
//
// Parses the model with libonnx (binary protobuf or ONNX's textual syntax),
// applies the caller's input shapes and dimension values, lists every
// unsupported op type, runs ONNX's checker and shape inference, then walks
// the (topologically sorted) graph and hands each node to its handler.
//
// libonnx reports errors by throwing while LLVM and MLIR are built without
// exceptions, so the importer's files are compiled with -fexceptions and
// importOnnxModel catches everything: no exception leaves this library.
//
//===----------------------------------------------------------------------===//
#include "OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"

#include <onnx/checker.h>
#include <onnx/defs/parser.h>
#include <onnx/shape_inference/implementation.h>

#include <climits>
#include <exception>

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::onnximport;

bool mlir::wse::onnximport::isDefaultDomain(StringRef domain) {
  return domain.empty() || domain == "ai.onnx";
}

Location mlir::wse::onnximport::nodeLoc(MLIRContext *ctx, StringRef fileName,
                                        const onnx::NodeProto &node,
                                        int index) {
  return NameLoc::get(StringAttr::get(ctx, nodeNameOf(node, index)),
                      FileLineColLoc::get(ctx, fileName, 0, 0));
}

std::string mlir::wse::onnximport::nodeNameOf(const onnx::NodeProto &node,
                                              int index) {
  if (!node.name().empty())
    return node.name();
  return node.op_type() + "_" + std::to_string(index);
}

namespace {

//===----------------------------------------------------------------------===//
// What the importer supports
//===----------------------------------------------------------------------===//

/// An ONNX op type the importer maps, from the first opset whose semantics
/// its handler implements (older Add/Gemm have the legacy `broadcast`
/// attribute, older Reshape takes the shape as an attribute, ...).
struct SupportedOp {
  StringLiteral type;
  int64_t minOpset;
  LogicalResult (OnnxImporter::*handler)();
};

using I = OnnxImporter;
const SupportedOp kSupportedOps[] = {
    // Elementwise math.
    {"Abs", 6, &I::importUnary},
    {"Ceil", 6, &I::importUnary},
    {"Cos", 7, &I::importUnary},
    {"Cosh", 9, &I::importUnary},
    {"Erf", 9, &I::importUnary},
    {"Exp", 6, &I::importUnary},
    {"Floor", 6, &I::importUnary},
    {"Log", 6, &I::importUnary},
    {"Neg", 6, &I::importUnary},
    {"Not", 1, &I::importUnary},
    {"Reciprocal", 6, &I::importUnary},
    {"Relu", 6, &I::importUnary},
    {"Sigmoid", 6, &I::importUnary},
    {"Sign", 9, &I::importUnary},
    {"Sin", 7, &I::importUnary},
    {"Sinh", 9, &I::importUnary},
    {"Softplus", 1, &I::importUnary},
    {"Softsign", 1, &I::importUnary},
    {"Sqrt", 6, &I::importUnary},
    {"Tan", 7, &I::importUnary},
    {"Tanh", 6, &I::importUnary},
    {"IsInf", 10, &I::importIsInfNaN},
    {"IsNaN", 9, &I::importIsInfNaN},
    {"Celu", 12, &I::importActivation},
    {"Elu", 6, &I::importActivation},
    {"HardSigmoid", 6, &I::importActivation},
    {"HardSwish", 14, &I::importActivation},
    {"LeakyRelu", 6, &I::importActivation},
    {"PRelu", 7, &I::importActivation},
    {"Selu", 6, &I::importActivation},
    {"ThresholdedRelu", 10, &I::importActivation},
    {"Clip", 6, &I::importClip},
    {"Add", 7, &I::importBinary},
    {"And", 7, &I::importBinary},
    {"Div", 7, &I::importBinary},
    {"Equal", 7, &I::importBinary},
    {"Greater", 7, &I::importBinary},
    {"GreaterOrEqual", 12, &I::importBinary},
    {"Less", 7, &I::importBinary},
    {"LessOrEqual", 12, &I::importBinary},
    {"Mod", 10, &I::importBinary},
    {"Mul", 7, &I::importBinary},
    {"Or", 7, &I::importBinary},
    {"Pow", 7, &I::importBinary},
    {"Sub", 7, &I::importBinary},
    {"Xor", 7, &I::importBinary},
    {"Max", 8, &I::importVariadic},
    {"Mean", 8, &I::importVariadic},
    {"Min", 8, &I::importVariadic},
    {"Sum", 8, &I::importVariadic},
    {"Where", 9, &I::importWhere},
    {"Cast", 6, &I::importCast},
    {"CastLike", 15, &I::importCast},
    // Constants, shapes and data movement.
    {"Constant", 1, &I::importConstant},
    {"ConstantOfShape", 9, &I::importConstantOfShape},
    {"EyeLike", 9, &I::importEyeLike},
    {"Range", 11, &I::importRange},
    {"Shape", 1, &I::importShape},
    {"Size", 1, &I::importSize},
    {"Identity", 1, &I::importIdentity},
    {"Dropout", 7, &I::importDropout},
    {"Reshape", 5, &I::importReshape},
    {"Flatten", 1, &I::importFlatten},
    {"Transpose", 1, &I::importTranspose},
    {"Unsqueeze", 1, &I::importUnsqueeze},
    {"Squeeze", 1, &I::importSqueeze},
    {"Concat", 4, &I::importConcat},
    {"Split", 2, &I::importSplit},
    {"Slice", 1, &I::importSlice},
    {"Gather", 1, &I::importGather},
    {"GatherElements", 11, &I::importGatherElements},
    {"Scatter", 9, &I::importScatterElements}, // ScatterElements before 11
    {"ScatterElements", 11, &I::importScatterElements},
    {"Expand", 8, &I::importExpand},
    {"Tile", 6, &I::importTile},
    {"Trilu", 14, &I::importTrilu},
    {"OneHot", 11, &I::importOneHot},
    // Reductions.
    {"ReduceL1", 1, &I::importReduce},
    {"ReduceL2", 1, &I::importReduce},
    {"ReduceLogSum", 1, &I::importReduce},
    {"ReduceLogSumExp", 1, &I::importReduce},
    {"ReduceMax", 1, &I::importReduce},
    {"ReduceMean", 1, &I::importReduce},
    {"ReduceMin", 1, &I::importReduce},
    {"ReduceProd", 1, &I::importReduce},
    {"ReduceSum", 1, &I::importReduce},
    {"ReduceSumSquare", 1, &I::importReduce},
    {"GlobalAveragePool", 1, &I::importGlobalPool},
    {"GlobalMaxPool", 1, &I::importGlobalPool},
    {"ArgMax", 1, &I::importArgReduce},
    {"ArgMin", 1, &I::importArgReduce},
    {"CumSum", 11, &I::importCumSum},
    {"TopK", 1, &I::importTopK},
    // Neural-network ops.
    {"Softmax", 1, &I::importSoftmax},
    {"LogSoftmax", 1, &I::importSoftmax},
    {"Hardmax", 1, &I::importSoftmax},
    {"LayerNormalization", 17, &I::importLayerNorm},
    {"BatchNormalization", 9, &I::importBatchNorm},
    {"InstanceNormalization", 6, &I::importInstanceNorm},
    {"SoftmaxCrossEntropyLoss", 12, &I::importSoftmaxCrossEntropy},
    {"NegativeLogLikelihoodLoss", 12, &I::importNllLoss},
    // Matrix products.
    {"MatMul", 1, &I::importMatMul},
    {"Gemm", 7, &I::importGemm},
    {"Einsum", 12, &I::importEinsum},
};

const SupportedOp *findSupported(StringRef type) {
  for (const SupportedOp &op : kSupportedOps)
    if (op.type == type)
      return &op;
  return nullptr;
}

/// The opset the model imports for `domain`, or -1.
int64_t opsetOf(const onnx::ModelProto &model, StringRef domain) {
  for (const onnx::OperatorSetIdProto &id : model.opset_import())
    if (id.domain() == domain ||
        (isDefaultDomain(id.domain()) && isDefaultDomain(domain)))
      return id.version();
  return -1;
}

std::string opTypeKey(const onnx::NodeProto &node) {
  if (isDefaultDomain(node.domain()))
    return node.op_type();
  return node.domain() + "." + node.op_type();
}

/// Reports every unsupported op type once, at its first node, then a summary.
LogicalResult checkSupportedOps(const onnx::ModelProto &model,
                                StringRef fileName, MLIRContext *ctx) {
  struct Use {
    int firstNode;
    int count;
  };
  // Op types in order of first use.
  std::vector<std::pair<std::string, Use>> unsupported;
  llvm::StringMap<size_t> index;
  const onnx::GraphProto &graph = model.graph();
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    const SupportedOp *op = isDefaultDomain(node.domain())
                                ? findSupported(node.op_type())
                                : nullptr;
    if (op && opsetOf(model, node.domain()) >= op->minOpset)
      continue;
    std::string key = opTypeKey(node);
    auto [it, inserted] = index.try_emplace(key, unsupported.size());
    if (inserted)
      unsupported.push_back({key, Use{i, 0}});
    ++unsupported[it->second].second.count;
  }
  if (unsupported.empty())
    return success();

  for (auto &[type, use] : unsupported) {
    const onnx::NodeProto &node = graph.node(use.firstNode);
    int64_t opset = opsetOf(model, node.domain());
    InFlightDiagnostic diag =
        emitError(nodeLoc(ctx, fileName, node, use.firstNode))
        << "unsupported ONNX op '" << type << "' (opset "
        << (opset < 0 ? std::string("?") : std::to_string(opset))
        << ") at node '" << nodeNameOf(node, use.firstNode) << "'";
    if (use.count > 1)
      diag << " and " << (use.count - 1) << " more node"
           << (use.count > 2 ? "s" : "");
    if (const SupportedOp *op = isDefaultDomain(node.domain())
                                    ? findSupported(node.op_type())
                                    : nullptr)
      diag << "; wse imports " << op->type << " from opset " << op->minOpset;
    else if (type == "NonZero")
      // The usual source: a mixture of experts that gathers each expert's
      // tokens by position (torch.nonzero / torch.where(mask)).
      diag << "; its result's shape depends on the data, and wse compiles "
              "static shapes only: route with a fixed capacity per expert "
              "(one-hot dispatch and combine tensors, as GShard and Switch "
              "Transformer do; docs/moe.md)";
  }
  std::string types;
  for (auto [i, entry] : llvm::enumerate(unsupported))
    types += (i ? ", " : "") + entry.first;
  emitError(FileLineColLoc::get(ctx, fileName, 0, 0))
      << "the model uses " << unsupported.size() << " unsupported ONNX op type"
      << (unsupported.size() > 1 ? "s" : "") << ": " << types
      << " (docs/frontend-onnx.md lists the " << std::size(kSupportedOps)
      << " op types wse imports)";
  return failure();
}

} // namespace

//===----------------------------------------------------------------------===//
// Node context
//===----------------------------------------------------------------------===//

OnnxImporter::OnnxImporter(MLIRContext *ctx, StringRef fileName,
                           const onnx::ModelProto &model,
                           const OnnxImportOptions &options)
    : loc(FileLineColLoc::get(ctx, fileName, 0, 0)), builder(ctx), ctx(ctx),
      fileName(fileName), model(model), options(options),
      fileLoc(FileLineColLoc::get(ctx, fileName, 0, 0)) {}

InFlightDiagnostic OnnxImporter::fail() {
  InFlightDiagnostic diag = emitError(loc);
  diag << "node '" << nodeName << "' (" << opType() << "): ";
  return diag;
}

const onnx::AttributeProto *OnnxImporter::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : node->attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t OnnxImporter::intAttr(StringRef name, int64_t dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : dflt;
}

float OnnxImporter::floatAttr(StringRef name, float dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : dflt;
}

std::string OnnxImporter::stringAttr(StringRef name, StringRef dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->s() : dflt.str();
}

std::optional<SmallVector<int64_t>>
OnnxImporter::intsAttr(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

FailureOr<OnnxValue> OnnxImporter::lookup(StringRef name, const Twine &user) {
  auto it = env.find(name);
  if (it != env.end())
    return it->second;
  auto bad = unusable.find(name);
  if (bad != unusable.end())
    return emitError(loc) << user << " '" << name << "': " << bad->second;
  return emitError(loc) << user << " '" << name
                        << "' is not defined before its use";
}

FailureOr<OnnxValue> OnnxImporter::input(int i) {
  if (!hasInput(i))
    return fail() << "lacks input " << i;
  return lookup(node->input(i), "input " + Twine(i) + " of node '" + nodeName +
                                    "' (" + opType() + ")");
}

FailureOr<Value> OnnxImporter::inputValue(int i) {
  FailureOr<OnnxValue> v = input(i);
  if (failed(v))
    return failure();
  return materialize(*v);
}

FailureOr<ConstPtr> OnnxImporter::constInput(int i, StringRef what) {
  FailureOr<OnnxValue> v = input(i);
  if (failed(v))
    return failure();
  if (!v->data)
    return fail() << "the " << what << " (input " << i << ", '"
                  << node->input(i)
                  << "') must be known at import time: a constant, an "
                     "initializer, or computed from them and from static "
                     "shapes; it is computed at run time";
  if (v->value)
    readAsConstant.insert(node->input(i));
  return v->data;
}

FailureOr<SmallVector<int64_t>> OnnxImporter::intsInput(int i, StringRef what) {
  FailureOr<ConstPtr> c = constInput(i, what);
  if (failed(c))
    return failure();
  if ((*c)->isFloat())
    return fail() << "the " << what << " (input " << i << ", '"
                  << node->input(i) << "') must be an integer tensor";
  return SmallVector<int64_t>((*c)->ints.begin(), (*c)->ints.end());
}

RankedTensorType OnnxImporter::typeOf(const OnnxValue &v) const {
  if (v.value)
    return cast<RankedTensorType>(v.value.getType());
  return RankedTensorType::get(v.data->shape, elemType(ctx, v.data->kind));
}

Value OnnxImporter::materialize(const OnnxValue &v) {
  if (v.value)
    return v.value;
  auto &[data, cached] = materialized[v.data.get()];
  if (!cached) {
    data = v.data;
    cached = ConstantOp::create(builder, v.origin ? Location(v.origin) : loc,
                                toAttr(ctx, *v.data));
  }
  return cached;
}

Value OnnxImporter::constantOp(const ConstTensor &c) {
  return ConstantOp::create(builder, loc, toAttr(ctx, c));
}

Value OnnxImporter::splat(ElemKind kind, double v, ArrayRef<int64_t> shape) {
  ConstTensor one = ConstTensor::make(kind, {});
  one.setDouble(0, v);
  auto type = RankedTensorType::get(shape, elemType(ctx, kind));
  return ConstantOp::create(
      builder, loc,
      DenseElementsAttr::get(type,
                             toAttr(ctx, one).getSplatValue<Attribute>()));
}

LogicalResult OnnxImporter::checkDataSize(ArrayRef<int64_t> shape,
                                          StringRef what) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d != 0 && n > kMaxFoldElements / d)
      return fail() << "the " << what << " " << shapeStr(shape)
                    << " would have more than " << kMaxFoldElements
                    << " elements of import-time data";
    n *= d;
  }
  return success();
}

LogicalResult OnnxImporter::normalizeAxis(int64_t &axis, int64_t rank,
                                          StringRef what) {
  if (axis < -rank || axis >= rank)
    return fail() << what << " " << axis << " is out of range for rank "
                  << rank;
  if (axis < 0)
    axis += rank;
  return success();
}

LogicalResult OnnxImporter::normalizeAxes(SmallVectorImpl<int64_t> &axes,
                                          int64_t rank, StringRef what) {
  for (int64_t &a : axes) {
    if (a < -rank || a >= rank)
      return fail() << what << " " << shapeStr(axes)
                    << " has an entry out of range for rank " << rank;
    if (a < 0)
      a += rank;
  }
  llvm::sort(axes);
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return fail() << what << " repeat an axis";
  return success();
}

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

FailureOr<RankedTensorType>
OnnxImporter::valueInfoType(const onnx::ValueInfoProto &info, StringRef what) {
  Location at = NameLoc::get(builder.getStringAttr(info.name()), fileLoc);
  if (!info.type().has_tensor_type())
    return emitError(at) << what << " '" << info.name()
                         << "' is not a tensor (a sequence, map or "
                            "optional); wse imports tensors only";
  const onnx::TypeProto_Tensor &tensor = info.type().tensor_type();
  std::optional<ElemKind> kind =
      kindOfOnnx(tensor.elem_type(), options.f64AsF32);
  if (!kind) {
    InFlightDiagnostic diag =
        emitError(at) << what << " '" << info.name() << "' has element type "
                      << onnxTypeName(tensor.elem_type())
                      << "; wse imports float32 (float16 and bfloat16 as "
                         "float32), int64, int32 and bool tensors";
    if (tensor.elem_type() == onnx::TensorProto::DOUBLE)
      diag << " (--f64-as-f32 imports float64 as float32)";
    return diag;
  }
  if (!tensor.has_shape())
    return emitError(at) << what << " '" << info.name()
                         << "' has no shape; wse needs static shapes (give "
                            "one with --input-shape "
                         << info.name() << "=D0xD1x...)";
  SmallVector<int64_t> shape;
  bool ok = true;
  for (auto [i, dim] : llvm::enumerate(tensor.shape().dim())) {
    if (dim.has_dim_value() && dim.dim_value() >= 0) {
      shape.push_back(dim.dim_value());
      continue;
    }
    InFlightDiagnostic diag = emitError(at) << what << " '" << info.name()
                                            << "' dimension " << i << " is ";
    if (dim.has_dim_param())
      diag << "dynamic ('" << dim.dim_param()
           << "'); wse needs static shapes: fix it with --dim "
           << dim.dim_param() << "=<size> or --input-shape " << info.name()
           << "=<shape>, or export without dynamic_axes";
    else
      diag << "unknown; wse needs static shapes: fix it with --input-shape "
           << info.name() << "=<shape>, or export without dynamic_axes";
    ok = false;
  }
  if (!ok)
    return failure();
  return RankedTensorType::get(shape, elemType(ctx, *kind));
}

LogicalResult
OnnxImporter::addInitializers(SmallVectorImpl<Type> &argTypes,
                              SmallVectorImpl<Location> &argLocs,
                              SmallVectorImpl<NamedAttrList> &argAttrs,
                              SmallVectorImpl<std::string> &argNames) {
  const onnx::GraphProto &graph = model.graph();
  if (graph.sparse_initializer_size() > 0)
    return emitError(fileLoc)
           << "sparse initializer '"
           << graph.sparse_initializer(0).values().name()
           << "' is not supported; store it as a dense initializer";
  for (const onnx::TensorProto &t : graph.initializer()) {
    Location at = NameLoc::get(builder.getStringAttr(t.name()), fileLoc);
    std::string what = "initializer '" + t.name() + "'";
    std::optional<ElemKind> kind = kindOfOnnx(t.data_type(), options.f64AsF32);
    if (!kind) {
      // Reported if something uses it.
      unusable[t.name()] =
          "it has element type " + onnxTypeName(t.data_type()) +
          "; wse imports float32 (float16 and bfloat16 as float32), int64, "
          "int32 and bool tensors" +
          (t.data_type() == onnx::TensorProto::DOUBLE
               ? " (--f64-as-f32 imports float64 as float32)"
               : "");
      continue;
    }
    FailureOr<ConstTensor> data = readTensor(t, at, what, options.f64AsF32);
    if (failed(data))
      return failure();
    ConstPtr c = std::make_shared<const ConstTensor>(std::move(*data));
    if (*kind != ElemKind::F32) {
      // Not a parameter: import-time data.
      env[t.name()] = OnnxValue{Value(), c, at};
      continue;
    }
    auto type = RankedTensorType::get(c->shape, builder.getF32Type());
    auto init = DenseResourceElementsAttr::get(
        type, t.name(),
        HeapAsmResourceBlob::allocateAndCopyInferAlign(
            ArrayRef<float>(c->floats)));
    argTypes.push_back(type);
    argLocs.push_back(at);
    argNames.push_back(t.name());
    NamedAttrList attrs;
    attrs.set(kParamAttr, builder.getStringAttr(t.name()));
    attrs.set(kInitAttr, init);
    argAttrs.push_back(std::move(attrs));
    env[t.name()] = OnnxValue{Value(), c, at}; // the value is set in run()
  }
  if (!options.keepTiedParams)
    addUntiedParams(argTypes, argLocs, argAttrs, argNames);
  return success();
}

void OnnxImporter::addUntiedParams(SmallVectorImpl<Type> &argTypes,
                                   SmallVectorImpl<Location> &argLocs,
                                   SmallVectorImpl<NamedAttrList> &argAttrs,
                                   SmallVectorImpl<std::string> &argNames) {
  // An Identity that copies a float parameter is how torch.onnx.export
  // writes a second parameter that happened to hold equal values: give it
  // its own parameter, with the same initial value, named as in torch.
  llvm::StringSet<> params;
  for (const std::string &name : argNames)
    params.insert(name);
  for (const onnx::NodeProto &n : model.graph().node()) {
    if (n.op_type() != "Identity" || n.input_size() != 1 ||
        n.output_size() != 1 || !params.contains(n.input(0)) ||
        env.count(n.output(0)))
      continue;
    const OnnxValue &src = env[n.input(0)];
    auto type = RankedTensorType::get(src.data->shape, builder.getF32Type());
    auto init = DenseResourceElementsAttr::get(
        type, n.output(0),
        HeapAsmResourceBlob::allocateAndCopyInferAlign(
            ArrayRef<float>(src.data->floats)));
    argTypes.push_back(type);
    argLocs.push_back(NameLoc::get(builder.getStringAttr(n.output(0)), fileLoc));
    argNames.push_back(n.output(0));
    NamedAttrList attrs;
    attrs.set(kParamAttr, builder.getStringAttr(n.output(0)));
    attrs.set(kInitAttr, init);
    argAttrs.push_back(std::move(attrs));
    env[n.output(0)] = OnnxValue{Value(), src.data, src.origin};
    params.insert(n.output(0));
  }
}

LogicalResult OnnxImporter::addInputs(SmallVectorImpl<Type> &argTypes,
                                      SmallVectorImpl<Location> &argLocs,
                                      SmallVectorImpl<NamedAttrList> &argAttrs,
                                      SmallVectorImpl<std::string> &argNames) {
  llvm::StringSet<> initNames;
  for (const onnx::TensorProto &t : model.graph().initializer())
    initNames.insert(t.name());
  bool ok = true;
  for (const onnx::ValueInfoProto &info : model.graph().input()) {
    if (initNames.contains(info.name()))
      continue; // an initializer listed as input (IR < 4)
    FailureOr<RankedTensorType> type = valueInfoType(info, "graph input");
    if (failed(type)) {
      ok = false; // report every bad input
      continue;
    }
    argTypes.push_back(*type);
    argLocs.push_back(
        NameLoc::get(builder.getStringAttr(info.name()), fileLoc));
    argNames.push_back(info.name());
    NamedAttrList attrs;
    attrs.set(kInputAttr, builder.getStringAttr(info.name()));
    argAttrs.push_back(std::move(attrs));
  }
  return success(ok);
}

//===----------------------------------------------------------------------===//
// The walk
//===----------------------------------------------------------------------===//

LogicalResult OnnxImporter::importNode(int index) {
  node = &model.graph().node(index);
  nodeName = nodeNameOf(*node, index);
  loc = nodeLoc(ctx, fileName, *node, index);
  opset = opsetOf(model, "");
  const SupportedOp *op = findSupported(node->op_type());
  if (!op) // checkSupportedOps has already rejected it
    return fail() << "is not supported";
  if (failed((this->*(op->handler))()))
    return failure();
  // Every requested output must now be defined.
  for (int i = 0; i < node->output_size(); ++i)
    if (hasOutput(i) && !env.count(node->output(i)))
      return fail() << "output " << i << " ('" << node->output(i)
                    << "') is not supported; wse imports this op without it";
  return success();
}

/// torch.onnx.export with do_constant_folding=True (its default) computes
/// weight transposes at export time and stores the results as new
/// initializers named "onnx::<Op>_<n>": training them trains a transposed
/// copy that maps back to no state-dict entry. Say so once, with the fix.
void OnnxImporter::warnAboutFoldedParams(func::FuncOp fn) {
  SmallVector<StringRef> folded;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    if (auto name = fn.getArgAttrOfType<StringAttr>(i, kParamAttr))
      if (name.getValue().starts_with("onnx::"))
        folded.push_back(name.getValue());
  if (folded.empty())
    return;
  emitWarning(fileLoc)
      << folded.size()
      << " parameter(s) carry names torch.onnx.export generates when it "
         "folds constants (e.g. '"
      << folded.front()
      << "'): they may be transposed or merged copies of the module's "
         "weights; export with do_constant_folding=False to train the "
         "module's own parameters (docs/frontend-onnx.md, \"Exporting from "
         "PyTorch for training\")";
}

OwningOpRef<ModuleOp> OnnxImporter::run() {
  const onnx::GraphProto &graph = model.graph();
  SmallVector<Type> argTypes;
  SmallVector<Location> argLocs;
  SmallVector<NamedAttrList> argAttrs;
  SmallVector<std::string> argNames;
  if (failed(addInitializers(argTypes, argLocs, argAttrs, argNames)) ||
      failed(addInputs(argTypes, argLocs, argAttrs, argNames)))
    return {};

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  auto fn = func::FuncOp::create(builder, fileLoc, "main",
                                 builder.getFunctionType(argTypes, {}));
  Block *entry = builder.createBlock(&fn.getBody(), {}, argTypes, argLocs);
  for (auto [i, attrs] : llvm::enumerate(argAttrs))
    fn.setArgAttrs(i, attrs.getDictionary(ctx));
  // Arguments in order: the float initializers, then the graph inputs.
  for (auto [i, name] : llvm::enumerate(argNames))
    env[name].value = entry->getArgument(i);

  for (int i = 0; i < graph.node_size(); ++i)
    if (failed(importNode(i)))
      return {};

  SmallVector<Value> results;
  bool ok = true;
  for (const onnx::ValueInfoProto &info : graph.output()) {
    loc = NameLoc::get(builder.getStringAttr(info.name()), fileLoc);
    FailureOr<OnnxValue> v = lookup(info.name(), "graph output");
    if (failed(v))
      return {};
    Value result = materialize(*v);
    // Check the computed type against the declared one where it is known.
    auto type = cast<RankedTensorType>(result.getType());
    if (info.type().has_tensor_type()) {
      const onnx::TypeProto_Tensor &declared = info.type().tensor_type();
      std::optional<ElemKind> kind =
          kindOfOnnx(declared.elem_type(), options.f64AsF32);
      if (!kind || elemType(ctx, *kind) != type.getElementType()) {
        emitError(loc) << "graph output '" << info.name() << "' is declared as "
                       << onnxTypeName(declared.elem_type()) << " but computes "
                       << type.getElementType();
        ok = false;
      }
      if (declared.has_shape()) {
        const onnx::TensorShapeProto &shape = declared.shape();
        bool differ = shape.dim_size() != type.getRank();
        for (int d = 0; !differ && d < shape.dim_size(); ++d)
          differ = shape.dim(d).has_dim_value() &&
                   shape.dim(d).dim_value() != type.getDimSize(d);
        if (differ) {
          emitError(loc) << "graph output '" << info.name()
                         << "' is declared with a shape other than the "
                            "computed "
                         << shapeStr(type.getShape());
          ok = false;
        }
      }
    }
    results.push_back(result);
  }
  if (!ok)
    return {};
  func::ReturnOp::create(builder, fileLoc, results);
  SmallVector<Operation *> unused(maybeDead.begin(), maybeDead.end());
  for (bool changed = true; changed;) {
    changed = false;
    for (Operation *&op : unused)
      if (op && op->use_empty()) {
        op->erase();
        op = nullptr;
        changed = true;
      }
  }

  // Float initializers read only as constants (Clip bounds) are no
  // parameters: drop their arguments.
  llvm::BitVector dead(argTypes.size());
  for (auto [i, name] : llvm::enumerate(argNames))
    if (readAsConstant.contains(name) && entry->getArgument(i).use_empty())
      dead.set(i);
  if (dead.any()) {
    if (failed(fn.eraseArguments(dead)))
      return {};
  }
  fn.setType(builder.getFunctionType(entry->getArgumentTypes(),
                                     ValueRange(results).getTypes()));
  warnAboutFoldedParams(fn);

  if (failed(verify(*module)))
    return {};
  return module;
}

//===----------------------------------------------------------------------===//
// The entry point (model preparation is in OnnxModelChecks.cpp)
//===----------------------------------------------------------------------===//

namespace {

OwningOpRef<ModuleOp> importChecked(StringRef bytes, StringRef fileName,
                                    MLIRContext *ctx, bool isText,
                                    const OnnxImportOptions &options) {
  Location loc = FileLineColLoc::get(ctx, fileName, 0, 0);
  onnx::ModelProto model;
  if (failed(parseModel(bytes, isText, loc, model)))
    return {};
  if (!model.has_graph()) {
    emitError(loc) << "the ONNX model has no graph";
    return {};
  }
  // Unsupported ops first: that list is what a user acts on, and an op
  // unknown to ONNX would otherwise only get the checker's complaint.
  if (failed(checkSupportedOps(model, fileName, ctx)))
    return {};
  if (failed(applyShapeOptions(model, options, loc)))
    return {};
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    emitError(loc) << "the model fails the ONNX checker: " << trimmedMessage(e.what());
    return {};
  }
  if (failed(checkLayerNormAxes(model, fileName, ctx)))
    return {};
  try {
    onnx::shape_inference::InferShapes(
        model, onnx::OpSchemaRegistry::Instance(),
        onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict_mode=*/1));
  } catch (const std::exception &e) {
    emitError(loc) << "ONNX shape inference failed: " << trimmedMessage(e.what());
    return {};
  }
  return OnnxImporter(ctx, fileName, model, options).run();
}

} // namespace

OwningOpRef<ModuleOp>
mlir::wse::importOnnxModel(StringRef bytes, StringRef fileName,
                           MLIRContext *ctx, bool isText,
                           const OnnxImportOptions &options) {
  ctx->loadDialect<WseDialect, func::FuncDialect>();
  Location loc = FileLineColLoc::get(ctx, fileName, 0, 0);
  try {
    return importChecked(bytes, fileName, ctx, isText, options);
  } catch (const std::exception &e) {
    emitError(loc) << "ONNX import failed: " << trimmedMessage(e.what());
  } catch (...) {
    emitError(loc) << "ONNX import failed with an unknown exception";
  }
  return {};
}

void mlir::wse::registerOnnxImportDialects(DialectRegistry &registry) {
  registry.insert<WseDialect, func::FuncDialect>();
}
