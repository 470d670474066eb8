#ifndef PE_OPS_TD
#define PE_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

def Pe_Dialect : Dialect {
  let name = "pe";
  let cppNamespace = "::mlir::pe";
  let summary = "Per-PE programs: SRAM buffers, vector ops, sends and receives";
  let description = [{
    One SPMD `pe.program` per placed region, run by every PE of the region.
    Ops work on the PE's own SRAM buffers (named, with assigned byte
    offsets) and on the fabric through colors. An op's `when` picks the PEs
    along the region's row that run it (`first`, `not_last`, ...); a
    two-entry `color` list alternates by the parity of the PE's column in
    the region, as neighbours on a chain must. `pe.route` and `pe.chain`
    configure the routers; `pe.input`, `pe.output` and `pe.param` bind host
    data to buffers.
  }];
}

def Pe_When : I32EnumAttr<"When", "which PEs of a region run an op", [
    I32EnumAttrCase<"all", 0>, I32EnumAttrCase<"first", 1>,
    I32EnumAttrCase<"not_first", 2>, I32EnumAttrCase<"last", 3>,
    I32EnumAttrCase<"not_last", 4>]> {
  let cppNamespace = "::mlir::pe";
}

class Pe_Op<string mnemonic, list<Trait> traits = []>
    : Op<Pe_Dialect, mnemonic, traits>;

