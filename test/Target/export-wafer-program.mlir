// RUN: rm -rf %t && split-file %s %t
// RUN: wse-translate --export-wafer-program-text %t/program.mlir | FileCheck %s
// RUN: wse-translate --export-wafer-program %t/program.mlir -o %t/program.wsebin
// RUN: wse-translate --export-wafer-program-text -split-input-file -verify-diagnostics %t/errors.mlir

// The binary loads (every index, layout and instruction checked again) and
// trains: y = 0.5 * w x, loss = sum(y), w -= 0.5 w each step. With
// w = [[1, 2, 3, 4], [5, 6, 7, 8]] and x = [1, 0, 0, 1]: y = [2.5, 6.5],
// loss 9, then half of that.
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.array([[1, 0, 0, 1]] * 2, dtype=np.float32))"
// RUN: wse-sim %t/program.wsebin --steps 2 --input x=%t/x.npy | FileCheck %s --check-prefix=SIM
// SIM: step 1 loss 9.000000
// SIM-NEXT: step 2 loss 4.500000

// Text form (proto3 leaves zeros out: offset 0, x 0, kind 0 = split, dim 0).
// CHECK: version: 8
// CHECK-NEXT: machine {
// CHECK-NEXT: name: "wse2"
// CHECK-NEXT: width: 8
// CHECK-NEXT: height: 4
// CHECK-NEXT: sram_bytes: 49152
// CHECK-NEXT: reserved_sram_bytes: 8192
// CHECK-NEXT: colors: 24
// CHECK-NEXT: clock_mhz: 850
// CHECK-NEXT: fmacs_per_cycle: 1
// CHECK-NEXT: adds_per_cycle: 2
// CHECK-NEXT: }
// CHECK-NEXT: programs {
// CHECK-NEXT: name: "mesh"
// CHECK-NEXT: x: 1
// CHECK-NEXT: width: 2
// CHECK-NEXT: height: 2
// CHECK-NEXT: buffers {
// CHECK-NEXT: name: "w"
// CHECK-NEXT: length: 4
// CHECK-NEXT: }
// CHECK-NEXT: buffers {
// CHECK-NEXT: name: "x"
// CHECK-NEXT: offset: 16
// CHECK-NEXT: length: 2
// CHECK-NEXT: }
// Instructions name buffers by their index in the program.
// CHECK: instrs {
// CHECK-NEXT: op: "fill"
// CHECK-NEXT: buffers: 2
// CHECK-NEXT: floats: 0
// CHECK-NEXT: }
// CHECK-NEXT: instrs {
// CHECK-NEXT: op: "map"
// CHECK-NEXT: fn: "mul"
// CHECK-NEXT: buffers: 2
// CHECK-NEXT: buffers: 1
// CHECK-NEXT: buffers: 0
// CHECK-NEXT: ints: 2
// CHECK-NEXT: ints: 1
// CHECK-NEXT: ints: 1
// CHECK-NEXT: ints: 2
// CHECK:      instrs {
// CHECK-NEXT: op: "send"
// CHECK-NEXT: buffers: 2
// CHECK-NEXT: ints: 0
// CHECK-NEXT: }
// CHECK-NEXT: instrs {
// CHECK-NEXT: op: "recv"
// CHECK-NEXT: buffers: 3
// CHECK-NEXT: ints: 0
// CHECK-NEXT: }
// CHECK:      op: "sgd"
// CHECK:      floats: 0.5
// CHECK-NEXT: }
// CHECK-NEXT: }
// A transfer: buffers by program and index, both layouts, window, combine,
// color (0 left out).
// CHECK-NEXT: transfers {
// CHECK-NEXT: name: "x0"
// CHECK-NEXT: src_buffer: 2
// CHECK-NEXT: src {
// CHECK-NEXT: shape: 2
// CHECK-NEXT: x {
// CHECK-NEXT: kind: 2
// CHECK-NEXT: dim: -1
// CHECK-NEXT: block: 1
// CHECK-NEXT: count: 2
// CHECK-NEXT: }
// CHECK-NEXT: y {
// CHECK-NEXT: block: 1
// CHECK-NEXT: count: 2
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: dst_buffer: 3
// CHECK:      window_lo: 0
// CHECK-NEXT: window_size: 2
// CHECK-NEXT: combine: 1
// CHECK-NEXT: }
// CHECK-NEXT: transfers {
// CHECK-NEXT: name: "x1"
// CHECK:      combine: 1
// CHECK-NEXT: color: 1
// CHECK-NEXT: }
// Host bindings by kind, with types, layouts and initial values.
// CHECK-NEXT: inputs {
// CHECK-NEXT: name: "x"
// CHECK-NEXT: buffer: 1
// CHECK-NEXT: type {
// CHECK-NEXT: shape: 4
// CHECK-NEXT: }
// CHECK:      outputs {
// CHECK-NEXT: name: "loss"
// CHECK-NEXT: buffer: 6
// CHECK:      loss: true
// CHECK-NEXT: }
// CHECK-NEXT: outputs {
// CHECK-NEXT: name: "y"
// CHECK:      params {
// CHECK-NEXT: name: "w"
// CHECK-NEXT: type {
// CHECK-NEXT: shape: 2
// CHECK-NEXT: shape: 4
// CHECK-NEXT: }
// CHECK-NEXT: layout {
// CHECK-NEXT: shape: 2
// CHECK-NEXT: shape: 4
// CHECK-NEXT: x {
// CHECK-NEXT: dim: 1
// CHECK-NEXT: block: 2
// CHECK-NEXT: count: 2
// CHECK-NEXT: }
// CHECK-NEXT: y {
// CHECK-NEXT: block: 1
// CHECK-NEXT: count: 2
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: init: 1
// CHECK-NEXT: init: 2
// CHECK:      init: 8
// CHECK-NEXT: }
// CHECK-NEXT: constants {
// CHECK-NEXT: name: "c"
// CHECK-NEXT: buffer: 4
// A splat is written as the constant generator, not once per element.
// CHECK:      random_init {
// CHECK-NEXT: distribution: 2
// CHECK-NEXT: a: 0.5
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NOT: {{.}}

