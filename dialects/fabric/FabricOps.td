#ifndef FABRIC_OPS_TD
#define FABRIC_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

def Fabric_Dialect : Dialect {
  let name = "fabric";
  let cppNamespace = "::mlir::fabric";
  let summary = "A train step as kernels over PE regions, laid-out tensors and transfers";
  let description = [{
    A `fabric.graph` holds the mapped train step in program order. Each
    `fabric.tensor` is a value of the step spread over a `fabric.region`
    by a `#fabric.layout` (which tensor dims split over the region's x and
    y axes, which axes replicate it or hold partial sums). Each
    `fabric.compute` is one kernel of the kernel library run SPMD over the
    region on tiles; each `fabric.transfer` moves a tensor from one layout
    (or shape, for reshapes, transposes, slices and concatenation) to
    another over the fabric, combining partial sums where the source holds
    them. `wse-place` gives regions an origin; `wse-route` gives transfers
    a color. The module carries the machine as
    `fabric.machine = #fabric.machine<...>`.
  }];
  let useDefaultAttributePrinterParser = 1;
}

def Fabric_MachineAttr : AttrDef<Fabric_Dialect, "Machine"> {
  let mnemonic = "machine";
  let summary = "The target machine: mesh, SRAM, colors, rates";
  let parameters = (ins
    StringRefParameter<"preset name">:$name,
    "int64_t":$width, "int64_t":$height,
    "int64_t":$sram_bytes, "int64_t":$reserved_sram_bytes,
    "int64_t":$colors, "int64_t":$clock_mhz,
    "int64_t":$fmacs_per_cycle, "int64_t":$adds_per_cycle,
    DefaultValuedParameter<"int64_t", "0">:$host_links,
    DefaultValuedParameter<"int64_t", "0">:$host_link_gbps,
    DefaultValuedParameter<"int64_t", "0">:$host_fmacs_per_cycle);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Fabric_LayoutAttr : AttrDef<Fabric_Dialect, "Layout"> {
  let mnemonic = "layout";
  let summary = "How a tensor lies over a region's x and y axes";
  let description = [{
    Per axis: `split(dim, block, count)` (dim split in blocks over `count`
    PEs), `replicated(count)` (a copy on each of `count` PEs) or
    `partial(count)` (each of `count` PEs holds a partial sum; the tensor
    is their sum, or their maximum for a max reduction).

    A nested axis, `outer * inner`, groups its PEs: the outer part
    (`split` or `replicated`, its count the number of groups) says what
    each group of consecutive PEs holds, the inner part (its count the
    PEs of a group) what each PE of the group holds of that:
    `y: split(0, 1, 4) * split(1, 8, 8)` puts each of 4 experts on its own
    8 rows, its dim 1 split over them.

    A sparse tensor (wse-sparsify) adds `sparse(k)`: each PE stores only
    the entries mask `k` keeps (the graph's `fabric.mask` with index k, or
    the module's `pe.mask` after wse-lower-to-pe), in its tile's row-major
    order.

    ```mlir
    #fabric.layout<x: split(1, 16, 8), y: replicated(4)>
    #fabric.layout<x: replicated(16), y: split(0, 8, 16), sparse(0)>
    #fabric.layout<x: split(2, 4, 32), y: split(0, 1, 4) * partial(8)>
    ```
  }];
  let parameters = (ins "int64_t":$x_kind, "int64_t":$x_dim,
                    "int64_t":$x_block, "int64_t":$x_count,
                    "int64_t":$y_kind, "int64_t":$y_dim,
                    "int64_t":$y_block, "int64_t":$y_count,
                    "int64_t":$mask,
                    "int64_t":$x_inner_kind, "int64_t":$x_inner_dim,
                    "int64_t":$x_inner_block, "int64_t":$x_inner_count,
                    "int64_t":$y_inner_kind, "int64_t":$y_inner_dim,
                    "int64_t":$y_inner_block, "int64_t":$y_inner_count);
  let hasCustomAssemblyFormat = 1;
}

class Fabric_Op<string mnemonic, list<Trait> traits = []>
    : Op<Fabric_Dialect, mnemonic, traits>;

def Fabric_GraphOp : Fabric_Op<"graph", [SymbolTable, Symbol, NoTerminator,
    SingleBlock, IsolatedFromAbove]> {
  let summary = "A train step mapped to kernels, tensors and transfers";
  let arguments = (ins SymbolNameAttr:$sym_name);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def Fabric_RegionOp : Fabric_Op<"region", [Symbol, HasParent<"GraphOp">]> {
  let summary = "A rectangle of PEs that runs kernels SPMD, one after another";
  let description = [{
    `grid` is [width, height] in PEs and `at` the placed origin [x, y] once
    `wse-place` ran. A `host` region is not on the mesh: it is the host
    memory (MemoryX) that weight streaming keeps parameters and optimizer
    state in, one 1x1 "PE" that runs the optimizer update and reaches the
    mesh over the machine's host links.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, DenseI64ArrayAttr:$grid,
                   OptionalAttr<DenseI64ArrayAttr>:$at, UnitAttr:$host);
  let assemblyFormat = "$sym_name (`host` $host^)? `grid` $grid (`at` $at^)? attr-dict";
  let hasVerifier = 1;
}

def Fabric_MaskOp : Fabric_Op<"mask", [HasParent<"GraphOp">]> {
  let summary = "A static sparsity mask that sparse layouts refer to by index";
  let description = [{
    `keep` is the mask of a sparsified parameter (`wse.mask`); tensors laid
    out `sparse(index)` hold only the entries it keeps.
  }];
  let arguments = (ins I64Attr:$index, ElementsAttr:$keep);
  let assemblyFormat = "$index $keep attr-dict";
  let hasVerifier = 1;
}

def Fabric_TensorOp : Fabric_Op<"tensor", [DeclareOpInterfaceMethods<SymbolUserOpInterface>, Symbol, HasParent<"GraphOp">]> {
  let summary = "A value of the step, laid out over a region";
  let description = [{
    `kind` says where its data comes from: `temp` (computed in the step),
    `input` (written by the host before each step), `param` and `state`
    (kept in SRAM across steps; `name` is the parameter's or state's name),
    `const` (written once at load from `init`), `accumulator` (a
    wse.accumulate's sum, kept from one micro-batch of a step to the next).
    An integer input's `range`
    [lo, hi(, ignored)] is what the host checks its values against. A
    stacked parameter's `parts` name its slices along dim 0
    (wse.param_parts), under which the host reads and writes them.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, TypeAttr:$type,
                   Fabric_LayoutAttr:$layout, FlatSymbolRefAttr:$region,
                   StrAttr:$kind, OptionalAttr<StrAttr>:$name,
                   OptionalAttr<TypedAttrInterface>:$init,
                   OptionalAttr<DenseI64ArrayAttr>:$range,
                   OptionalAttr<StrArrayAttr>:$parts);
  let assemblyFormat = [{
    $sym_name `:` $type $kind (`name` $name^)? `in` $region `layout` $layout
    (`init` $init^)? attr-dict
  }];
  
}

def Fabric_ComputeOp : Fabric_Op<"compute", [DeclareOpInterfaceMethods<SymbolUserOpInterface>, HasParent<"GraphOp">]> {
  let summary = "One kernel over a region: an instruction over laid-out tiles";
  let description = [{
    `kernel` names an instruction of the pe instruction set (`map`,
    `gather`, `scatter_add`, `adamw`, ...), `fn` the elementwise function
    of `map`. The kernel's iteration box has the global extents `iter`;
    `axes` says which dim is split over x (1) or y (2) and `blocks` the
    block sizes. `maps` gives, per operand (outs then ins), the iteration
    dim of each of its dims (-1: a broadcast dim of size 1). Each operand's
    layout is the one these induce. An `spmap` kernel iterates the kept
    entries of operand `pattern` (sparse, rank 2) instead of its two box
    dims; its other sparse operands share that operand's layout and map.
    An optimizer update whose tensors are sparse runs over their slots.
    An `unstored` scatter-add (partial results over split indices, moved
    only as sparse rows) keeps no table: the PE reads its indices, and each
    transfer from the table sends the rows built from its `ins` as it sends
    (a row from the PE holding it to the PE of its destination row).
  }];
  let arguments = (ins StrAttr:$kernel, OptionalAttr<StrAttr>:$fn,
                   FlatSymbolRefAttr:$region,
                   SymbolRefArrayAttr:$outs, SymbolRefArrayAttr:$ins,
                   DenseI64ArrayAttr:$iter, DenseI64ArrayAttr:$axes,
                   DenseI64ArrayAttr:$blocks, ArrayAttr:$maps,
                   DefaultValuedAttr<I64Attr, "0">:$acc,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$ints,
                   DefaultValuedAttr<DenseF32ArrayAttr, "{}">:$floats,
                   OptionalAttr<I64Attr>:$pattern,
                   UnitAttr:$unstored);
  let assemblyFormat = [{
    $kernel ($fn^)? `in` $region `outs` $outs `ins` $ins `iter` $iter `axes` $axes
    `blocks` $blocks `maps` $maps attr-dict
  }];
  
}

def Fabric_TransferOp : Fabric_Op<"transfer", [DeclareOpInterfaceMethods<SymbolUserOpInterface>, Symbol, HasParent<"GraphOp">]> {
  let summary = "Move a tensor into another layout or shape over the fabric";
  let description = [{
    Writes the window [`window_lo`, `window_lo` + `window_size`) of `dst`
    (the whole tensor by default). Element i of the window comes from the
    source element of the same row-major number (`map` "linear": layout
    changes and reshapes) or from `offset + affine * i` (`map` "affine":
    transposes, broadcasts, slices, concatenation). An affine map with a
    `reshape` shape first renumbers i: its row-major number in the window
    becomes an index m of that shape, and the map reads m (a reshape
    merging dims then a transpose, in one transfer). A source with partial
    axes is summed over them (`combine` 1) or maximized (2).
    `wse-route` sets `color`.

    `need` (a sparse layout, with `need_dims` = [mask dim, dst dim]) says
    a sparse kernel is the destination's only reader: each receiving PE
    takes only the elements whose index along dst dim `need_dims[1]` is
    the index along mask dim `need_dims[0]` of an entry that PE keeps under
    `need`; the rest of its tile is not written. `have` (with `have_dims`
    = [mask dim, src dim]) says a sparse kernel wrote the source from
    zero: a sending PE holds nonzeros only at the indices along src dim
    `have_dims[1]` of the entries it keeps under `have`, and sends only
    those (an element no sender holds is zero). Both are set by
    wse-trim-sparse-operands.

    `sparse_rows` (with `combine` 1) says most rows of the source's
    partial tiles are zero (a row gather from a split table, a row
    scatter-add of split indices): a sender sends only the rows of its
    tile (runs of its last dim) that hold a nonzero, each after a
    one-wavelet header naming the row. A row not sent adds nothing, so the
    sum is the one every row would give, bit for bit.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, FlatSymbolRefAttr:$src,
                   FlatSymbolRefAttr:$dst, StrAttr:$map,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$affine,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$offset,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$window_lo,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$window_size,
                   DefaultValuedAttr<I64Attr, "0">:$combine,
                   OptionalAttr<I64Attr>:$color,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$reshape,
                   OptionalAttr<Fabric_LayoutAttr>:$need,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$need_dims,
                   OptionalAttr<Fabric_LayoutAttr>:$have,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$have_dims,
                   UnitAttr:$sparse_rows);
  let assemblyFormat = [{
    $sym_name $src `->` $dst $map (`color` $color^)? attr-dict
  }];
  
}

def Fabric_OutputOp : Fabric_Op<"output", [DeclareOpInterfaceMethods<SymbolUserOpInterface>, HasParent<"GraphOp">]> {
  let summary = "A result the host reads back from a tensor after each step";
  let description = [{
    `loss` marks the step's loss; `metric` a value the host reports each
    step under `name` (a train-step result marked `wse.metric`).
  }];
  let arguments = (ins StrAttr:$name, FlatSymbolRefAttr:$tensor, UnitAttr:$loss,
                   UnitAttr:$metric);
  let assemblyFormat = "$name `from` $tensor attr-dict";
  
}

#endif
