//===- ImportGather.cpp - Gather, GatherElements, ScatterElements ---------===//
//
// Gather folds on constants and otherwise becomes a wse gather; the element
// forms index the flattened data at linear indices (a gather, or row
// scatter-adds and a select or add).
//
//===----------------------------------------------------------------------===//
#include "OnnxImporter.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::onnximport;

//===----------------------------------------------------------------------===//
// Gathers
//===----------------------------------------------------------------------===//

LogicalResult OnnxImporter::importGather() {
  FailureOr<OnnxValue> data = input(0), indices = input(1);
  if (failed(data) || failed(indices))
    return failure();
  RankedTensorType dt = typeOf(*data), it = typeOf(*indices);
  int64_t axis = intAttr("axis", 0);
  if (failed(normalizeAxis(axis, dt.getRank())))
    return failure();
  ElemKind ik = *kindOf(it.getElementType());
  if (ik != ElemKind::I64 && ik != ElemKind::I32)
    return fail() << "indices must be int64 or int32";
  int64_t dim = dt.getDimSize(axis);
  SmallVector<int64_t> outShape(dt.getShape().take_front(axis));
  llvm::append_range(outShape, it.getShape());
  llvm::append_range(outShape, dt.getShape().drop_front(axis + 1));

  if (indices->isConstant()) {
    const ConstTensor &idx = *indices->data;
    for (int64_t v : idx.ints)
      if (v < -dim || v >= dim)
        return fail() << "index " << v << " is out of range for dimension "
                      << axis << " of size " << dim;
    if (data->isConstant()) {
      define(0, OnnxValue::of(foldGather(*data->data, idx, axis)));
      return success();
    }
    // A run of consecutive indices is a slice.
    int64_t first = idx.size() ? (idx.ints[0] + dim) % dim : 0;
    bool run = idx.size() > 0;
    for (int64_t i = 1; run && i < idx.size(); ++i)
      run = (idx.ints[i] + dim) % dim == first + i;
    if (run) {
      SmallVector<int64_t> start(dt.getRank(), 0), stride(dt.getRank(), 1);
      SmallVector<int64_t> sliced(dt.getShape());
      start[axis] = first;
      sliced[axis] = idx.size();
      define(0, reshape(slice(*data, start, stride, sliced), outShape));
      return success();
    }
  }
  FailureOr<Value> r = emit<GatherOp>(
      {materialize(*data), materialize(*indices)},
      {builder.getNamedAttr("axis", builder.getI64IntegerAttr(axis))});
  if (failed(r))
    return failure();
  define(0, *r);
  return success();
}

/// The linear index into data (flattened) of every position of `indices`
/// with its axis coordinate replaced by the index there (GatherElements,
/// ScatterElements): a constant when the indices are, else computed.
FailureOr<OnnxValue> OnnxImporter::elementIndices(RankedTensorType dt,
                                                  const OnnxValue &indices,
                                                  int64_t axis) {
  RankedTensorType it = typeOf(indices);
  int64_t rank = dt.getRank();
  ElemKind ik = *kindOf(it.getElementType());
  if (ik != ElemKind::I64 && ik != ElemKind::I32)
    return fail() << "indices must be int64 or int32";
  if (it.getRank() != rank)
    return fail() << "indices " << shapeStr(it.getShape())
                  << " must have the rank of data " << shapeStr(dt.getShape());
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && it.getDimSize(d) > dt.getDimSize(d))
      return fail() << "indices " << shapeStr(it.getShape()) << " exceed data "
                    << shapeStr(dt.getShape()) << " off the axis";
  ArrayRef<int64_t> ds = dt.getShape(), is = it.getShape();
  SmallVector<int64_t> strides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * ds[d + 1];
  int64_t dim = ds[axis];

  // The linear offset of every index position without the axis term.
  if (failed(checkDataSize(is, "indices")))
    return failure();
  ConstTensor offsets = ConstTensor::make(ik, is);
  SmallVector<int64_t> pos(rank, 0);
  for (int64_t i = 0, n = offsets.size(); i < n; ++i) {
    int64_t off = 0;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        off += pos[d] * strides[d];
    offsets.ints[i] = off;
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++pos[d] < is[d])
        break;
      pos[d] = 0;
    }
  }
  if (indices.isConstant()) {
    ConstTensor lin = offsets;
    for (int64_t i = 0, n = lin.size(); i < n; ++i) {
      int64_t v = indices.data->ints[i];
      if (v < -dim || v >= dim)
        return fail() << "index " << v << " is out of range for dimension "
                      << axis << " of size " << dim;
      lin.ints[i] += (v < 0 ? v + dim : v) * strides[axis];
    }
    return OnnxValue::of(std::move(lin));
  }
  // Run-time indices: idx < 0 ? idx + dim : idx, times the axis stride.
  Value idx = indices.value;
  Value negative = *emit<LessOp>({idx, splat(ik, 0)});
  Value wrapped = *emit<AddOp>({idx, splat(ik, double(dim))});
  Value norm = *emit<SelectOp>({negative, wrapped, idx});
  // (The last axis has stride 1: no product, which the mesh would refuse
  // on integers.)
  Value scaled = strides[axis] == 1
                     ? norm
                     : *emit<MulOp>({norm, splat(ik, double(strides[axis]))});
  return OnnxValue::of(*emit<AddOp>({scaled, constantOp(offsets)}));
}

