//===- ImportShape.cpp - constants, shapes and data movement --------------===//
//
// Constant, ConstantOfShape, Shape, Size, Range and EyeLike produce import-
// time data. Reshape, Transpose, (Un)Squeeze, Flatten, Concat, Split, Slice,
// Expand and Tile fold on constants and otherwise become wse
// reshape / transpose / concat / slice / broadcast_to (the gathers and
// scatters are in ImportGather.cpp). Their shape
// operands (Reshape's shape, Slice's starts, ...) must be known at import.
//
//===----------------------------------------------------------------------===//
#include "OnnxImporter.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::onnximport;

//===----------------------------------------------------------------------===//
// Import-time data
//===----------------------------------------------------------------------===//

LogicalResult OnnxImporter::importConstant() {
  if (node->attribute_size() != 1)
    return fail() << "must have exactly one value attribute";
  const onnx::AttributeProto &a = node->attribute(0);
  std::string what = "Constant node '" + nodeName + "'";
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
    return fail() << "attribute '" << a.name()
                  << "' is not supported (wse imports dense numeric "
                     "tensors: value, value_float(s), value_int(s))";
  }
  // float64 constants are data (torch writes clamp bounds that way): they
  // are read as f32 whatever --f64-as-f32 says.
  FailureOr<ConstTensor> c = readTensor(tensor, loc, what, /*f64AsF32=*/true);
  if (failed(c))
    return failure();
  defineConst(0, std::move(*c));
  return success();
}

