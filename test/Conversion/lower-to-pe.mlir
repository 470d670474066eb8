// RUN: wse-opt %s -split-input-file -verify-diagnostics --wse-lower-to-pe | FileCheck %s

// A placed, routed layer on a 4x2 region: y = x w^T with K split over y
// (partial sums), a row max split over y (partial maxima), a broadcast
// subtract, a clamp, a scalar constant and a transpose for the output.
//
// One SPMD program per region; one buffer per tensor, holding its tile.
// Parameters, inputs, constants and outputs live for the whole step; a
// temp's bytes are reused once its last reader ran (@m and @ot take @p's
// bytes, @out takes @y's).
// CHECK-LABEL: pe.program @mesh at [1, 0] size [4, 2] {
// CHECK-NEXT: pe.buffer @x[4] at 0
// CHECK-NEXT: pe.buffer @w[24] at 16
// CHECK-NEXT: pe.buffer @p[6] at 112
// CHECK-NEXT: pe.buffer @y[3] at 140
// CHECK-NEXT: pe.buffer @m[1] at 112
// CHECK-NEXT: pe.buffer @mx[1] at 116
// CHECK-NEXT: pe.buffer @z[3] at 120
// CHECK-NEXT: pe.buffer @s[1] at 136
// CHECK-NEXT: pe.buffer @out[3] at 140
// CHECK-NEXT: pe.buffer @ot[3] at 112
// A sum accumulates from 0 (acc 3: the first term of each output is
// written, no separate fill): ints [rank, acc, (block, axis, global) per
// box dim, then each buffer's stride per box dim]: @p [6, 1, 0], @x [4, 0,
// 1], @w [0, 4, 1] in their [1x6], [1x4] and [6x4] tiles.
// CHECK-NEXT: pe.instr "map" "mul" [@p, @x, @w] ints [3, 3, 1, 1, 4, 6, 0, 6, 4, 2, 8, 6, 1, 0, 4, 0, 1, 0, 4, 1]
// Each transfer is a send and a recv naming it by its position.
// CHECK-NEXT: pe.instr "send" [@p] ints [0]
// CHECK-NEXT: pe.instr "recv" [@y] ints [0]
// A max accumulates from -infinity (acc 4); the reduced dim has stride 0
// in @m.
// CHECK-NEXT: pe.instr "map" "copy" [@m, @y] ints [2, 4, 1, 1, 4, 3, 2, 6, 1, 0, 3, 1]
// CHECK-NEXT: pe.instr "send" [@m] ints [1]
// CHECK-NEXT: pe.instr "recv" [@mx] ints [1]
// CHECK-NEXT: pe.instr "map" "sub" [@z, @y, @mx] ints [2, 0, 1, 1, 4, 3, 2, 6, 3, 1, 3, 1, 1, 0]
// CHECK-NEXT: pe.instr "map" "clamp" [@out, @z] ints [2, 0, 1, 1, 4, 3, 2, 6, 3, 1, 3, 1] floats [-1.000000e+00, 1.000000e+00]
// CHECK-NEXT: pe.instr "map" "mul" [@out, @out, @s] ints [2, 0, 1, 1, 4, 3, 2, 6, 3, 1, 3, 1, 0, 0]
// CHECK-NEXT: pe.instr "send" [@out] ints [2]
// CHECK-NEXT: pe.instr "recv" [@ot] ints [2]
// CHECK-NEXT: }
// Transfers carry both layouts and shapes, the index map, the window (the
// whole destination by default), the combine mode and the color.
// CHECK-NEXT: pe.transfer @x0 @mesh::@p -> @mesh::@y {affine = array<i64>, color = 0 : i64, combine = 1 : i64, dst_layout = #fabric.layout<x: split(0, 1, 4), y: split(1, 3, 2)>, dst_shape = array<i64: 4, 6>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: split(0, 1, 4), y: partial(2)>, src_shape = array<i64: 4, 6>, window_lo = array<i64: 0, 0>, window_size = array<i64: 4, 6>}
// CHECK-NEXT: pe.transfer @x1 @mesh::@m -> @mesh::@mx {{{.*}}color = 1 : i64, combine = 2 : i64,
// CHECK-NEXT: pe.transfer @x2 @mesh::@out -> @mesh::@ot {affine = array<i64: 0, 1, 1, 0>, color = 2 : i64, combine = 0 : i64, dst_layout = #fabric.layout<x: split(1, 1, 4), y: split(0, 3, 2)>, dst_shape = array<i64: 6, 4>, map = "affine", offset = array<i64: 0, 0>, src_layout = #fabric.layout<x: split(0, 1, 4), y: split(1, 3, 2)>, src_shape = array<i64: 4, 6>, window_lo = array<i64: 0, 0>, window_size = array<i64: 6, 4>}
// Host data: inputs, parameters (with their initial values), constants
// (named after their tensor), then outputs; an output of a parameter reads
// the parameter's own buffer.
// CHECK-NEXT: pe.bind "input" "x" to @mesh::@x : tensor<4x8xf32> {layout = #fabric.layout<x: split(0, 1, 4), y: split(1, 4, 2)>}
// CHECK-NEXT: pe.bind "param" "fc.weight" to @mesh::@w : tensor<6x8xf32> {init = dense<5.000000e-01> : tensor<6x8xf32>, layout = #fabric.layout<x: replicated(4), y: split(1, 4, 2)>}
// CHECK-NEXT: pe.bind "const" "s" to @mesh::@s : tensor<f32> {init = dense<5.000000e-01> : tensor<f32>, layout = #fabric.layout<x: replicated(4), y: replicated(2)>}
// CHECK-NEXT: pe.bind "output" "out" to @mesh::@ot : tensor<6x4xf32> {layout = #fabric.layout<x: split(1, 1, 4), y: split(0, 3, 2)>}
// CHECK-NEXT: pe.bind "output" "fc.weight" to @mesh::@w : tensor<6x8xf32> {layout = #fabric.layout<x: replicated(4), y: split(1, 4, 2)>}
// CHECK-NOT: fabric.
// CHECK: }
module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @train_step {
    fabric.region @mesh grid [4, 2] at [1, 0]
    fabric.tensor @x : tensor<4x8xf32> "input" name "x" in @mesh layout <x: split(0, 1, 4), y: split(1, 4, 2)>
    fabric.tensor @w : tensor<6x8xf32> "param" name "fc.weight" in @mesh layout <x: replicated(4), y: split(1, 4, 2)> init dense<0.5> : tensor<6x8xf32>
    fabric.tensor @p : tensor<4x6xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: partial(2)>
    fabric.compute "map" "mul" in @mesh outs [@p] ins [@x, @w] iter [4, 6, 8] axes [1, 0, 2] blocks [1, 6, 4] maps [array<i64: 0, 1>, array<i64: 0, 2>, array<i64: 1, 2>] {acc = 1 : i64}
    fabric.tensor @y : tensor<4x6xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: split(1, 3, 2)>
    fabric.transfer @x0 @p -> @y "linear" color 0 {combine = 1 : i64}
    fabric.tensor @m : tensor<4x1xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: partial(2)>
    fabric.compute "map" "copy" in @mesh outs [@m] ins [@y] iter [4, 6] axes [1, 2] blocks [1, 3] maps [array<i64: 0, -1>, array<i64: 0, 1>] {acc = 2 : i64}
    fabric.tensor @mx : tensor<4x1xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: replicated(2)>
    fabric.transfer @x1 @m -> @mx "linear" color 1 {combine = 2 : i64}
    fabric.tensor @z : tensor<4x6xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: split(1, 3, 2)>
    fabric.compute "map" "sub" in @mesh outs [@z] ins [@y, @mx] iter [4, 6] axes [1, 2] blocks [1, 3] maps [array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, -1>]
    fabric.tensor @s : tensor<f32> "const" in @mesh layout <x: replicated(4), y: replicated(2)> init dense<0.5> : tensor<f32>
    fabric.tensor @out : tensor<4x6xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: split(1, 3, 2)>
    fabric.compute "map" "clamp" in @mesh outs [@out] ins [@z] iter [4, 6] axes [1, 2] blocks [1, 3] maps [array<i64: 0, 1>, array<i64: 0, 1>] {floats = array<f32: -1.0, 1.0>}
    fabric.compute "map" "mul" in @mesh outs [@out] ins [@out, @s] iter [4, 6] axes [1, 2] blocks [1, 3] maps [array<i64: 0, 1>, array<i64: 0, 1>, array<i64>]
    fabric.tensor @ot : tensor<6x4xf32> "temp" in @mesh layout <x: split(1, 1, 4), y: split(0, 3, 2)>
    fabric.transfer @x2 @out -> @ot "affine" color 2 {affine = array<i64: 0, 1, 1, 0>, offset = array<i64: 0, 0>}
    fabric.output "out" from @ot
    fabric.output "fc.weight" from @w
  }
}