LogicalResult OnnxImporter::importGatherElements() {
  // out[i...] = data[i with i[axis] replaced by indices[i...]], gathered
  // from the flattened data at linear indices.
  FailureOr<OnnxValue> data = input(0), indices = input(1);
  if (failed(data) || failed(indices))
    return failure();
  RankedTensorType dt = typeOf(*data);
  int64_t axis = intAttr("axis", 0);
  if (failed(normalizeAxis(axis, dt.getRank())))
    return failure();
  OnnxValue flat = reshape(*data, {numElements(dt.getShape())});
  FailureOr<OnnxValue> lin = elementIndices(dt, *indices, axis);
  if (failed(lin))
    return failure();
  if (lin->isConstant() && flat.isConstant()) {
    define(0, OnnxValue::of(foldGather(*flat.data, *lin->data, 0)));
    return success();
  }
  FailureOr<Value> r = emit<GatherOp>(
      {materialize(flat), materialize(*lin)},
      {builder.getNamedAttr("axis", builder.getI64IntegerAttr(0))});
  if (failed(r))
    return failure();
  define(0, *r);
  return success();
}

LogicalResult OnnxImporter::importScatterElements() {
  // data with data[i with i[axis] replaced by indices[i...]] set to (or,
  // with reduction=add, increased by) updates[i...]: row scatter-adds into
  // the flattened data at linear indices.
  FailureOr<OnnxValue> data = input(0), indices = input(1), updates = input(2);
  if (failed(data) || failed(indices) || failed(updates))
    return failure();
  RankedTensorType dt = typeOf(*data);
  if (!dt.getElementType().isF32() || !typeOf(*updates).getElementType().isF32())
    return fail() << "data and updates must be float32 (wse scatters floats)";
  if (typeOf(*updates).getShape() != typeOf(*indices).getShape())
    return fail() << "updates " << shapeStr(typeOf(*updates).getShape())
                  << " must have the shape of indices "
                  << shapeStr(typeOf(*indices).getShape());
  std::string reduction = stringAttr("reduction", "none");
  if (reduction != "none" && reduction != "add")
    return fail() << "reduction '" << reduction
                  << "' is not imported (none and add are)";
  int64_t axis = intAttr("axis", 0);
  if (failed(normalizeAxis(axis, dt.getRank())))
    return failure();
  FailureOr<OnnxValue> lin = elementIndices(dt, *indices, axis);
  if (failed(lin))
    return failure();
  if (lin->isConstant() && reduction == "none") {
    // ONNX leaves repeated indices undefined without a reduction.
    llvm::DenseSet<int64_t> seen;
    for (int64_t v : lin->data->ints)
      if (!seen.insert(v).second)
        return fail() << "indices repeat an element (linear index " << v
                      << "), which ONNX leaves undefined without a reduction";
  }
  int64_t m = numElements(dt.getShape()), k = numElements(typeOf(*lin).getShape());
  auto flatType = RankedTensorType::get({m}, builder.getF32Type());
  Value flatLin = materialize(reshape(*lin, {k}));
  Value flatUpd = materialize(reshape(*updates, {k}));
  Value zeros = splat(ElemKind::F32, 0.0, {m});
  auto scatter = [&](Value upd) {
    return ScatterAddOp::create(builder, loc, flatType, zeros, flatLin, upd,
                                builder.getI64IntegerAttr(0))
        .getResult();
  };
  Value scattered = scatter(flatUpd);
  Value flatData = materialize(reshape(*data, {m}));
  Value out;
  if (reduction == "add") {
    out = *emit<AddOp>({flatData, scattered});
  } else {
    // Replace where an update lands (repeated run-time indices sum).
    Value hits = scatter(splat(ElemKind::F32, 1.0, {k}));
    Value hit = *emit<GreaterOp>({hits, splat(ElemKind::F32, 0.0)});
    out = *emit<SelectOp>({hit, scattered, flatData});
  }
  define(0, reshape(out, dt.getShape()));
  return success();
}

