// RUN: wse-opt %s -split-input-file -verify-diagnostics --wse-route | FileCheck %s

// Transfers run one after another in program order; each takes the next
// color round robin, so consecutive transfers never share one. On a
// machine with 3 colors the fourth transfer wraps to color 0; a color set
// before is replaced. Nothing else changes.
// CHECK-LABEL: fabric.graph @train_step
// CHECK: fabric.transfer @x0 @p -> @y "linear" color 0 {combine = 1 : i64}
// CHECK-NEXT: fabric.compute "map" "relu"
// CHECK-NEXT: fabric.tensor @yt
// CHECK-NEXT: fabric.transfer @x1 @y -> @yt "affine" color 1 {affine = array<i64: 0, 1, 1, 0>, offset = array<i64: 0, 0>}
// CHECK-NEXT: fabric.tensor @y2
// CHECK-NEXT: fabric.transfer @x2 @yt -> @y2 "affine" color 2 {affine = array<i64: 0, 1, 1, 0>, offset = array<i64: 0, 0>}
// CHECK-NEXT: fabric.transfer @x3 @y2 -> @y "linear" color 0{{$}}
// CHECK-NEXT: fabric.output "y" from @y
module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 2, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 3, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @train_step {
    fabric.region @mesh grid [4, 2] at [0, 0]
    fabric.tensor @x : tensor<4x8xf32> "input" name "x" in @mesh layout <x: split(0, 1, 4), y: split(1, 4, 2)>
    fabric.tensor @w : tensor<6x8xf32> "param" name "w" in @mesh layout <x: replicated(4), y: split(1, 4, 2)>
    fabric.tensor @p : tensor<4x6xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: partial(2)>
    fabric.compute "map" "mul" in @mesh outs [@p] ins [@x, @w] iter [4, 6, 8] axes [1, 0, 2] blocks [1, 6, 4] maps [array<i64: 0, 1>, array<i64: 0, 2>, array<i64: 1, 2>] {acc = 1 : i64}
    fabric.tensor @y : tensor<4x6xf32> "temp" in @mesh layout <x: split(0, 1, 4), y: split(1, 3, 2)>
    fabric.transfer @x0 @p -> @y "linear" {combine = 1 : i64}
    fabric.compute "map" "relu" in @mesh outs [@y] ins [@y] iter [4, 6] axes [1, 2] blocks [1, 3] maps [array<i64: 0, 1>, array<i64: 0, 1>]
    fabric.tensor @yt : tensor<6x4xf32> "temp" in @mesh layout <x: split(1, 1, 4), y: split(0, 3, 2)>
    fabric.transfer @x1 @y -> @yt "affine" color 2 {affine = array<i64: 0, 1, 1, 0>, offset = array<i64: 0, 0>}
    fabric.tensor @y2 : tensor<4x6xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.transfer @x2 @yt -> @y2 "affine" {affine = array<i64: 0, 1, 1, 0>, offset = array<i64: 0, 0>}
    fabric.transfer @x3 @y2 -> @y "linear"
    fabric.output "y" from @y
  }
}

// -----

// A graph without transfers is left as it is.
// CHECK-LABEL: fabric.graph @local
// CHECK-NEXT: fabric.region @mesh grid [1, 1] at [0, 0]
// CHECK-NEXT: fabric.tensor @x : tensor<4xf32> "input" name "x" in @mesh layout <x: replicated(1), y: replicated(1)>
// CHECK-NEXT: fabric.output "x" from @x
// CHECK-NEXT: }
module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 2, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 3, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @local {
    fabric.region @mesh grid [1, 1] at [0, 0]
    fabric.tensor @x : tensor<4xf32> "input" name "x" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.output "x" from @x
  }
}

// -----

// expected-error @+1 {{wse-route needs the module's fabric.machine: run wse-partition first}}
module {
  fabric.graph @train_step {
    fabric.region @mesh grid [4, 2] at [0, 0]
  }
}
