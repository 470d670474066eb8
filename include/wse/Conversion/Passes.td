#ifndef WSE_CONVERSION_PASSES_TD
#define WSE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def Partition : Pass<"wse-partition", "mlir::ModuleOp"> {
  let summary = "Map a train step onto kernels tiled over PE grids (wse -> fabric)";
  let description = [{
    Groups the ops of `@train_step` into kernels of the kernel library,
    sizes each kernel's PE grid so its per-PE SRAM fits the machine, and
    replaces the function with a `fabric.graph` of regions, streams,
    reduction chains, host inputs, outputs and stationary parameters.
    Linear layers are weight-stationary: forward, both backward products
    and the update of a layer's weight and bias run in its region.
    Sets the module's `fabric.machine` from `machine` and `mesh`.
  }];
  let options = [
    Option<"machine", "machine", "std::string", "\"wse2\"",
           "Machine preset: wse2, wse3">,
    Option<"mesh", "mesh", "std::string", "\"\"",
           "Use a WxH corner of the machine (default: the whole wafer)">,
  ];
  let dependentDialects = ["mlir::fabric::FabricDialect"];
}

def Place : Pass<"wse-place", "mlir::ModuleOp"> {
  let summary = "Floorplan fabric regions on the mesh";
  let description = [{
    Gives every `fabric.region` an origin (`at [x, y]`): regions go in
    dataflow order along shelves from the north-west corner, one free
    column between neighbours, so streams between consecutive kernels are
    short. Fails, naming the region, if the mesh is too small.
  }];
  let options = [
    Option<"gap", "gap", "int64_t", "1", "Free PE columns between regions">,
  ];
}

def Route : Pass<"wse-route", "mlir::ModuleOp"> {
  let summary = "Route streams over the mesh and assign colors";
  let description = [{
    Gives each `fabric.stream` a dimension-ordered path (along y to the
    receiving row, then along x across the receiving span) and each
    `fabric.chain` its two alternating colors. Colors are assigned greedily
    so that no router carries two routes on one color; fails, naming the
    stream and the router, when the machine runs out of colors.
  }];
}

def LowerToPe : Pass<"wse-lower-to-pe", "mlir::ModuleOp"> {
  let summary = "Emit one SPMD pe.program per placed region (fabric -> pe)";
  let description = [{
    Asks the kernel library for each region's buffers and instruction
    sequence, assigns SRAM offsets, and turns streams and chains into
    router configuration (`pe.route`, `pe.chain`) and host bindings into
    `pe.input`, `pe.output` and `pe.param`.
  }];
  let dependentDialects = ["mlir::pe::PeDialect"];
}

#endif
