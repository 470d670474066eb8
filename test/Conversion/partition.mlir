// RUN: wse-opt %s -split-input-file --wse-partition="machine=wse2 mesh=4x4" | FileCheck %s
// RUN: wse-opt %s -split-input-file --wse-partition="mesh=1x1" | FileCheck %s --check-prefix=ONE
// RUN: wse-opt %s -split-input-file --wse-partition | FileCheck %s --check-prefix=WAFER
// RUN: wse-opt %s -split-input-file --wse-partition="machine=wse3" | FileCheck %s --check-prefix=WSE3

// wse-partition maps each op of a hand-written @train_step onto one region
// the size of the mesh: kernels over iteration boxes split over x and y,
// tensors with explicit layouts, transfers wherever a layout changes.

// A linear layer's step: the weight lives where its update runs, spread
// over the region (K = 256 over x in blocks of 64, its 2 rows over y). The
// product splits the same way and leaves partial sums (x: partial(4))
// that one transfer adds (combine = 1) into the layout the bias add wants.
// The weight gradient comes out in the weight's layout, so the update
// writes the weight in place, which the host reads as output "w".
// CHECK-LABEL: module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2, host_links = 12, host_link_gbps = 100, host_fmacs_per_cycle = 128>}
// CHECK-NEXT: fabric.graph @train_step {
// CHECK-NEXT: fabric.region @mesh grid [4, 4]
// CHECK-NEXT: fabric.tensor @t0 : tensor<2x256xf32> "param" name "w" in @mesh layout <x: split(1, 64, 4), y: split(0, 1, 2)>
// CHECK-NEXT: fabric.tensor @t1 : tensor<2x256xf32> "input" name "x" in @mesh layout <x: split(1, 64, 4), y: replicated(2)>
// CHECK-NEXT: fabric.tensor @t2 : tensor<2x2xf32> "temp" in @mesh layout <x: partial(4), y: split(1, 1, 2)>
// CHECK-NEXT: fabric.compute "map" "mul" in @mesh outs [@t2] ins [@t1, @t0] iter [2, 2, 256] axes [0, 2, 1] blocks [2, 1, 64] maps [array<i64: 0, 1>, array<i64: 0, 2>, array<i64: 1, 2>] {acc = 1 : i64, source = "wse.matmul"}
// CHECK-NEXT: fabric.tensor @t3 : tensor<2x2xf32> "temp" in @mesh layout <x: split(0, 1, 2), y: split(1, 1, 2)>
// CHECK-NEXT: fabric.transfer @x0 @t2 -> @t3 "linear" {combine = 1 : i64}
// CHECK-NEXT: fabric.tensor @t4 : tensor<2xf32> "param" name "b" in @mesh layout <x: replicated(2), y: split(0, 1, 2)>
// CHECK-NEXT: fabric.tensor @t5 : tensor<2x2xf32> "temp" in @mesh layout <x: split(0, 1, 2), y: split(1, 1, 2)>
// CHECK-NEXT: fabric.compute "map" "add" in @mesh outs [@t5] ins [@t3, @t4] iter [2, 2] axes [1, 2] blocks [1, 1] maps [array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 1>] {source = "wse.add"}
// CHECK-NEXT: fabric.tensor @t6 : tensor<2x2xf32> "input" name "dy" in @mesh layout <x: replicated(4), y: split(1, 1, 2)>
// CHECK-NEXT: fabric.tensor @t7 : tensor<2x256xf32> "temp" in @mesh layout <x: split(1, 64, 4), y: split(0, 1, 2)>
// CHECK-NEXT: fabric.compute "map" "mul" in @mesh outs [@t7] ins [@t6, @t1] iter [2, 256, 2] axes [2, 1, 0] blocks [1, 64, 2] maps [array<i64: 0, 1>, array<i64: 2, 0>, array<i64: 2, 1>] {acc = 1 : i64, source = "wse.matmul"}
// CHECK-NEXT: fabric.compute "sgd" in @mesh outs [@t0] ins [@t0, @t7] iter [2, 256] axes [2, 1] blocks [1, 64] maps [array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>] {floats = array<f32: 1.000000e-01>, source = "wse.sgd_update"}
// CHECK-NEXT: fabric.output "result0" from @t5
// CHECK-NEXT: fabric.output "w" from @t0
// CHECK-NEXT: }
func.func @train_step(%w: tensor<2x256xf32> {wse.param = "w"}, %b: tensor<2xf32> {wse.param = "b"}, %x: tensor<2x256xf32> {wse.input = "x"}, %dy: tensor<2x2xf32> {wse.input = "dy"}) -> (tensor<2x2xf32>, tensor<2x256xf32> {wse.param = "w"}) {
  %0 = wse.matmul %x, %w {transpose_b = true} : tensor<2x256xf32>, tensor<2x256xf32>
  %1 = wse.add %0, %b : tensor<2x2xf32>, tensor<2xf32>
  %2 = wse.matmul %dy, %x {transpose_a = true} : tensor<2x2xf32>, tensor<2x256xf32>
  %3 = wse.sgd_update %w, %2 {lr = 1.000000e-01 : f32} : tensor<2x256xf32>
  return %1, %3 : tensor<2x2xf32>, tensor<2x256xf32>
}

