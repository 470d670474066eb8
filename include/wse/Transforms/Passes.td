#ifndef WSE_TRANSFORMS_PASSES_TD
#define WSE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def MakeTrainStep : Pass<"wse-make-train-step", "mlir::ModuleOp"> {
  let summary = "Turn a forward function into a training step";
  let description = [{
    Takes the module's forward function (parameters are arguments marked
    `{wse.param}`), adds the loss, differentiates the loss with respect to
    every parameter by reverse-mode autodiff over the graph (each op gives
    its own gradient through `DifferentiableOpInterface`), and applies the
    optimizer. The result is `@train_step`, which returns the loss (marked
    `{wse.loss}`) followed by the updated parameters (each marked
    `{wse.param = "<name>"}`), in the order forward, backward, update.

    Before:
    ```mlir
    func.func @main(%w: tensor<10x64xf32> {wse.param = "fc.weight"},
                    %x: tensor<32x64xf32>) -> tensor<32x10xf32>
    ```
    After (`loss=cross-entropy optimizer=sgd lr=0.1`):
    ```mlir
    func.func @train_step(%w: ... {wse.param = "fc.weight"}, %x: ...,
                          %labels: tensor<32xi64> {wse.input = "labels"})
        -> (tensor<f32> {wse.loss}, tensor<10x64xf32> {wse.param = "fc.weight"})
    ```
  }];
  let options = [
    Option<"loss", "loss", "std::string", /*default=*/"\"cross-entropy\"",
           "Loss on the first result: cross-entropy, mse or output (the first result is the loss) (default: cross-entropy)">,
    Option<"reduction", "reduction", "std::string", /*default=*/"\"mean\"",
           "How cross-entropy and mse reduce: mean or sum (default: mean)">,
    Option<"ignoreIndex", "ignore-index", "int64_t", /*default=*/"INT64_MIN",
           "cross-entropy: label value that contributes nothing (default: none; torch uses -100)">,
    Option<"labelSmoothing", "label-smoothing", "double", /*default=*/"0.0",
           "cross-entropy: label smoothing epsilon in [0, 1) (default: 0)">,
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"sgd\"",
           "Optimizer: sgd or adamw (default: sgd)">,
    Option<"lr", "lr", "double", /*default=*/"0.01", "Learning rate, > 0 (default: 0.01)">,
    Option<"lrInput", "lr-input", "bool", /*default=*/"false",
           "Take the learning rate per step from an input named 'lr' (default: false)">,
    Option<"momentum", "momentum", "double", /*default=*/"0.0", "sgd: momentum in [0, 1) (default: 0)">,
    Option<"dampening", "dampening", "double", /*default=*/"0.0", "sgd: dampening in [0, 1] (default: 0)">,
    Option<"nesterov", "nesterov", "bool", /*default=*/"false", "sgd: Nesterov momentum (default: false)">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"-1.0",
           "Weight decay (default: 0 for sgd, 0.01 for adamw, as in torch)">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "adamw: beta1 in [0, 1) (default: 0.9)">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999", "adamw: beta2 in [0, 1) (default: 0.999)">,
    Option<"eps", "eps", "double", /*default=*/"1e-8", "adamw: epsilon, > 0 (default: 1e-8)">,
    Option<"clipNorm", "clip-norm", "double", /*default=*/"0.0",
           "Clip gradients to this global L2 norm, as torch.nn.utils.clip_grad_norm_ (default: 0, off)">,
    ListOption<"freeze", "freeze", "std::string",
               "Parameters not trained: glob patterns, each must match (default: none)">,
    Option<"funcName", "func", "std::string", /*default=*/"\"\"",
           "Forward function (default: the only public function)">,
  ];
  let dependentDialects = ["mlir::wse::WseDialect", "mlir::func::FuncDialect"];
}

