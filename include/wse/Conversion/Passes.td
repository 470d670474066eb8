#ifndef WSE_CONVERSION_PASSES_TD
#define WSE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def Partition : Pass<"wse-partition", "mlir::ModuleOp"> {
  let summary = "Map a train step onto kernels tiled over PE grids (wse -> fabric)";
  let description = [{
    Maps every op of `@train_step`, in program order, onto a region of PEs
    (the whole mesh): each op becomes a kernel over an iteration box whose
    dims are split over the region's x and y axes as a cost (local work,
    operand relayouts, partial sums, SRAM) prefers, or a data movement.
    Values become `fabric.tensor`s with explicit 2-D layouts; layout
    changes, shape ops, partial-sum reductions and the write-back of
    updated parameters are `fabric.transfer`s. An op or attribute the mesh
    cannot honour is an error naming it; so is an op whose operand tiles
    cannot fit a PE's SRAM under any split. Run wse-decompose-attention and
    wse-decompose-for-mesh first. Sets the module's `fabric.machine` from
    `machine` and `mesh`.
  }];
  let options = [
    Option<"machine", "machine", "std::string", "\"wse2\"",
           "Machine preset: wse2 or wse3 (default: wse2)">,
    Option<"mesh", "mesh", "std::string", "\"\"",
           "Use a WxH corner of the machine (default: the whole wafer)">,
    Option<"execution", "execution", "std::string", "\"auto\"",
           "pipelined (parameters and optimizer state in SRAM), "
           "weight-streaming (in host memory, streamed over the host links, "
           "updated on the host) or auto (pipelined when they fit; default)">,
  ];
  let dependentDialects = ["mlir::fabric::FabricDialect"];
}

def ChunkAttention : Pass<"wse-chunk-attention", "mlir::ModuleOp"> {
  let summary = "Split attentions whose scores outgrow the mesh into groups";
  let description = [{
    Graph level, before `wse-make-train-step`. An attention whose scores
    `[B, H, T, S]`, spread over the whole mesh, would take more than a
    32nd of a PE's data SRAM becomes one attention per group of batches
    (then of heads, in multiples of the query heads sharing a kv head;
    never for ALiBi, whose slopes depend on the head's index), joined by
    concats. Batches and heads are independent, so every element is
    computed as before; the backward pass then runs group by group, with
    one group's scores live at a time.
  }];
  let options = [
    Option<"machine", "machine", "std::string", "\"wse2\"",
           "Machine preset: wse2 or wse3 (default: wse2)">,
    Option<"mesh", "mesh", "std::string", "\"\"",
           "Use a WxH corner of the machine (default: the whole wafer)">,
  ];
}

def TrimSparseOperands : Pass<"wse-trim-sparse-operands", "mlir::ModuleOp"> {
  let summary = "Move only the activations each PE's sparse tile reads";
  let description = [{
    For each `spmap` kernel, a dense operand indexed by one of its sparse
    pattern's two dims is read only at the indices of the entries each PE
    keeps. Where that operand is the kernel's own relayout (written by
    transfers only, read by this kernel only), its transfers get `need`
    (the pattern's layout) and `need_dims`: each receiving PE takes only
    the elements it reads, so wavelets follow the density.
  }];
}

def HoistTransfers : Pass<"wse-hoist-transfers", "mlir::ModuleOp"> {
  let summary = "Start each transfer as soon as its source is ready";
  let description = [{
    Moves each `fabric.transfer` between mesh regions up to just after the
    last op that writes its source or names its destination, so that its
    wavelets move while the kernels in between compute (wse-post-receives
    later posts the receive there). A move that would raise the region's
    live bytes (the sum of the tiles alive at a step) above their peak over
    the step stops short of it, so the step needs no more SRAM. Transfers
    to or from the host stay. Run before wse-route, which colors transfers
    in program order.
  }];
}

def Place : Pass<"wse-place", "mlir::ModuleOp"> {
  let summary = "Floorplan fabric regions on the mesh";
  let description = [{
    Gives every `fabric.region` an origin (`at [x, y]`): regions go in
    order along shelves from the north-west corner, `gap` free columns
    between neighbours. Fails, naming the region, if the mesh is too small.
  }];
  let options = [
    Option<"gap", "gap", "int64_t", "1", "Free PE columns between regions (default: 1)">,
  ];
}

def Route : Pass<"wse-route", "mlir::ModuleOp"> {
  let summary = "Assign colors to transfers";
  let description = [{
    Transfers move over dimension-ordered paths between the PEs their
    layouts pair up (the simulator charges each piece its hops); they run
    one after another on a region, and consecutive transfers take
    different colors, round robin over the machine's colors.
  }];
}

def LowerToPe : Pass<"wse-lower-to-pe", "mlir::ModuleOp"> {
  let summary = "Emit one SPMD pe.program per placed region (fabric -> pe)";
  let description = [{
    Gives every fabric tensor a buffer (its tile) in each PE's SRAM,
    reusing space between tensors whose lifetimes do not overlap, and
    fails with the bytes needed when they do not fit. Each kernel becomes a
    pe instruction over its tiles (a `fill` first where it accumulates);
    each transfer a `pe.transfer` with a `send` and a `recv`; host data
    `pe.bind`s.
  }];
  let dependentDialects = ["mlir::pe::PeDialect"];
}

def PostReceives : Pass<"wse-post-receives", "mlir::ModuleOp"> {
  let summary = "Receive transfers in the background: post early, wait late";
  let description = [{
    In each pe.program, a `recv` that the next instruction does not need
    becomes a `post` where it stood (the PE's in-ramp takes the pieces as
    they arrive, beside the core) and a `recv` just before the first
    instruction that names its buffer (or at the program's end), so the
    core runs the independent instructions in between while the data comes
    in. Nothing between them names the buffer, and buffers live over the
    whole span, so no instruction sees a different value.
  }];
  let dependentDialects = ["mlir::pe::PeDialect"];
}

#endif