def Pe_ProgramOp : Pe_Op<"program", [SymbolTable, Symbol, NoTerminator,
    SingleBlock, IsolatedFromAbove]> {
  let summary = "The SPMD program of one placed region";
  let arguments = (ins SymbolNameAttr:$sym_name, DenseI64ArrayAttr:$at,
                   DenseI64ArrayAttr:$size);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name `at` $at `size` $size attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def Pe_BufferOp : Pe_Op<"buffer", [Symbol, HasParent<"ProgramOp">]> {
  let summary = "A buffer in each PE's SRAM, at a byte offset";
  let arguments = (ins SymbolNameAttr:$sym_name, I64Attr:$length,
                   TypeAttr:$element_type, I64Attr:$offset);
  let assemblyFormat = "$sym_name `[` $length `]` $element_type `at` $offset attr-dict";
  let hasVerifier = 1;
}

/// Ops inside a program: they name buffers and run on the PEs `when` says.
class Pe_InstrOp<string mnemonic, dag args, string fmt>
    : Pe_Op<mnemonic, [HasParent<"ProgramOp">]> {
  let arguments = !con(args, (ins DefaultValuedAttr<Pe_When, "When::all">:$when));
  let assemblyFormat = fmt # " (`when` $when^)? attr-dict";
  let hasVerifier = 1;
}

def Pe_SendOp : Pe_InstrOp<"send",
    (ins FlatSymbolRefAttr:$buffer, DenseI64ArrayAttr:$color),
    "$buffer `color` $color"> {
  let summary = "Send a whole buffer as wavelets on a color";
}

def Pe_RecvOp : Pe_InstrOp<"recv",
    (ins FlatSymbolRefAttr:$buffer, DenseI64ArrayAttr:$color),
    "$buffer `color` $color"> {
  let summary = "Receive a whole buffer from a color (blocks until it arrives)";
}

def Pe_RecvAddOp : Pe_InstrOp<"recv_add",
    (ins FlatSymbolRefAttr:$buffer, DenseI64ArrayAttr:$color),
    "$buffer `color` $color"> {
  let summary = "Receive from a color and add into a buffer (buffer = incoming + buffer)";
}

def Pe_FillOp : Pe_InstrOp<"fill",
    (ins FlatSymbolRefAttr:$buffer, F32Attr:$value), "$buffer `,` $value"> {
  let summary = "Set every element of a buffer";
}

def Pe_MatmulOp : Pe_InstrOp<"matmul",
    (ins FlatSymbolRefAttr:$c, FlatSymbolRefAttr:$a, FlatSymbolRefAttr:$b,
         I64Attr:$m, I64Attr:$n, I64Attr:$k,
         DefaultValuedAttr<BoolAttr, "false">:$transpose_a,
         DefaultValuedAttr<BoolAttr, "false">:$transpose_b,
         DefaultValuedAttr<BoolAttr, "false">:$accumulate),
    "$c `=` $a `,` $b"> {
  let summary = "Local matrix product C[m,n] (+)= op(A)[m,k] op(B)[k,n], row-major";
}

def Pe_Copy2dOp : Pe_InstrOp<"copy2d",
    (ins FlatSymbolRefAttr:$dst, FlatSymbolRefAttr:$src,
         I64Attr:$rows, I64Attr:$cols,
         I64Attr:$src_stride, DefaultValuedAttr<I64Attr, "0">:$src_offset,
         DefaultValuedAttr<I64Attr, "0">:$src_offset_per_pe,
         I64Attr:$dst_stride, DefaultValuedAttr<I64Attr, "0">:$dst_offset,
         DefaultValuedAttr<I64Attr, "0">:$dst_offset_per_pe),
    "$dst `=` $src"> {
  let summary = "Strided 2-D copy; offsets may step with the PE's column in the region";
  let description = [{
    Copies `rows` x `cols` elements: element (r, c) goes from
    `src[src_offset + i * src_offset_per_pe + r * src_stride + c]` to
    `dst[dst_offset + i * dst_offset_per_pe + r * dst_stride + c]`, where i
    is the PE's column inside its region. This is how a PE takes its own
    column block out of a tensor every PE received.
  }];
}

def Pe_BiasAddOp : Pe_InstrOp<"bias_add",
    (ins FlatSymbolRefAttr:$y, FlatSymbolRefAttr:$bias, I64Attr:$rows,
         I64Attr:$cols), "$y `,` $bias"> {
  let summary = "y[r, c] += bias[c]";
}

def Pe_ReluOp : Pe_InstrOp<"relu",
    (ins FlatSymbolRefAttr:$dst, FlatSymbolRefAttr:$src, I64Attr:$length),
    "$dst `=` $src"> {
  let summary = "dst = max(src, 0)";
}

def Pe_ReluGradOp : Pe_InstrOp<"relu_grad",
    (ins FlatSymbolRefAttr:$dst, FlatSymbolRefAttr:$grad,
         FlatSymbolRefAttr:$input, I64Attr:$length),
    "$dst `=` $grad `,` $input"> {
  let summary = "dst = input > 0 ? grad : 0";
}

def Pe_ColSumOp : Pe_InstrOp<"col_sum",
    (ins FlatSymbolRefAttr:$dst, FlatSymbolRefAttr:$src, I64Attr:$rows,
         I64Attr:$cols), "$dst `=` $src"> {
  let summary = "dst[c] = sum over r of src[r, c]";
}

def Pe_SgdOp : Pe_InstrOp<"sgd",
    (ins FlatSymbolRefAttr:$param, FlatSymbolRefAttr:$grad, I64Attr:$length,
         F32Attr:$lr), "$param `,` $grad"> {
  let summary = "param -= lr * grad";
}

def Pe_AddConstOp : Pe_InstrOp<"add_const",
    (ins FlatSymbolRefAttr:$buffer, F32Attr:$value), "$buffer `,` $value"> {
  let summary = "Add a constant to every element (a step counter, say)";
}

def Pe_SgdMomentumOp : Pe_InstrOp<"sgd_momentum",
    (ins FlatSymbolRefAttr:$param, FlatSymbolRefAttr:$grad,
         FlatSymbolRefAttr:$buf, I64Attr:$length, F32Attr:$lr,
         F32Attr:$momentum, F32Attr:$weight_decay,
         DefaultValuedAttr<BoolAttr, "false">:$nesterov),
    "$param `,` $grad `,` $buf"> {
  let summary = "torch's SGD with momentum in place (wse.sgd_momentum_update)";
}

def Pe_AdamWOp : Pe_InstrOp<"adamw",
    (ins FlatSymbolRefAttr:$param, FlatSymbolRefAttr:$grad,
         FlatSymbolRefAttr:$m, FlatSymbolRefAttr:$v, FlatSymbolRefAttr:$step,
         I64Attr:$length, F32Attr:$lr, F32Attr:$beta1, F32Attr:$beta2,
         F32Attr:$eps, F32Attr:$weight_decay),
    "$param `,` $grad `,` $m `,` $v `step` $step"> {
  let summary = "torch's AdamW in place at the step number held in `step` (wse.adamw_update)";
}

def Pe_SoftmaxCrossEntropyOp : Pe_InstrOp<"softmax_ce",
    (ins FlatSymbolRefAttr:$loss, FlatSymbolRefAttr:$grad,
         FlatSymbolRefAttr:$logits, FlatSymbolRefAttr:$labels,
         I64Attr:$rows, I64Attr:$cols),
    "$loss `,` $grad `=` $logits `,` $labels"> {
  let summary = "Mean softmax cross-entropy and its gradient (softmax - onehot) / rows";
}

//===----------------------------------------------------------------------===//
// Router configuration and host bindings (at module level)
//===----------------------------------------------------------------------===//

def Pe_RouteOp : Pe_Op<"route", [Symbol]> {
  let summary = "Router entries of one stream along its path";
  let description = [{
    From the first point (the sending PE) through each turning point; every
    PE on the last segment takes the data off the fabric on `color`.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, I64Attr:$color,
                   DenseI64ArrayAttr:$path);
  let assemblyFormat = "$sym_name `color` $color `path` $path attr-dict";
  let hasVerifier = 1;
}

def Pe_ChainOp : Pe_Op<"chain", [Symbol]> {
  let summary = "Router entries of a west-to-east neighbour chain in a program's row";
  let arguments = (ins SymbolNameAttr:$sym_name, FlatSymbolRefAttr:$program,
                   DenseI64ArrayAttr:$colors);
  let assemblyFormat = "$sym_name `in` $program `colors` $colors attr-dict";
  let hasVerifier = 1;
}

def Pe_InputOp : Pe_Op<"input"> {
  let summary = "Host input written into a buffer on every PE of a program";
  let arguments = (ins StrAttr:$name, SymbolRefAttr:$target, TypeAttr:$type);
  let assemblyFormat = "$name `to` $target `:` $type attr-dict";
  let hasVerifier = 1;
}

def Pe_OutputOp : Pe_Op<"output"> {
  let summary = "Result read back from a buffer of a program's first PE";
  let arguments = (ins StrAttr:$name, SymbolRefAttr:$source, TypeAttr:$type,
                   UnitAttr:$loss);
  let assemblyFormat = "$name `from` $source `:` $type attr-dict";
  let hasVerifier = 1;
}

def Pe_ParamOp : Pe_Op<"param"> {
  let summary = "A parameter whose dim 0 is split in equal blocks over a program's row";
  let arguments = (ins StrAttr:$name, SymbolRefAttr:$target, TypeAttr:$type,
                   OptionalAttr<ElementsAttr>:$init);
  let assemblyFormat = "$name `in` $target `:` $type (`init` $init^)? attr-dict";
  let hasVerifier = 1;
}

#endif