def MicroBatch : Pass<"wse-micro-batch", "mlir::ModuleOp"> {
  let summary = "Rewrite a forward function to run on 1/N of its batch";
  let description = [{
    Gradient accumulation, before `wse-make-train-step`: the forward
    function (the named one, else the only public one) is rewritten to take
    one of `micro-batches` equal slices of its batch, dim 0 of every input
    that is not a parameter, and marked `wse.micro_batches = N` (its
    batched inputs `wse.micro_batched`). `wse-make-train-step` then builds
    the step on one micro-batch and adds the loss and every gradient over
    the step's N micro-batches with `wse.accumulate` before the optimizer;
    both engines feed such a step the whole batch and run it in N slices.
    An op that would mix the samples of a batch (a reduction over it, a
    product contracting it, a reshape folding it into an inner dim, a
    capacity-based MoE route) is an error at that op: the micro-batches
    would not add up to the step.
  }];
  let options = [
    Option<"microBatches", "micro-batches", "int64_t", /*default=*/"1",
           "Micro-batches per step, >= 1, dividing the batch (default: 1, none)">,
    Option<"funcName", "func", "std::string", /*default=*/"\"\"",
           "Forward function (default: the only public function)">,
  ];
  let dependentDialects = ["mlir::wse::WseDialect", "mlir::func::FuncDialect"];
}

def Sparsify : Pass<"wse-sparsify", "mlir::ModuleOp"> {
  let summary = "Fix a static unstructured sparsity mask on weight matrices";
  let description = [{
    For each selected parameter (rank 2), keeps round(density x numel)
    entries and zeroes the rest of its initial value: `magnitude` keeps
    the largest |w| (ties: the lower flat index), `random` a uniform random
    subset drawn from `seed`. The mask is stored on the parameter as
    `wse.mask` (a dense i1 tensor); `wse-make-train-step` then drops the
    masked gradients before the optimizer and masks the updated weights,
    so masked entries stay exactly zero and their optimizer state stays
    zero (torch: mask the gradients before `step()`, the weights after).
    A remark gives each parameter's density. Run it on the forward graph,
    before `wse-make-train-step` or `wse-train-pipeline`.
  }];
  let options = [
    Option<"density", "density", "double", /*default=*/"0.0",
           "Fraction of each selected matrix that is kept, in (0, 1] (required)">,
    ListOption<"params", "params", "std::string",
               "Parameters to sparsify: glob patterns, each must match (default: every rank-2 parameter used as a matmul operand and not as a gather table)">,
    Option<"method", "method", "std::string", /*default=*/"\"magnitude\"",
           "Which entries stay: magnitude or random (default: magnitude)">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of method=random (default: 0)">,
  ];
  let dependentDialects = ["mlir::wse::WseDialect", "mlir::func::FuncDialect"];
}

