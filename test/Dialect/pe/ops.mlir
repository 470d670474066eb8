// RUN: wse-opt %s | FileCheck %s
// RUN: wse-opt %s | wse-opt | FileCheck %s
// RUN: wse-opt %s --mlir-print-op-generic | wse-opt | FileCheck %s

// One SPMD program on a 4x2 region: y[4x6] = x[4x8] w[6x8]^T with the
// batch split over x and K over y (partial sums combined by a transfer),
// and one instruction of each other kind of the pe instruction set.

// CHECK: module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 4,
module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  // CHECK-NEXT: pe.program @mesh at [1, 0] size [4, 2] {
  pe.program @mesh at [1, 0] size [4, 2] {
    // CHECK-NEXT: pe.buffer @x[4] at 0
    pe.buffer @x[4] at 0
    // CHECK-NEXT: pe.buffer @w[24] at 16
    pe.buffer @w[24] at 16
    pe.buffer @p[6] at 112
    pe.buffer @y[3] at 136
    pe.buffer @dw[24] at 148
    pe.buffer @m[24] at 244
    pe.buffer @v[24] at 340
    pe.buffer @step[1] at 436
    pe.buffer @lr[1] at 440
    pe.buffer @idx[2] at 444
    // Buffers may share SRAM: @rows reuses @p's bytes.
    // CHECK: pe.buffer @rows[8] at 112
    pe.buffer @rows[8] at 112
    // map: ints [rank, acc, (block, axis, global) per box dim, strides per
    // buffer per box dim]; box (M, N, K) = (4 over x, 6, 8 over y).
    // CHECK: pe.instr "fill" [@p] floats [0.000000e+00]
    pe.instr "fill" [@p] floats [0.0]
    // CHECK-NEXT: pe.instr "map" "mul" [@p, @x, @w] ints [3, 1, 1, 1, 4, 6, 0, 6, 4, 2, 8, 6, 1, 0, 4, 0, 1, 0, 4, 1]
    pe.instr "map" "mul" [@p, @x, @w] ints [3, 1, 1, 1, 4, 6, 0, 6, 4, 2, 8, 6, 1, 0, 4, 0, 1, 0, 4, 1]
    // send / recv name the module's transfer by its position.
    // CHECK-NEXT: pe.instr "send" [@p] ints [0]
    pe.instr "send" [@p] ints [0]
    // CHECK-NEXT: pe.instr "recv" [@y] ints [0]
    pe.instr "recv" [@y] ints [0]
    // CHECK-NEXT: pe.instr "map" "clamp" [@y, @y] ints [2, 0, 1, 1, 4, 3, 2, 6, 3, 1, 3, 1] floats [-1.000000e+00, 1.000000e+00]
    pe.instr "map" "clamp" [@y, @y] ints [2, 0, 1, 1, 4, 3, 2, 6, 3, 1, 3, 1] floats [-1.0, 1.0]
    // CHECK-NEXT: pe.instr "map" "select" [@y, @y, @y, @y] ints [1, 0, 3, 2, 6, 1, 1, 1, 1]
    pe.instr "map" "select" [@y, @y, @y, @y] ints [1, 0, 3, 2, 6, 1, 1, 1, 1]
    // A max reduction starts from -infinity.
    // CHECK-NEXT: pe.instr "fill" [@step] ints [-1]{{$}}
    pe.instr "fill" [@step] ints [-1]
    // CHECK-NEXT: pe.instr "map" "copy" [@step, @y] ints [1, 2, 3, 2, 6, 0, 1]
    pe.instr "map" "copy" [@step, @y] ints [1, 2, 3, 2, 6, 0, 1]
    // Rows of a [V, D] table at indices: ints [(block, axis, global) of n, d, v].
    // CHECK-NEXT: pe.instr "gather" [@rows, @w, @idx] ints [2, 0, 2, 4, 2, 8, 6, 0, 6]
    pe.instr "gather" [@rows, @w, @idx] ints [2, 0, 2, 4, 2, 8, 6, 0, 6]
    // CHECK-NEXT: pe.instr "scatter_add" [@dw, @rows, @idx] ints [2, 0, 2, 4, 2, 8, 6, 0, 6]
    pe.instr "scatter_add" [@dw, @rows, @idx] ints [2, 0, 2, 4, 2, 8, 6, 0, 6]
    // Optimizer updates: ints [lead..., rank, box]; an optional last buffer
    // holds a learning rate computed in the step.
    // CHECK-NEXT: pe.instr "sgd" [@w, @w, @dw] ints [2, 6, 0, 6, 4, 2, 8] floats [1.000000e-01]
    pe.instr "sgd" [@w, @w, @dw] ints [2, 6, 0, 6, 4, 2, 8] floats [0.1]
    // CHECK-NEXT: pe.instr "sgd" [@w, @w, @dw, @lr] ints [2, 6, 0, 6, 4, 2, 8] floats [1.000000e-01]
    pe.instr "sgd" [@w, @w, @dw, @lr] ints [2, 6, 0, 6, 4, 2, 8] floats [0.1]
    // CHECK-NEXT: pe.instr "sgd_momentum" [@w, @m, @w, @dw, @m] ints [1, 2, 6, 0, 6, 4, 2, 8] floats [5.000000e-02, 9.000000e-01, 0.000000e+00, 0.000000e+00]
    pe.instr "sgd_momentum" [@w, @m, @w, @dw, @m] ints [1, 2, 6, 0, 6, 4, 2, 8] floats [0.05, 0.9, 0.0, 0.0]
    // CHECK-NEXT: pe.instr "adamw" [@w, @m, @v, @w, @dw, @m, @v, @step] ints [2, 6, 0, 6, 4, 2, 8] floats [1.000000e-02, 9.000000e-01, 9.990000e-01, 1.000000e-08, 1.000000e-01]
    pe.instr "adamw" [@w, @m, @v, @w, @dw, @m, @v, @step] ints [2, 6, 0, 6, 4, 2, 8] floats [0.01, 0.9, 0.999, 1.0e-8, 0.1]
    // CHECK-NEXT: }
  }
  // CHECK-NEXT: pe.transfer @x0 @mesh::@p -> @mesh::@y {affine = array<i64>, color = 3 : i64, combine = 1 : i64, dst_layout = #fabric.layout<x: split(0, 1, 4), y: split(1, 3, 2)>, dst_shape = array<i64: 4, 6>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: split(0, 1, 4), y: partial(2)>, src_shape = array<i64: 4, 6>, window_lo = array<i64: 0, 0>, window_size = array<i64: 4, 6>}
  pe.transfer @x0 @mesh::@p -> @mesh::@y {affine = array<i64>, color = 3 : i64, combine = 1 : i64, dst_layout = #fabric.layout<x: split(0, 1, 4), y: split(1, 3, 2)>, dst_shape = array<i64: 4, 6>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: split(0, 1, 4), y: partial(2)>, src_shape = array<i64: 4, 6>, window_lo = array<i64: 0, 0>, window_size = array<i64: 4, 6>}
  // CHECK-NEXT: pe.bind "input" "x" to @mesh::@x : tensor<4x8xf32> {layout = #fabric.layout<x: split(0, 1, 4), y: split(1, 4, 2)>}
  pe.bind "input" "x" to @mesh::@x : tensor<4x8xf32> {layout = #fabric.layout<x: split(0, 1, 4), y: split(1, 4, 2)>}
  // CHECK-NEXT: pe.bind "input" "tokens" to @mesh::@idx : tensor<2xi64> {layout = #fabric.layout<x: replicated(1), y: replicated(1)>}
  pe.bind "input" "tokens" to @mesh::@idx : tensor<2xi64> {layout = #fabric.layout<x: replicated(1), y: replicated(1)>}
  // CHECK-NEXT: pe.bind "param" "fc.weight" to @mesh::@w : tensor<6x8xf32> {init = dense<5.000000e-01> : tensor<6x8xf32>, layout = #fabric.layout<x: replicated(4), y: split(1, 4, 2)>}
  pe.bind "param" "fc.weight" to @mesh::@w : tensor<6x8xf32> {init = dense<0.5> : tensor<6x8xf32>, layout = #fabric.layout<x: replicated(4), y: split(1, 4, 2)>}
  // CHECK-NEXT: pe.bind "state" "fc.weight.m" to @mesh::@m : tensor<6x8xf32> {layout = #fabric.layout<x: replicated(4), y: split(1, 4, 2)>}
  pe.bind "state" "fc.weight.m" to @mesh::@m : tensor<6x8xf32> {layout = #fabric.layout<x: replicated(4), y: split(1, 4, 2)>}
  // CHECK-NEXT: pe.bind "const" "lr" to @mesh::@lr : tensor<f32> {init = dense<1.000000e-01> : tensor<f32>, layout = #fabric.layout<x: replicated(1), y: replicated(1)>}
  pe.bind "const" "lr" to @mesh::@lr : tensor<f32> {init = dense<0.1> : tensor<f32>, layout = #fabric.layout<x: replicated(1), y: replicated(1)>}
  // CHECK-NEXT: pe.bind "output" "loss" to @mesh::@step : tensor<f32> {layout = #fabric.layout<x: replicated(1), y: replicated(1)>, loss}
  pe.bind "output" "loss" to @mesh::@step : tensor<f32> {layout = #fabric.layout<x: replicated(1), y: replicated(1)>, loss}
  // CHECK-NEXT: }
}
