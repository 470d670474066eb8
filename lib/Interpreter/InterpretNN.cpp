//===- InterpretNN.cpp - matmul, softmax, norms, attention and losses -----===//
//
// Matmul uses wsert::math::matmul (k-order sums, large products split by
// rows over the engine's threads) per batch slice. Softmax, norm statistics and loss sums accumulate in double and
// round to f32 once.
//
//===----------------------------------------------------------------------===//
#include "InterpreterImpl.h"

#include "wse/Support/Math.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::wse;
using namespace mlir::wse::interp;

namespace {

LogicalResult matmul(Interp &in, MatmulOp m) {
  const HostTensor &a = in.get(m.getA()), &b = in.get(m.getB());
  Shape shape = shapeOf(m.getType());
  bool ta = m.getTransposeA(), tb = m.getTransposeB();
  size_t ra = a.shape.size(), r = shape.size();
  int64_t mm = shape[r - 2], n = shape[r - 1];
  int64_t k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  // Batch dims broadcast; each result slice is one 2-D product.
  Shape batch(shape.begin(), shape.end() - 2);
  Shape aBatch(a.shape.begin(), a.shape.end() - 2);
  Shape bBatch(b.shape.begin(), b.shape.end() - 2);
  std::vector<int64_t> ai = broadcastIndex(aBatch, batch);
  std::vector<int64_t> bi = broadcastIndex(bBatch, batch);
  HostTensor out = HostTensor::floats(shape);
  // One B for every slice and A's slices stored one after another: a single
  // product of all their rows (the same sums, and B is prepared once).
  bool sharedB = numElementsOf(bBatch) == 1 && aBatch == batch && !ta;
  if (sharedB && mm * n != 0)
    ::wsert::math::matmul(out.f.data(), a.f.data(), b.f.data(),
                          numElementsOf(batch) * mm, n, k, ta, tb, false);
  for (size_t s = 0; s < ai.size() && !sharedB; ++s) {
    if (mm * n == 0)
      break;
    ::wsert::math::matmul(out.f.data() + s * mm * n,
                          a.f.data() + ai[s] * mm * k,
                          b.f.data() + bi[s] * k * n, mm, n, k, ta, tb, false);
  }
  Real alpha = m.getAlpha().convertToFloat();
  Real beta = m.getBeta().convertToFloat();
  if (alpha != 1.0f)
    for (Real &v : out.f)
      v *= alpha;
  if (m.getBias()) {
    // Row by row of the last dim (a bias is mostly one row for all).
    const HostTensor &c = in.get(m.getBias());
    RowBroadcast rows = broadcastRows(c.shape, shape);
    Real *o = out.f.data();
    for (size_t row = 0; row < rows.base.size() && rows.len; ++row) {
      const Real *cr = c.f.data() + rows.base[row];
      for (int64_t j = 0; j < rows.len; ++j, ++o) {
        Real cv = cr[rows.step * j];
        *o += beta == 1.0f ? cv : beta * cv;
      }
    }
  }
  in.set(m.getResult(), std::move(out));
  return success();
}

/// softmax or log_softmax along `axis`, max-subtracted.
LogicalResult softmax(Interp &in, Operation *op, int64_t axis, bool log) {
  const HostTensor &x = in.get(op->getOperand(0));
  AxisView v = axisView(x.shape, axis);
  std::vector<double> exps(static_cast<size_t>(v.len));
  if (v.inner == 1) {
    // Rows contiguous: the same steps in loops over pointers, which
    // vectorize (the exponential of a strided element ran scalar). A row
    // is read whole before its outputs are written (element k of the log
    // form just before): into x itself when this op reads it last.
    bool inPlace = in.dying.contains(op->getOperand(0));
    HostTensor out =
        inPlace ? in.take(op->getOperand(0)) : HostTensor::floats(x.shape);
    const Real *xf = inPlace ? out.f.data() : x.f.data();
    for (int64_t o = 0; o < v.outer; ++o) {
      const Real *xr = xf + o * v.len;
      Real *yr = out.f.data() + o * v.len;
      double mx = ::wsert::math::foldMax(
          xr, v.len, -std::numeric_limits<double>::infinity());
      double sum = ::wsert::math::expShiftSum(xr, v.len, mx, exps.data());
      if (log) {
        double logSum = std::log(sum);
        for (int64_t k = 0; k < v.len; ++k)
          yr[k] = Real(double(xr[k]) - mx - logSum);
      } else {
        for (int64_t k = 0; k < v.len; ++k)
          yr[k] = Real(exps[k] / sum);
      }
    }
    in.set(op->getResult(0), std::move(out));
    return success();
  }
  HostTensor out = HostTensor::floats(x.shape);
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i) {
      int64_t base = o * v.len * v.inner + i;
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t k = 0; k < v.len; ++k)
        mx = std::max(mx, double(x.f[base + k * v.inner]));
      // A row of all -inf, or one holding +inf, gives NaN as in torch. The
      // exponentials, then their sum in order.
      for (int64_t k = 0; k < v.len; ++k)
        exps[k] = ::wsert::math::expd(double(x.f[base + k * v.inner]) - mx);
      double sum = 0.0;
      for (int64_t k = 0; k < v.len; ++k)
        sum += exps[k];
      double logSum = std::log(sum);
      for (int64_t k = 0; k < v.len; ++k) {
        double shifted = double(x.f[base + k * v.inner]) - mx;
        out.f[base + k * v.inner] =
            log ? Real(shifted - logSum) : Real(exps[k] / sum);
      }
    }
  in.set(op->getResult(0), std::move(out));
  return success();
}