// -----

// Tiles that do not fit: the bytes at the peak, the tensor allocated there
// and the largest buffer. (A box that uses neither axis keeps every operand
// whole on one PE: replicated(1).)
module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @train_step {
    fabric.region @mesh grid [1, 1] at [0, 0]
    fabric.tensor @a : tensor<6000xf32> "input" name "a" in @mesh layout <x: replicated(1), y: replicated(1)>
    // expected-error @+1 {{does not fit: the step needs 48000 bytes of SRAM per PE when @b is allocated, and a PE has 40960 bytes for data; the largest buffer is @a ('tensor<6000xf32>', 24000 bytes per PE); live then: 2 tensors, 24000 bytes of them temporaries, the largest @a (tensor<6000xf32>, 24000), @b (tensor<6000xf32>, 24000). A larger mesh (mesh=WxH) or a smaller batch (micro-batches=N: N slices, gradients accumulated) would make it fit, as might execution=weight-streaming, which keeps the parameters and optimizer state in host memory, or recompute=selective or full, which recompute activations in the backward pass instead of keeping them}}
    fabric.tensor @b : tensor<6000xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.compute "map" "exp" in @mesh outs [@b] ins [@a] iter [6000] axes [0] blocks [6000] maps [array<i64: 0>, array<i64: 0>]
    fabric.output "b" from @b
  }
}

