#ifndef PE_OPS_TD
#define PE_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

def Pe_Dialect : Dialect {
  let name = "pe";
  let cppNamespace = "::mlir::pe";
  let summary = "Per-PE programs: SRAM buffers, instructions, transfers";
  let description = [{
    One SPMD `pe.program` per placed region, run by every PE of the region.
    `pe.buffer`s are the PE's SRAM, at assigned byte offsets; each
    `pe.instr` is an instruction of the pe instruction set
    (include/wse/Support/PeIsa.h), which defines its operands, its checks,
    its semantics and its cost: the verifier, the exporter, the loader and
    the simulator all read that one table. At module level, `pe.transfer`
    says how a laid-out tensor moves between buffers (each PE's part is a
    `send` and a `recv` instruction) and `pe.bind` binds host data
    (inputs, outputs, parameters, optimizer state, constants) to buffers.
  }];
}

def Pe_LayoutAttr : Attr<CPred<"::llvm::isa<::mlir::fabric::LayoutAttr>($_self)">,
                         "fabric layout"> {
  let storageType = "::mlir::fabric::LayoutAttr";
  let returnType = "::mlir::fabric::LayoutAttr";
  let convertFromStorage = "$_self";
}

class Pe_Op<string mnemonic, list<Trait> traits = []>
    : Op<Pe_Dialect, mnemonic, traits>;

def Pe_ProgramOp : Pe_Op<"program", [SymbolTable, Symbol, NoTerminator,
    SingleBlock, IsolatedFromAbove]> {
  let summary = "The SPMD program of one placed region";
  let description = [{
    A `host` program runs on the host (weight streaming's parameter
    memory), not on the mesh: one 1x1 "PE" whose buffers live in host
    memory and whose transfers cross the host links.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, DenseI64ArrayAttr:$at,
                   DenseI64ArrayAttr:$size, UnitAttr:$host);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name (`host` $host^)? `at` $at `size` $size attr-dict-with-keyword $body";
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

def Pe_BufferOp : Pe_Op<"buffer", [Symbol, HasParent<"ProgramOp">]> {
  let summary = "A buffer of f32 elements in each PE's SRAM, at a byte offset";
  let arguments = (ins SymbolNameAttr:$sym_name, I64Attr:$length,
                   I64Attr:$offset);
  let assemblyFormat = "$sym_name `[` $length `]` `at` $offset attr-dict";
  let hasVerifier = 1;
}

def Pe_InstrOp : Pe_Op<"instr", [DeclareOpInterfaceMethods<SymbolUserOpInterface>, HasParent<"ProgramOp">]> {
  let summary = "One instruction of the pe instruction set";
  let description = [{
    ```mlir
    pe.instr "map" "mul" (@c, @a, @b) ints [...] floats []
    ```
  }];
  let arguments = (ins StrAttr:$op, OptionalAttr<StrAttr>:$fn,
                   SymbolRefArrayAttr:$buffers,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$ints,
                   DefaultValuedAttr<DenseF32ArrayAttr, "{}">:$floats);
  let assemblyFormat = [{
    $op ($fn^)? $buffers (`ints` $ints^)? (`floats` $floats^)? attr-dict
  }];
  
}

def Pe_MaskOp : Pe_Op<"mask"> {
  let summary = "A static sparsity mask that sparse layouts refer to by index";
  let description = [{
    The module's masks, indices 0, 1, ... in order. A buffer laid out
    `sparse(index)` holds the entries `keep` retains in its tile; the
    buffers bound with kind `index` hold, per PE, their count and 16-bit
    tile offsets (written at load from the mask and the layout).
  }];
  let arguments = (ins I64Attr:$index, ElementsAttr:$keep);
  let assemblyFormat = "$index $keep attr-dict";
  let hasVerifier = 1;
}

def Pe_TransferOp : Pe_Op<"transfer", [DeclareOpInterfaceMethods<SymbolUserOpInterface>, Symbol]> {
  let summary = "A laid-out tensor moved from one buffer to another";
  let description = [{
    The fabric-level `fabric.transfer`, bound to buffers: `src` and `dst`
    name `@program::@buffer`, with the tensors' shapes and layouts, and
    the window always given. `need` (with its mask's shape `need_shape`
    and `need_dims`) and `have` (`have_shape`, `have_dims`) are the fabric
    transfer's receiver and sender filters, `sparse_rows` its zero rows
    left unsent. With `rows` (`@program::@updates`, `@program::@indices`)
    the source is not stored: a scatter-add's partial table (combine 1,
    sparse rows), which each sending PE builds as it sends from its rows
    of the updates at the indices, over the box `rows_box` (boxes of n, d
    and v, as `scatter_add`'s ints); `src` is then a placeholder buffer.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                   SymbolRefAttr:$src, DenseI64ArrayAttr:$src_shape,
                   Pe_LayoutAttr:$src_layout,
                   SymbolRefAttr:$dst, DenseI64ArrayAttr:$dst_shape,
                   Pe_LayoutAttr:$dst_layout,
                   StrAttr:$map, DenseI64ArrayAttr:$affine,
                   DenseI64ArrayAttr:$offset, DenseI64ArrayAttr:$window_lo,
                   DenseI64ArrayAttr:$window_size, I64Attr:$combine,
                   I64Attr:$color,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$reshape,
                   OptionalAttr<Pe_LayoutAttr>:$need,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$need_shape,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$need_dims,
                   OptionalAttr<Pe_LayoutAttr>:$have,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$have_shape,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$have_dims,
                   UnitAttr:$sparse_rows,
                   OptionalAttr<SymbolRefArrayAttr>:$rows,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$rows_box);
  let assemblyFormat = "$sym_name $src `->` $dst attr-dict";
  
}

def Pe_BindOp : Pe_Op<"bind", [DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Host data bound to a laid-out buffer";
  let description = [{
    `kind` is `input` (written before each step), `output` (read after it;
    `loss` marks the loss, `metric` a value reported each step), `param` and `state` (written at load from
    `init`, read back by --dump-params), `const` (written at load) or
    `index` (a sparse layout's slot offsets, written at load from its mask;
    `type` is the mask's). A stacked parameter's `parts` name its slices
    along dim 0, under which --dump-params writes them.
  }];
  let arguments = (ins StrAttr:$kind, StrAttr:$name, SymbolRefAttr:$target,
                   TypeAttr:$type,
                   Pe_LayoutAttr:$layout,
                   OptionalAttr<TypedAttrInterface>:$init, UnitAttr:$loss,
                   OptionalAttr<DenseI64ArrayAttr>:$range, UnitAttr:$metric,
                   OptionalAttr<StrArrayAttr>:$parts);
  let assemblyFormat = "$kind $name `to` $target `:` $type attr-dict";
  
}

#endif