def Recompute : Pass<"wse-recompute", "mlir::ModuleOp"> {
  let summary = "Recompute activations in the backward pass instead of keeping them";
  let description = [{
    On a train step (the function whose first result is marked
    `wse.loss`), after the composites are decomposed: the forward pass is
    every op up to the one that makes the loss. A forward value the
    backward pass reads is kept from the forward pass to its use unless
    the policy recomputes it; a recomputed value is cloned (with the
    forward ops it needs that are not kept) right before its first use in
    the backward pass, so the forward's copy dies at its last forward use.

    `policy=selective` keeps the function's arguments, constants, and the
    results of ops that read a parameter matrix (a product with a weight,
    an embedding lookup: recomputing those would read, and in weight
    streaming stream, the weight again); it recomputes the rest (bias
    adds and norm scales read vectors):
    normalizations, activations, softmax and attention's products of two
    activations, whose values are large (attention's scores and
    probabilities grow with the square of the sequence) and cheap to
    compute again. `policy=full` keeps only the forward's cuts: values that
    are, at some point of the forward pass, the only activation live (a
    transformer's residual stream between blocks), and recomputes the rest
    from the last cut before them, products with weights too (a streamed
    weight is streamed again). `policy=none` changes nothing. The clones are the same
    ops on the same values, so the step's numbers do not change.
  }];
  let options = [
    Option<"policy", "policy", "std::string", /*default=*/"\"selective\"",
           "What to recompute: selective, full or none (default: selective)">,
  ];
  let dependentDialects = ["mlir::wse::WseDialect", "mlir::func::FuncDialect"];
}

#endif

def DecomposeAttention : Pass<"wse-decompose-attention", "mlir::ModuleOp"> {
  let summary = "Rewrite wse.attention and wse.rope into primitive ops";
  let description = [{
    For targets without a native kernel for a variant: attention becomes
    repeat-kv-heads (GQA/MQA), `q k^T * scale`, the constant causal /
    window / ALiBi bias, the optional mask, softmax and the product with v;
    rope becomes `x * cos + rotate(x) * sin` with constant tables. The
    numbers are those of the op (the same builder defines both).
  }];
}

def DecomposeForMesh : Pass<"wse-decompose-for-mesh", "mlir::ModuleOp"> {
  let summary = "Rewrite composite ops into the primitives the mesh maps";
  let description = [{
    softmax, log_softmax, layer_norm, rms_norm, softmax_cross_entropy (and
    its gradient), nll_loss (and its gradient), mse and reduce_mean become
    reductions and elementwise ops; a matmul's alpha, beta and bias become
    a pure contraction followed by elementwise ops; gathers and
    scatter_adds of embedding rows become row operations on a 2-D table
    with 1-D indices, reshaped around. The result runs on the reference
    interpreter too, so the decomposition is checked at the graph level.
    Run `wse-decompose-attention` first for wse.attention and wse.rope.

    A raised mixture of experts' row gathers (the dispatch's at each
    slot's token, the combine's at each choice's slot) become scatter-adds
    of the rows at the inverse index (`routed-scatters`, the default): on
    the mesh each row then goes from the PE holding it to the PE of its
    destination only, instead of a gather's table to every PE that might
    read it. Each destination row receives one row, so the values are the
    gather's (an exact -0 becomes +0).
  }];
  let options = [
    Option<"routedScatters", "routed-scatters", "bool", /*default=*/"true",
           "Move a raised mixture of experts' rows by scatter-adds from the PEs holding them (default: true)">,
  ];
}

def RaiseMoe : Pass<"wse-raise-moe", "mlir::ModuleOp"> {
  let summary = "Raise one-hot capacity routing of exported mixtures of experts into wse.moe_route and row gathers";
  let description = [{
    From each `wse.top_k` over [tokens, experts] (a gate), finds the
    matmuls that dispatch tokens into expert slots and combine the experts'
    outputs with one-hot tensors computed from the top-k results, checks by
    evaluation that those tensors are capacity routing (GShard's choice-major
    or token-major priority, expert- or slot-major slots), and replaces each
    matmul with row gathers at the indices of one `wse.moe_route`. The
    experts, the gate and the auxiliary loss stay as they are. Each gate
    gets a remark: raised, or why not.

    With `load-metrics` (the default) each raised gate adds two results
    marked `wse.metric`: `<gate>.load` [E], the choices each expert got
    before capacity, and `<gate>.dropped`, the choices past capacity
    (`<gate>` is the gate weight's parameter name without `.weight`). The
    train step keeps them and both engines report them per step.
  }];
  let options = [
    Option<"loadMetrics", "load-metrics", "bool", /*default=*/"true",
           "Report each gate's expert load and dropped choices as metrics (default: true)">,
  ];
  let dependentDialects = ["mlir::wse::WseDialect", "mlir::func::FuncDialect"];
}

def StackExperts : Pass<"wse-stack-experts", "mlir::ModuleOp"> {
  let summary = "Stack the E copies of an expert (a ModuleList of experts) into one computation over stacked parameters";
  let description = [{
    Finds a `wse.concat` along dim 0 of E results where result e is computed
    from block e of one value's dim 0 (the dispatched slots) by the same ops
    on the same shapes for every e, differing only in the parameters they
    read, and replaces the E computations with one over a leading expert
    dim: pointwise ops, reshapes, transposes, softmaxes, reductions and
    matmuls lift; anything else leaves the experts as they are. The E
    parameters in each role become one parameter [E, ...] named after them
    (`h.0.moe.expert.*.fc.weight`) with `wse.param_parts` listing their
    names; the engines dump and report the parts under those names. Each
    concat that looks like experts gets a remark: stacked, or why not. The
    mesh pipeline runs it before building the train step, so the mesh lays
    a ModuleList's experts out as it lays out batched expert weights.
  }];
  let dependentDialects = ["mlir::wse::WseDialect", "mlir::func::FuncDialect"];
}

def RaiseAttention : Pass<"wse-raise-attention", "mlir::ModuleOp"> {
  let summary = "Raise the attention pattern of exported models into wse.attention";
  let description = [{
    Finds `softmax(scale * q k^T [+ mask | masked by a constant]) v` as
    torch.onnx.export writes it (MatMul, Mul or Div by a constant,
    Where/Add with a mask, Softmax on the last axis, MatMul) and replaces it
    with one `wse.attention`. A constant mask that is exactly causal becomes
    `causal = true`; any other mask stays an additive mask operand. Rank-3
    attention ([B*H, T, D], as nn.MultiheadAttention exports it) is raised
    with B*H heads.
  }];
}