// -----

// Data movements compute nothing: a transpose is an affine transfer, a
// concatenation two transfers into windows of one tensor, a slice an affine
// transfer with an offset. A max reduction split over y leaves partial
// maxima, and the reshape that follows is the same transfer as their
// combination (combine = 2).
// CHECK-LABEL: module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2, host_links = 12, host_link_gbps = 100, host_fmacs_per_cycle = 128>}
// CHECK-NEXT: fabric.graph @train_step {
// CHECK-NEXT: fabric.region @mesh grid [4, 4]
// CHECK-NEXT: fabric.tensor @t0 : tensor<4x6xf32> "input" name "a" in @mesh layout <x: split(1, 2, 3), y: split(0, 1, 4)>
// CHECK-NEXT: fabric.tensor @t1 : tensor<6x4xf32> "temp" in @mesh layout <x: split(0, 2, 3), y: split(1, 1, 4)>
// CHECK-NEXT: fabric.transfer @x0 @t0 -> @t1 "affine" {affine = array<i64: 0, 1, 1, 0>, offset = array<i64: 0, 0>}
// CHECK-NEXT: fabric.tensor @t2 : tensor<6x4xf32> "temp" in @mesh layout <x: split(0, 2, 3), y: split(1, 1, 4)>
// CHECK-NEXT: fabric.compute "map" "neg" in @mesh outs [@t2] ins [@t1] iter [6, 4] axes [1, 2] blocks [2, 1] maps [array<i64: 0, 1>, array<i64: 0, 1>] {source = "wse.neg"}
// CHECK-NEXT: fabric.tensor @t3 : tensor<2x6xf32> "input" name "b" in @mesh layout <x: split(1, 2, 3), y: split(0, 1, 2)>
// CHECK-NEXT: fabric.tensor @t4 : tensor<6x6xf32> "temp" in @mesh layout <x: split(1, 2, 3), y: split(0, 2, 3)>
// CHECK-NEXT: fabric.transfer @x1 @t0 -> @t4 "affine" {affine = array<i64: 1, 0, 0, 1>, offset = array<i64: 0, 0>, window_lo = array<i64: 0, 0>, window_size = array<i64: 4, 6>}
// CHECK-NEXT: fabric.transfer @x2 @t3 -> @t4 "affine" {affine = array<i64: 1, 0, 0, 1>, offset = array<i64: 0, 0>, window_lo = array<i64: 4, 0>, window_size = array<i64: 2, 6>}
// CHECK-NEXT: fabric.tensor @t5 : tensor<4x6xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: split(1, 2, 3)>
// CHECK-NEXT: fabric.transfer @x3 @t4 -> @t5 "affine" {affine = array<i64: 1, 0, 0, 1>, offset = array<i64: 1, 0>}
// CHECK-NEXT: fabric.tensor @t6 : tensor<4x6xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: split(1, 2, 3)>
// CHECK-NEXT: fabric.compute "map" "exp" in @mesh outs [@t6] ins [@t5] iter [4, 6] axes [1, 2] blocks [1, 2] maps [array<i64: 0, 1>, array<i64: 0, 1>] {source = "wse.exp"}
// CHECK-NEXT: fabric.tensor @t7 : tensor<6xf32> "temp" in @mesh layout <x: split(0, 2, 3), y: partial(3)>
// CHECK-NEXT: fabric.compute "map" "copy" in @mesh outs [@t7] ins [@t4] iter [6, 6] axes [2, 1] blocks [2, 2] maps [array<i64: 1>, array<i64: 0, 1>] {acc = 2 : i64, source = "wse.reduce_max"}
// CHECK-NEXT: fabric.tensor @t8 : tensor<2x3xf32> "temp" in @mesh layout <x: split(0, 1, 2), y: split(1, 1, 3)>
// CHECK-NEXT: fabric.transfer @x4 @t7 -> @t8 "linear" {combine = 2 : i64}
// CHECK-NEXT: fabric.tensor @t9 : tensor<2x3xf32> "temp" in @mesh layout <x: split(0, 1, 2), y: split(1, 1, 3)>
// CHECK-NEXT: fabric.compute "map" "sqrt" in @mesh outs [@t9] ins [@t8] iter [2, 3] axes [1, 2] blocks [1, 1] maps [array<i64: 0, 1>, array<i64: 0, 1>] {source = "wse.sqrt"}
// CHECK-NEXT: fabric.tensor @t10 : tensor<6xf32> "temp" in @mesh layout <x: split(0, 2, 3), y: replicated(1)>
// CHECK-NEXT: fabric.transfer @x5 @t9 -> @t10 "linear"
// CHECK-NEXT: fabric.output "result0" from @t2
// CHECK-NEXT: fabric.output "result1" from @t10
// CHECK-NEXT: fabric.output "result2" from @t6
// CHECK-NEXT: }
func.func @train_step(%a: tensor<4x6xf32> {wse.input = "a"}, %b: tensor<2x6xf32> {wse.input = "b"}) -> (tensor<6x4xf32>, tensor<6xf32>, tensor<4x6xf32>) {
  %t = wse.transpose %a {perm = array<i64: 1, 0>} : tensor<4x6xf32>
  %n = wse.neg %t : tensor<6x4xf32>
  %c = wse.concat %a, %b {axis = 0 : i64} : tensor<4x6xf32>, tensor<2x6xf32>
  %s = wse.slice %c {start = array<i64: 1, 0>, limit = array<i64: 5, 6>, stride = array<i64: 1, 1>} : tensor<6x6xf32>
  %e = wse.exp %s : tensor<4x6xf32>
  %m = wse.reduce_max %c {axes = array<i64: 0>} : tensor<6x6xf32>
  %r = wse.reshape %m : tensor<6xf32> -> tensor<2x3xf32>
  %q = wse.sqrt %r : tensor<2x3xf32>
  %q2 = wse.reshape %q : tensor<2x3xf32> -> tensor<6xf32>
  return %n, %q2, %e : tensor<6x4xf32>, tensor<6xf32>, tensor<4x6xf32>
}

