//===- ImportOnnx.cpp - ONNX model -> wse dialect -------------------------===//
//
// Parses the model with libonnx (binary protobuf or ONNX's textual syntax),
// lists every unsupported op type, runs ONNX's checker and shape inference,
// then walks the (topologically sorted) graph and maps each node onto wse ops.
//
// libonnx reports errors by throwing while LLVM and MLIR are built without
// exceptions, so this file alone is compiled with -fexceptions and
// importOnnxModel catches everything: no exception leaves this file.
//
//===----------------------------------------------------------------------===//
#include "wse/Frontend/ImportOnnx.h"
#include "wse/WseDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"

#include <onnx/checker.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <climits>
#include <exception>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::wse;

namespace {

//===----------------------------------------------------------------------===//
// What the importer supports
//===----------------------------------------------------------------------===//

/// An ONNX op type the importer maps, from the first opset whose semantics it
/// implements (older Add/Gemm have the legacy `broadcast` attribute, older
/// Reshape takes the shape as an attribute).
struct SupportedOp {
  llvm::StringLiteral type;
  int64_t minOpset;
};
constexpr SupportedOp kSupportedOps[] = {
    {"Add", 7},      {"Constant", 1}, {"Flatten", 1}, {"Gemm", 7},
    {"Identity", 1}, {"MatMul", 1},   {"Relu", 1},    {"Reshape", 5},
};

static const SupportedOp *findSupported(StringRef type) {
  for (const SupportedOp &op : kSupportedOps)
    if (op.type == type)
      return &op;
  return nullptr;
}

static bool isDefaultDomain(StringRef domain) {
  return domain.empty() || domain == "ai.onnx";
}

/// The opset the model imports for `domain`, or -1.
static int64_t opsetOf(const onnx::ModelProto &model, StringRef domain) {
  for (const onnx::OperatorSetIdProto &id : model.opset_import())
    if (id.domain() == domain ||
        (isDefaultDomain(id.domain()) && isDefaultDomain(domain)))
      return id.version();
  return -1;
}

/// "float32", "int64", ... for an ONNX TensorProto::DataType.
static std::string dtypeName(int32_t dtype) {
  switch (dtype) {
  case onnx::TensorProto::FLOAT:
    return "float32";
  case onnx::TensorProto::DOUBLE:
    return "float64";
  case onnx::TensorProto::FLOAT16:
    return "float16";
  case onnx::TensorProto::BFLOAT16:
    return "bfloat16";
  case onnx::TensorProto::INT8:
    return "int8";
  case onnx::TensorProto::INT16:
    return "int16";
  case onnx::TensorProto::INT32:
    return "int32";
  case onnx::TensorProto::INT64:
    return "int64";
  case onnx::TensorProto::UINT8:
    return "uint8";
  case onnx::TensorProto::BOOL:
    return "bool";
  case onnx::TensorProto::STRING:
    return "string";
  default:
    if (onnx::TensorProto::DataType_IsValid(dtype))
      return llvm::StringRef(
                 onnx::TensorProto::DataType_Name(
                     static_cast<onnx::TensorProto::DataType>(dtype)))
          .lower();
    return "unknown type " + std::to_string(dtype);
  }
}

static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? "x" : "") + std::to_string(d);
  return s + "]";
}

/// The name diagnostics and locations use for node `index`.
static std::string nodeName(const onnx::NodeProto &node, int index) {
  if (!node.name().empty())
    return node.name();
  return node.op_type() + "_" + std::to_string(index);
}

static std::string opTypeKey(const onnx::NodeProto &node) {
  if (isDefaultDomain(node.domain()))
    return node.op_type();
  return node.domain() + "." + node.op_type();
}

static Location nodeLoc(MLIRContext *ctx, StringRef fileName,
                        const onnx::NodeProto &node, int index) {
  return NameLoc::get(StringAttr::get(ctx, nodeName(node, index)),
                      FileLineColLoc::get(ctx, fileName, 0, 0));
}