LogicalResult OnnxImporter::importConstantOfShape() {
  FailureOr<SmallVector<int64_t>> shape = intsInput(0, "shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return fail() << "shape " << shapeStr(*shape) << " has a negative size";
  if (failed(checkDataSize(*shape, "result")))
    return failure();
  ConstTensor fill = ConstTensor::make(ElemKind::F32, {1});
  if (const onnx::AttributeProto *a = attr("value")) {
    FailureOr<ConstTensor> v =
        readTensor(a->t(), loc, "the value of node '" + nodeName + "'",
                   /*f64AsF32=*/true);
    if (failed(v))
      return failure();
    if (v->size() != 1)
      return fail() << "value must have one element, got "
                    << shapeStr(v->shape);
    fill = std::move(*v);
  }
  ConstTensor out = ConstTensor::make(fill.kind, *shape);
  for (int64_t i = 0, n = out.size(); i < n; ++i) {
    if (fill.isFloat())
      out.floats[i] = fill.floats[0];
    else
      out.ints[i] = fill.ints[0];
  }
  defineConst(0, std::move(out));
  return success();
}

LogicalResult OnnxImporter::importEyeLike() {
  FailureOr<OnnxValue> in = input(0);
  if (failed(in))
    return failure();
  RankedTensorType type = typeOf(*in);
  if (type.getRank() != 2)
    return fail() << "input must be 2-D, got " << shapeStr(type.getShape());
  ElemKind kind = *kindOf(type.getElementType());
  if (const onnx::AttributeProto *a = attr("dtype")) {
    std::optional<ElemKind> k = kindOfOnnx(int32_t(a->i()), options.f64AsF32);
    if (!k)
      return fail() << "dtype " << onnxTypeName(int32_t(a->i()))
                    << " is not supported";
    kind = *k;
  }
  int64_t k = intAttr("k", 0);
  if (failed(checkDataSize(type.getShape(), "result")))
    return failure();
  ConstTensor out = ConstTensor::make(kind, type.getShape());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  for (int64_t i = 0; i < rows; ++i)
    if (i + k >= 0 && i + k < cols)
      out.setInt(i * cols + i + k, 1);
  defineConst(0, std::move(out));
  return success();
}

LogicalResult OnnxImporter::importRange() {
  FailureOr<ConstPtr> start = constInput(0, "start"),
                      limit = constInput(1, "limit"),
                      delta = constInput(2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  for (const ConstPtr &c : {*start, *limit, *delta})
    if (c->size() != 1)
      return fail() << "start, limit and delta must be scalars";
  ElemKind kind = (*start)->kind;
  ConstTensor out;
  if (kind == ElemKind::F32) {
    double s = (*start)->getDouble(0), l = (*limit)->getDouble(0),
           d = (*delta)->getDouble(0);
    if (d == 0)
      return fail() << "delta is 0";
    double count = std::ceil((l - s) / d);
    if (!(count <= double(kMaxFoldElements)))
      return fail() << "the range has more than " << kMaxFoldElements
                    << " elements";
    int64_t n = std::max<int64_t>(int64_t(count), 0);
    out = ConstTensor::make(kind, {n});
    for (int64_t i = 0; i < n; ++i)
      out.setDouble(i, s + double(i) * d);
  } else {
    int64_t s = (*start)->getInt(0), l = (*limit)->getInt(0),
            d = (*delta)->getInt(0);
    if (d == 0)
      return fail() << "delta is 0";
    // In double: the difference of two int64 may overflow.
    double count = std::ceil((double(l) - double(s)) / double(d));
    if (count > double(kMaxFoldElements))
      return fail() << "the range has more than " << kMaxFoldElements
                    << " elements";
    int64_t n = 0;
    if (d > 0 && l > s)
      n = int64_t((uint64_t(l) - uint64_t(s) + uint64_t(d) - 1) / uint64_t(d));
    else if (d < 0 && l < s)
      n = int64_t((uint64_t(s) - uint64_t(l) - uint64_t(d) - 1) /
                  (0 - uint64_t(d)));
    out = ConstTensor::make(kind, {n});
    for (int64_t i = 0; i < n; ++i)
      out.setInt(i, s + i * d);
  }
  defineConst(0, std::move(out));
  return success();
}

LogicalResult OnnxImporter::importShape() {
  FailureOr<OnnxValue> in = input(0);
  if (failed(in))
    return failure();
  ArrayRef<int64_t> shape = typeOf(*in).getShape();
  int64_t rank = shape.size();
  int64_t start = intAttr("start", 0), end = intAttr("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  int64_t n = std::max<int64_t>(end - start, 0);
  ConstTensor out = ConstTensor::make(ElemKind::I64, {n});
  for (int64_t i = 0; i < n; ++i)
    out.ints[i] = shape[start + i];
  defineConst(0, std::move(out));
  return success();
}

LogicalResult OnnxImporter::importSize() {
  FailureOr<OnnxValue> in = input(0);
  if (failed(in))
    return failure();
  ConstTensor out = ConstTensor::make(ElemKind::I64, {});
  out.ints[0] = typeOf(*in).getNumElements();
  defineConst(0, std::move(out));
  return success();
}

//===----------------------------------------------------------------------===//
// Identity and Dropout
//===----------------------------------------------------------------------===//

LogicalResult OnnxImporter::importIdentity() {
  // An untied copy of a folded parameter is already its own argument.
  if (!options.keepTiedParams && node->output_size() == 1) {
    auto it = env.find(node->output(0));
    if (it != env.end() && it->second.value)
      return success();
  }
  FailureOr<OnnxValue> in = input(0);
  if (failed(in))
    return failure();
  define(0, *in);
  return success();
}

LogicalResult OnnxImporter::importDropout() {
  FailureOr<OnnxValue> in = input(0);
  if (failed(in))
    return failure();
  if (opset >= 12 && hasInput(2)) {
    FailureOr<ConstPtr> training = constInput(2, "training_mode");
    if (failed(training))
      return failure();
    double ratio = 0.5;
    if (hasInput(1)) {
      FailureOr<ConstPtr> r = constInput(1, "ratio");
      if (failed(r))
        return failure();
      ratio = (*r)->getDouble(0);
    }
    if ((*training)->getInt(0) != 0 && ratio != 0)
      return fail() << "training-mode Dropout (random masks) is not "
                       "supported; wse imports inference graphs (export "
                       "with model.eval())";
  }
  define(0, *in);
  if (hasOutput(1)) {
    RankedTensorType type = typeOf(*in);
    if (failed(checkDataSize(type.getShape(), "mask")))
      return failure();
    ElemKind maskKind =
        opset >= 10 ? ElemKind::I1 : *kindOf(type.getElementType());
    ConstTensor mask = ConstTensor::make(maskKind, type.getShape());
    for (int64_t i = 0, n = mask.size(); i < n; ++i)
      mask.setInt(i, 1);
    defineConst(1, std::move(mask));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Reshapes
//===----------------------------------------------------------------------===//

LogicalResult OnnxImporter::importReshape() {
  FailureOr<OnnxValue> x = input(0);
  if (failed(x))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = intsInput(1, "shape");
  if (failed(shape))
    return failure();
  ArrayRef<int64_t> in = typeOf(*x).getShape();
  bool allowZero = intAttr("allowzero", 0) != 0;
  SmallVector<int64_t> out;
  int inferIdx = -1;
  int64_t known = 1;
  for (auto [i, s] : llvm::enumerate(*shape)) {
    int64_t d = s;
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return fail() << "shape entry " << i
                      << " is 0 (copy the input dimension) but the input "
                      << shapeStr(in) << " has rank " << in.size();
      d = in[i];
    } else if (d == -1) {
      if (inferIdx >= 0)
        return fail() << "shape " << shapeStr(*shape)
                      << " has more than one -1";
      inferIdx = i;
      out.push_back(-1);
      continue;
    } else if (d < 0) {
      return fail() << "shape " << shapeStr(*shape) << " has invalid entry "
                    << d;
    }
    if (llvm::MulOverflow(known, d, known))
      return fail() << "shape " << shapeStr(*shape) << " is too large";
    out.push_back(d);
  }
  int64_t total = numElements(in);
  if (inferIdx >= 0) {
    if (known == 0 || total % known != 0)
      return fail() << "cannot reshape " << shapeStr(in) << " (" << total
                    << " elements) to " << shapeStr(*shape);
    out[inferIdx] = total / known;
  } else if (known != total) {
    return fail() << "cannot reshape " << shapeStr(in) << " (" << total
                  << " elements) to " << shapeStr(out) << " (" << known
                  << " elements)";
  }
  define(0, reshape(*x, out));
  return success();
}

LogicalResult OnnxImporter::importFlatten() {
  FailureOr<OnnxValue> x = input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = typeOf(*x).getShape();
  int64_t rank = shape.size();
  int64_t axis = intAttr("axis", 1);
  if (axis < -rank || axis > rank)
    return fail() << "axis " << axis << " is out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  define(0, reshape(*x, {numElements(shape.take_front(axis)),
                         numElements(shape.drop_front(axis))}));
  return success();
}

LogicalResult OnnxImporter::importTranspose() {
  FailureOr<OnnxValue> x = input(0);
  if (failed(x))
    return failure();
  int64_t rank = typeOf(*x).getRank();
  SmallVector<int64_t> perm;
  if (std::optional<SmallVector<int64_t>> p = intsAttr("perm")) {
    perm = *p;
  } else {
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  }
  SmallVector<bool> seen(rank, false);
  bool ok = int64_t(perm.size()) == rank;
  for (int64_t &p : perm) {
    if (!ok)
      break;
    if (p < 0)
      p += rank;
    ok = p >= 0 && p < rank && !seen[p];
    if (ok)
      seen[p] = true;
  }
  if (!ok)
    return fail() << "perm is not a permutation of the " << rank << " dims";
  define(0, transpose(*x, perm));
  return success();
}

/// The axes of (Un)Squeeze: an attribute before opset 13, input 1 after.
static FailureOr<std::optional<SmallVector<int64_t>>>
squeezeAxes(OnnxImporter &im) {
  if (im.opset < 13)
    return im.intsAttr("axes");
  if (!im.hasInput(1))
    return std::optional<SmallVector<int64_t>>();
  FailureOr<SmallVector<int64_t>> axes = im.intsInput(1, "axes");
  if (failed(axes))
    return failure();
  return std::optional<SmallVector<int64_t>>(*axes);
}

LogicalResult OnnxImporter::importUnsqueeze() {
  FailureOr<OnnxValue> x = input(0);
  if (failed(x))
    return failure();
  FailureOr<std::optional<SmallVector<int64_t>>> axes = squeezeAxes(*this);
  if (failed(axes))
    return failure();
  if (!*axes)
    return fail() << "needs axes";
  ArrayRef<int64_t> in = typeOf(*x).getShape();
  int64_t outRank = in.size() + (*axes)->size();
  SmallVector<int64_t> ax = **axes;
  if (failed(normalizeAxes(ax, outRank)))
    return failure();
  SmallVector<int64_t> out;
  size_t next = 0;
  for (int64_t d = 0; d < outRank; ++d)
    out.push_back(llvm::is_contained(ax, d) ? 1 : in[next++]);
  define(0, reshape(*x, out));
  return success();
}

LogicalResult OnnxImporter::importSqueeze() {
  FailureOr<OnnxValue> x = input(0);
  if (failed(x))
    return failure();
  FailureOr<std::optional<SmallVector<int64_t>>> axes = squeezeAxes(*this);
  if (failed(axes))
    return failure();
  ArrayRef<int64_t> in = typeOf(*x).getShape();
  SmallVector<int64_t> ax;
  if (*axes && !(*axes)->empty()) {
    ax = **axes;
    if (failed(normalizeAxes(ax, in.size())))
      return failure();
    for (int64_t a : ax)
      if (in[a] != 1)
        return fail() << "cannot squeeze dimension " << a << " of size "
                      << in[a] << " (input " << shapeStr(in) << ")";
  } else {
    for (auto [d, s] : llvm::enumerate(in))
      if (s == 1)
        ax.push_back(d);
  }
  SmallVector<int64_t> out;
  for (auto [d, s] : llvm::enumerate(in))
    if (!llvm::is_contained(ax, int64_t(d)))
      out.push_back(s);
  define(0, reshape(*x, out));
  return success();
}

//===----------------------------------------------------------------------===//
// Concat, Split, Slice
//===----------------------------------------------------------------------===//

LogicalResult OnnxImporter::importConcat() {
  SmallVector<OnnxValue> parts;
  for (int i = 0; i < node->input_size(); ++i) {
    FailureOr<OnnxValue> v = input(i);
    if (failed(v))
      return failure();
    parts.push_back(*v);
  }
  if (parts.empty())
    return fail() << "needs at least one input";
  RankedTensorType first = typeOf(parts.front());
  int64_t axis = intAttr("axis", 0);
  if (failed(normalizeAxis(axis, first.getRank())))
    return failure();
  for (const OnnxValue &p : parts) {
    RankedTensorType t = typeOf(p);
    if (t.getElementType() != first.getElementType() ||
        t.getRank() != first.getRank())
      return fail() << "inputs differ in element type or rank";
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != axis && t.getDimSize(d) != first.getDimSize(d))
        return fail() << "inputs " << shapeStr(first.getShape()) << " and "
                      << shapeStr(t.getShape()) << " differ off axis " << axis;
  }
  // Empty parts add nothing (and wse ops need not see them).
  SmallVector<OnnxValue> nonEmpty;
  for (const OnnxValue &p : parts)
    if (typeOf(p).getDimSize(axis) != 0)
      nonEmpty.push_back(p);
  if (nonEmpty.empty())
    nonEmpty.push_back(parts.front());
  FailureOr<OnnxValue> r = concat(nonEmpty, axis);
  if (failed(r))
    return failure();
  define(0, *r);
  return success();
}