// -----

// A step that recomputed its activations (wse-recompute sets wse.recompute)
// is not told to.
module attributes {wse.recompute = "selective", fabric.machine = #fabric.machine<name = "t", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @train_step {
    fabric.region @mesh grid [1, 1] at [0, 0]
    fabric.tensor @a : tensor<6000xf32> "input" name "a" in @mesh layout <x: replicated(1), y: replicated(1)>
    // expected-error-re @+1 {{the largest buffer is @a ('tensor<6000xf32>', 24000 bytes per PE); live then: 2 tensors, 24000 bytes of them temporaries, the largest @a (tensor<6000xf32>, 24000), @b (tensor<6000xf32>, 24000). A larger mesh (mesh=WxH) or a smaller batch (micro-batches=N: N slices, gradients accumulated) would make it fit, as might execution=weight-streaming, which keeps the parameters and optimizer state in host memory, or recompute=full, which keeps fewer activations{{$}}}}
    fabric.tensor @b : tensor<6000xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.compute "map" "exp" in @mesh outs [@b] ins [@a] iter [6000] axes [0] blocks [6000] maps [array<i64: 0>, array<i64: 0>]
    fabric.output "b" from @b
  }
}

// -----

// What the fabric verifier leaves to the instruction set (a kernel's
// immediates; a kernel that is no pe instruction it rejects itself, see
// test/Dialect/fabric/invalid.mlir) is caught by the pe verifier, at the
// kernel: leaky_relu without its slope.
module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @train_step {
    fabric.region @mesh grid [2, 1] at [0, 0]
    fabric.tensor @a : tensor<8xf32> "input" name "a" in @mesh layout <x: split(0, 4, 2), y: replicated(1)>
    // expected-error @+1 {{'pe.instr' op map with fn leaky_relu takes 1 immediates, not 0}}
    fabric.compute "map" "leaky_relu" in @mesh outs [@a] ins [@a] iter [8] axes [1] blocks [4] maps [array<i64: 0>, array<i64: 0>]
  }
}

// -----

module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @train_step {
    // expected-error @+1 {{is not placed: run wse-place first}}
    fabric.region @mesh grid [2, 1]
  }
}

// -----

module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @train_step {
    fabric.region @mesh grid [2, 1] at [0, 0]
    fabric.tensor @a : tensor<8xf32> "input" name "a" in @mesh layout <x: split(0, 4, 2), y: replicated(1)>
    fabric.tensor @b : tensor<8xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    // expected-error @+1 {{has no color: run wse-route first}}
    fabric.transfer @x0 @a -> @b "linear"
  }
}

// -----

module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  // expected-error @+1 {{wse-lower-to-pe lowers graphs of one mesh region (and at most one host region); this one has 2 regions}}
  fabric.graph @train_step {
    fabric.region @a grid [2, 1] at [0, 0]
    fabric.region @b grid [2, 1] at [3, 0]
  }
}

// -----

// expected-error @+1 {{wse-lower-to-pe found no fabric.graph: run wse-partition first}}
module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
}

// -----

// expected-error @+1 {{wse-lower-to-pe needs the module's fabric.machine: run wse-partition first}}
module {
  fabric.graph @train_step {
    fabric.region @mesh grid [2, 1] at [0, 0]
  }
}
