// Neural-network ops: softmax, normalization, arg-reductions and losses.
// Included from WseOps.td.

class Wse_SoftmaxLikeOp<string mnemonic, string desc>
    : Wse_Op<mnemonic, [Pure, SameOperandsAndResultType,
        DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = desc # " along one axis";
  let arguments = (ins Wse_F32Tensor:$input, I64Attr:$axis);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Wse_SoftmaxOp : Wse_SoftmaxLikeOp<"softmax", "softmax">;
def Wse_LogSoftmaxOp : Wse_SoftmaxLikeOp<"log_softmax", "log of softmax">;

def Wse_LayerNormOp : Wse_Op<"layer_norm", [Pure, InferTypeOpAdaptor,
    AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Normalize over dims [axis, rank), then scale and shift";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * scale + bias`, mean and (biased)
    variance over the trailing dims from `axis`. `scale` and `bias`
    broadcast against those trailing dims.
  }];
  let arguments = (ins Wse_F32Tensor:$input, Optional<Wse_F32Tensor>:$scale,
                   Optional<Wse_F32Tensor>:$bias, I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = [{
    $input (`scale` $scale^ `:` type($scale))? (`bias` $bias^ `:` type($bias))?
    attr-dict `:` type($input)
  }];
}

def Wse_RmsNormOp : Wse_Op<"rms_norm", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "x / sqrt(mean(x^2) + epsilon) * scale over dims [axis, rank)";
  let arguments = (ins Wse_F32Tensor:$input, Optional<Wse_F32Tensor>:$scale,
                   I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = [{
    $input (`scale` $scale^ `:` type($scale))? attr-dict `:` type($input)
  }];
}

class Wse_ArgReduceOp<string mnemonic, string desc>
    : Wse_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let summary = "Index (i64) of the " # desc # " along an axis";
  let description = [{
    Ties resolve to the first index, or the last with `select_last_index`.
  }];
  let arguments = (ins Wse_NumericTensor:$input, I64Attr:$axis,
                   DefaultValuedAttr<BoolAttr, "true">:$keep_dims,
                   DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Wse_ArgMaxOp : Wse_ArgReduceOp<"argmax", "largest element">;
def Wse_ArgMinOp : Wse_ArgReduceOp<"argmin", "smallest element">;

def Wse_MoeRouteOp : Wse_Op<"moe_route", [Pure, InferTypeOpAdaptor]> {
  let summary = "Capacity routing of a mixture of experts: each choice's slot and each slot's token";
  let description = [{
    `choices` [N, k] holds the experts (in [0, experts)) token n picked, best
    first. Each expert has `capacity` slots, handed out in priority order:
    with `choice_major` every token's first choice before any second choice
    (GShard), else token by token; in token order within that. A choice
    whose expert is full is dropped.

    Slot p is `e * capacity + c` (`expert_major`) or `c * experts + e`.
    `slot` [N, k] gives each choice's slot, `experts * capacity` when
    dropped; `src` [experts * capacity] gives each slot's token, N when the
    slot stays empty. Both index one padding row past the end, so a gather
    from a table with a zero row appended reads zeros there.
  }];
  let arguments = (ins RankedTensorOf<[I64]>:$choices, I64Attr:$experts,
                   I64Attr:$capacity,
                   DefaultValuedAttr<BoolAttr, "true">:$choice_major,
                   DefaultValuedAttr<BoolAttr, "true">:$expert_major);
  let results = (outs RankedTensorOf<[I64]>:$slot, RankedTensorOf<[I64]>:$src);
  let assemblyFormat = "$choices attr-dict `:` type($choices)";
}

def Wse_TopKOp : Wse_Op<"top_k", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "The k largest (or smallest) elements along an axis, and their indices";
  let description = [{
    `values` and `indices` (i64) have the input's shape with `axis` of size
    `k`, sorted: largest first (smallest first without `largest`). Equal
    elements come in index order, lower first (ONNX TopK); NaN counts as
    larger than every number, as in torch.topk. The gradient of `values`
    goes back to the positions in `indices`.
  }];
  let arguments = (ins Wse_NumericTensor:$input, I64Attr:$k, I64Attr:$axis,
                   DefaultValuedAttr<BoolAttr, "true">:$largest);
  let results = (outs Wse_NumericTensor:$values, RankedTensorOf<[I64]>:$indices);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Wse_NllLossOp : Wse_Op<"nll_loss", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Negative log-likelihood of log-probabilities [N, C, d...] at labels [N, d...]";
  let description = [{
    `loss[n, d...] = -weight[c] * input[n, c, d...]` with `c = labels[n, d...]`;
    positions whose label equals `ignore_index` contribute 0 (and no weight).
    `reduction` is `none` (result shaped like labels), `sum`, or `mean` (the
    sum divided by the summed weights of the counted positions), as in
    ONNX NegativeLogLikelihoodLoss and torch's nll_loss.
  }];
  let arguments = (ins Wse_F32Tensor:$input, Wse_IndexTensor:$labels,
                   Optional<Wse_F32Tensor>:$weight,
                   DefaultValuedAttr<StrAttr, "\"mean\"">:$reduction,
                   OptionalAttr<I64Attr>:$ignore_index);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $labels (`weight` $weight^ `:` type($weight))? attr-dict
    `:` type($input) `,` type($labels)
  }];
}