/// layer_norm (center = true) or rms_norm over dims [axis, rank).
LogicalResult normalize(Interp &in, Operation *op, Value input, Value scale,
                        Value bias, int64_t axis, Real epsilon, bool center) {
  const HostTensor &x = in.get(input);
  Shape tail(x.shape.begin() + axis, x.shape.end());
  int64_t group = numElementsOf(tail);
  int64_t groups = group ? x.numElements() / group : 0;
  const HostTensor *s = scale ? &in.get(scale) : nullptr;
  const HostTensor *b = bias ? &in.get(bias) : nullptr;
  std::vector<int64_t> si, bi;
  if (s)
    si = broadcastIndex(s->shape, tail);
  if (b)
    bi = broadcastIndex(b->shape, tail);
  HostTensor out = HostTensor::floats(x.shape);
  for (int64_t g = 0; g < groups; ++g) {
    const Real *xs = x.f.data() + g * group;
    double mean = 0.0;
    if (center) {
      for (int64_t k = 0; k < group; ++k)
        mean += xs[k];
      mean /= double(group);
    }
    double var = 0.0; // biased: divides by the count
    for (int64_t k = 0; k < group; ++k)
      var += (xs[k] - mean) * (xs[k] - mean);
    var /= double(group);
    double rstd = 1.0 / std::sqrt(var + double(epsilon));
    for (int64_t k = 0; k < group; ++k) {
      double y = (xs[k] - mean) * rstd;
      if (s)
        y *= s->f[si[k]];
      if (b)
        y += b->f[bi[k]];
      out.f[g * group + k] = Real(y);
    }
  }
  in.set(op->getResult(0), std::move(out));
  return success();
}