/// Reports every unsupported op type once, at its first node, then a summary.
static LogicalResult checkSupportedOps(const onnx::ModelProto &model,
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
        << ") at node '" << nodeName(node, use.firstNode) << "'";
    if (use.count > 1)
      diag << " and " << (use.count - 1) << " more node"
           << (use.count > 2 ? "s" : "");
    if (const SupportedOp *op = isDefaultDomain(node.domain())
                                    ? findSupported(node.op_type())
                                    : nullptr)
      diag << "; wse imports " << op->type << " from opset " << op->minOpset;
  }
  std::string types, supported;
  for (auto [i, entry] : llvm::enumerate(unsupported))
    types += (i ? ", " : "") + entry.first;
  for (auto [i, op] : llvm::enumerate(kSupportedOps))
    supported += (i ? ", " : "") + op.type.str();
  emitError(FileLineColLoc::get(ctx, fileName, 0, 0))
      << "the model uses " << unsupported.size() << " unsupported ONNX op type"
      << (unsupported.size() > 1 ? "s" : "") << ": " << types
      << " (wse imports " << supported << ")";
  return failure();
}

//===----------------------------------------------------------------------===//
// Tensor data
//===----------------------------------------------------------------------===//

/// A tensor known at import time that is not (yet) an SSA value: non-float
/// initializers and Constant nodes' int64 data, for ops that need constants
/// (Reshape's shape).
struct ConstTensor {
  int32_t dtype = onnx::TensorProto::UNDEFINED;
  SmallVector<int64_t> dims;
  std::vector<int64_t> ints; // int64 data only
  std::string origin;        // "initializer 'x'" or "Constant node 'c'"
};

static int64_t numElements(ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

/// Reads the payload of a float32 or int64 tensor (typed field or raw_data,
/// little-endian per the ONNX spec).
template <typename T>
static FailureOr<std::vector<T>> readTensorData(const onnx::TensorProto &t,
                                                Location loc, StringRef what) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return emitError(loc) << what
                          << " keeps its data in an external file, which the "
                             "importer does not read; save the model with "
                             "onnx.save(model, path, "
                             "save_as_external_data=False)";
  SmallVector<int64_t> dims(t.dims().begin(), t.dims().end());
  int64_t n = numElements(dims);
  std::vector<T> out;
  if (t.has_raw_data()) {
    const std::string &raw = t.raw_data();
    if (raw.size() != size_t(n) * sizeof(T))
      return emitError(loc)
             << what << " has " << raw.size() << " bytes of raw data, expected "
             << size_t(n) * sizeof(T) << " for shape " << shapeStr(dims);
    out.resize(n);
    for (int64_t i = 0; i < n; ++i)
      out[i] = llvm::support::endian::read<T, llvm::endianness::little>(
          raw.data() + i * sizeof(T));
    return out;
  }
  if constexpr (std::is_same_v<T, float>)
    out.assign(t.float_data().begin(), t.float_data().end());
  else
    out.assign(t.int64_data().begin(), t.int64_data().end());
  if (int64_t(out.size()) != n)
    return emitError(loc) << what << " has " << out.size()
                          << " values, expected " << n << " for shape "
                          << shapeStr(dims);
  return out;
}

//===----------------------------------------------------------------------===//
// The graph walk
//===----------------------------------------------------------------------===//

class OnnxImporter {
public:
  OnnxImporter(MLIRContext *ctx, StringRef fileName,
               const onnx::ModelProto &model)
      : ctx(ctx), fileName(fileName), model(model), builder(ctx),
        fileLoc(FileLineColLoc::get(ctx, fileName, 0, 0)) {}