def Wse_NllLossGradOp : Wse_Op<"nll_loss_grad", [Pure, InferTypeOpAdaptor]> {
  let summary = "d(nll_loss)/d(input) given the gradient of the loss";
  let description = [{
    Zero except at `[n, labels[n, d...], d...]`, where it is
    `-weight[c] * dloss` (per position for reduction `none`, divided by the
    summed weights for `mean`); ignored positions stay zero.
  }];
  let arguments = (ins Wse_F32Tensor:$input, Wse_IndexTensor:$labels,
                   Optional<Wse_F32Tensor>:$weight, Wse_F32Tensor:$dloss,
                   DefaultValuedAttr<StrAttr, "\"mean\"">:$reduction,
                   OptionalAttr<I64Attr>:$ignore_index);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $labels `,` $dloss (`weight` $weight^ `:` type($weight))? attr-dict
    `:` type($input) `,` type($labels) `,` type($dloss)
  }];
}

def Wse_AttentionOp : Wse_Op<"attention", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Scaled dot-product attention; attributes name the variant";
  let description = [{
    `softmax(scale * q k^T + bias) v` per batch and head, with q
    `[B, H, T, D]`, k and v `[B, Hkv, S, D]`; `H` a multiple of `Hkv` (MHA
    when equal, MQA when `Hkv` is 1, GQA between: query head h reads kv head
    `h / (H / Hkv)`). The bias is the sum of what the attributes and the
    optional additive `mask` (broadcast to `[B, H, T, S]`) ask for:

    - `causal`: key j is hidden from query i when `j > i + (S - T)`;
    - `window = w`: key j is also hidden when `j <= i + (S - T) - w`
      (sliding window of w keys ending at the query's position);
    - `alibi`: adds `-m_h * (i + (S - T) - j)` with the ALiBi slopes
      `m_h = 2^(-8 (h + 1) / H)` (H a power of two);
    - `scale` defaults to `1 / sqrt(D)`.

    Hidden keys get `-inf` before the softmax. `wse-decompose-attention`
    rewrites the op into primitive ops; its gradient recomputes the softmax
    from q and k instead of keeping it alive.
  }];
  let arguments = (ins Wse_F32Tensor:$query, Wse_F32Tensor:$key,
                   Wse_F32Tensor:$value, Optional<Wse_F32Tensor>:$mask,
                   OptionalAttr<F32Attr>:$scale,
                   DefaultValuedAttr<BoolAttr, "false">:$causal,
                   DefaultValuedAttr<BoolAttr, "false">:$alibi,
                   OptionalAttr<I64Attr>:$window,
                   I64Attr:$num_heads, I64Attr:$num_kv_heads);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` $mask^ `:` type($mask))? attr-dict
    `:` type($query) `,` type($key) `,` type($value)
  }];
}

def Wse_RopeOp : Wse_Op<"rope", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Rotary position embedding of x [B, H, T, D] at positions 0..T-1";
  let description = [{
    Rotates pairs of features by the angle `t * theta^(-2i / D)` at
    position `t`: the two halves of the last dim (`interleaved = false`,
    as Llama and GPT-NeoX: `x * cos + rotate_half(x) * sin`) or adjacent
    pairs (`interleaved = true`, as GPT-J). D must be even.
  }];
  let arguments = (ins Wse_F32Tensor:$input,
                   DefaultValuedAttr<F32Attr, "10000.0f">:$theta,
                   DefaultValuedAttr<BoolAttr, "false">:$interleaved);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}
