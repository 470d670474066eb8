// RUN: wse-opt %s -split-input-file --wse-partition="mesh=4x4 execution=weight-streaming" | FileCheck %s
// RUN: wse-opt %s -split-input-file --wse-partition="mesh=4x4" | FileCheck %s --check-prefix=AUTO
// RUN: wse-opt %s -split-input-file --wse-partition="mesh=4x4 execution=weight-streaming" --wse-place --wse-route --wse-lower-to-pe | FileCheck %s --check-prefix=LOWER

// Weight streaming keeps parameters (and optimizer state) in a host region
// off the mesh: each kernel that reads a weight streams it in over the host
// links, the gradient streams out, and the update runs on the host in
// place. execution=auto keeps this small step pipelined.

// CHECK-LABEL: fabric.graph @train_step {
// CHECK-NEXT: fabric.region @mesh grid [4, 4]
// CHECK-NEXT: fabric.region @host host grid [1, 1]
// CHECK-NEXT: fabric.tensor @t0 : tensor<2x256xf32> "param" name "w" in @host layout <x: replicated(1), y: replicated(1)>
// CHECK-NEXT: fabric.tensor @t1 : tensor<2xf32> "param" name "b" in @host layout <x: replicated(1), y: replicated(1)>
// CHECK-NEXT: fabric.tensor @t2 : tensor<2x256xf32> "input" name "x" in @mesh
// CHECK-NEXT: fabric.tensor @t3 : tensor<2x256xf32> "temp" in @mesh
// CHECK-NEXT: fabric.transfer @x0 @t0 -> @t3 "linear"
// CHECK:      fabric.compute "map" "mul" in @mesh outs [@t4] ins [@t2, @t3]
// CHECK:      fabric.transfer @x2 @t1 -> @t6 "linear"
// The weight gradient, computed on the mesh, goes out to the host.
// CHECK:      fabric.compute "map" "mul" in @mesh outs [@t9] ins [@t8, @t2]
// CHECK-NEXT: fabric.tensor @t10 : tensor<2x256xf32> "temp" in @host
// CHECK-NEXT: fabric.transfer @x3 @t9 -> @t10 "linear"
// CHECK-NEXT: fabric.compute "sgd" in @host outs [@t0] ins [@t0, @t10]
// CHECK-NEXT: fabric.output "result0" from @t7
// CHECK-NEXT: fabric.output "w" from @t0

// AUTO-LABEL: fabric.graph @train_step {
// AUTO-NOT: @host
// AUTO: fabric.compute "sgd" in @mesh

// The host is its own program: its buffers are host memory, it sends the
// weights, receives the gradient and updates.
// LOWER-LABEL: pe.program @mesh at [0, 0] size [4, 4] {
// LOWER: pe.instr "recv" [@t3] ints [0]
// LOWER: pe.instr "send" [@t9] ints [3]
// LOWER-LABEL: pe.program @host host at [0, 0] size [1, 1] {
// LOWER-NEXT: pe.buffer @t0[512] at 0
// LOWER-NEXT: pe.buffer @t1[2] at 2048
// LOWER-NEXT: pe.buffer @t10[512] at 2056
// LOWER-NEXT: pe.instr "send" [@t0] ints [0]
// LOWER-NEXT: pe.instr "send" [@t1] ints [2]
// LOWER-NEXT: pe.instr "recv" [@t10] ints [3]
// LOWER-NEXT: pe.instr "sgd" [@t0, @t0, @t10]
// LOWER: pe.bind "param" "w" to @host::@t0
// LOWER: pe.bind "output" "w" to @host::@t0
func.func @train_step(%w: tensor<2x256xf32> {wse.param = "w"}, %b: tensor<2xf32> {wse.param = "b"}, %x: tensor<2x256xf32> {wse.input = "x"}, %dy: tensor<2x2xf32> {wse.input = "dy"}) -> (tensor<2x2xf32>, tensor<2x256xf32> {wse.param = "w"}) {
  %0 = wse.matmul %x, %w {transpose_b = true} : tensor<2x256xf32>, tensor<2x256xf32>
  %1 = wse.add %0, %b : tensor<2x2xf32>, tensor<2xf32>
  %2 = wse.matmul %dy, %x {transpose_a = true} : tensor<2x2xf32>, tensor<2x256xf32>
  %3 = wse.sgd_update %w, %2 {lr = 1.000000e-01 : f32} : tensor<2x256xf32>
  return %1, %3 : tensor<2x2xf32>, tensor<2x256xf32>
}

// -----