// -----

// A gradient moves to its parameter's layout as soon as it is computed,
// not at the update: the sum of the partial bias gradients (x0) goes
// before the kernels that follow (the exp), and the update reads it there.
// CHECK-LABEL: module attributes
// CHECK-NEXT: fabric.graph @train_step {
// CHECK-NEXT: fabric.region @mesh grid [4, 4]
// CHECK-NEXT: fabric.tensor @t0 : tensor<8xf32> "param" name "b" in @mesh layout <x: split(0, 2, 4), y: replicated(1)>
// CHECK-NEXT: fabric.tensor @t1 : tensor<16x8xf32> "input" name "g"
// CHECK-NEXT: fabric.tensor @t2 : tensor<8xf32> "temp" in @mesh layout <x: partial(4), y: split(0, 2, 4)>
// CHECK-NEXT: fabric.compute "map" "copy" in @mesh outs [@t2] ins [@t1]
// CHECK-NEXT: fabric.tensor @t3 : tensor<8xf32> "temp" in @mesh layout <x: split(0, 2, 4), y: replicated(1)>
// CHECK-NEXT: fabric.transfer @x0 @t2 -> @t3 "linear" {combine = 1 : i64}
// CHECK-NEXT: fabric.tensor @t4 : tensor<16x8xf32> "input" name "x"
// CHECK-NEXT: fabric.tensor @t5 : tensor<16x8xf32>
// CHECK-NEXT: fabric.compute "map" "exp" in @mesh outs [@t5] ins [@t4]
// CHECK-NEXT: fabric.compute "sgd" in @mesh outs [@t0] ins [@t0, @t3]
func.func @train_step(%b: tensor<8xf32> {wse.param = "b"}, %g: tensor<16x8xf32> {wse.input = "g"}, %x: tensor<16x8xf32> {wse.input = "x"}) -> (tensor<16x8xf32>, tensor<8xf32> {wse.param = "b"}) {
  %db = wse.reduce_sum %g {axes = array<i64: 0>} : tensor<16x8xf32>
  %e = wse.exp %x : tensor<16x8xf32>
  %n = wse.sgd_update %b, %db {lr = 1.000000e-01 : f32} : tensor<8xf32>
  return %e, %n : tensor<16x8xf32>, tensor<8xf32>
}