//--- program.mlir
// A 2x2 region computes y = 0.5 * w x for w [2, 4] (rows over y, columns
// over x) and x [4] (over x): partial sums over x, combined by a transfer.
module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @mesh at [1, 0] size [2, 2] {
    pe.buffer @w[4] at 0
    pe.buffer @x[2] at 16
    pe.buffer @p[2] at 24
    pe.buffer @y[1] at 32
    pe.buffer @c[1] at 36
    pe.buffer @lp[1] at 40
    pe.buffer @loss[1] at 44
    pe.instr "fill" [@p] floats [0.0]
    pe.instr "map" "mul" [@p, @x, @w] ints [2, 1, 1, 2, 2, 2, 1, 4, 1, 0, 0, 1, 2, 1]
    pe.instr "send" [@p] ints [0]
    pe.instr "recv" [@y] ints [0]
    pe.instr "map" "mul" [@y, @y, @c] ints [1, 0, 1, 2, 2, 1, 1, 0]
    pe.instr "fill" [@lp] floats [0.0]
    pe.instr "map" "copy" [@lp, @y] ints [1, 1, 1, 2, 2, 0, 1]
    pe.instr "send" [@lp] ints [1]
    pe.instr "recv" [@loss] ints [1]
    pe.instr "sgd" [@w, @w, @w] ints [2, 1, 2, 2, 2, 1, 4] floats [0.5]
  }
  pe.transfer @x0 @mesh::@p -> @mesh::@y {affine = array<i64>, color = 0 : i64, combine = 1 : i64, dst_layout = #fabric.layout<x: replicated(1), y: split(0, 1, 2)>, dst_shape = array<i64: 2>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: partial(2), y: split(0, 1, 2)>, src_shape = array<i64: 2>, window_lo = array<i64: 0>, window_size = array<i64: 2>}
  pe.transfer @x1 @mesh::@lp -> @mesh::@loss {affine = array<i64>, color = 1 : i64, combine = 1 : i64, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: replicated(1), y: partial(2)>, src_shape = array<i64>, window_lo = array<i64>, window_size = array<i64>}
  pe.bind "input" "x" to @mesh::@x : tensor<4xf32> {layout = #fabric.layout<x: split(0, 2, 2), y: replicated(2)>}
  pe.bind "param" "w" to @mesh::@w : tensor<2x4xf32> {init = dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>, layout = #fabric.layout<x: split(1, 2, 2), y: split(0, 1, 2)>}
  pe.bind "const" "c" to @mesh::@c : tensor<f32> {init = dense<0.5> : tensor<f32>, layout = #fabric.layout<x: replicated(1), y: replicated(2)>}
  pe.bind "output" "loss" to @mesh::@loss : tensor<f32> {layout = #fabric.layout<x: replicated(1), y: replicated(1)>, loss}
  pe.bind "output" "y" to @mesh::@y : tensor<2xf32> {layout = #fabric.layout<x: replicated(1), y: split(0, 1, 2)>}
}

//--- errors.mlir
// expected-error @+1 {{no fabric.machine: export a module lowered by wse-lower-to-pe (wse-train-pipeline)}}
module {
  pe.program @p at [0, 0] size [1, 1] {
    pe.buffer @a[4] at 0
  }
}

// -----

// expected-error @+1 {{no pe.program to export: run wse-lower-to-pe}}
module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
}

// -----

module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [1, 1] {
    pe.buffer @a[4] at 0
  }
  // expected-error @+1 {{parameter 'w' has no initial value (import it from ONNX or give its argument {wse.init})}}
  pe.bind "param" "w" to @p::@a : tensor<4xf32> {layout = #fabric.layout<x: replicated(1), y: replicated(1)>}
}

// -----

// What the pe verifiers let through, the loader's checks catch (a
// transfer's combine mode and color are the pe.transfer verifier's now:
// test/Dialect/pe/invalid.mlir).
// expected-error @+1 {{inconsistent wafer program: transfer 'x0': window outside the destination}}
module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [2, 1] {
    pe.buffer @a[4] at 0
    pe.buffer @b[4] at 16
  }
  pe.transfer @x0 @p::@a -> @p::@b {affine = array<i64>, color = 0 : i64, combine = 0 : i64, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 4>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, src_shape = array<i64: 2>, window_lo = array<i64: 3>, window_size = array<i64: 2>}
}

// -----

// expected-error @+1 {{inconsistent wafer program: output 'y': partial layout}}
module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [2, 1] {
    pe.buffer @a[4] at 0
  }
  pe.bind "output" "y" to @p::@a : tensor<4xf32> {layout = #fabric.layout<x: partial(2), y: replicated(1)>}
}

// -----

// expected-error @+1 {{inconsistent wafer program: transfer 'x0': a reshape moves 2 elements into 4}}
module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [2, 1] {
    pe.buffer @a[4] at 0
    pe.buffer @b[4] at 16
  }
  pe.transfer @x0 @p::@a -> @p::@b {affine = array<i64>, color = 0 : i64, combine = 0 : i64, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 4>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, src_shape = array<i64: 2>, window_lo = array<i64: 0>, window_size = array<i64: 4>}
}

// -----

// expected-error @+1 {{inconsistent wafer program: transfer 'x0': reads outside the source along dim 0}}
module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 8, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [2, 1] {
    pe.buffer @a[4] at 0
    pe.buffer @b[4] at 16
  }
  pe.transfer @x0 @p::@a -> @p::@b {affine = array<i64: 1>, color = 0 : i64, combine = 0 : i64, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 4>, map = "affine", offset = array<i64: 2>, src_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, src_shape = array<i64: 4>, window_lo = array<i64: 0>, window_size = array<i64: 4>}
}