  OwningOpRef<ModuleOp> run();

private:
  LogicalResult addInitializers(SmallVectorImpl<Type> &argTypes,
                                SmallVectorImpl<Location> &argLocs,
                                SmallVectorImpl<NamedAttrList> &argAttrs);
  LogicalResult addInputs(SmallVectorImpl<Type> &argTypes,
                          SmallVectorImpl<Location> &argLocs,
                          SmallVectorImpl<NamedAttrList> &argAttrs);
  FailureOr<RankedTensorType> valueInfoType(const onnx::ValueInfoProto &info,
                                            StringRef what);
  LogicalResult importNode(const onnx::NodeProto &node, int index);
  LogicalResult importConstant(const onnx::NodeProto &node, Location loc);
  LogicalResult importGemm(const onnx::NodeProto &node, Location loc,
                           bool isMatMul);
  LogicalResult importFlatten(const onnx::NodeProto &node, Location loc);
  LogicalResult importReshape(const onnx::NodeProto &node, Location loc);

  /// The float32 value named `name`, or an error naming `user` ("graph
  /// output", "input 1 of node 'Add_0' (Add)").
  FailureOr<Value> lookup(StringRef name, Location loc, const Twine &user);
  FailureOr<Value> input(const onnx::NodeProto &node, int i, Location loc);
  bool hasInput(const onnx::NodeProto &node, int i) const {
    return node.input_size() > i && !node.input(i).empty();
  }
  const onnx::AttributeProto *attr(const onnx::NodeProto &node,
                                   StringRef name) const;
  int64_t intAttr(const onnx::NodeProto &node, StringRef name,
                  int64_t dflt) const;
  float floatAttr(const onnx::NodeProto &node, StringRef name,
                  float dflt) const;
  void define(const onnx::NodeProto &node, Value v) {
    values[node.output(0)] = v;
  }
  /// "node 'Gemm_0' (Gemm)" for messages.
  std::string describe(const onnx::NodeProto &node) const {
    return "node '" + currentName + "' (" + node.op_type() + ")";
  }
  /// Infers OpTy's result type, re-emitting its complaint with node context.
  template <typename OpTy>
  FailureOr<Type> inferType(const onnx::NodeProto &node, Location loc,
                            ValueRange operands,
                            typename OpTy::Properties props);

  MLIRContext *ctx;
  StringRef fileName;
  const onnx::ModelProto &model;
  OpBuilder builder;
  Location fileLoc;
  std::string currentName;
  llvm::StringMap<Value> values;
  llvm::StringMap<ConstTensor> consts;
};

