//===- OnnxImporter.h - state shared by the ONNX importer's files -*- C++
//-*-===//
//
// Private to lib/Frontend/ONNX. The importer walks the (topologically
// sorted) graph once. Every ONNX value name maps to an OnnxValue: an SSA value
// (graph input, parameter, op result), or data known at import time (Constant
// nodes, integer and bool initializers, and whatever the importer folded from
// them: shape subgraphs like Shape -> Gather -> Concat -> Reshape end as
// constants). A constant becomes a wse.constant only where an op needs it as
// a value.
//
// The handlers are OnnxImporter members, one file per op family:
// ImportElementwise.cpp, ImportShape.cpp, ImportReduce.cpp, ImportNN.cpp and
// ImportMatmul.cpp; OnnxConstants.cpp holds tensor data and folding;
// ImportOnnx.cpp is the driver. These files are compiled with -fexceptions
// because libonnx throws; nothing throws out of importOnnxModel.
//
//===----------------------------------------------------------------------===//
#ifndef WSE_LIB_FRONTEND_ONNX_ONNXIMPORTER_H
#define WSE_LIB_FRONTEND_ONNX_ONNXIMPORTER_H

#include "wse/Frontend/ImportOnnx.h"
#include "wse/WseDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <onnx/onnx_pb.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::wse::onnximport {

//===----------------------------------------------------------------------===//
// Element types and tensor data
//===----------------------------------------------------------------------===//

/// The element types wse computes with. ONNX float16/bfloat16 (and float64
/// with OnnxImportOptions::f64AsF32) become F32.
enum class ElemKind { F32, I64, I32, I1 };

Type elemType(MLIRContext *ctx, ElemKind kind);
/// The kind of an f32/i64/i32/i1 type; nullopt for anything else.
std::optional<ElemKind> kindOf(Type elementType);
StringRef kindName(ElemKind kind); // "f32", "i64", ...
/// The kind an ONNX TensorProto::DataType imports as, or nullopt.
std::optional<ElemKind> kindOfOnnx(int32_t dtype, bool f64AsF32);
/// "float32", "int64", ... for messages.
std::string onnxTypeName(int32_t dtype);
std::string shapeStr(ArrayRef<int64_t> shape);
int64_t numElements(ArrayRef<int64_t> shape);

/// Import-time data larger than this is not created by folding: ops that
/// would produce it from small inputs (ConstantOfShape, Range) are errors,
/// broadcasts of constants are left to run time.
constexpr int64_t kMaxFoldElements = int64_t(1) << 26;

/// Tensor data known at import time.
struct ConstTensor {
  ElemKind kind = ElemKind::F32;
  SmallVector<int64_t> shape;
  std::vector<float> floats; // F32 data
  std::vector<int64_t> ints; // I64, I32 and I1 (0 or 1) data

  int64_t size() const { return numElements(shape); }
  bool isFloat() const { return kind == ElemKind::F32; }
  double getDouble(int64_t i) const {
    return isFloat() ? double(floats[i]) : double(ints[i]);
  }
  int64_t getInt(int64_t i) const {
    return isFloat() ? int64_t(floats[i]) : ints[i];
  }
  /// A tensor of `kind` and `shape` with room for its data.
  static ConstTensor make(ElemKind kind, ArrayRef<int64_t> shape);
  /// Sets element i from a double (rounded to the kind: float, wrapped
  /// integer, or bool as != 0).
  void setDouble(int64_t i, double v);
  void setInt(int64_t i, int64_t v);
};
using ConstPtr = std::shared_ptr<const ConstTensor>;

/// Reads an initializer or Constant's tensor. `what` names it for messages.
FailureOr<ConstTensor> readTensor(const onnx::TensorProto &t, Location loc,
                                  StringRef what, bool f64AsF32);

/// The DenseElementsAttr of a constant.
DenseElementsAttr toAttr(MLIRContext *ctx, const ConstTensor &c);

// Folding. Each returns a new tensor; element i of the result is computed
// the way the corresponding wse op defines it.
ConstTensor foldPick(const ConstTensor &src, ArrayRef<int64_t> shape,
                     ArrayRef<int64_t> srcIndex);