// -----

// Partial maxima over the 16 PEs of a row, wanted on all 16 (the row max
// a softmax subtracts): each PE would take in the other 15 tiles of 8.
// They are combined first into a layout splitting the tile over the row
// (x0: each of 8 PEs takes in 15 values), then gathered (x1: each PE takes
// in 8).
// RUN: wse-opt %s -split-input-file --wse-partition="machine=wse2 mesh=16x4" | FileCheck %s --check-prefix=ALLREDUCE
// CHECK-LABEL: module attributes
// CHECK: fabric.compute "map" "sub"
// ALLREDUCE-LABEL: fabric.graph @train_step
// ALLREDUCE: fabric.tensor @t1 : tensor<4x8x1xf32> "temp" in @mesh layout <x: partial(16), y: split(0, 1, 4)>
// ALLREDUCE-NEXT: fabric.compute "map" "copy" {{.*}} {acc = 2 : i64, source = "wse.reduce_max"}
// ALLREDUCE-NEXT: fabric.tensor @t2 : tensor<4x8x1xf32> "temp" in @mesh layout <x: split(1, 1, 8), y: split(0, 1, 4)>
// ALLREDUCE-NEXT: fabric.transfer @x0 @t1 -> @t2 "linear" {combine = 2 : i64}
// ALLREDUCE-NEXT: fabric.tensor @t3 : tensor<4x8x1xf32> "temp" in @mesh layout <x: replicated(16), y: split(0, 1, 4)>
// ALLREDUCE-NEXT: fabric.transfer @x1 @t2 -> @t3 "linear"
// ALLREDUCE-NEXT: fabric.tensor @t4
// ALLREDUCE-NEXT: fabric.compute "map" "sub" {{.*}} ins [@t0, @t3]
func.func @train_step(%x: tensor<4x8x128xf32> {wse.input = "x"}) -> tensor<4x8x128xf32> {
  %m = wse.reduce_max %x {axes = array<i64: 2>, keep_dims = true} : tensor<4x8x128xf32>
  %y = wse.sub %x, %m : tensor<4x8x128xf32>, tensor<4x8x1xf32>
  return %y : tensor<4x8x128xf32>
}

// -----

// A chain of movements is one transfer from where the data is: a slice,
// reshaped (splitting a dim) and transposed is one affine map, and two
// reshapes are one linear one. A reshape merging dims after a transpose
// is one transfer too: the map reads the window's index renumbered into
// the transpose's result shape (`reshape`), then transposes.
// CHECK-LABEL: module attributes
// CHECK-NEXT: fabric.graph @train_step {
// CHECK-NEXT: fabric.region @mesh grid [4, 4]
// CHECK-NEXT: fabric.tensor @t0 : tensor<2x24xf32> "input"
// CHECK-NEXT: fabric.tensor @t1 : tensor<2x2x4xf32>
// CHECK-NEXT: fabric.transfer @x0 @t0 -> @t1 "affine" {affine = array<i64: 0, 1, 0, 4, 0, 1>, offset = array<i64: 0, 8>}
// CHECK-NEXT: fabric.tensor @t2 : tensor<2x2x4xf32>
// CHECK-NEXT: fabric.compute "map" "neg" {{.*}} ins [@t1]
// CHECK-NEXT: fabric.tensor @t3 : tensor<2x8xf32>
// CHECK-NEXT: fabric.transfer @x1 @t2 -> @t3 "affine" {affine = array<i64: 0, 1, 0, 1, 0, 0, 0, 0, 1>, offset = array<i64: 0, 0, 0>, reshape = array<i64: 2, 2, 4>}
// CHECK-NEXT: fabric.tensor @t4 : tensor<2x8xf32>
// CHECK-NEXT: fabric.compute "map" "exp" {{.*}} ins [@t3]
// CHECK-NEXT: fabric.tensor @t5 : tensor<4x12xf32>
// CHECK-NEXT: fabric.transfer @x2 @t0 -> @t5 "linear"
// CHECK-NEXT: fabric.tensor @t6 : tensor<4x12xf32>
// CHECK-NEXT: fabric.compute "map" "sqrt" {{.*}} ins [@t5]
func.func @train_step(%a: tensor<2x24xf32> {wse.input = "a"}) -> (tensor<2x2x4xf32>, tensor<2x8xf32>, tensor<4x12xf32>) {
  %s = wse.slice %a {start = array<i64: 0, 8>, limit = array<i64: 2, 16>, stride = array<i64: 1, 1>} : tensor<2x24xf32>
  %r = wse.reshape %s : tensor<2x8xf32> -> tensor<2x2x4xf32>
  %t = wse.transpose %r {perm = array<i64: 1, 0, 2>} : tensor<2x2x4xf32>
  %n = wse.neg %t : tensor<2x2x4xf32>
  %u = wse.transpose %n {perm = array<i64: 1, 0, 2>} : tensor<2x2x4xf32>
  %m = wse.reshape %u : tensor<2x2x4xf32> -> tensor<2x8xf32>
  %e = wse.exp %m : tensor<2x8xf32>
  %r1 = wse.reshape %a : tensor<2x24xf32> -> tensor<48xf32>
  %r2 = wse.reshape %r1 : tensor<48xf32> -> tensor<4x12xf32>
  %q = wse.sqrt %r2 : tensor<4x12xf32>
  return %n, %e, %q : tensor<2x2x4xf32>, tensor<2x8xf32>, tensor<4x12xf32>
}