LogicalResult nllLoss(Interp &in, NllLossOp op) {
  const HostTensor &x = in.get(op.getInput());
  const HostTensor &labels = in.get(op.getLabels());
  const HostTensor *w = op.getWeight() ? &in.get(op.getWeight()) : nullptr;
  std::optional<int64_t> ignore;
  if (auto attr = op.getIgnoreIndexAttr())
    ignore = attr.getInt();
  StringRef reduction = op.getReduction();
  // input [N, C, d...] is viewed as [N, C, D]; labels [N, d...] as [N, D].
  int64_t n = x.shape[0], c = x.shape[1];
  int64_t d = 1;
  for (size_t k = 2; k < x.shape.size(); ++k)
    d *= x.shape[k];
  HostTensor perPos = HostTensor::floats(labels.shape);
  double sum = 0.0, weightSum = 0.0;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t p = 0; p < d; ++p) {
      int64_t label = labels.i[b * d + p];
      if (ignore && label == *ignore)
        continue; // loss 0, weight 0
      if (label < 0 || label >= c)
        return op.emitError("a label is outside [0, ")
               << c << "): " << label;
      double weight = w ? double(w->f[label]) : 1.0;
      double loss = -weight * double(x.f[(b * c + label) * d + p]);
      perPos.f[b * d + p] = Real(loss);
      sum += loss;
      weightSum += weight;
    }
  if (reduction == "none")
    in.set(op.getResult(), std::move(perPos));
  else if (reduction == "sum")
    in.set(op.getResult(), HostTensor::floats({}, Real(sum)));
  else // mean: 0/0 (nothing counted) is NaN, as in torch
    in.set(op.getResult(), HostTensor::floats({}, Real(sum / weightSum)));
  return success();
}

LogicalResult nllLossGrad(Interp &in, NllLossGradOp op) {
  const HostTensor &x = in.get(op.getInput());
  const HostTensor &labels = in.get(op.getLabels());
  const HostTensor &dloss = in.get(op.getDloss());
  const HostTensor *w = op.getWeight() ? &in.get(op.getWeight()) : nullptr;
  std::optional<int64_t> ignore;
  if (auto attr = op.getIgnoreIndexAttr())
    ignore = attr.getInt();
  StringRef reduction = op.getReduction();
  bool perPosition = reduction == "none";
  if (perPosition ? dloss.shape != labels.shape : dloss.numElements() != 1)
    return op.emitError("dloss should be ")
           << (perPosition ? "shaped like the labels" : "a scalar")
           << " for reduction '" << reduction << "'";
  int64_t n = x.shape[0], c = x.shape[1];
  int64_t d = 1;
  for (size_t k = 2; k < x.shape.size(); ++k)
    d *= x.shape[k];
  if (labels.numElements() != n * d)
    return op.emitError("labels do not match the input's [N, d...]");
  if (w && w->numElements() != c)
    return op.emitError("weight should have ") << c << " elements";
  // The summed weight of the counted positions (the mean's divisor).
  double weightSum = 0.0;
  for (int64_t k = 0; k < n * d; ++k) {
    int64_t label = labels.i[k];
    if (ignore && label == *ignore)
      continue;
    if (label < 0 || label >= c)
      return op.emitError("a label is outside [0, ") << c << "): " << label;
    weightSum += w ? double(w->f[label]) : 1.0;
  }
  HostTensor out = HostTensor::floats(x.shape);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t p = 0; p < d; ++p) {
      int64_t label = labels.i[b * d + p];
      if (ignore && label == *ignore)
        continue;
      double weight = w ? double(w->f[label]) : 1.0;
      double g = perPosition ? double(dloss.f[b * d + p]) : double(dloss.f[0]);
      double v = -weight * g;
      if (reduction == "mean")
        v /= weightSum;
      out.f[(b * c + label) * d + p] = Real(v);
    }
  in.set(op.getResult(), std::move(out));
  return success();
}

/// Scaled dot-product attention with the same arithmetic as its
/// decomposition (wse-decompose-attention): f32 products accumulated in
/// order like wsert::math::matmul, then scale, bias and mask, softmax.
/// Capacity routing (math::moeRoute); out-of-range experts are an error
/// (the mesh checks them too).
LogicalResult moeRoute(Interp &in, MoeRouteOp op) {
  const HostTensor &choices = in.get(op.getChoices());
  int64_t n = choices.shape[0], k = choices.shape[1];
  int64_t experts = op.getExperts(), cap = op.getCapacity();
  for (int64_t i = 0; i < n * k; ++i)
    if (choices.i[i] < 0 || choices.i[i] >= experts)
      return op.emitError("expert index ")
             << choices.i[i] << " of token " << i / k << " is not in [0, "
             << experts << ")";
  HostTensor slot = HostTensor::ints({n, k}), src = HostTensor::ints({experts * cap});
  ::wsert::math::moeRoute(choices.i.data(), n, k, experts, cap,
                          op.getChoiceMajor(), op.getExpertMajor(),
                          slot.i.data(), src.i.data());
  in.set(op.getSlot(), std::move(slot));
  in.set(op.getSrc(), std::move(src));
  return success();
}