ConstTensor foldReshape(const ConstTensor &src, ArrayRef<int64_t> shape);
ConstTensor foldTranspose(const ConstTensor &src, ArrayRef<int64_t> perm);
ConstTensor foldBroadcast(const ConstTensor &src, ArrayRef<int64_t> shape);
ConstTensor foldSlice(const ConstTensor &src, ArrayRef<int64_t> start,
                      ArrayRef<int64_t> stride, ArrayRef<int64_t> shape);
ConstTensor foldConcat(ArrayRef<const ConstTensor *> parts, int64_t axis);
ConstTensor foldCast(const ConstTensor &src, ElemKind kind);
/// Indices must be in [-dim, dim) (checked by the caller).
ConstTensor foldGather(const ConstTensor &data, const ConstTensor &indices,
                       int64_t axis);

//===----------------------------------------------------------------------===//
// Values during the walk
//===----------------------------------------------------------------------===//

/// What an ONNX value name stands for.
struct OnnxValue {
  /// The SSA value, if any (graph inputs, parameters, op results).
  Value value;
  /// Data known at import time: constants, and the initial value of a
  /// float parameter (which is also `value`).
  ConstPtr data;
  /// Where a constant came from (its Constant node, the node that folded it,
  /// or its initializer): the location of its wse.constant.
  LocationAttr origin;

  /// A constant that has no SSA value: ops on it fold.
  bool isConstant() const { return !value && data; }
  explicit operator bool() const { return value || data; }
  static OnnxValue of(Value v) { return {v, nullptr, {}}; }
  static OnnxValue of(ConstTensor c) {
    return {Value(), std::make_shared<const ConstTensor>(std::move(c)), {}};
  }
};

/// The importer. See ImportOnnx.cpp for the walk.
class OnnxImporter {
public:
  OnnxImporter(MLIRContext *ctx, StringRef fileName,
               const onnx::ModelProto &model, const OnnxImportOptions &options);

  void warnAboutFoldedParams(func::FuncOp fn);
  OwningOpRef<ModuleOp> run();

  // The op handlers. Each reads `node` and defines its outputs.
  LogicalResult importUnary();
  LogicalResult importActivation();
  LogicalResult importClip();
  LogicalResult importBinary();
  LogicalResult importVariadic();
  LogicalResult importWhere();
  LogicalResult importCast();
  LogicalResult importIsInfNaN();

  LogicalResult importConstant();
  LogicalResult importConstantOfShape();
  LogicalResult importShape();
  LogicalResult importSize();
  LogicalResult importIdentity();
  LogicalResult importDropout();
  LogicalResult importReshape();
  LogicalResult importFlatten();
  LogicalResult importTranspose();
  LogicalResult importUnsqueeze();
  LogicalResult importSqueeze();
  LogicalResult importConcat();
  LogicalResult importSplit();
  LogicalResult importSlice();
  LogicalResult importGather();
  LogicalResult importGatherElements();
  LogicalResult importScatterElements();
  FailureOr<OnnxValue> elementIndices(RankedTensorType dataType,
                                      const OnnxValue &indices, int64_t axis);
  LogicalResult importExpand();
  LogicalResult importTile();
  LogicalResult importRange();
  LogicalResult importTrilu();
  LogicalResult importEyeLike();
  LogicalResult importOneHot();

  LogicalResult importReduce();
  LogicalResult importGlobalPool();
  LogicalResult importArgReduce();
  LogicalResult importCumSum();
  LogicalResult importTopK();

  LogicalResult importSoftmax();
  LogicalResult importLayerNorm();
  LogicalResult importSoftmaxCrossEntropy();
  LogicalResult importNllLoss();
  LogicalResult importBatchNorm();
  LogicalResult importInstanceNorm();

  LogicalResult importMatMul();
  LogicalResult importGemm();
  LogicalResult importEinsum();

  //===--------------------------------------------------------------------===//
  // The current node
  //===--------------------------------------------------------------------===//

  const onnx::NodeProto *node = nullptr;
  std::string nodeName; // the name, or <op_type>_<index>
  Location loc;
  int64_t opset = 0; // of the default domain

  /// An error at the node: "node 'n' (Op): " then the caller's text.
  InFlightDiagnostic fail();
  StringRef opType() const { return node->op_type(); }