// A 256x256 weight is 16 KiB per PE of a 4x4 mesh; with the other
// operands, a product over it needs more than a streamed product's share
// (a quarter of the data SRAM): the products run in 4 chunks. The forward
// streams the weight in 64-row slices, one per chunk, sums each chunk's
// partial results on the mesh at once and puts the sum in its window of
// the joined result, spread over the mesh (the chunks would otherwise
// hold SRAM until the join); the gradient's chunks (64 columns each)
// stream out into their windows of one host tensor as each is computed,
// and the update reads it whole. execution=auto streams it too: its
// parameters alone fit, its products do not.
// CHECK-LABEL: fabric.graph @train_step {
// CHECK:      fabric.transfer @x0 @t0 -> @t2 "affine" {affine = array<i64: 1, 0, 0, 1>, offset = array<i64: 0, 0>}
// CHECK:      fabric.compute "map" "mul" in @mesh outs [@t3] ins [@t1, @t2]
// CHECK-NEXT: fabric.tensor @t4 : tensor<8x256xf32> "temp" in @mesh
// CHECK-NEXT: fabric.tensor @t5 : tensor<8x64xf32> "temp" in @mesh
// CHECK-NEXT: fabric.transfer @x1 @t3 -> @t5 "linear" {combine = 1 : i64}
// CHECK-NEXT: fabric.transfer @x2 @t5 -> @t4 "affine" {{.*}} window_lo = array<i64: 0, 0>, window_size = array<i64: 8, 64>}
// CHECK:      fabric.transfer @x3 @t0 -> @t6 "affine" {affine = array<i64: 1, 0, 0, 1>, offset = array<i64: 64, 0>}
// CHECK:      fabric.transfer @x9 @t0 -> @t12 "affine" {affine = array<i64: 1, 0, 0, 1>, offset = array<i64: 192, 0>}
// CHECK:      fabric.transfer @x11 @t14 -> @t4 "affine" {{.*}} window_lo = array<i64: 0, 192>, window_size = array<i64: 8, 64>}
// CHECK:      fabric.tensor @t18 : tensor<256x256xf32> "temp" in @host
// CHECK-NEXT: fabric.transfer @x13 @t17 -> @t18 "affine" {{.*}} window_lo = array<i64: 0, 0>, window_size = array<i64: 256, 64>}
// CHECK:      fabric.transfer @x15 @t20 -> @t18 "affine" {{.*}} window_lo = array<i64: 0, 64>, window_size = array<i64: 256, 64>}
// CHECK:      fabric.transfer @x19 @t24 -> @t18 "affine" {{.*}} window_lo = array<i64: 0, 192>, window_size = array<i64: 256, 64>}
// CHECK-NEXT: fabric.compute "sgd" in @host outs [@t0] ins [@t0, @t18]
// AUTO-LABEL: fabric.graph @train_step {
// AUTO: fabric.region @host host grid [1, 1]
func.func @train_step(%w: tensor<256x256xf32> {wse.param = "w"}, %x: tensor<8x256xf32> {wse.input = "x"}, %dy: tensor<8x256xf32> {wse.input = "dy"}) -> (tensor<8x256xf32>, tensor<256x256xf32> {wse.param = "w"}) {
  %0 = wse.matmul %x, %w {transpose_b = true} : tensor<8x256xf32>, tensor<256x256xf32>
  %1 = wse.matmul %dy, %x {transpose_a = true} : tensor<8x256xf32>, tensor<8x256xf32>
  %2 = wse.sgd_update %w, %1 {lr = 1.000000e-01 : f32} : tensor<256x256xf32>
  return %0, %2 : tensor<8x256xf32>, tensor<256x256xf32>
}

// -----

// A batched product (a [2, 8, 256] activation through the same weight):
// the batch dims stay whole in every chunk; the results join along the
// last dim.
// CHECK-LABEL: fabric.graph @train_step {
// CHECK:      fabric.transfer @x0 @t0 -> @t2 "affine" {affine = array<i64: 1, 0, 0, 1>, offset = array<i64: 0, 0>}
// CHECK-NEXT: fabric.tensor @t3 : tensor<2x8x64xf32>
// CHECK-NEXT: fabric.compute "map" "mul" in @mesh outs [@t3] ins [@t1, @t2] iter [2, 8, 64, 256]
// CHECK:      fabric.transfer @x9 @t0 -> @t12 "affine" {affine = array<i64: 1, 0, 0, 1>, offset = array<i64: 192, 0>}
// CHECK:      fabric.transfer @x11 @t14 -> @t4 "affine" {{.*}} window_lo = array<i64: 0, 0, 192>, window_size = array<i64: 2, 8, 64>}
func.func @train_step(%w: tensor<256x256xf32> {wse.param = "w"}, %x: tensor<2x8x256xf32> {wse.input = "x"}) -> tensor<2x8x256xf32> {
  %0 = wse.matmul %x, %w {transpose_b = true} : tensor<2x8x256xf32>, tensor<256x256xf32>
  return %0 : tensor<2x8x256xf32>
}