const onnx::AttributeProto *OnnxImporter::attr(const onnx::NodeProto &node,
                                               StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t OnnxImporter::intAttr(const onnx::NodeProto &node, StringRef name,
                              int64_t dflt) const {
  const onnx::AttributeProto *a = attr(node, name);
  return a ? a->i() : dflt;
}

float OnnxImporter::floatAttr(const onnx::NodeProto &node, StringRef name,
                              float dflt) const {
  const onnx::AttributeProto *a = attr(node, name);
  return a ? a->f() : dflt;
}

FailureOr<RankedTensorType>
OnnxImporter::valueInfoType(const onnx::ValueInfoProto &info, StringRef what) {
  Location loc = NameLoc::get(builder.getStringAttr(info.name()), fileLoc);
  if (!info.type().has_tensor_type())
    return emitError(loc) << what << " '" << info.name()
                          << "' is not a tensor; wse imports float32 tensors "
                             "only";
  const onnx::TypeProto_Tensor &tensor = info.type().tensor_type();
  if (tensor.elem_type() != onnx::TensorProto::FLOAT)
    return emitError(loc) << what << " '" << info.name()
                          << "' has element type "
                          << dtypeName(tensor.elem_type())
                          << "; wse imports float32 tensors only";
  if (!tensor.has_shape())
    return emitError(loc) << what << " '" << info.name()
                          << "' has no shape; wse needs static shapes";
  SmallVector<int64_t> shape;
  bool ok = true;
  for (auto [i, dim] : llvm::enumerate(tensor.shape().dim())) {
    if (dim.has_dim_value() && dim.dim_value() >= 0) {
      shape.push_back(dim.dim_value());
      continue;
    }
    InFlightDiagnostic diag = emitError(loc) << what << " '" << info.name()
                                             << "' dimension " << i << " is ";
    if (dim.has_dim_param())
      diag << "dynamic ('" << dim.dim_param() << "')";
    else
      diag << "unknown";
    diag << "; wse needs static shapes (export with fixed sizes, e.g. "
            "torch.onnx.export without dynamic_axes)";
    ok = false;
  }
  if (!ok)
    return failure();
  return RankedTensorType::get(shape, builder.getF32Type());
}

LogicalResult
OnnxImporter::addInitializers(SmallVectorImpl<Type> &argTypes,
                              SmallVectorImpl<Location> &argLocs,
                              SmallVectorImpl<NamedAttrList> &argAttrs) {
  const onnx::GraphProto &graph = model.graph();
  if (graph.sparse_initializer_size() > 0)
    return emitError(fileLoc)
           << "sparse initializer '"
           << graph.sparse_initializer(0).values().name()
           << "' is not supported; store it as a dense initializer";
  for (const onnx::TensorProto &t : graph.initializer()) {
    Location loc = NameLoc::get(builder.getStringAttr(t.name()), fileLoc);
    std::string what = "initializer '" + t.name() + "'";
    SmallVector<int64_t> dims(t.dims().begin(), t.dims().end());
    if (t.data_type() != onnx::TensorProto::FLOAT) {
      // Not a parameter: constant data for the ops that take constants.
      ConstTensor &c = consts[t.name()];
      c.dtype = t.data_type();
      c.dims = dims;
      c.origin = what;
      if (t.data_type() == onnx::TensorProto::INT64) {
        FailureOr<std::vector<int64_t>> data =
            readTensorData<int64_t>(t, loc, what);
        if (failed(data))
          return failure();
        c.ints = std::move(*data);
      }
      continue;
    }
    FailureOr<std::vector<float>> data = readTensorData<float>(t, loc, what);
    if (failed(data))
      return failure();
    auto type = RankedTensorType::get(dims, builder.getF32Type());
    auto init = DenseResourceElementsAttr::get(
        type, t.name(),
        HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(*data)));
    argTypes.push_back(type);
    argLocs.push_back(loc);
    NamedAttrList attrs;
    attrs.set(kParamAttr, builder.getStringAttr(t.name()));
    attrs.set(kInitAttr, init);
    argAttrs.push_back(std::move(attrs));
  }
  return success();
}

LogicalResult
OnnxImporter::addInputs(SmallVectorImpl<Type> &argTypes,
                        SmallVectorImpl<Location> &argLocs,
                        SmallVectorImpl<NamedAttrList> &argAttrs) {
  llvm::StringSet<> initNames;
  for (const onnx::TensorProto &t : model.graph().initializer())
    initNames.insert(t.name());
  bool ok = true;
  for (const onnx::ValueInfoProto &info : model.graph().input()) {
    if (initNames.contains(info.name()))
      continue; // an initializer listed as input (IR < 4): a parameter
    FailureOr<RankedTensorType> type = valueInfoType(info, "graph input");
    if (failed(type)) {
      ok = false; // report every bad input
      continue;
    }
    argTypes.push_back(*type);
    argLocs.push_back(
        NameLoc::get(builder.getStringAttr(info.name()), fileLoc));
    NamedAttrList attrs;
    attrs.set(kInputAttr, builder.getStringAttr(info.name()));
    argAttrs.push_back(std::move(attrs));
  }
  return success(ok);
}

FailureOr<Value> OnnxImporter::lookup(StringRef name, Location loc,
                                      const Twine &user) {
  if (Value v = values.lookup(name))
    return v;
  auto it = consts.find(name);
  if (it != consts.end()) {
    std::string dtype = dtypeName(it->second.dtype);
    return emitError(loc) << user << " '" << name << "' is "
                          << (StringRef("aeiou").contains(dtype[0]) ? "an "
                                                                    : "a ")
                          << dtype << " tensor (" << it->second.origin
                          << "); wse imports float32 tensors only as values "
                             "(int64 only as the shape of a Reshape)";
  }
  return emitError(loc) << user << " '" << name
                        << "' is not defined before its use";
}