  const onnx::AttributeProto *attr(StringRef name) const;
  int64_t intAttr(StringRef name, int64_t dflt) const;
  float floatAttr(StringRef name, float dflt) const;
  std::string stringAttr(StringRef name, StringRef dflt) const;
  std::optional<SmallVector<int64_t>> intsAttr(StringRef name) const;

  bool hasInput(int i) const {
    return node->input_size() > i && !node->input(i).empty();
  }
  bool hasOutput(int i) const {
    return node->output_size() > i && !node->output(i).empty();
  }
  /// Input i (an error if absent or unknown).
  FailureOr<OnnxValue> input(int i);
  /// Input i as an SSA value: constants become wse.constant.
  FailureOr<Value> inputValue(int i);
  /// Input i's data, which must be known at import (a constant or a
  /// folded shape computation; also a float initializer's initial value).
  /// `what` names it in the error: "shape", "axes", ...
  FailureOr<ConstPtr> constInput(int i, StringRef what);
  /// Integer data of a constant input (any integer kind).
  FailureOr<SmallVector<int64_t>> intsInput(int i, StringRef what);

  void define(int i, Value v) { env[node->output(i)] = OnnxValue::of(v); }
  void define(int i, OnnxValue v) {
    if (v.isConstant() && !v.origin)
      v.origin = loc;
    env[node->output(i)] = std::move(v);
  }
  void defineConst(int i, ConstTensor c) {
    define(i, OnnxValue::of(std::move(c)));
  }

  //===--------------------------------------------------------------------===//
  // Building
  //===--------------------------------------------------------------------===//

  OpBuilder builder;
  MLIRContext *ctx;

  RankedTensorType typeOf(const OnnxValue &v) const;
  std::optional<ElemKind> kindOfValue(const OnnxValue &v) const {
    return kindOf(typeOf(v).getElementType());
  }
  /// The SSA value of `v`: a constant becomes a wse.constant (once).
  Value materialize(const OnnxValue &v);
  Value constantOp(const ConstTensor &c);
  /// A scalar (or `shape`-splat) constant of `kind`.
  Value splat(ElemKind kind, double v, ArrayRef<int64_t> shape = {});

  /// Creates OpTy with result types from its type inference; an inference
  /// complaint becomes an error at the node.
  template <typename OpTy>
  FailureOr<Value> emit(ValueRange operands,
                        ArrayRef<NamedAttribute> attrs = {});

  // Data movement on values or constants; constants fold.
  OnnxValue reshape(const OnnxValue &v, ArrayRef<int64_t> shape);
  OnnxValue transpose(const OnnxValue &v, ArrayRef<int64_t> perm);
  OnnxValue broadcastTo(const OnnxValue &v, ArrayRef<int64_t> shape);
  /// `start`/`stride` per dim, normalized; `shape` is the result shape.
  OnnxValue slice(const OnnxValue &v, ArrayRef<int64_t> start,
                  ArrayRef<int64_t> stride, ArrayRef<int64_t> shape);
  FailureOr<OnnxValue> concat(ArrayRef<OnnxValue> parts, int64_t axis);
  OnnxValue convert(const OnnxValue &v, ElemKind kind);
  Value reshape(Value v, ArrayRef<int64_t> shape) {
    return materialize(reshape(OnnxValue::of(v), shape));
  }
  Value transpose(Value v, ArrayRef<int64_t> perm) {
    return materialize(transpose(OnnxValue::of(v), perm));
  }
  Value convert(Value v, ElemKind kind) {
    return materialize(convert(OnnxValue::of(v), kind));
  }
  /// A broadcasting binary op by ONNX op type ("Add", "Equal", ...), folded
  /// when both operands are constants.
  FailureOr<OnnxValue> binary(StringRef type, const OnnxValue &l,
                              const OnnxValue &r);
  /// Fails unless import-time data of `shape` stays within kMaxFoldElements.
  LogicalResult checkDataSize(ArrayRef<int64_t> shape, StringRef what);
  /// cond ? a : b with broadcasting, folded when all three are constants.
  FailureOr<OnnxValue> select(const OnnxValue &cond, const OnnxValue &a,
                              const OnnxValue &b);
  /// Ops a later rewrite may have left unused (a transpose folded into a
  /// matmul); erased after the walk if nothing else uses them.
  llvm::SetVector<Operation *> maybeDead;