LogicalResult OnnxImporter::importSplit() {
  FailureOr<OnnxValue> x = input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = typeOf(*x).getShape();
  int64_t axis = intAttr("axis", 0);
  if (failed(normalizeAxis(axis, shape.size())))
    return failure();
  int64_t dim = shape[axis];
  int64_t n = node->output_size();
  SmallVector<int64_t> sizes;
  if (opset < 13) {
    if (std::optional<SmallVector<int64_t>> s = intsAttr("split"))
      sizes = *s;
  } else if (hasInput(1)) {
    FailureOr<SmallVector<int64_t>> s = intsInput(1, "split");
    if (failed(s))
      return failure();
    sizes = *s;
  }
  if (sizes.empty()) {
    if (const onnx::AttributeProto *a = attr("num_outputs")) {
      // Opset 18: equal parts of ceil(dim / n), the last one smaller.
      int64_t parts = a->i();
      if (parts != n)
        return fail() << "num_outputs is " << parts << " but the node has " << n
                      << " outputs";
      int64_t each = (dim + parts - 1) / parts;
      for (int64_t i = 0; i < parts; ++i)
        sizes.push_back(std::clamp<int64_t>(dim - i * each, 0, each));
    } else {
      if (n == 0 || dim % n != 0)
        return fail() << "cannot split dimension " << axis << " of size " << dim
                      << " into " << n << " equal parts";
      sizes.assign(n, dim / n);
    }
  }
  if (int64_t(sizes.size()) != n)
    return fail() << "split has " << sizes.size() << " sizes for " << n
                  << " outputs";
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return fail() << "split sizes " << shapeStr(sizes)
                    << " have a negative entry";
    total += s;
  }
  if (total != dim)
    return fail() << "split sizes " << shapeStr(sizes) << " add up to " << total
                  << ", not dimension " << axis << "'s " << dim;
  int64_t offset = 0;
  for (int64_t i = 0; i < n; ++i) {
    SmallVector<int64_t> start(shape.size(), 0), stride(shape.size(), 1);
    SmallVector<int64_t> out(shape);
    start[axis] = sizes[i] ? offset : 0;
    out[axis] = sizes[i];
    if (hasOutput(i))
      define(i, slice(*x, start, stride, out));
    offset += sizes[i];
  }
  return success();
}