FailureOr<Value> OnnxImporter::input(const onnx::NodeProto &node, int i,
                                     Location loc) {
  if (!hasInput(node, i))
    return emitError(loc) << describe(node) << " lacks input " << i;
  return lookup(node.input(i), loc,
                "input " + Twine(i) + " of " + describe(node));
}

template <typename OpTy>
FailureOr<Type> OnnxImporter::inferType(const onnx::NodeProto &node,
                                        Location loc, ValueRange operands,
                                        typename OpTy::Properties props) {
  SmallVector<Type> types;
  std::string why;
  {
    ScopedDiagnosticHandler capture(ctx, [&](Diagnostic &d) {
      why = d.str();
      return success();
    });
    if (succeeded(OpTy::inferReturnTypes(ctx, loc, operands, DictionaryAttr(),
                                         OpaqueProperties(&props),
                                         RegionRange(), types)))
      return types.front();
  }
  return emitError(loc) << describe(node) << ": " << why;
}

LogicalResult OnnxImporter::importGemm(const onnx::NodeProto &node,
                                       Location loc, bool isMatMul) {
  FailureOr<Value> a = input(node, 0, loc), b = input(node, 1, loc);
  if (failed(a) || failed(b))
    return failure();
  Value bias;
  if (!isMatMul && hasInput(node, 2)) {
    FailureOr<Value> c = input(node, 2, loc);
    if (failed(c))
      return failure();
    bias = *c;
  }
  auto aType = cast<RankedTensorType>(a->getType());
  auto bType = cast<RankedTensorType>(b->getType());
  if (isMatMul && (aType.getRank() != 2 || bType.getRank() != 2))
    return emitError(loc) << describe(node)
                          << ": wse imports 2-D MatMul only, got "
                          << shapeStr(aType.getShape()) << " x "
                          << shapeStr(bType.getShape());
  bool transA = !isMatMul && intAttr(node, "transA", 0) != 0;
  bool transB = !isMatMul && intAttr(node, "transB", 0) != 0;
  float alpha = isMatMul ? 1.0f : floatAttr(node, "alpha", 1.0f);
  float beta = isMatMul ? 1.0f : floatAttr(node, "beta", 1.0f);

  MatmulOp::Properties props;
  props.setTransposeA(builder.getBoolAttr(transA));
  props.setTransposeB(builder.getBoolAttr(transB));
  props.setAlpha(builder.getF32FloatAttr(alpha));
  props.setBeta(builder.getF32FloatAttr(beta));
  SmallVector<Value> operands{*a, *b};
  if (bias)
    operands.push_back(bias);
  FailureOr<Type> type = inferType<MatmulOp>(node, loc, operands, props);
  if (failed(type))
    return failure();
  define(node, MatmulOp::create(builder, loc, *type, *a, *b, bias, transA,
                                transB, APFloat(alpha), APFloat(beta)));
  return success();
}

LogicalResult OnnxImporter::importFlatten(const onnx::NodeProto &node,
                                          Location loc) {
  FailureOr<Value> x = input(node, 0, loc);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  int64_t axis = intAttr(node, "axis", 1);
  if (axis < -rank || axis > rank)
    return emitError(loc) << describe(node) << ": axis " << axis
                          << " is out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  int64_t outer = numElements(type.getShape().take_front(axis));
  int64_t inner = numElements(type.getShape().drop_front(axis));
  auto result = RankedTensorType::get({outer, inner}, type.getElementType());
  if (result == type) {
    define(node, *x);
    return success();
  }
  define(node, ReshapeOp::create(builder, loc, result, *x));
  return success();
}

