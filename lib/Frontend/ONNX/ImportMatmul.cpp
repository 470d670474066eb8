//===- ImportMatmul.cpp - MatMul, Gemm and Einsum -------------------------===//
//
// All three become wse.matmul (batched, with broadcasting batch dims, and
// transpose flags). MatMul's 1-D operands are reshaped to matrices and back,
// as numpy.matmul does. Einsum with one or two operands is lowered to
// reduce_sum (labels summed away), transpose/reshape into
// [batch..., M, K] x [batch..., K, N] and one batched matmul, or to a
// broadcasting multiply when nothing is contracted.
//
//===----------------------------------------------------------------------===//
#include "OnnxImporter.h"

#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::onnximport;

static FailureOr<Value> matmul(OnnxImporter &im, Value a, Value b, Value bias,
                               bool ta, bool tb, float alpha = 1.0f,
                               float beta = 1.0f) {
  SmallVector<Value> operands{a, b};
  if (bias)
    operands.push_back(bias);
  SmallVector<NamedAttribute> attrs;
  OpBuilder &bld = im.builder;
  if (ta)
    attrs.push_back(bld.getNamedAttr("transpose_a", bld.getBoolAttr(true)));
  if (tb)
    attrs.push_back(bld.getNamedAttr("transpose_b", bld.getBoolAttr(true)));
  if (alpha != 1.0f)
    attrs.push_back(bld.getNamedAttr("alpha", bld.getF32FloatAttr(alpha)));
  if (beta != 1.0f)
    attrs.push_back(bld.getNamedAttr("beta", bld.getF32FloatAttr(beta)));
  return im.emit<MatmulOp>(operands, attrs);
}

LogicalResult OnnxImporter::importMatMul() {
  FailureOr<OnnxValue> a = input(0), b = input(1);
  if (failed(a) || failed(b))
    return failure();
  RankedTensorType at = typeOf(*a), bt = typeOf(*b);
  if (!at.getElementType().isF32() || !bt.getElementType().isF32())
    return fail() << "wse.matmul computes in f32; the operands are "
                  << at.getElementType() << " and " << bt.getElementType();
  if (at.getRank() == 0 || bt.getRank() == 0)
    return fail() << "operands must have rank 1 or more";
  // numpy.matmul: a 1-D A is a row [1, K], a 1-D B a column [K, 1]; the
  // added dim is dropped from the result.
  Value a2 =
      materialize(at.getRank() == 1 ? reshape(*a, {1, at.getDimSize(0)}) : *a);
  Value b2 =
      materialize(bt.getRank() == 1 ? reshape(*b, {bt.getDimSize(0), 1}) : *b);
  // x @ W.T arrives as Transpose + MatMul: fold the transpose of the two
  // minor dims into the matmul's flag.
  auto absorbTranspose = [&](Value &v) {
    auto tr = v.getDefiningOp<TransposeOp>();
    if (!tr)
      return false;
    ArrayRef<int64_t> perm = tr.getPerm();
    int64_t r = perm.size();
    for (int64_t i = 0; i < r - 2; ++i)
      if (perm[i] != i)
        return false;
    if (perm[r - 2] != r - 1 || perm[r - 1] != r - 2)
      return false;
    v = tr.getInput();
    maybeDead.insert(tr);
    return true;
  };
  bool ta = absorbTranspose(a2), tb = absorbTranspose(b2);
  FailureOr<Value> r = matmul(*this, a2, b2, Value(), ta, tb);
  if (failed(r))
    return failure();
  auto rt = cast<RankedTensorType>(r->getType());
  SmallVector<int64_t> shape(rt.getShape().drop_back(2));
  if (at.getRank() != 1)
    shape.push_back(rt.getDimSize(rt.getRank() - 2));
  if (bt.getRank() != 1)
    shape.push_back(rt.getDimSize(rt.getRank() - 1));
  define(0, reshape(*r, shape));
  return success();
}