// -----

// Embedding rows: a gather from a [V, D] table, a scatter-add of the
// gradient into zeros (the zeros are not materialized), AdamW over the
// table's tiles with its moments laid out like the table and the step
// replicated. Table and moments live where the update runs and nothing
// reads them after it, so AdamW writes all three in place; only the step
// is written back. A scalar constant becomes a "const" tensor. The
// gather's rows are partial over y (the table's rows split there): the
// transfer summing them sends only rows holding a nonzero (sparse_rows).
// The scatter-add's rows are split with dy's over x: its partial table is
// not stored (unstored), and the transfer to the update's layout sends
// each PE's rows to the PEs of their table rows.
// CHECK-LABEL: module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2, host_links = 12, host_link_gbps = 100, host_fmacs_per_cycle = 128>}
// CHECK-NEXT: fabric.graph @train_step {
// CHECK-NEXT: fabric.region @mesh grid [4, 4]
// CHECK-NEXT: fabric.tensor @t0 : tensor<10x4xf32> "param" name "emb" in @mesh layout <x: split(1, 1, 4), y: split(0, 3, 4)>
// CHECK-NEXT: fabric.tensor @t1 : tensor<10x4xf32> "state" name "emb.m" in @mesh layout <x: split(1, 1, 4), y: split(0, 3, 4)>
// CHECK-NEXT: fabric.tensor @t2 : tensor<10x4xf32> "state" name "emb.v" in @mesh layout <x: split(1, 1, 4), y: split(0, 3, 4)>
// CHECK-NEXT: fabric.tensor @t3 : tensor<3xi64> "input" name "tokens" in @mesh layout <x: replicated(4), y: replicated(4)>
// CHECK-NEXT: fabric.tensor @t4 : tensor<3x4xf32> "temp" in @mesh layout <x: split(1, 1, 4), y: partial(4)>
// CHECK-NEXT: fabric.compute "gather" in @mesh outs [@t4] ins [@t0, @t3] iter [3, 4, 10] axes [0, 1, 2] blocks [3, 1, 3] maps [array<i64: 0, 1>, array<i64: 2, 1>, array<i64: 0>] {source = "wse.gather"}
// CHECK-NEXT: fabric.tensor @t5 : tensor<3x4xf32> "input" name "dy" in @mesh layout <x: split(0, 1, 3), y: split(1, 1, 4)>
// CHECK-NEXT: fabric.tensor @t6 : tensor<3xi64> "temp" in @mesh layout <x: split(0, 1, 3), y: replicated(4)>
// CHECK-NEXT: fabric.transfer @x0 @t3 -> @t6 "linear"
// CHECK-NEXT: fabric.tensor @t7 : tensor<10x4xf32> "temp" in @mesh layout <x: partial(3), y: split(1, 1, 4)>
// CHECK-NEXT: fabric.compute "scatter_add" in @mesh outs [@t7] ins [@t5, @t6] iter [3, 4, 10] axes [1, 2, 0] blocks [1, 1, 10] maps [array<i64: 2, 1>, array<i64: 0, 1>, array<i64: 0>] {source = "wse.scatter_add", unstored}
// CHECK-NEXT: fabric.tensor @t8 : tensor<10x4xf32> "temp" in @mesh layout <x: split(1, 1, 4), y: split(0, 3, 4)>
// CHECK-NEXT: fabric.transfer @x1 @t7 -> @t8 "linear" {combine = 1 : i64, sparse_rows}
// CHECK-NEXT: fabric.tensor @t9 : tensor<f32> "state" name "step" in @mesh layout <x: replicated(1), y: replicated(1)>
// CHECK-NEXT: fabric.tensor @t10 : tensor<f32> "const" in @mesh layout <x: replicated(1), y: replicated(1)> init dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT: fabric.tensor @t11 : tensor<f32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
// CHECK-NEXT: fabric.compute "map" "add" in @mesh outs [@t11] ins [@t9, @t10] iter [] axes [] blocks [] maps [array<i64>, array<i64>, array<i64>] {source = "wse.add"}
// CHECK-NEXT: fabric.tensor @t12 : tensor<f32> "temp" in @mesh layout <x: replicated(4), y: replicated(4)>
// CHECK-NEXT: fabric.transfer @x2 @t11 -> @t12 "linear"
// CHECK-NEXT: fabric.compute "adamw" in @mesh outs [@t0, @t1, @t2] ins [@t0, @t8, @t1, @t2, @t12] iter [10, 4] axes [2, 1] blocks [3, 1] maps [array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64>] {floats = array<f32: 0.00999999977, 0.899999976, 9.990000e-01, 9.99999993E-9, 0.000000e+00>, source = "wse.adamw_update"}
// CHECK-NEXT: fabric.tensor @t13 : tensor<3x4xf32> "temp" in @mesh layout <x: split(1, 1, 4), y: replicated(1)>
// CHECK-NEXT: fabric.transfer @x3 @t4 -> @t13 "linear" {combine = 1 : i64, sparse_rows}
// CHECK-NEXT: fabric.transfer @x4 @t11 -> @t9 "linear"
// CHECK-NEXT: fabric.output "result0" from @t13
// CHECK-NEXT: fabric.output "emb" from @t0
// CHECK-NEXT: fabric.output "emb.m" from @t1
// CHECK-NEXT: fabric.output "emb.v" from @t2
// CHECK-NEXT: fabric.output "step" from @t9
// CHECK-NEXT: }
func.func @train_step(%emb: tensor<10x4xf32> {wse.param = "emb"}, %m: tensor<10x4xf32> {wse.state = "emb.m"}, %v: tensor<10x4xf32> {wse.state = "emb.v"}, %step: tensor<f32> {wse.state = "step"}, %tok: tensor<3xi64> {wse.input = "tokens"}, %dy: tensor<3x4xf32> {wse.input = "dy"}) -> (tensor<3x4xf32>, tensor<10x4xf32> {wse.param = "emb"}, tensor<10x4xf32> {wse.state = "emb.m"}, tensor<10x4xf32> {wse.state = "emb.v"}, tensor<f32> {wse.state = "step"}) {
  %h = wse.gather %emb, %tok {axis = 0 : i64} : tensor<10x4xf32>, tensor<3xi64>
  %zero = wse.constant dense<0.0> : tensor<10x4xf32>
  %g = wse.scatter_add %dy into %zero at %tok {axis = 0 : i64} : tensor<3x4xf32> into tensor<10x4xf32> at tensor<3xi64>
  %one = wse.constant dense<1.0> : tensor<f32>
  %t = wse.add %step, %one : tensor<f32>, tensor<f32>
  %p, %m2, %v2 = wse.adamw_update %emb, %g, %m, %v step(%t : tensor<f32>) {lr = 0.01 : f32, beta1 = 0.9 : f32, beta2 = 0.999 : f32, eps = 1.0e-8 : f32, weight_decay = 0.0 : f32} : tensor<10x4xf32>
  return %h, %p, %m2, %v2, %t : tensor<3x4xf32>, tensor<10x4xf32>, tensor<10x4xf32>, tensor<10x4xf32>, tensor<f32>
}