  /// Normalizes `axis` into [0, rank) or fails naming `what`.
  LogicalResult normalizeAxis(int64_t &axis, int64_t rank,
                              StringRef what = "axis");
  /// Normalizes, sorts and checks reduction-like axes.
  LogicalResult normalizeAxes(SmallVectorImpl<int64_t> &axes, int64_t rank,
                              StringRef what = "axes");

private:
  StringRef fileName;
  const onnx::ModelProto &model;
  const OnnxImportOptions &options;
  Location fileLoc;
  llvm::StringMap<OnnxValue> env;
  /// Why a name cannot be used (an initializer of an unsupported type).
  llvm::StringMap<std::string> unusable;
  /// Float initializers read as constants (Clip bounds): their arguments
  /// are dropped if nothing else uses them.
  llvm::StringSet<> readAsConstant;
  /// The wse.constant of each constant used as a value. Holding the data
  /// keeps its address from being reused by another constant.
  llvm::DenseMap<const ConstTensor *, std::pair<ConstPtr, Value>> materialized;

  LogicalResult addInitializers(SmallVectorImpl<Type> &argTypes,
                                SmallVectorImpl<Location> &argLocs,
                                SmallVectorImpl<NamedAttrList> &argAttrs,
                                SmallVectorImpl<std::string> &argNames);
  void addUntiedParams(SmallVectorImpl<Type> &argTypes,
                       SmallVectorImpl<Location> &argLocs,
                       SmallVectorImpl<NamedAttrList> &argAttrs,
                       SmallVectorImpl<std::string> &argNames);
  LogicalResult addInputs(SmallVectorImpl<Type> &argTypes,
                          SmallVectorImpl<Location> &argLocs,
                          SmallVectorImpl<NamedAttrList> &argAttrs,
                          SmallVectorImpl<std::string> &argNames);
  FailureOr<RankedTensorType> valueInfoType(const onnx::ValueInfoProto &info,
                                            StringRef what);
  LogicalResult importNode(int index);
  FailureOr<OnnxValue> lookup(StringRef name, const Twine &user);
};

template <typename OpTy>
FailureOr<Value> OnnxImporter::emit(ValueRange operands,
                                    ArrayRef<NamedAttribute> attrs) {
  OperationState state(loc, OpTy::getOperationName());
  state.addOperands(operands);
  state.addAttributes(attrs);
  SmallVector<Type> types;
  std::string why;
  {
    ScopedDiagnosticHandler capture(ctx, [&](Diagnostic &d) {
      why = d.str();
      return success();
    });
    if (failed(OpTy::inferReturnTypes(
            ctx, loc, state.operands, state.attributes.getDictionary(ctx),
            state.getRawProperties(), state.regions, types)))
      types.clear();
  }
  if (types.empty())
    return fail() << (why.empty() ? std::string("cannot infer the type of ") +
                                        OpTy::getOperationName().str()
                                  : why);
  state.addTypes(types);
  return builder.create(state)->getResult(0);
}

/// The name diagnostics and locations use for node `index`, and that
/// location (the node's name at the model file).
std::string nodeNameOf(const onnx::NodeProto &node, int index);
Location nodeLoc(MLIRContext *ctx, StringRef fileName,
                 const onnx::NodeProto &node, int index);
/// The ONNX default domain ("" or "ai.onnx").
bool isDefaultDomain(StringRef domain);

/// Model preparation (OnnxModelChecks.cpp).
LogicalResult parseModel(StringRef bytes, bool isText, Location loc,
                         onnx::ModelProto &model);
/// Substitutes --dim values and --input-shape shapes into the graph before
/// shape inference.
LogicalResult applyShapeOptions(onnx::ModelProto &model,
                                const OnnxImportOptions &options,
                                Location loc);
/// Rejects LayerNormalization axes libonnx's shape inference would crash on.
LogicalResult checkLayerNormAxes(const onnx::ModelProto &model,
                                 StringRef fileName, MLIRContext *ctx);
/// An exception message without its trailing newlines.
StringRef trimmedMessage(const char *msg);

} // namespace mlir::wse::onnximport

#endif // WSE_LIB_FRONTEND_ONNX_ONNXIMPORTER_H
