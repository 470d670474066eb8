//===- OnnxConstants.cpp - tensor data and import-time folding ------------===//
//
// Reads ONNX TensorProto payloads into ConstTensor, turns constants into
// wse.constant, and folds the data-movement ops (reshape, transpose,
// broadcast, slice, concat, gather, cast) on constants. Elementwise folding
// lives next to its op in ImportElementwise.cpp.
//
//===----------------------------------------------------------------------===//
#include "OnnxImporter.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Endian.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::onnximport;

//===----------------------------------------------------------------------===//
// Element kinds
//===----------------------------------------------------------------------===//

Type onnximport::elemType(MLIRContext *ctx, ElemKind kind) {
  switch (kind) {
  case ElemKind::F32:
    return Float32Type::get(ctx);
  case ElemKind::I64:
    return IntegerType::get(ctx, 64);
  case ElemKind::I32:
    return IntegerType::get(ctx, 32);
  case ElemKind::I1:
    return IntegerType::get(ctx, 1);
  }
  llvm_unreachable("bad ElemKind");
}

std::optional<ElemKind> onnximport::kindOf(Type t) {
  if (t.isF32())
    return ElemKind::F32;
  if (t.isInteger(64))
    return ElemKind::I64;
  if (t.isInteger(32))
    return ElemKind::I32;
  if (t.isInteger(1))
    return ElemKind::I1;
  return std::nullopt;
}

StringRef onnximport::kindName(ElemKind kind) {
  switch (kind) {
  case ElemKind::F32:
    return "f32";
  case ElemKind::I64:
    return "i64";
  case ElemKind::I32:
    return "i32";
  case ElemKind::I1:
    return "i1";
  }
  llvm_unreachable("bad ElemKind");
}

std::optional<ElemKind> onnximport::kindOfOnnx(int32_t dtype, bool f64AsF32) {
  switch (dtype) {
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    return ElemKind::F32;
  case onnx::TensorProto::DOUBLE:
    if (f64AsF32)
      return ElemKind::F32;
    return std::nullopt;
  case onnx::TensorProto::INT64:
    return ElemKind::I64;
  case onnx::TensorProto::INT32:
    return ElemKind::I32;
  case onnx::TensorProto::BOOL:
    return ElemKind::I1;
  default:
    return std::nullopt;
  }
}

std::string onnximport::onnxTypeName(int32_t dtype) {
  switch (dtype) {
  case onnx::TensorProto::FLOAT:
    return "float32";
  case onnx::TensorProto::DOUBLE:
    return "float64";
  case onnx::TensorProto::FLOAT16:
    return "float16";
  case onnx::TensorProto::BFLOAT16:
    return "bfloat16";
  default:
    if (onnx::TensorProto::DataType_IsValid(dtype))
      return StringRef(onnx::TensorProto::DataType_Name(
                           static_cast<onnx::TensorProto::DataType>(dtype)))
          .lower();
    return "unknown type " + std::to_string(dtype);
  }
}

std::string onnximport::shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? "x" : "") + std::to_string(d);
  return s + "]";
}

int64_t onnximport::numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

//===----------------------------------------------------------------------===//
// ConstTensor
//===----------------------------------------------------------------------===//

ConstTensor ConstTensor::make(ElemKind kind, ArrayRef<int64_t> shape) {
  ConstTensor c;
  c.kind = kind;
  c.shape.assign(shape.begin(), shape.end());
  if (kind == ElemKind::F32)
    c.floats.assign(c.size(), 0.0f);
  else
    c.ints.assign(c.size(), 0);
  return c;
}

static int64_t wrapInt(ElemKind kind, int64_t v) {
  if (kind == ElemKind::I32)
    return int64_t(int32_t(uint32_t(uint64_t(v))));
  if (kind == ElemKind::I1)
    return v != 0;
  return v;
}