LogicalResult OnnxImporter::importReshape(const onnx::NodeProto &node,
                                          Location loc) {
  FailureOr<Value> x = input(node, 0, loc);
  if (failed(x))
    return failure();
  if (!hasInput(node, 1))
    return emitError(loc) << describe(node) << " lacks its shape input";
  StringRef shapeName = node.input(1);
  auto it = consts.find(shapeName);
  if (it == consts.end())
    return emitError(loc) << describe(node) << ": the shape '" << shapeName
                          << "' is computed at run time; wse needs a constant "
                             "shape (an initializer or a Constant node)";
  const ConstTensor &shape = it->second;
  if (shape.dtype != onnx::TensorProto::INT64 || shape.dims.size() != 1)
    return emitError(loc) << describe(node) << ": the shape '" << shapeName
                          << "' must be a 1-D int64 tensor, got "
                          << dtypeName(shape.dtype) << " "
                          << shapeStr(shape.dims);

  auto inType = cast<RankedTensorType>(x->getType());
  ArrayRef<int64_t> in = inType.getShape();
  bool allowZero = intAttr(node, "allowzero", 0) != 0;
  SmallVector<int64_t> out;
  int inferIdx = -1;
  int64_t known = 1;
  for (auto [i, s] : llvm::enumerate(shape.ints)) {
    int64_t d = s;
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return emitError(loc) << describe(node) << ": shape entry " << i
                              << " is 0 (copy the input dimension) but the "
                                 "input "
                              << shapeStr(in) << " has rank " << in.size();
      d = in[i];
    } else if (d == -1) {
      if (inferIdx >= 0)
        return emitError(loc)
               << describe(node) << ": shape " << shapeStr(shape.ints)
               << " has more than one -1";
      inferIdx = i;
      out.push_back(-1);
      continue;
    } else if (d < 0) {
      return emitError(loc)
             << describe(node) << ": shape " << shapeStr(shape.ints)
             << " has invalid entry " << d;
    }
    known *= d;
    out.push_back(d);
  }
  int64_t total = inType.getNumElements();
  if (inferIdx >= 0) {
    if (known == 0 || total % known != 0)
      return emitError(loc)
             << describe(node) << ": cannot reshape " << shapeStr(in) << " ("
             << total << " elements) to " << shapeStr(shape.ints);
    out[inferIdx] = total / known;
  } else if (known != total) {
    return emitError(loc) << describe(node) << ": cannot reshape "
                          << shapeStr(in) << " (" << total << " elements) to "
                          << shapeStr(out) << " (" << known << " elements)";
  }
  auto result = RankedTensorType::get(out, inType.getElementType());
  if (result == inType) {
    define(node, *x);
    return success();
  }
  define(node, ReshapeOp::create(builder, loc, result, *x));
  return success();
}

LogicalResult OnnxImporter::importConstant(const onnx::NodeProto &node,
                                           Location loc) {
  if (node.attribute_size() != 1)
    return emitError(loc) << describe(node)
                          << " must have exactly one value attribute";
  const onnx::AttributeProto &a = node.attribute(0);
  std::string what = "Constant node '" + currentName + "'";
  onnx::TensorProto tensor;
  if (a.name() == "value") {
    tensor = a.t();
  } else if (a.name() == "value_float") {
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    tensor.add_float_data(a.f());
  } else if (a.name() == "value_floats") {
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    tensor.add_dims(a.floats_size());
    tensor.mutable_float_data()->CopyFrom(a.floats());
  } else if (a.name() == "value_int") {
    tensor.set_data_type(onnx::TensorProto::INT64);
    tensor.add_int64_data(a.i());
  } else if (a.name() == "value_ints") {
    tensor.set_data_type(onnx::TensorProto::INT64);
    tensor.add_dims(a.ints_size());
    tensor.mutable_int64_data()->CopyFrom(a.ints());
  } else {
    return emitError(loc) << describe(node) << ": attribute '" << a.name()
                          << "' is not supported (use 'value' with a dense "
                             "tensor)";
  }
  SmallVector<int64_t> dims(tensor.dims().begin(), tensor.dims().end());
  if (tensor.data_type() == onnx::TensorProto::FLOAT) {
    FailureOr<std::vector<float>> data =
        readTensorData<float>(tensor, loc, what);
    if (failed(data))
      return failure();
    auto type = RankedTensorType::get(dims, builder.getF32Type());
    auto value = DenseElementsAttr::get(type, ArrayRef<float>(*data));
    define(node, ConstantOp::create(builder, loc, value));
    return success();
  }
  ConstTensor &c = consts[node.output(0)];
  c.dtype = tensor.data_type();
  c.dims = dims;
  c.origin = what;
  if (tensor.data_type() == onnx::TensorProto::INT64) {
    FailureOr<std::vector<int64_t>> data =
        readTensorData<int64_t>(tensor, loc, what);
    if (failed(data))
      return failure();
    c.ints = std::move(*data);
  }
  return success();
}

