#ifndef WSE_OPS_TD
#define WSE_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "wse/WseInterfaces.td"

def Wse_Dialect : Dialect {
  let name = "wse";
  let cppNamespace = "::mlir::wse";
  let summary = "Graph-level dialect of the wafer-scale compiler";
  let description = [{
    Static-shaped tensors with value semantics. Model parameters are function
    arguments carrying `{wse.param = "<name>"}` and, where known, their
    initial value as `{wse.init = dense_resource<...>}`. A train step marks
    its loss result `{wse.loss}` and each updated parameter result with
    `{wse.param = "<name>"}`.
  }];
  let hasConstantMaterializer = 0;
  let useDefaultAttributePrinterParser = 1;
  let hasRegionArgAttrVerify = 1;
}

def Wse_RandomAttr : AttrDef<Wse_Dialect, "Random", [TypedAttrInterface]> {
  let mnemonic = "random";
  let summary = "A parameter's initial value as a seeded generator, not data";
  let description = [{
    The `wse.init` of a parameter too large to write out (a GPT-3-sized
    model): every engine draws the same values from the seed, element by
    element in row-major order (`wsert::math::randomInit`, docs/dialects.md).

    ```mlir
    {wse.init = #wse.random<normal mean = 0.0 std = 0.02 seed = 7> : tensor<768x768xf32>}
    {wse.init = #wse.random<uniform low = -0.1 high = 0.1 seed = 3> : tensor<64xf32>}
    {wse.init = #wse.random<constant value = 1.0> : tensor<64xf32>}
    ```
  }];
  // a, b: mean and std (normal), low and high (uniform), value (constant).
  let parameters = (ins StringRefParameter<>:$distribution,
                        APFloatParameter<"">:$a, APFloatParameter<"">:$b,
                        "uint64_t":$seed, "::mlir::Type":$type);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// wsert::math::randomInit's `dist`: 0 normal, 1 uniform, 2 constant.
    int getDistributionCode() const {
      return getDistribution() == "normal" ? 0
             : getDistribution() == "uniform" ? 1 : 2;
    }
  }];
}

class Wse_Op<string mnemonic, list<Trait> traits = []>
    : Op<Wse_Dialect, mnemonic, traits>;

def Wse_F32Tensor : RankedTensorOf<[F32]>;
def Wse_IndexTensor : RankedTensorOf<[I64, I32]>;
def Wse_AnyTensor : RankedTensorOf<[F32, I64, I32, I1]>;
def Wse_ScalarF32 : 0DTensorOf<[F32]>;
def Wse_NumericTensor : RankedTensorOf<[F32, I64, I32]>;
def Wse_BoolTensor : RankedTensorOf<[I1]>;

//===----------------------------------------------------------------------===//
// Constants and shapes
//===----------------------------------------------------------------------===//