LogicalResult OnnxImporter::importGemm() {
  FailureOr<Value> a = inputValue(0), b = inputValue(1);
  if (failed(a) || failed(b))
    return failure();
  Value bias;
  if (hasInput(2)) {
    FailureOr<Value> c = inputValue(2);
    if (failed(c))
      return failure();
    bias = *c;
  }
  auto at = cast<RankedTensorType>(a->getType());
  auto bt = cast<RankedTensorType>(b->getType());
  if (at.getRank() != 2 || bt.getRank() != 2)
    return fail() << "A and B must be 2-D, got " << shapeStr(at.getShape())
                  << " and " << shapeStr(bt.getShape());
  if (!at.getElementType().isF32() || !bt.getElementType().isF32() ||
      (bias &&
       !cast<RankedTensorType>(bias.getType()).getElementType().isF32()))
    return fail() << "wse.matmul computes in f32";
  FailureOr<Value> r = matmul(
      *this, *a, *b, bias, intAttr("transA", 0) != 0, intAttr("transB", 0) != 0,
      floatAttr("alpha", 1.0f), bias ? floatAttr("beta", 1.0f) : 1.0f);
  if (failed(r))
    return failure();
  define(0, *r);
  return success();
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

namespace {
/// A label: a letter, or one dim of an ellipsis (numbered from the right so
/// that ellipses of different lengths align as in broadcasting).
using Label = int64_t;
constexpr Label kEllipsisBase = 1000;

struct EinsumSpec {
  SmallVector<SmallVector<Label>> inputs;
  SmallVector<Label> output;
};

bool isLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
} // namespace

/// Parses `equation` for operands of the given ranks.
static FailureOr<EinsumSpec> parseEinsum(OnnxImporter &im, StringRef equation,
                                         ArrayRef<int64_t> ranks) {
  std::string eq;
  for (char c : equation)
    if (c != ' ')
      eq.push_back(c);
  StringRef lhs = eq, rhs;
  bool explicitOut = false;
  size_t arrow = lhs.find("->");
  if (arrow != StringRef::npos) {
    rhs = lhs.substr(arrow + 2);
    lhs = lhs.substr(0, arrow);
    explicitOut = true;
  }
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != ranks.size())
    return im.fail() << "equation '" << equation << "' has " << terms.size()
                     << " operand terms for " << ranks.size() << " inputs";

  EinsumSpec spec;
  int64_t maxEllipsis = 0;
  auto parseTerm = [&](StringRef term, int64_t rank,
                       SmallVectorImpl<Label> &out) -> LogicalResult {
    size_t dots = term.find("...");
    int64_t letters = 0;
    for (char c : term)
      if (isLabelChar(c))
        ++letters;
      else if (c != '.')
        return im.fail() << "equation '" << equation
                         << "' has an invalid character '" << c << "'";
    if (dots != StringRef::npos &&
        term.substr(dots + 3).find('.') != StringRef::npos)
      return im.fail() << "equation '" << equation
                       << "' has more than one ellipsis in a term";
    int64_t ellipsis = rank - letters;
    if (rank >= 0 && (dots == StringRef::npos ? ellipsis != 0 : ellipsis < 0))
      return im.fail() << "term '" << term << "' has " << letters
                       << " labels for an operand of rank " << rank;
    for (size_t i = 0; i < term.size(); ++i) {
      if (term[i] == '.') {
        int64_t n = rank < 0 ? maxEllipsis : ellipsis;
        for (int64_t k = n - 1; k >= 0; --k)
          out.push_back(kEllipsisBase + k);
        i += 2;
        continue;
      }
      out.push_back(Label(term[i]));
    }
    if (rank >= 0)
      maxEllipsis = std::max(maxEllipsis, std::max<int64_t>(ellipsis, 0));
    return success();
  };
  for (auto [term, rank] : llvm::zip(terms, ranks)) {
    if (failed(parseTerm(term, rank, spec.inputs.emplace_back())))
      return failure();
  }
  if (explicitOut) {
    // Ellipsis dims missing from the output are summed, as in numpy.
    if (failed(parseTerm(rhs, -1, spec.output)))
      return failure();
  } else {
    // Implicit output: the ellipsis dims, then the letters used once, in
    // alphabetical order.
    for (int64_t k = maxEllipsis - 1; k >= 0; --k)
      spec.output.push_back(kEllipsisBase + k);
    std::map<char, int> uses;
    for (StringRef term : terms)
      for (char c : term)
        if (isLabelChar(c))
          ++uses[c];
    for (auto [c, n] : uses)
      if (n == 1)
        spec.output.push_back(Label(c));
  }
  llvm::SmallSetVector<Label, 8> seen;
  for (Label l : spec.output) {
    if (!seen.insert(l))
      return im.fail() << "equation '" << equation
                       << "' repeats an output label";
    bool found = false;
    for (const auto &in : spec.inputs)
      found |= llvm::is_contained(in, l);
    if (!found)
      return im.fail() << "equation '" << equation << "' has output label '"
                       << char(l) << "' that no input has";
  }
  for (const auto &in : spec.inputs) {
    llvm::SmallSetVector<Label, 8> labels;
    for (Label l : in)
      if (!labels.insert(l))
        return im.fail() << "equation '" << equation
                         << "' repeats a label within one operand (a "
                            "diagonal), which is not supported";
  }
  return spec;
}