// -----

// Broadcasts map a size-1 or missing dim to no box dim (-1 or fewer map
// entries); a parameter returned unchanged is read in place; an input no op
// reads still gets a tensor the host can bind.
// CHECK-LABEL: module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2, host_links = 12, host_link_gbps = 100, host_fmacs_per_cycle = 128>}
// CHECK-NEXT: fabric.graph @train_step {
// CHECK-NEXT: fabric.region @mesh grid [4, 4]
// CHECK-NEXT: fabric.tensor @t0 : tensor<4x8xf32> "input" name "x" in @mesh layout <x: split(0, 1, 4), y: split(1, 2, 4)>
// CHECK-NEXT: fabric.tensor @t1 : tensor<8xf32> "param" name "frozen" in @mesh layout <x: replicated(4), y: split(0, 2, 4)>
// CHECK-NEXT: fabric.tensor @t2 : tensor<4x8xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: split(1, 2, 4)>
// CHECK-NEXT: fabric.compute "map" "mul" in @mesh outs [@t2] ins [@t0, @t1] iter [4, 8] axes [1, 2] blocks [1, 2] maps [array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 1>] {source = "wse.mul"}
// CHECK-NEXT: fabric.tensor @t3 : tensor<4x8xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: split(1, 2, 4)>
// CHECK-NEXT: fabric.compute "map" "leaky_relu" in @mesh outs [@t3] ins [@t2] iter [4, 8] axes [1, 2] blocks [1, 2] maps [array<i64: 0, 1>, array<i64: 0, 1>] {floats = array<f32: 1.000000e-01>, source = "wse.leaky_relu"}
// CHECK-NEXT: fabric.tensor @t4 : tensor<f32> "const" in @mesh layout <x: replicated(4), y: replicated(4)> init dense<2.000000e+00> : tensor<f32>
// CHECK-NEXT: fabric.tensor @t5 : tensor<4x8xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: split(1, 2, 4)>
// CHECK-NEXT: fabric.compute "map" "div" in @mesh outs [@t5] ins [@t3, @t4] iter [4, 8] axes [1, 2] blocks [1, 2] maps [array<i64: 0, 1>, array<i64: 0, 1>, array<i64>] {source = "wse.div"}
// CHECK-NEXT: fabric.output "result0" from @t5
// CHECK-NEXT: fabric.output "frozen" from @t1
// CHECK-NEXT: fabric.tensor @t6 : tensor<3xf32> "input" name "unused" in @mesh layout <x: split(0, 1, 3), y: replicated(1)>
// CHECK-NEXT: }
func.func @train_step(%w: tensor<8xf32> {wse.param = "frozen"}, %x: tensor<4x8xf32> {wse.input = "x"}, %unused: tensor<3xf32> {wse.input = "unused"}) -> (tensor<4x8xf32>, tensor<8xf32> {wse.param = "frozen"}) {
  %0 = wse.mul %x, %w : tensor<4x8xf32>, tensor<8xf32>
  %c = wse.constant dense<2.0> : tensor<f32>
  %1 = wse.leaky_relu %0 {alpha = 0.1 : f32} : tensor<4x8xf32>
  %2 = wse.div %1, %c : tensor<4x8xf32>, tensor<f32>
  return %2, %w : tensor<4x8xf32>, tensor<8xf32>
}

