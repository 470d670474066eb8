// Data movement: transpose, concat, slice, gather. Included from WseOps.td.

def Wse_TransposeOp : Wse_Op<"transpose", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Permute dimensions: result dim i is input dim perm[i]";
  let arguments = (ins Wse_AnyTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Wse_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Wse_ConcatOp : Wse_Op<"concat", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Join tensors along an axis";
  let arguments = (ins Variadic<Wse_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs Wse_AnyTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs)";
}

def Wse_SliceOp : Wse_Op<"slice", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Strided slice with static, normalized bounds";
  let description = [{
    Along dim i the result takes `start[i] + k * stride[i]` for
    `k = 0 .. size[i] - 1`, where size is `ceil((limit - start) / stride)`
    for a positive stride and `ceil((start - limit) / -stride)` for a
    negative one (at least 0). `start` must index the input when size > 0;
    a negative-stride `limit` of -1 means "through index 0".
  }];
  let arguments = (ins Wse_AnyTensor:$input, DenseI64ArrayAttr:$start,
                   DenseI64ArrayAttr:$limit, DenseI64ArrayAttr:$stride);
  let results = (outs Wse_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Wse_GatherOp : Wse_Op<"gather", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Take slices of data along an axis at integer indices (ONNX Gather)";
  let description = [{
    Result shape is `data.shape[:axis] + indices.shape + data.shape[axis+1:]`.
    Negative indices count from the end; an index out of range is a runtime
    error. This is an embedding lookup when data is the table and axis 0.
  }];
  let arguments = (ins Wse_AnyTensor:$data, Wse_IndexTensor:$indices,
                   I64Attr:$axis);
  let results = (outs Wse_AnyTensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` type($data) `,` type($indices)";
}

def Wse_CumsumOp : Wse_Op<"cumsum", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Running sum along an axis (ONNX CumSum)";
  let arguments = (ins Wse_NumericTensor:$input, I64Attr:$axis,
                   DefaultValuedAttr<BoolAttr, "false">:$exclusive,
                   DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs Wse_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Wse_InsertSliceOp : Wse_Op<"insert_slice", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "dest with the strided window start + k * stride replaced by source";
  let description = [{
    The inverse of `wse.slice`: element k of `source` along each dim i lands
    at `start[i] + k * stride[i]` of `dest`. The gradient of a slice is an
    insert_slice of the incoming gradient into zeros.
  }];
  let arguments = (ins Wse_AnyTensor:$dest, Wse_AnyTensor:$source,
                   DenseI64ArrayAttr:$start, DenseI64ArrayAttr:$stride);
  let results = (outs Wse_AnyTensor:$result);
  let assemblyFormat = "$source `into` $dest attr-dict `:` type($source) `into` type($dest)";
}

def Wse_ScatterAddOp : Wse_Op<"scatter_add", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "dest plus updates added at indices along an axis (inverse of gather)";
  let description = [{
    For every position of `indices`, the slice of `updates` at that position
    is added into `dest` at index `indices[...]` along `axis`; repeated
    indices accumulate. `updates` has the shape gather would produce. This
    is the gradient of an embedding lookup.
  }];
  let arguments = (ins Wse_F32Tensor:$dest, Wse_IndexTensor:$indices,
                   Wse_F32Tensor:$updates, I64Attr:$axis);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = [{
    $updates `into` $dest `at` $indices attr-dict `:` type($updates) `into`
    type($dest) `at` type($indices)
  }];
}