LogicalResult OnnxImporter::importEinsum() {
  int n = node->input_size();
  if (n < 1 || n > 2)
    return fail() << "wse imports Einsum of one or two operands, not " << n;
  SmallVector<Value> ops;
  SmallVector<int64_t> ranks;
  for (int i = 0; i < n; ++i) {
    FailureOr<Value> v = inputValue(i);
    if (failed(v))
      return failure();
    auto t = cast<RankedTensorType>(v->getType());
    if (!t.getElementType().isF32())
      return fail() << "wse computes Einsum in f32; operand " << i << " is "
                    << t.getElementType();
    ops.push_back(*v);
    ranks.push_back(t.getRank());
  }
  FailureOr<EinsumSpec> spec =
      parseEinsum(*this, stringAttr("equation", ""), ranks);
  if (failed(spec))
    return failure();
  ArrayRef<Label> out = spec->output;

  // Label sizes (1 broadcasts).
  std::map<Label, int64_t> size;
  for (auto [v, labels] : llvm::zip(ops, spec->inputs)) {
    auto t = cast<RankedTensorType>(v.getType());
    for (auto [d, l] : llvm::enumerate(labels)) {
      int64_t s = t.getDimSize(d);
      auto [it, inserted] = size.try_emplace(l, s);
      if (!inserted && it->second != s) {
        if (it->second != 1 && s != 1)
          return fail() << "label '" << (l < kEllipsisBase ? char(l) : '.')
                        << "' has sizes " << it->second << " and " << s;
        it->second = std::max(it->second, s);
      }
    }
  }
  auto sizesOf = [&](ArrayRef<Label> labels) {
    SmallVector<int64_t> s;
    for (Label l : labels)
      s.push_back(size[l]);
    return s;
  };
  auto permTo = [](ArrayRef<Label> from, ArrayRef<Label> to) {
    SmallVector<int64_t> perm;
    for (Label l : to)
      perm.push_back(llvm::find(from, l) - from.begin());
    return perm;
  };

  // Sum away the labels only one operand has and the output lacks.
  SmallVector<SmallVector<Label>> labels;
  for (int i = 0; i < n; ++i) {
    SmallVector<Label> keep;
    SmallVector<int64_t> axes;
    for (auto [d, l] : llvm::enumerate(spec->inputs[i])) {
      bool elsewhere = llvm::is_contained(out, l);
      for (int j = 0; j < n; ++j)
        elsewhere |= j != i && llvm::is_contained(spec->inputs[j], l);
      if (elsewhere)
        keep.push_back(l);
      else
        axes.push_back(d);
    }
    if (!axes.empty()) {
      FailureOr<Value> r = emit<ReduceSumOp>(
          {ops[i]},
          {builder.getNamedAttr("axes", builder.getDenseI64ArrayAttr(axes))});
      if (failed(r))
        return failure();
      ops[i] = *r;
    }
    labels.push_back(keep);
  }

  if (n == 1) {
    define(0, transpose(ops[0], permTo(labels[0], out)));
    return success();
  }

  ArrayRef<Label> la = labels[0], lb = labels[1];
  SmallVector<Label> batch, contract, m, nn;
  for (Label l : out)
    if (llvm::is_contained(la, l) && llvm::is_contained(lb, l))
      batch.push_back(l);
  for (Label l : la) {
    if (llvm::is_contained(batch, l))
      continue;
    (llvm::is_contained(lb, l) ? contract : m).push_back(l);
  }
  for (Label l : lb)
    if (!llvm::is_contained(batch, l) && !llvm::is_contained(contract, l))
      nn.push_back(l);

  // A dim of size 1 against a larger one: broadcast the operand first.
  for (int i = 0; i < 2; ++i) {
    auto t = cast<RankedTensorType>(ops[i].getType());
    SmallVector<int64_t> want = sizesOf(labels[i]);
    bool batchOnly = true;
    for (auto [d, l] : llvm::enumerate(labels[i]))
      if (t.getDimSize(d) != want[d] && !llvm::is_contained(batch, l))
        batchOnly = false;
    // Batch dims broadcast inside matmul; others must be made explicit.
    if (!batchOnly || contract.empty())
      ops[i] = materialize(broadcastTo(OnnxValue::of(ops[i]), want));
  }

  if (contract.empty()) {
    // No contraction: an outer or elementwise product. Lay both out in
    // output order (1 where an operand lacks a label) and multiply.
    SmallVector<Value> laid;
    for (int i = 0; i < 2; ++i) {
      SmallVector<Label> order;
      for (Label l : out)
        if (llvm::is_contained(labels[i], l))
          order.push_back(l);
      Value v = transpose(ops[i], permTo(labels[i], order));
      SmallVector<int64_t> shape;
      for (Label l : out)
        shape.push_back(llvm::is_contained(labels[i], l) ? size[l] : 1);
      laid.push_back(reshape(v, shape));
    }
    FailureOr<Value> r = emit<MulOp>({laid[0], laid[1]});
    if (failed(r))
      return failure();
    define(0, *r);
    return success();
  }

  // A as [batch..., M, K] (or [batch..., K, M] with transpose_a), B as
  // [batch..., K, N] (or [batch..., N, K] with transpose_b), keeping each
  // operand's layout when it already fits.
  auto concatLabels = [](std::initializer_list<ArrayRef<Label>> parts) {
    SmallVector<Label> r;
    for (ArrayRef<Label> p : parts)
      llvm::append_range(r, p);
    return r;
  };
  auto prepare = [&](Value v, ArrayRef<Label> have, ArrayRef<Label> rows,
                     ArrayRef<Label> cols, bool &transposed) -> Value {
    SmallVector<Label> direct = concatLabels({batch, rows, cols});
    SmallVector<Label> swapped = concatLabels({batch, cols, rows});
    transposed = false;
    if (ArrayRef<Label>(have) != ArrayRef<Label>(direct)) {
      if (ArrayRef<Label>(have) == ArrayRef<Label>(swapped))
        transposed = true;
      else
        v = transpose(v, permTo(have, direct));
    }
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(t.getShape().take_front(batch.size()));
    int64_t r = numElements(sizesOf(rows)), c = numElements(sizesOf(cols));
    if (transposed)
      std::swap(r, c);
    shape.push_back(r);
    shape.push_back(c);
    return reshape(v, shape);
  };
  bool ta, tb;
  Value a = prepare(ops[0], la, m, contract, ta);
  Value b = prepare(ops[1], lb, contract, nn, tb);
  FailureOr<Value> r = matmul(*this, a, b, Value(), ta, tb);
  if (failed(r))
    return failure();
  auto rt = cast<RankedTensorType>(r->getType());
  SmallVector<int64_t> shape(rt.getShape().take_front(batch.size()));
  llvm::append_range(shape, sizesOf(m));
  llvm::append_range(shape, sizesOf(nn));
  Value res = reshape(*r, shape);
  SmallVector<Label> have = concatLabels({batch, m, nn});
  define(0, transpose(res, permTo(have, out)));
  return success();
}