LogicalResult OnnxImporter::importSlice() {
  FailureOr<OnnxValue> x = input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = typeOf(*x).getShape();
  int64_t rank = shape.size();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (opset < 10) {
    std::optional<SmallVector<int64_t>> s = intsAttr("starts"),
                                        e = intsAttr("ends");
    if (!s || !e)
      return fail() << "needs starts and ends";
    starts = *s;
    ends = *e;
    if (std::optional<SmallVector<int64_t>> a = intsAttr("axes"))
      axes = *a;
  } else {
    FailureOr<SmallVector<int64_t>> s = intsInput(1, "starts"),
                                    e = intsInput(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (hasInput(3)) {
      FailureOr<SmallVector<int64_t>> a = intsInput(3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (hasInput(4)) {
      FailureOr<SmallVector<int64_t>> st = intsInput(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (int64_t i = 0; i < int64_t(starts.size()); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return fail() << "starts, ends, axes and steps differ in length";

  SmallVector<int64_t> start(rank, 0), stride(rank, 1), out(shape);
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = axes[i];
    if (failed(normalizeAxis(axis, rank, "slice axis")))
      return failure();
    if (seen[axis])
      return fail() << "axis " << axis << " is sliced twice";
    seen[axis] = true;
    int64_t dim = shape[axis];
    int64_t st = steps[i];
    if (st == 0)
      return fail() << "step of axis " << axis << " is 0";
    // Any step beyond the dimension takes one element: keep the arithmetic
    // below from overflowing.
    st = std::clamp<int64_t>(st, -(dim + 1), dim + 1);
    int64_t s = starts[i], e = ends[i];
    // Negative positions count from the end (no overflow: dim >= 0).
    if (s < 0)
      s += dim;
    if (e < 0)
      e += dim;
    int64_t size;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      size = e > s ? (e - s + st - 1) / st : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      size = s > e ? (s - e + (-st) - 1) / (-st) : 0;
    }
    if (size == 0)
      s = 0;
    start[axis] = s;
    stride[axis] = st;
    out[axis] = size;
  }
  define(0, slice(*x, start, stride, out));
  return success();
}

//===----------------------------------------------------------------------===//
// Expand, Tile, Trilu, OneHot
//===----------------------------------------------------------------------===//

LogicalResult OnnxImporter::importExpand() {
  FailureOr<OnnxValue> x = input(0);
  if (failed(x))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = intsInput(1, "shape");
  if (failed(shape))
    return failure();
  ArrayRef<int64_t> in = typeOf(*x).getShape();
  SmallVector<int64_t> out;
  if (failed(broadcastShapes(in, *shape, out)))
    return fail() << "cannot expand " << shapeStr(in) << " to "
                  << shapeStr(*shape);
  define(0, broadcastTo(*x, out));
  return success();
}

LogicalResult OnnxImporter::importTile() {
  FailureOr<OnnxValue> x = input(0);
  if (failed(x))
    return failure();
  FailureOr<SmallVector<int64_t>> repeats = intsInput(1, "repeats");
  if (failed(repeats))
    return failure();
  ArrayRef<int64_t> in = typeOf(*x).getShape();
  if (repeats->size() != in.size())
    return fail() << "repeats " << shapeStr(*repeats)
                  << " must have one entry per dimension of " << shapeStr(in);
  // [d0, d1] tiled by [r0, r1]: reshape to [1, d0, 1, d1] (a 1 only where
  // r > 1), broadcast to [r0, d0, r1, d1], reshape to [r0*d0, r1*d1].
  SmallVector<int64_t> spread, wide, out;
  for (auto [d, r] : llvm::zip(in, *repeats)) {
    if (r < 0)
      return fail() << "repeats " << shapeStr(*repeats)
                    << " has a negative entry";
    if (r != 1) {
      spread.push_back(1);
      wide.push_back(r);
    }
    spread.push_back(d);
    wide.push_back(d);
    out.push_back(d * r);
  }
  define(0, reshape(broadcastTo(reshape(*x, spread), wide), out));
  return success();
}

LogicalResult OnnxImporter::importTrilu() {
  FailureOr<OnnxValue> x = input(0);
  if (failed(x))
    return failure();
  RankedTensorType type = typeOf(*x);
  if (type.getRank() < 2)
    return fail() << "input must have rank 2 or more, got "
                  << shapeStr(type.getShape());
  int64_t k = 0;
  if (hasInput(1)) {
    FailureOr<SmallVector<int64_t>> kv = intsInput(1, "k");
    if (failed(kv))
      return failure();
    if (kv->size() != 1)
      return fail() << "k must be a scalar";
    k = (*kv)[0];
  }
  bool upper = intAttr("upper", 1) != 0;
  int64_t rows = type.getDimSize(type.getRank() - 2);
  int64_t cols = type.getDimSize(type.getRank() - 1);
  if (failed(checkDataSize({rows, cols}, "mask")))
    return failure();
  ConstTensor mask = ConstTensor::make(ElemKind::I1, {rows, cols});
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      // Compare in a form that cannot overflow for huge k.
      int64_t diff = j - i;
      mask.ints[i * cols + j] = upper ? diff >= k : diff <= k;
    }
  ElemKind kind = *kindOf(type.getElementType());
  FailureOr<OnnxValue> r = select(OnnxValue::of(std::move(mask)), *x,
                                  OnnxValue::of(ConstTensor::make(kind, {})));
  if (failed(r))
    return failure();
  define(0, *r);
  return success();
}

LogicalResult OnnxImporter::importOneHot() {
  FailureOr<OnnxValue> indices = input(0), values = input(2);
  if (failed(indices) || failed(values))
    return failure();
  FailureOr<ConstPtr> depthC = constInput(1, "depth");
  if (failed(depthC))
    return failure();
  if ((*depthC)->size() != 1)
    return fail() << "depth must be a scalar";
  int64_t depth = int64_t((*depthC)->getDouble(0));
  if (depth <= 0)
    return fail() << "depth must be positive, got " << depth;
  if (failed(checkDataSize({depth}, "depth")))
    return failure();
  if (typeOf(*values).getNumElements() != 2)
    return fail() << "values must hold [off, on]";
  ArrayRef<int64_t> is = typeOf(*indices).getShape();
  int64_t outRank = is.size() + 1;
  int64_t axis = intAttr("axis", -1);
  if (failed(normalizeAxis(axis, outRank)))
    return failure();
  // Float indices are truncated, negative ones count from the end.
  OnnxValue idx = convert(*indices, ElemKind::I64);
  FailureOr<OnnxValue> negative =
      binary("Less", idx, OnnxValue::of(ConstTensor::make(ElemKind::I64, {})));
  if (failed(negative))
    return failure();
  ConstTensor depthT = ConstTensor::make(ElemKind::I64, {});
  depthT.ints[0] = depth;
  FailureOr<OnnxValue> wrapped =
      binary("Add", idx, OnnxValue::of(std::move(depthT)));
  if (failed(wrapped))
    return failure();
  FailureOr<OnnxValue> norm = select(*negative, *wrapped, idx);
  if (failed(norm))
    return failure();
  SmallVector<int64_t> unsq(is), iotaShape(outRank, 1);
  unsq.insert(unsq.begin() + axis, 1);
  iotaShape[axis] = depth;
  ConstTensor iota = ConstTensor::make(ElemKind::I64, iotaShape);
  for (int64_t i = 0; i < depth; ++i)
    iota.ints[i] = i;
  FailureOr<OnnxValue> mask =
      binary("Equal", reshape(*norm, unsq), OnnxValue::of(std::move(iota)));
  if (failed(mask))
    return failure();
  OnnxValue flat = reshape(*values, {2});
  OnnxValue off = reshape(slice(flat, {0}, {1}, {1}), {});
  OnnxValue on = reshape(slice(flat, {1}, {1}, {1}), {});
  FailureOr<OnnxValue> r = select(*mask, on, off);
  if (failed(r))
    return failure();
  define(0, *r);
  return success();
}