def Wse_ConstantOp : Wse_Op<"constant", [ConstantLike, Pure,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "A constant tensor";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Wse_AnyTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Wse_ReshapeOp : Wse_Op<"reshape", [Pure,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Reshape to a static shape with the same element count";
  let arguments = (ins Wse_AnyTensor:$input);
  let results = (outs Wse_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def Wse_MatmulOp : Wse_Op<"matmul", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Matrix product with the Gemm form: alpha*op(A)*op(B) + beta*C";
  let description = [{
    `op(X)` is X or its transpose as `transpose_a` / `transpose_b` say. The
    optional `bias` C broadcasts to the [M, N] result (NumPy rules). This is
    ONNX Gemm and MatMul, and torch's `nn.Linear` (transpose_b with the
    weight in [out, in] layout).

    ```mlir
    %y = wse.matmul %x, %w, %b {transpose_b = true}
        : tensor<32x64xf32>, tensor<128x64xf32>, tensor<128xf32>
    ```
  }];
  let arguments = (ins Wse_F32Tensor:$a, Wse_F32Tensor:$b, Optional<Wse_F32Tensor>:$bias,
                   DefaultValuedAttr<BoolAttr, "false">:$transpose_a,
                   DefaultValuedAttr<BoolAttr, "false">:$transpose_b,
                   DefaultValuedAttr<F32Attr, "1.0f">:$alpha,
                   DefaultValuedAttr<F32Attr, "1.0f">:$beta);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = [{
    $a `,` $b (`,` $bias^)? attr-dict `:` type($a) `,` type($b) (`,` type($bias)^)?
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Wse_BroadcastBinaryOp<string mnemonic, string desc,
                            list<Trait> traits = []>
    : Wse_Op<mnemonic, !listconcat([Pure, InferTypeOpAdaptor], traits)> {
  let summary = desc # " with NumPy broadcasting";
  let description = [{
    Both operands have the same element type (f32, i64 or i32); shapes
    broadcast as in NumPy.
  }];
  let arguments = (ins Wse_NumericTensor:$lhs, Wse_NumericTensor:$rhs);
  let results = (outs Wse_NumericTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

class Wse_DiffBinaryOp<string mnemonic, string desc>
    : Wse_BroadcastBinaryOp<mnemonic, desc,
        [DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]>;
// Gradient rules for these arrive with issue 4; until then they are plain.
class Wse_PlainBinaryOp<string mnemonic, string desc>
    : Wse_BroadcastBinaryOp<mnemonic, desc>;

def Wse_AddOp : Wse_DiffBinaryOp<"add", "Elementwise sum">;
def Wse_SubOp : Wse_DiffBinaryOp<"sub", "Elementwise difference">;
def Wse_MulOp : Wse_DiffBinaryOp<"mul", "Elementwise product">;

def Wse_ReluOp : Wse_Op<"relu", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "max(x, 0)";
  let arguments = (ins Wse_F32Tensor:$input);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Wse_ReluGradOp : Wse_Op<"relu_grad", [Pure,
    AllTypesMatch<["grad", "input", "result"]>]> {
  let summary = "Gradient of relu: grad where input > 0, else 0";
  let arguments = (ins Wse_F32Tensor:$grad, Wse_F32Tensor:$input);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = "$grad `,` $input attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Wse_ReduceOp<string mnemonic, string desc, list<Trait> traits = []>
    : Wse_Op<mnemonic, !listconcat([Pure, InferTypeOpAdaptor], traits)> {
  let summary = desc # " over the given axes";
  let description = [{
    Reduces `input` over `axes` (sorted, unique, in range). With `keep_dims`
    the reduced axes stay as size 1. An empty `axes` reduces nothing.
  }];
  let arguments = (ins Wse_NumericTensor:$input, DenseI64ArrayAttr:$axes,
                   DefaultValuedAttr<BoolAttr, "false">:$keep_dims);
  let results = (outs Wse_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Wse_ReduceSumOp : Wse_ReduceOp<"reduce_sum", "Sum",
    [DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]>;
def Wse_ReduceMeanOp : Wse_ReduceOp<"reduce_mean", "Mean",
    [DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]>;
def Wse_ReduceMaxOp : Wse_ReduceOp<"reduce_max", "Maximum",
    [DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]>;
def Wse_ReduceMinOp : Wse_ReduceOp<"reduce_min", "Minimum",
    [DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]>;
def Wse_ReduceProdOp : Wse_ReduceOp<"reduce_prod", "Product">;

def Wse_BroadcastToOp : Wse_Op<"broadcast_to", [Pure,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Broadcast to a larger shape (NumPy rules)";
  let arguments = (ins Wse_AnyTensor:$input);
  let results = (outs Wse_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

def Wse_SoftmaxCrossEntropyOp : Wse_Op<"softmax_cross_entropy", [Pure,
    InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Mean softmax cross-entropy of logits [N, C] against labels [N]";
  let arguments = (ins Wse_F32Tensor:$logits, Wse_IndexTensor:$labels);
  let results = (outs Wse_ScalarF32:$loss);
  let assemblyFormat = "$logits `,` $labels attr-dict `:` type($logits) `,` type($labels)";
}

def Wse_SoftmaxCrossEntropyGradOp : Wse_Op<"softmax_cross_entropy_grad", [Pure,
    InferTypeOpAdaptor]> {
  let summary = "d(loss)/d(logits) of mean softmax cross-entropy: (softmax - onehot) * dloss / N";
  let arguments = (ins Wse_F32Tensor:$logits, Wse_IndexTensor:$labels, Wse_ScalarF32:$dloss);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels `,` $dloss attr-dict `:` type($logits) `,` type($labels) `,` type($dloss)
  }];
}

def Wse_MseOp : Wse_Op<"mse", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Mean squared error over all elements";
  let arguments = (ins Wse_F32Tensor:$prediction, Wse_F32Tensor:$target);
  let results = (outs Wse_ScalarF32:$loss);
  let assemblyFormat = "$prediction `,` $target attr-dict `:` type($prediction) `,` type($target)";
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

def Wse_SgdUpdateOp : Wse_Op<"sgd_update", [Pure,
    AllTypesMatch<["param", "grad", "result"]>]> {
  let summary = "Plain SGD: param - lr * grad";
  let description = [{
    With the optional `lr` operand (a per-step learning rate fed as an
    input), it replaces the `lr` attribute.
  }];
  let arguments = (ins Wse_F32Tensor:$param, Wse_F32Tensor:$grad,
                   Optional<Wse_ScalarF32>:$lr_value, F32Attr:$lr);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = [{
    $param `,` $grad (`lr` `(` $lr_value^ `:` type($lr_value) `)`)? attr-dict
    `:` type($param)
  }];
}

def Wse_SgdMomentumUpdateOp : Wse_Op<"sgd_momentum_update", [Pure,
    AllTypesMatch<["param", "grad", "buf", "new_param", "new_buf"]>]> {
  let summary = "SGD with momentum, nesterov and weight decay, as torch.optim.SGD";
  let description = [{
    `g' = grad + weight_decay * param`; `buf' = momentum * buf + (1 -
    dampening) * g'` (the buffer starts at zero, which equals torch's first
    step when dampening is 0); the step is `g' + momentum * buf'` with
    nesterov, else `buf'`; `param' = param - lr * step`.
  }];
  let arguments = (ins Wse_F32Tensor:$param, Wse_F32Tensor:$grad,
                   Wse_F32Tensor:$buf, Optional<Wse_ScalarF32>:$lr_value,
                   F32Attr:$lr, F32Attr:$momentum,
                   DefaultValuedAttr<F32Attr, "0.0f">:$dampening,
                   DefaultValuedAttr<F32Attr, "0.0f">:$weight_decay,
                   DefaultValuedAttr<BoolAttr, "false">:$nesterov);
  let results = (outs Wse_F32Tensor:$new_param, Wse_F32Tensor:$new_buf);
  let assemblyFormat = [{
    $param `,` $grad `,` $buf (`lr` `(` $lr_value^ `:` type($lr_value) `)`)?
    attr-dict `:` type($param)
  }];
}

def Wse_AdamWUpdateOp : Wse_Op<"adamw_update", [Pure,
    AllTypesMatch<["param", "grad", "m", "v", "new_param", "new_m", "new_v"]>]> {
  let summary = "AdamW as torch.optim.AdamW: decoupled weight decay, bias correction";
  let description = [{
    `step` is the 1-based step number t. `param *= 1 - lr * weight_decay`;
    `m' = beta1 m + (1 - beta1) g`; `v' = beta2 v + (1 - beta2) g^2`;
    `param' = param - lr / (1 - beta1^t) * m' / (sqrt(v') / sqrt(1 - beta2^t) + eps)`.
  }];
  let arguments = (ins Wse_F32Tensor:$param, Wse_F32Tensor:$grad,
                   Wse_F32Tensor:$m, Wse_F32Tensor:$v, Wse_ScalarF32:$step,
                   Optional<Wse_ScalarF32>:$lr_value, F32Attr:$lr,
                   F32Attr:$beta1, F32Attr:$beta2, F32Attr:$eps,
                   F32Attr:$weight_decay);
  let results = (outs Wse_F32Tensor:$new_param, Wse_F32Tensor:$new_m,
                      Wse_F32Tensor:$new_v);
  let assemblyFormat = [{
    $param `,` $grad `,` $m `,` $v `step` `(` $step `:` type($step) `)`
    (`lr` `(` $lr_value^ `:` type($lr_value) `)`)? attr-dict `:` type($param)
  }];
}

//===----------------------------------------------------------------------===//
// Micro-batching
//===----------------------------------------------------------------------===//

def Wse_AccumulateOp : Wse_Op<"accumulate", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "Sum or mean of a value over the micro-batches of a step";
  let description = [{
    In a function marked `wse.micro_batches = N` (wse-make-train-step's
    `micro-batches`), one step feeds the function N micro-batches: the
    arguments marked `wse.micro_batched` take consecutive slices of the
    step's batch along dim 0. Ops that depend on such an argument run once
    per micro-batch; `wse.accumulate` adds its input over the N of them, in
    order, and with `mean` multiplies the sum by 1/N. Ops that depend on
    an accumulate (the optimizer update) run once, after the last
    micro-batch, and may read only accumulates, other once-per-step values
    and values that do not depend on a micro-batched argument.
  }];
  let arguments = (ins Wse_F32Tensor:$input, I64Attr:$micro_batches,
                   UnitAttr:$mean);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

include "wse/WseMathOps.td"
include "wse/WseShapeOps.td"
include "wse/WseNNOps.td"

#endif