void ConstTensor::setDouble(int64_t i, double v) {
  switch (kind) {
  case ElemKind::F32:
    floats[i] = float(v);
    return;
  case ElemKind::I1:
    ints[i] = v != 0;
    return;
  case ElemKind::I64:
  case ElemKind::I32:
    // Truncation toward zero, like a float-to-int cast; saturate rather
    // than invoke undefined behaviour on NaN or overflow.
    if (std::isnan(v))
      ints[i] = 0;
    else if (v >= 9.2233720368547758e18)
      ints[i] = INT64_MAX;
    else if (v <= -9.2233720368547758e18)
      ints[i] = INT64_MIN;
    else
      ints[i] = wrapInt(kind, int64_t(v));
    return;
  }
}

void ConstTensor::setInt(int64_t i, int64_t v) {
  if (kind == ElemKind::F32)
    floats[i] = float(v);
  else
    ints[i] = wrapInt(kind, v);
}

//===----------------------------------------------------------------------===//
// Reading TensorProto
//===----------------------------------------------------------------------===//

static float halfToFloat(uint16_t bits) {
  APFloat f(APFloat::IEEEhalf(), APInt(16, bits));
  bool lost;
  f.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
  return f.convertToFloat();
}

static float bfloatToFloat(uint16_t bits) {
  uint32_t u = uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

FailureOr<ConstTensor> onnximport::readTensor(const onnx::TensorProto &t,
                                              Location loc, StringRef what,
                                              bool f64AsF32) {
  int32_t dtype = t.data_type();
  std::optional<ElemKind> kind = kindOfOnnx(dtype, f64AsF32);
  if (!kind) {
    InFlightDiagnostic diag =
        emitError(loc) << what << " has element type " << onnxTypeName(dtype)
                       << "; wse imports float32 (float16 and bfloat16 as "
                          "float32), int64, int32 and bool tensors";
    if (dtype == onnx::TensorProto::DOUBLE)
      diag << " (--f64-as-f32 imports float64 as float32)";
    return diag;
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return emitError(loc) << what
                          << " keeps its data in an external file, which the "
                             "importer does not read; save the model with "
                             "onnx.save(model, path, "
                             "save_as_external_data=False)";
  for (int64_t d : t.dims())
    if (d < 0)
      return emitError(loc) << what << " has a negative dimension";
  SmallVector<int64_t> shape(t.dims().begin(), t.dims().end());
  // The element count, without overflow; the data must then hold exactly
  // that many values, checked before anything is allocated.
  int64_t n = 1;
  for (int64_t d : shape)
    if (d != 0 && n > INT64_MAX / 16 / d)
      return emitError(loc) << what << " has dims " << shapeStr(shape)
                            << ", too many elements";
    else
      n *= d;
  int64_t have = 0;
  if (t.has_raw_data()) {
    have = -1; // checked below, in bytes
  } else {
    switch (dtype) {
    case onnx::TensorProto::FLOAT:
      have = t.float_data_size();
      break;
    case onnx::TensorProto::DOUBLE:
      have = t.double_data_size();
      break;
    case onnx::TensorProto::INT64:
      have = t.int64_data_size();
      break;
    default: // float16, bfloat16, int32 and bool live in int32_data
      have = t.int32_data_size();
      break;
    }
    if (have != n)
      return emitError(loc) << what << " has " << have << " values, expected "
                            << n << " for shape " << shapeStr(shape);
  }

  // Raw data: little-endian, at the width of the ONNX type.
  if (t.has_raw_data()) {
    size_t width = 0;
    switch (dtype) {
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::INT32:
      width = 4;
      break;
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::INT64:
      width = 8;
      break;
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
      width = 2;
      break;
    case onnx::TensorProto::BOOL:
      width = 1;
      break;
    }
    const std::string &raw = t.raw_data();
    if (raw.size() != size_t(n) * width)
      return emitError(loc)
             << what << " has " << raw.size() << " bytes of raw data, expected "
             << size_t(n) * width << " for " << onnxTypeName(dtype) << " "
             << shapeStr(shape);
    ConstTensor c = ConstTensor::make(*kind, shape);
    namespace endian = llvm::support::endian;
    using llvm::endianness;
    const char *p = raw.data();
    for (int64_t i = 0; i < n; ++i, p += width) {
      switch (dtype) {
      case onnx::TensorProto::FLOAT:
        c.floats[i] = endian::read<float, endianness::little>(p);
        break;
      case onnx::TensorProto::DOUBLE:
        c.floats[i] = float(endian::read<double, endianness::little>(p));
        break;
      case onnx::TensorProto::FLOAT16:
        c.floats[i] =
            halfToFloat(endian::read<uint16_t, endianness::little>(p));
        break;
      case onnx::TensorProto::BFLOAT16:
        c.floats[i] =
            bfloatToFloat(endian::read<uint16_t, endianness::little>(p));
        break;
      case onnx::TensorProto::INT64:
        c.ints[i] = endian::read<int64_t, endianness::little>(p);
        break;
      case onnx::TensorProto::INT32:
        c.ints[i] = endian::read<int32_t, endianness::little>(p);
        break;
      case onnx::TensorProto::BOOL:
        c.ints[i] = *p != 0;
        break;
      }
    }
    return c;
  }

  // Typed fields (sizes checked above).
  ConstTensor c = ConstTensor::make(*kind, shape);
  for (int64_t i = 0; i < n; ++i) {
    switch (dtype) {
    case onnx::TensorProto::FLOAT:
      c.floats[i] = t.float_data(i);
      break;
    case onnx::TensorProto::DOUBLE:
      c.floats[i] = float(t.double_data(i));
      break;
    case onnx::TensorProto::FLOAT16: // the 16 bits, in int32_data
      c.floats[i] = halfToFloat(uint16_t(t.int32_data(i)));
      break;
    case onnx::TensorProto::BFLOAT16:
      c.floats[i] = bfloatToFloat(uint16_t(t.int32_data(i)));
      break;
    case onnx::TensorProto::INT64:
      c.ints[i] = t.int64_data(i);
      break;
    case onnx::TensorProto::INT32:
      c.ints[i] = t.int32_data(i);
      break;
    case onnx::TensorProto::BOOL:
      c.ints[i] = t.int32_data(i) != 0;
      break;
    }
  }
  return c;
}

DenseElementsAttr onnximport::toAttr(MLIRContext *ctx, const ConstTensor &c) {
  auto type = RankedTensorType::get(c.shape, elemType(ctx, c.kind));
  switch (c.kind) {
  case ElemKind::F32:
    return DenseElementsAttr::get(type, ArrayRef<float>(c.floats));
  case ElemKind::I64:
    return DenseElementsAttr::get(type, ArrayRef<int64_t>(c.ints));
  case ElemKind::I32: {
    SmallVector<int32_t> v(c.ints.begin(), c.ints.end());
    return DenseElementsAttr::get(type, ArrayRef<int32_t>(v));
  }
  case ElemKind::I1: {
    SmallVector<bool> v;
    for (int64_t x : c.ints)
      v.push_back(x != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(v));
  }
  }
  llvm_unreachable("bad ElemKind");
}

//===----------------------------------------------------------------------===//
// Folding data movement
//===----------------------------------------------------------------------===//

static SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Calls fn(linear index, multi-index) for every element of `shape`.
template <typename Fn>
static void forEachIndex(ArrayRef<int64_t> shape, Fn fn) {
  int64_t n = numElements(shape);
  SmallVector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    fn(i, ArrayRef<int64_t>(idx));
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
}

ConstTensor onnximport::foldPick(const ConstTensor &src,
                                 ArrayRef<int64_t> shape,
                                 ArrayRef<int64_t> srcIndex) {
  ConstTensor out = ConstTensor::make(src.kind, shape);
  for (auto [i, s] : llvm::enumerate(srcIndex)) {
    if (src.isFloat())
      out.floats[i] = src.floats[s];
    else
      out.ints[i] = src.ints[s];
  }
  return out;
}

ConstTensor onnximport::foldReshape(const ConstTensor &src,
                                    ArrayRef<int64_t> shape) {
  ConstTensor out = src;
  out.shape.assign(shape.begin(), shape.end());
  return out;
}

ConstTensor onnximport::foldTranspose(const ConstTensor &src,
                                      ArrayRef<int64_t> perm) {
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(src.shape[p]);
  SmallVector<int64_t> inStrides = stridesOf(src.shape);
  std::vector<int64_t> index;
  index.reserve(src.size());
  forEachIndex(shape, [&](int64_t, ArrayRef<int64_t> idx) {
    int64_t s = 0;
    for (auto [d, p] : llvm::enumerate(perm))
      s += idx[d] * inStrides[p];
    index.push_back(s);
  });
  return foldPick(src, shape, index);
}

ConstTensor onnximport::foldBroadcast(const ConstTensor &src,
                                      ArrayRef<int64_t> shape) {
  SmallVector<int64_t> inStrides = stridesOf(src.shape);
  int64_t offset = int64_t(shape.size()) - int64_t(src.shape.size());
  std::vector<int64_t> index;
  index.reserve(numElements(shape));
  forEachIndex(shape, [&](int64_t, ArrayRef<int64_t> idx) {
    int64_t s = 0;
    for (int64_t d = 0; d < int64_t(src.shape.size()); ++d)
      if (src.shape[d] != 1)
        s += idx[d + offset] * inStrides[d];
    index.push_back(s);
  });
  return foldPick(src, shape, index);
}

ConstTensor onnximport::foldSlice(const ConstTensor &src,
                                  ArrayRef<int64_t> start,
                                  ArrayRef<int64_t> stride,
                                  ArrayRef<int64_t> shape) {
  SmallVector<int64_t> inStrides = stridesOf(src.shape);
  std::vector<int64_t> index;
  index.reserve(numElements(shape));
  forEachIndex(shape, [&](int64_t, ArrayRef<int64_t> idx) {
    int64_t s = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      s += (start[d] + idx[d] * stride[d]) * inStrides[d];
    index.push_back(s);
  });
  return foldPick(src, shape, index);
}

ConstTensor onnximport::foldConcat(ArrayRef<const ConstTensor *> parts,
                                   int64_t axis) {
  SmallVector<int64_t> shape(parts.front()->shape);
  shape[axis] = 0;
  for (const ConstTensor *p : parts)
    shape[axis] += p->shape[axis];
  ConstTensor out = ConstTensor::make(parts.front()->kind, shape);
  int64_t outer = numElements(ArrayRef<int64_t>(shape).take_front(axis));
  int64_t inner = numElements(ArrayRef<int64_t>(shape).drop_front(axis + 1));
  int64_t o = 0;
  for (int64_t i = 0; i < outer; ++i) {
    for (const ConstTensor *p : parts) {
      int64_t chunk = p->shape[axis] * inner;
      for (int64_t j = 0; j < chunk; ++j, ++o) {
        if (out.isFloat())
          out.floats[o] = p->floats[i * chunk + j];
        else
          out.ints[o] = p->ints[i * chunk + j];
      }
    }
  }
  return out;
}

ConstTensor onnximport::foldCast(const ConstTensor &src, ElemKind kind) {
  ConstTensor out = ConstTensor::make(kind, src.shape);
  for (int64_t i = 0, n = src.size(); i < n; ++i) {
    if (src.isFloat())
      out.setDouble(i, src.floats[i]);
    else
      out.setInt(i, src.ints[i]);
  }
  return out;
}

ConstTensor onnximport::foldGather(const ConstTensor &data,
                                   const ConstTensor &indices, int64_t axis) {
  ArrayRef<int64_t> ds = data.shape;
  SmallVector<int64_t> shape(ds.take_front(axis));
  llvm::append_range(shape, indices.shape);
  llvm::append_range(shape, ds.drop_front(axis + 1));
  int64_t inner = numElements(ds.drop_front(axis + 1));
  int64_t dim = ds[axis];
  int64_t nIdx = indices.size();
  std::vector<int64_t> index;
  index.reserve(numElements(shape));
  int64_t outer = numElements(ds.take_front(axis));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < nIdx; ++k) {
      int64_t at = indices.getInt(k);
      if (at < 0)
        at += dim;
      for (int64_t j = 0; j < inner; ++j)
        index.push_back((o * dim + at) * inner + j);
    }
  return foldPick(data, shape, index);
}

//===----------------------------------------------------------------------===//
// Data movement on values or constants
//===----------------------------------------------------------------------===//

OnnxValue OnnxImporter::reshape(const OnnxValue &v, ArrayRef<int64_t> shape) {
  RankedTensorType type = typeOf(v);
  if (type.getShape() == shape)
    return v;
  if (v.isConstant())
    return OnnxValue::of(foldReshape(*v.data, shape));
  // A reshape of a reshape reshapes the original.
  if (auto inner = v.value.getDefiningOp<ReshapeOp>()) {
    maybeDead.insert(inner);
    return reshape(OnnxValue::of(inner.getInput()), shape);
  }
  return OnnxValue::of(ReshapeOp::create(
      builder, loc, RankedTensorType::get(shape, type.getElementType()),
      materialize(v)));
}

OnnxValue OnnxImporter::transpose(const OnnxValue &v, ArrayRef<int64_t> perm) {
  bool identity = true;
  for (auto [i, p] : llvm::enumerate(perm))
    identity &= int64_t(i) == p;
  if (identity)
    return v;
  if (v.isConstant())
    return OnnxValue::of(foldTranspose(*v.data, perm));
  RankedTensorType type = typeOf(v);
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  return OnnxValue::of(TransposeOp::create(
      builder, loc, RankedTensorType::get(shape, type.getElementType()),
      materialize(v), builder.getDenseI64ArrayAttr(perm)));
}

OnnxValue OnnxImporter::broadcastTo(const OnnxValue &v,
                                    ArrayRef<int64_t> shape) {
  RankedTensorType type = typeOf(v);
  if (type.getShape() == shape)
    return v;
  if (v.isConstant() && numElements(shape) <= kMaxFoldElements)
    return OnnxValue::of(foldBroadcast(*v.data, shape));
  return OnnxValue::of(BroadcastToOp::create(
      builder, loc, RankedTensorType::get(shape, type.getElementType()),
      materialize(v)));
}

OnnxValue OnnxImporter::slice(const OnnxValue &v, ArrayRef<int64_t> start,
                              ArrayRef<int64_t> stride,
                              ArrayRef<int64_t> shape) {
  RankedTensorType type = typeOf(v);
  bool identity = type.getShape() == shape;
  for (size_t d = 0; identity && d < shape.size(); ++d)
    identity = start[d] == 0 && (stride[d] == 1 || shape[d] <= 1);
  if (identity)
    return v;
  if (v.isConstant())
    return OnnxValue::of(foldSlice(*v.data, start, stride, shape));
  // The exclusive limit in the stride's direction; -1 for a negative stride
  // that runs through index 0.
  SmallVector<int64_t> limit;
  for (size_t d = 0; d < shape.size(); ++d)
    limit.push_back(start[d] + shape[d] * stride[d]);
  return OnnxValue::of(SliceOp::create(
      builder, loc, RankedTensorType::get(shape, type.getElementType()),
      materialize(v), builder.getDenseI64ArrayAttr(start),
      builder.getDenseI64ArrayAttr(limit),
      builder.getDenseI64ArrayAttr(stride)));
}

FailureOr<OnnxValue> OnnxImporter::concat(ArrayRef<OnnxValue> parts,
                                          int64_t axis) {
  if (parts.size() == 1)
    return parts.front();
  if (llvm::all_of(parts, [](const OnnxValue &p) { return p.isConstant(); })) {
    SmallVector<const ConstTensor *> data;
    for (const OnnxValue &p : parts)
      data.push_back(p.data.get());
    return OnnxValue::of(foldConcat(data, axis));
  }
  SmallVector<Value> values;
  for (const OnnxValue &p : parts)
    values.push_back(materialize(p));
  FailureOr<Value> v = emit<ConcatOp>(
      values, {builder.getNamedAttr("axis", builder.getI64IntegerAttr(axis))});
  if (failed(v))
    return failure();
  return OnnxValue::of(*v);
}

OnnxValue OnnxImporter::convert(const OnnxValue &v, ElemKind kind) {
  RankedTensorType type = typeOf(v);
  if (kindOf(type.getElementType()) == kind)
    return v;
  if (v.isConstant())
    return OnnxValue::of(foldCast(*v.data, kind));
  return OnnxValue::of(CastOp::create(
      builder, loc, RankedTensorType::get(type.getShape(), elemType(ctx, kind)),
      materialize(v)));
}