LogicalResult OnnxImporter::importNode(const onnx::NodeProto &node, int index) {
  currentName = nodeName(node, index);
  Location loc = nodeLoc(ctx, fileName, node, index);
  if (node.output_size() < 1 || node.output(0).empty())
    return emitError(loc) << describe(node) << " has no output";
  if (node.output_size() > 1)
    return emitError(loc) << describe(node) << " has " << node.output_size()
                          << " outputs; wse imports its single-output form";
  StringRef type = node.op_type();

  if (type == "Constant")
    return importConstant(node, loc);
  if (type == "Identity") {
    if (!hasInput(node, 0))
      return emitError(loc) << describe(node) << " lacks input 0";
    auto c = consts.find(node.input(0));
    if (c != consts.end()) {
      ConstTensor copy = c->second;
      consts[node.output(0)] = std::move(copy);
      return success();
    }
    FailureOr<Value> x = input(node, 0, loc);
    if (failed(x))
      return failure();
    define(node, *x);
    return success();
  }
  if (type == "Gemm" || type == "MatMul")
    return importGemm(node, loc, type == "MatMul");
  if (type == "Flatten")
    return importFlatten(node, loc);
  if (type == "Reshape")
    return importReshape(node, loc);
  if (type == "Add") {
    FailureOr<Value> l = input(node, 0, loc), r = input(node, 1, loc);
    if (failed(l) || failed(r))
      return failure();
    SmallVector<int64_t> shape;
    auto lt = cast<RankedTensorType>(l->getType());
    auto rt = cast<RankedTensorType>(r->getType());
    if (failed(broadcastShapes(lt.getShape(), rt.getShape(), shape)))
      return emitError(loc)
             << describe(node) << ": operands " << shapeStr(lt.getShape())
             << " and " << shapeStr(rt.getShape()) << " do not broadcast";
    define(node,
           AddOp::create(builder, loc,
                         RankedTensorType::get(shape, lt.getElementType()), *l,
                         *r));
    return success();
  }
  if (type == "Relu") {
    FailureOr<Value> x = input(node, 0, loc);
    if (failed(x))
      return failure();
    define(node, ReluOp::create(builder, loc, x->getType(), *x));
    return success();
  }
  // checkSupportedOps has already rejected everything else.
  return emitError(loc) << describe(node) << " is not supported";
}