LogicalResult attention(Interp &in, AttentionOp op) {
  const HostTensor &q = in.get(op.getQuery());
  const HostTensor &k = in.get(op.getKey());
  const HostTensor &v = in.get(op.getValue());
  int64_t nb = q.shape[0], heads = q.shape[1], t = q.shape[2], d = q.shape[3];
  int64_t hkv = k.shape[1], s = k.shape[2];
  int64_t group = heads / hkv, offset = s - t;
  Real scale = op.getScale() ? op.getScale()->convertToFloat()
                              : 1.0f / std::sqrt(Real(d));
  bool causal = op.getCausal(), alibi = op.getAlibi();
  std::optional<uint64_t> window = op.getWindow();
  const HostTensor *mask = op.getMask() ? &in.get(op.getMask()) : nullptr;
  std::vector<int64_t> maskIdx;
  if (mask)
    maskIdx = broadcastIndex(mask->shape, {nb, heads, t, s});
  const Real ninf = -std::numeric_limits<Real>::infinity();
  HostTensor out = HostTensor::floats(q.shape);
  // Per (batch, head): the scores q k^T and the outputs p v as matmuls
  // (each sum in order from zero over d, then over the keys: the bits of a
  // dot product per score and per output), the softmax between them row
  // by row.
  std::vector<Real> scores(static_cast<size_t>(t * s));
  std::vector<double> exps(static_cast<size_t>(s));
  int64_t dv = v.shape[3];
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      int64_t kh = h / group;
      const Real *qb = q.f.data() + (b * heads + h) * t * d;
      const Real *kb = k.f.data() + (b * hkv + kh) * s * d;
      const Real *vb = v.f.data() + (b * hkv + kh) * s * dv;
      ::wsert::math::matmul(scores.data(), qb, kb, t, s, d, false, true, false);
      Real slope = alibi ? std::pow(2.0f, -8.0f * Real(h + 1) / Real(heads))
                          : 0.0f;
      for (int64_t i = 0; i < t; ++i) {
        Real *row = scores.data() + i * s;
        int64_t pos = i + offset;
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < s; ++j) {
          Real sc = row[j] * scale;
          if (causal || alibi || window) {
            Real bias = 0.0f;
            if ((causal && j > pos) ||
                (window && j <= pos - int64_t(*window)))
              bias = ninf;
            else if (alibi)
              bias = -slope * Real(pos - j);
            sc = sc + bias;
          }
          if (mask)
            sc = sc + mask->f[maskIdx[((b * heads + h) * t + i) * s + j]];
          row[j] = sc;
          mx = std::max(mx, double(sc));
        }
        double sum = ::wsert::math::expShiftSum(row, s, mx, exps.data());
        for (int64_t j = 0; j < s; ++j)
          row[j] = Real(exps[size_t(j)] / sum);
      }
      ::wsert::math::matmul(out.f.data() + (b * heads + h) * t * dv,
                            scores.data(), vb, t, dv, s, false, false, false);
    }
  in.set(op.getResult(), std::move(out));
  return success();
}

