// RUN: wse-opt %s | FileCheck %s
// RUN: wse-opt %s | wse-opt | FileCheck %s
// RUN: wse-opt %s --mlir-print-op-generic | wse-opt | FileCheck %s

// A hand-mapped linear layer on a 4x2 region: every tensor kind, the
// three axis kinds of a layout, a kernel with an accumulation, one with an
// immediate, an optimizer kernel, linear and affine transfers (one into a
// window), and outputs. Every compute operand is laid out as its box says:
// the product's box splits the batch over x, so it reads the weight
// replicated over x (@wr, relaid from @w); the optimizer's box uses no x,
// so the weight it updates in place lives once per column (replicated(1)).

// CHECK: module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>, test.layout = #fabric.layout<x: split(1, 16, 8), y: replicated(4)>}
module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>, test.layout = #fabric.layout<x: split(1, 16, 8), y: replicated(4)>} {
  // CHECK-NEXT: fabric.graph @train_step {
  fabric.graph @train_step {
    // CHECK-NEXT: fabric.region @mesh grid [4, 2] at [1, 0]
    fabric.region @mesh grid [4, 2] at [1, 0]
    // CHECK-NEXT: fabric.region @spare grid [1, 1]{{$}}
    fabric.region @spare grid [1, 1]
    // CHECK-NEXT: fabric.tensor @x : tensor<4x8xf32> "input" name "x" in @mesh layout <x: split(0, 1, 4), y: split(1, 4, 2)>
    fabric.tensor @x : tensor<4x8xf32> "input" name "x" in @mesh layout <x: split(0, 1, 4), y: split(1, 4, 2)>
    // CHECK-NEXT: fabric.tensor @w : tensor<6x8xf32> "param" name "fc.weight" in @mesh layout <x: replicated(1), y: split(1, 4, 2)> init dense<5.000000e-01> : tensor<6x8xf32>
    fabric.tensor @w : tensor<6x8xf32> "param" name "fc.weight" in @mesh layout <x: replicated(1), y: split(1, 4, 2)> init dense<0.5> : tensor<6x8xf32>
    // CHECK-NEXT: fabric.tensor @g : tensor<6x8xf32> "state" name "fc.weight.momentum" in @mesh layout <x: replicated(1), y: split(1, 4, 2)>
    fabric.tensor @g : tensor<6x8xf32> "state" name "fc.weight.momentum" in @mesh layout <x: replicated(1), y: split(1, 4, 2)>
    // CHECK-NEXT: fabric.tensor @c : tensor<f32> "const" in @mesh layout <x: replicated(1), y: replicated(1)> init dense<2.500000e-01> : tensor<f32>
    fabric.tensor @c : tensor<f32> "const" in @mesh layout <x: replicated(1), y: replicated(1)> init dense<0.25> : tensor<f32>
    // CHECK-NEXT: fabric.tensor @p : tensor<4x6xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: partial(2)>
    fabric.tensor @p : tensor<4x6xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: partial(2)>
    // CHECK-NEXT: fabric.tensor @wr : tensor<6x8xf32> "temp" in @mesh layout <x: replicated(4), y: split(1, 4, 2)>
    fabric.tensor @wr : tensor<6x8xf32> "temp" in @mesh layout <x: replicated(4), y: split(1, 4, 2)>
    // CHECK-NEXT: fabric.transfer @x0 @w -> @wr "linear" color 4{{$}}
    fabric.transfer @x0 @w -> @wr "linear" color 4
    // CHECK-NEXT: fabric.compute "map" "mul" in @mesh outs [@p] ins [@x, @wr] iter [4, 6, 8] axes [1, 0, 2] blocks [1, 6, 4] maps [array<i64: 0, 1>, array<i64: 0, 2>, array<i64: 1, 2>] {acc = 1 : i64}
    fabric.compute "map" "mul" in @mesh outs [@p] ins [@x, @wr] iter [4, 6, 8] axes [1, 0, 2] blocks [1, 6, 4] maps [array<i64: 0, 1>, array<i64: 0, 2>, array<i64: 1, 2>] {acc = 1 : i64}
    // CHECK-NEXT: fabric.tensor @y : tensor<4x6xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: split(1, 3, 2)>
    fabric.tensor @y : tensor<4x6xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: split(1, 3, 2)>
    // CHECK-NEXT: fabric.transfer @x1 @p -> @y "linear" color 3 {combine = 1 : i64}
    fabric.transfer @x1 @p -> @y "linear" color 3 {combine = 1 : i64}
    // CHECK-NEXT: fabric.compute "map" "leaky_relu" in @mesh outs [@y] ins [@y] iter [4, 6] axes [1, 2] blocks [1, 3] maps [array<i64: 0, 1>, array<i64: 0, 1>] {floats = array<f32: 0.00999999977>}
    fabric.compute "map" "leaky_relu" in @mesh outs [@y] ins [@y] iter [4, 6] axes [1, 2] blocks [1, 3] maps [array<i64: 0, 1>, array<i64: 0, 1>] {floats = array<f32: 0.01>}
    // CHECK-NEXT: fabric.tensor @cat : tensor<12x4xf32> "temp" in @mesh layout <x: split(1, 1, 4), y: split(0, 6, 2)>
    fabric.tensor @cat : tensor<12x4xf32> "temp" in @mesh layout <x: split(1, 1, 4), y: split(0, 6, 2)>
    // A transpose into the top half of @cat: src[j] = offset[j] + affine[j][k] * dst[k].
    // CHECK-NEXT: fabric.transfer @x2 @y -> @cat "affine" {affine = array<i64: 0, 1, 1, 0>, offset = array<i64: 0, 0>, window_lo = array<i64: 0, 0>, window_size = array<i64: 6, 4>}
    fabric.transfer @x2 @y -> @cat "affine" {affine = array<i64: 0, 1, 1, 0>, offset = array<i64: 0, 0>, window_lo = array<i64: 0, 0>, window_size = array<i64: 6, 4>}
    // CHECK-NEXT: fabric.tensor @dw : tensor<6x8xf32> "temp" in @mesh layout <x: replicated(1), y: split(1, 4, 2)>
    fabric.tensor @dw : tensor<6x8xf32> "temp" in @mesh layout <x: replicated(1), y: split(1, 4, 2)>
    // CHECK-NEXT: fabric.compute "sgd_momentum" in @mesh outs [@w, @g] ins [@w, @dw, @g] iter [6, 8] axes [0, 2] blocks [6, 4] maps [array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>] {floats = array<f32: 1.000000e-01, 0.899999976, 0.000000e+00, 0.000000e+00>, ints = array<i64: 0>}
    fabric.compute "sgd_momentum" in @mesh outs [@w, @g] ins [@w, @dw, @g] iter [6, 8] axes [0, 2] blocks [6, 4] maps [array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>] {floats = array<f32: 0.1, 0.9, 0.0, 0.0>, ints = array<i64: 0>}
    // CHECK-NEXT: fabric.output "loss" from @c {loss}
    fabric.output "loss" from @c {loss}
    // CHECK-NEXT: fabric.output "fc.weight" from @w{{$}}
    fabric.output "fc.weight" from @w
    // CHECK-NEXT: }
  }
}