// A single PE holds everything: no splits, no transfers at all; the update
// writes the weight in place.
// ONE-LABEL: fabric.graph @train_step
// ONE: fabric.region @mesh grid [1, 1]
// ONE-NOT: fabric.transfer
// ONE: fabric.compute "map" "mul" in @mesh outs [@t2] ins [@t1, @t0] iter [2, 2, 256] axes [0, 0, 0] blocks [2, 2, 256]
// ONE-NOT: fabric.transfer
// ONE: fabric.compute "sgd" in @mesh outs [@t0] ins [@t0, @t6]
// ONE-NEXT: fabric.output "result0"

// Without mesh=, the region is the whole wafer, and K = 256 goes over 256
// PEs of x, the weight's two rows over two of y.
// WAFER: #fabric.machine<name = "wse2", width = 750, height = 994,
// WAFER: fabric.region @mesh grid [750, 994]
// WAFER: fabric.compute "map" "mul" in @mesh outs [@t2] ins [@t1, @t0] iter [2, 2, 256] axes [0, 2, 1] blocks [2, 1, 1]
// WSE3: #fabric.machine<name = "wse3", width = 755, height = 1174, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 2, adds_per_cycle = 4, host_links = 12, host_link_gbps = 100, host_fmacs_per_cycle = 128>
// WSE3: fabric.region @mesh grid [755, 1174]