/// Rotary embedding with the cos/sin tables computed in f32 as torch (and
/// the decomposition) do: x * cos + rotate(x) * sin.
LogicalResult rope(Interp &in, RopeOp op) {
  const HostTensor &x = in.get(op.getInput());
  size_t rank = x.shape.size();
  int64_t t = x.shape[rank - 2], d = x.shape[rank - 1];
  int64_t rows = t * d ? x.numElements() / (t * d) : 0;
  Real theta = op.getTheta().convertToFloat();
  bool interleaved = op.getInterleaved();
  HostTensor out = HostTensor::floats(x.shape);
  for (int64_t i = 0; i < d / 2; ++i) {
    Real invFreq = 1.0f / std::pow(theta, Real(2 * i) / Real(d));
    int64_t a = interleaved ? 2 * i : i;
    int64_t bIdx = interleaved ? 2 * i + 1 : i + d / 2;
    for (int64_t p = 0; p < t; ++p) {
      Real angle = Real(p) * invFreq;
      Real c = std::cos(angle), s = std::sin(angle);
      for (int64_t r = 0; r < rows; ++r) {
        const Real *xr = x.f.data() + (r * t + p) * d;
        Real *yr = out.f.data() + (r * t + p) * d;
        yr[a] = xr[a] * c + (-xr[bIdx]) * s;
        yr[bIdx] = xr[bIdx] * c + xr[a] * s;
      }
    }
  }
  in.set(op.getResult(), std::move(out));
  return success();
}

} // namespace

Handled interp::interpretNNOp(Interp &in, Operation *op) {
  return llvm::TypeSwitch<Operation *, Handled>(op)
      .Case<MatmulOp>([&](MatmulOp o) { return matmul(in, o); })
      .Case<SoftmaxOp>(
          [&](SoftmaxOp o) { return softmax(in, o, o.getAxis(), false); })
      .Case<LogSoftmaxOp>(
          [&](LogSoftmaxOp o) { return softmax(in, o, o.getAxis(), true); })
      .Case<LayerNormOp>([&](LayerNormOp o) {
        return normalize(in, o, o.getInput(), o.getScale(), o.getBias(),
                         o.getAxis(), o.getEpsilon().convertToFloat(), true);
      })
      .Case<RmsNormOp>([&](RmsNormOp o) {
        return normalize(in, o, o.getInput(), o.getScale(), Value(),
                         o.getAxis(), o.getEpsilon().convertToFloat(), false);
      })
      .Case<NllLossOp>([&](NllLossOp o) { return nllLoss(in, o); })
      .Case<NllLossGradOp>([&](NllLossGradOp o) { return nllLossGrad(in, o); })
      .Case<AttentionOp>([&](AttentionOp o) { return attention(in, o); })
      .Case<MoeRouteOp>([&](MoeRouteOp o) { return moeRoute(in, o); })
      .Case<RopeOp>([&](RopeOp o) { return rope(in, o); })
      .Case<SoftmaxCrossEntropyOp, SoftmaxCrossEntropyGradOp>(
          [&](auto o) -> LogicalResult {
            const HostTensor &logits = in.get(o.getLogits());
            const HostTensor &labels = in.get(o.getLabels());
            int64_t rows = logits.shape[0], cols = logits.shape[1];
            Real loss = 0.0f;
            HostTensor grad;
            Real scale = 1.0f;
            constexpr bool wantGrad =
                std::is_same_v<decltype(o), SoftmaxCrossEntropyGradOp>;
            if constexpr (wantGrad) {
              scale = in.get(o.getDloss()).f[0];
              grad = HostTensor::floats(logits.shape);
            }
            if (!::wsert::math::softmaxCrossEntropy(
                    logits.f.data(), labels.i.data(), rows, cols, scale, &loss,
                    wantGrad ? grad.f.data() : nullptr))
              return o.emitError("a label is outside [0, ") << cols << ")";
            if constexpr (wantGrad)
              in.set(o.getResult(), std::move(grad));
            else
              in.set(o.getResult(), HostTensor::floats({}, loss));
            return success();
          })
      .Case<MseOp>([&](MseOp m) -> LogicalResult {
        const HostTensor &p = in.get(m.getPrediction());
        const HostTensor &t = in.get(m.getTarget());
        double sum = 0.0;
        for (size_t e = 0; e < p.f.size(); ++e) {
          double d = double(p.f[e]) - double(t.f[e]);
          sum += d * d;
        }
        // Over no elements the mean is 0/0 = NaN, as in torch.
        in.set(m.getResult(),
               HostTensor::floats({}, Real(sum / double(p.f.size()))));
        return success();
      })
      .Default([](Operation *) -> Handled { return std::nullopt; });
}