OwningOpRef<ModuleOp> OnnxImporter::run() {
  const onnx::GraphProto &graph = model.graph();
  SmallVector<Type> argTypes;
  SmallVector<Location> argLocs;
  SmallVector<NamedAttrList> argAttrs;
  if (failed(addInitializers(argTypes, argLocs, argAttrs)) ||
      failed(addInputs(argTypes, argLocs, argAttrs)))
    return {};

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  auto fn = func::FuncOp::create(builder, fileLoc, "main",
                                 builder.getFunctionType(argTypes, {}));
  Block *entry = builder.createBlock(&fn.getBody(), {}, argTypes, argLocs);
  for (auto [i, attrs] : llvm::enumerate(argAttrs))
    fn.setArgAttrs(i, attrs.getDictionary(ctx));

  // Arguments in order: the float initializers, then the graph inputs.
  unsigned argIdx = 0;
  for (const onnx::TensorProto &t : graph.initializer())
    if (t.data_type() == onnx::TensorProto::FLOAT)
      values[t.name()] = entry->getArgument(argIdx++);
  for (const onnx::ValueInfoProto &info : graph.input())
    if (!values.count(info.name()) && !consts.count(info.name()))
      values[info.name()] = entry->getArgument(argIdx++);

  for (int i = 0; i < graph.node_size(); ++i)
    if (failed(importNode(graph.node(i), i)))
      return {};

  SmallVector<Value> results;
  bool ok = true;
  for (const onnx::ValueInfoProto &info : graph.output()) {
    Location loc = NameLoc::get(builder.getStringAttr(info.name()), fileLoc);
    FailureOr<Value> v = lookup(info.name(), loc, "graph output");
    if (failed(v))
      return {};
    // Check the computed type against the declared one where it is static.
    auto type = cast<RankedTensorType>(v->getType());
    if (info.type().has_tensor_type() &&
        info.type().tensor_type().has_shape()) {
      const onnx::TensorShapeProto &shape = info.type().tensor_type().shape();
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
    results.push_back(*v);
  }
  if (!ok)
    return {};
  func::ReturnOp::create(builder, fileLoc, results);
  fn.setType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));

  if (failed(verify(*module)))
    return {};
  return module;
}

//===----------------------------------------------------------------------===//
// Parsing and checking
//===----------------------------------------------------------------------===//

/// Strips the trailing newlines of exception messages.
static StringRef trimmed(const char *msg) { return StringRef(msg).rtrim(); }

static LogicalResult parseModel(StringRef bytes, bool isText, Location loc,
                                onnx::ModelProto &model) {
  if (bytes.empty())
    return emitError(loc) << "the input is empty, not an ONNX model";
  if (isText) {
    std::string text = bytes.str(); // the parser wants a NUL-terminated string
    onnx::Status status = onnx::OnnxParser::Parse(model, text.c_str());
    if (!status.IsOK())
      return emitError(loc) << "cannot parse the ONNX text model: "
                            << trimmed(status.ErrorMessage().c_str());
    return success();
  }
  if (bytes.size() > size_t(INT_MAX))
    return emitError(loc) << "the model is " << bytes.size()
                          << " bytes; a binary ONNX model is limited to 2 GiB";
  if (!model.ParseFromArray(bytes.data(), int(bytes.size())))
    return emitError(loc) << "cannot parse the input as a binary ONNX model "
                             "(ModelProto); for ONNX text syntax use "
                             "--import-onnx-text";
  return success();
}

static OwningOpRef<ModuleOp> importChecked(StringRef bytes, StringRef fileName,
                                           MLIRContext *ctx, bool isText) {
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
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    emitError(loc) << "the model fails the ONNX checker: " << trimmed(e.what());
    return {};
  }
  try {
    onnx::shape_inference::InferShapes(
        model, onnx::OpSchemaRegistry::Instance(),
        onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict_mode=*/1));
  } catch (const std::exception &e) {
    emitError(loc) << "ONNX shape inference failed: " << trimmed(e.what());
    return {};
  }
  return OnnxImporter(ctx, fileName, model).run();
}

} // namespace

OwningOpRef<ModuleOp> mlir::wse::importOnnxModel(StringRef bytes,
                                                 StringRef fileName,
                                                 MLIRContext *ctx,
                                                 bool isText) {
  ctx->loadDialect<WseDialect, func::FuncDialect>();
  Location loc = FileLineColLoc::get(ctx, fileName, 0, 0);
  try {
    return importChecked(bytes, fileName, ctx, isText);
  } catch (const std::exception &e) {
    emitError(loc) << "ONNX import failed: " << trimmed(e.what());
  } catch (...) {
    emitError(loc) << "ONNX import failed with an unknown exception";
  }
  return {};
}

void mlir::wse::registerOnnxImportDialects(DialectRegistry &registry) {
  registry.insert<WseDialect, func::FuncDialect>();
}