// -----

// A weight's gradient in two parts (a tied weight: two uses), too large to
// sum on the mesh: each part's chunks stream out into a host tensor of
// its own as they are computed, and the host adds them before the update.
// CHECK-LABEL: fabric.graph @train_step {
// CHECK:      fabric.tensor @t5 : tensor<256x256xf32> "temp" in @host
// CHECK:      fabric.tensor @t15 : tensor<256x256xf32> "temp" in @host
// CHECK:      fabric.compute "map" "add" in @host outs [@t22] ins [@t5, @t15]
// CHECK-NEXT: fabric.compute "sgd" in @host outs [@t0] ins [@t0, @t22]
func.func @train_step(%w: tensor<256x256xf32> {wse.param = "w"}, %x: tensor<8x256xf32> {wse.input = "x"}, %dy: tensor<8x256xf32> {wse.input = "dy"}, %dz: tensor<8x256xf32> {wse.input = "dz"}) -> (tensor<256x256xf32> {wse.param = "w"}) {
  %0 = wse.matmul %dy, %x {transpose_a = true} : tensor<8x256xf32>, tensor<8x256xf32>
  %1 = wse.matmul %dz, %x {transpose_a = true} : tensor<8x256xf32>, tensor<8x256xf32>
  %2 = wse.add %0, %1 : tensor<256x256xf32>, tensor<256x256xf32>
  %3 = wse.sgd_update %w, %2 {lr = 1.000000e-01 : f32} : tensor<256x256xf32>
  return %3 : tensor<256x256xf32>
}

// -----

// Small parts are summed on the mesh, and the sum crosses the links once.
// CHECK-LABEL: fabric.graph @train_step {
// CHECK:      fabric.compute "map" "add" in @mesh outs [@t6] ins [@t3, @t5]
// CHECK-NEXT: fabric.tensor @t7 : tensor<16x256xf32> "temp" in @host
// CHECK-NEXT: fabric.transfer @x0 @t6 -> @t7 "linear"
// CHECK-NEXT: fabric.compute "sgd" in @host outs [@t0] ins [@t0, @t7]
func.func @train_step(%w: tensor<16x256xf32> {wse.param = "w"}, %x: tensor<8x256xf32> {wse.input = "x"}, %dy: tensor<8x16xf32> {wse.input = "dy"}, %dz: tensor<8x16xf32> {wse.input = "dz"}) -> (tensor<16x256xf32> {wse.param = "w"}) {
  %0 = wse.matmul %dy, %x {transpose_a = true} : tensor<8x16xf32>, tensor<8x256xf32>
  %1 = wse.matmul %dz, %x {transpose_a = true} : tensor<8x16xf32>, tensor<8x256xf32>
  %2 = wse.add %0, %1 : tensor<16x256xf32>, tensor<16x256xf32>
  %3 = wse.sgd_update %w, %2 {lr = 1.000000e-01 : f32} : tensor<16x256xf32>
  return %3 : tensor<16x256xf32>
}

// -----

// A weight gradient streams out as soon as it is computed, not when the
// updates run at the end of the step: the product's result crosses to the
// host before the rest of the backward pass (the exp) runs.
// CHECK-LABEL: fabric.graph @train_step {
// CHECK:      fabric.compute "map" "mul" in @mesh outs [@[[G:t[0-9]+]]] ins [@{{t[0-9]+}}, @{{t[0-9]+}}] iter [2, 256, 2]
// CHECK-NEXT: fabric.tensor @[[H:t[0-9]+]] : tensor<2x256xf32> "temp" in @host
// CHECK-NEXT: fabric.transfer @{{x[0-9]+}} @[[G]] -> @[[H]] "linear"
// CHECK:      fabric.compute "map" "exp" in @mesh
// CHECK:      fabric.compute "sgd" in @host outs [@{{t[0-9]+}}] ins [@{{t[0-9]+}}, @[[H]]]
func.func @train_step(%w: tensor<2x256xf32> {wse.param = "w"}, %x: tensor<2x256xf32> {wse.input = "x"}, %dy: tensor<2x2xf32> {wse.input = "dy"}) -> (tensor<2x2xf32>, tensor<2x256xf32> {wse.param = "w"}) {
  %0 = wse.matmul %x, %w {transpose_b = true} : tensor<2x256xf32>, tensor<2x256xf32>
  %1 = wse.matmul %dy, %x {transpose_a = true} : tensor<2x2xf32>, tensor<2x256xf32>
  %2 = wse.exp %0 : tensor<2x2xf32>
  %3 = wse.sgd_update %w, %1 {lr = 1.000000e-01 : f32} : tensor<2x256xf32>
  return %2, %3 : tensor<2x2xf32>, tensor<2x256xf32>
}
