#ifndef FABRIC_OPS_TD
#define FABRIC_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

def Fabric_Dialect : Dialect {
  let name = "fabric";
  let cppNamespace = "::mlir::fabric";
  let summary = "Kernels as PE regions, streams between them, placement and routing";
  let description = [{
    A `fabric.graph` holds the mapped train step: each `fabric.region` is
    one kernel (a fused group of graph ops) tiled over a rectangle of PEs,
    each `fabric.stream` moves a tensor from one region's port to
    another's over the fabric, each `fabric.chain` is a reduction along a
    region's row. `wse-place` gives regions an `at` origin; `wse-route`
    gives streams a `path` and `color` and chains their two `colors`.
    The module carries the machine as `fabric.machine = #fabric.machine<...>`.
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
    "int64_t":$fmacs_per_cycle, "int64_t":$adds_per_cycle);
  let assemblyFormat = "`<` struct(params) `>`";
}

class Fabric_Op<string mnemonic, list<Trait> traits = []>
    : Op<Fabric_Dialect, mnemonic, traits>;

def Fabric_GraphOp : Fabric_Op<"graph", [SymbolTable, Symbol, NoTerminator,
    SingleBlock, IsolatedFromAbove]> {
  let summary = "A train step mapped to kernels and streams";
  let arguments = (ins SymbolNameAttr:$sym_name);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def Fabric_RegionOp : Fabric_Op<"region", [Symbol, HasParent<"GraphOp">]> {
  let summary = "One kernel tiled over a rectangle of PEs";
  let description = [{
    `kernel` names the kernel of the kernel library and `config` its
    parameters (sizes, fused activation, learning rate, parameter names).
    `grid` is [width, height] in PEs, `sram` the bytes each PE needs, and
    `at` the placed origin [x, y] once `wse-place` ran.

    ```mlir
    fabric.region @fc1 "linear" grid [8, 1] sram 30784 at [0, 0]
        config {batch = 32, in = 64, out = 128, relu = true, ...}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrAttr:$kernel,
                   DenseI64ArrayAttr:$grid, I64Attr:$sram,
                   OptionalAttr<DenseI64ArrayAttr>:$at,
                   DictionaryAttr:$config);
  let assemblyFormat = [{
    $sym_name $kernel `grid` $grid `sram` $sram (`at` $at^)? `config` $config attr-dict
  }];
  let hasVerifier = 1;
}

def Fabric_StreamOp : Fabric_Op<"stream", [Symbol, HasParent<"GraphOp">]> {
  let summary = "A tensor moved from one region's port to another's";
  let description = [{
    After `wse-route`, `path` lists the turning points x0, y0, x1, y1, ...
    from the sending PE; the last segment is the span of receiving PEs
    (every PE on it takes the data off the fabric). `color` is the color
    every router on the path uses for it.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                   FlatSymbolRefAttr:$src, StrAttr:$src_port,
                   FlatSymbolRefAttr:$dst, StrAttr:$dst_port,
                   I64Attr:$elements,
                   OptionalAttr<I64Attr>:$color,
                   OptionalAttr<DenseI64ArrayAttr>:$path);
  let assemblyFormat = [{
    $sym_name `from` $src $src_port `to` $dst $dst_port `elements` $elements
    (`color` $color^)? (`path` $path^)? attr-dict
  }];
  let hasVerifier = 1;
}

def Fabric_ChainOp : Fabric_Op<"chain", [Symbol, HasParent<"GraphOp">]> {
  let summary = "A reduction chain along a region's row, west to east";
  let description = [{
    PE i adds what PE i-1 sent to its own partial and sends the sum on to
    PE i+1. Neighbours alternate two colors (`colors`, set by `wse-route`)
    because a PE cannot send and receive on one color.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, FlatSymbolRefAttr:$region,
                   I64Attr:$elements,
                   OptionalAttr<DenseI64ArrayAttr>:$colors);
  let assemblyFormat = [{
    $sym_name `in` $region `elements` $elements (`colors` $colors^)? attr-dict
  }];
  let hasVerifier = 1;
}

def Fabric_InputOp : Fabric_Op<"input", [HasParent<"GraphOp">]> {
  let summary = "A host input written into a region's port (memcpy to its PEs)";
  let arguments = (ins StrAttr:$name, FlatSymbolRefAttr:$region, StrAttr:$port,
                   TypeAttr:$type);
  let assemblyFormat = "$name `to` $region $port `:` $type attr-dict";
  let hasVerifier = 1;
}

def Fabric_OutputOp : Fabric_Op<"output", [HasParent<"GraphOp">]> {
  let summary = "A result read back by the host from a region's port";
  let arguments = (ins StrAttr:$name, FlatSymbolRefAttr:$region, StrAttr:$port,
                   TypeAttr:$type, UnitAttr:$loss);
  let assemblyFormat = "$name `from` $region $port `:` $type attr-dict";
  let hasVerifier = 1;
}

def Fabric_ParamOp : Fabric_Op<"param", [HasParent<"GraphOp">]> {
  let summary = "A parameter held stationary in a region's SRAM";
  let arguments = (ins StrAttr:$name, FlatSymbolRefAttr:$region, StrAttr:$port,
                   TypeAttr:$type, OptionalAttr<ElementsAttr>:$init);
  let assemblyFormat = "$name `in` $region $port `:` $type (`init` $init^)? attr-dict";
  let hasVerifier = 1;
}

#endif
