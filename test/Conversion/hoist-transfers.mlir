// RUN: wse-opt %s -split-input-file -verify-diagnostics --wse-hoist-transfers | FileCheck %s

// A transfer moves up to just after the last op that writes its source
// (here the relu that updates @b in place), past kernels that do not touch
// its data, and takes its destination's declaration along.
// CHECK-LABEL: fabric.graph @writer
// CHECK: fabric.compute "map" "neg" in @mesh outs [@b]
// CHECK-NEXT: fabric.compute "map" "relu" in @mesh outs [@b] ins [@b]
// CHECK-NEXT: fabric.tensor @c
// CHECK-NEXT: fabric.tensor @b2
// CHECK-NEXT: fabric.transfer @x0 @b -> @b2 "linear"
// CHECK-NEXT: fabric.compute "map" "exp" in @mesh outs [@c] ins [@a]
// CHECK-NEXT: fabric.compute "map" "add" in @mesh outs [@c] ins [@b2, @c]
module attributes {fabric.machine = #fabric.machine<name = "t", width = 2, height = 1, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @writer {
    fabric.region @mesh grid [1, 1]
    fabric.tensor @a : tensor<4xf32> "input" name "a" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.tensor @b : tensor<4xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.compute "map" "neg" in @mesh outs [@b] ins [@a] iter [4] axes [0] blocks [4] maps [array<i64: 0>, array<i64: 0>]
    fabric.compute "map" "relu" in @mesh outs [@b] ins [@b] iter [4] axes [0] blocks [4] maps [array<i64: 0>, array<i64: 0>]
    fabric.tensor @c : tensor<4xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.compute "map" "exp" in @mesh outs [@c] ins [@a] iter [4] axes [0] blocks [4] maps [array<i64: 0>, array<i64: 0>]
    fabric.tensor @b2 : tensor<4xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.transfer @x0 @b -> @b2 "linear"
    fabric.compute "map" "add" in @mesh outs [@c] ins [@b2, @c] iter [4] axes [0] blocks [4] maps [array<i64: 0>, array<i64: 0>, array<i64: 0>]
    fabric.output "c" from @c
  }
}

// -----

// Transfers that write windows of one destination keep their order: the
// second stops below the first, which (reading an input) starts the step.
// CHECK-LABEL: fabric.graph @windows
// CHECK: fabric.transfer @x0 @a -> @r "linear" {window_lo = array<i64: 0>
// CHECK-NEXT: fabric.transfer @x1 @a -> @r "linear" {window_lo = array<i64: 2>
// CHECK-NEXT: fabric.compute "map" "neg"
// CHECK-NEXT: fabric.compute "map" "exp"
module attributes {fabric.machine = #fabric.machine<name = "t", width = 2, height = 1, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @windows {
    fabric.region @mesh grid [1, 1]
    fabric.tensor @a : tensor<2xf32> "input" name "a" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.tensor @b : tensor<2xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.compute "map" "neg" in @mesh outs [@b] ins [@a] iter [2] axes [0] blocks [2] maps [array<i64: 0>, array<i64: 0>]
    fabric.tensor @r : tensor<4xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.transfer @x0 @a -> @r "linear" {window_lo = array<i64: 0>, window_size = array<i64: 2>}
    fabric.compute "map" "exp" in @mesh outs [@b] ins [@b] iter [2] axes [0] blocks [2] maps [array<i64: 0>, array<i64: 0>]
    fabric.transfer @x1 @a -> @r "linear" {window_lo = array<i64: 2>, window_size = array<i64: 2>}
    fabric.output "r" from @r
    fabric.output "b" from @b
  }
}

// -----

// The step's live bytes peak at the kernel over @big (a [64] tile beside
// the [4] ones): @b2, which lives from its transfer on, does not move
// above it, so hoisting does not raise what the step needs.
// CHECK-LABEL: fabric.graph @peak
// CHECK: fabric.compute "map" "neg" in @mesh outs [@b]
// CHECK-NEXT: fabric.tensor @big
// CHECK-NEXT: fabric.compute "map" "exp" in @mesh outs [@big] ins [@big]
// CHECK-NEXT: fabric.tensor @c
// CHECK-NEXT: fabric.tensor @b2
// CHECK-NEXT: fabric.transfer @x0 @b -> @b2 "linear"
// CHECK-NEXT: fabric.compute "map" "exp" in @mesh outs [@c] ins [@a]
module attributes {fabric.machine = #fabric.machine<name = "t", width = 2, height = 1, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @peak {
    fabric.region @mesh grid [1, 1]
    fabric.tensor @a : tensor<4xf32> "input" name "a" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.tensor @b : tensor<4xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.compute "map" "neg" in @mesh outs [@b] ins [@a] iter [4] axes [0] blocks [4] maps [array<i64: 0>, array<i64: 0>]
    fabric.tensor @big : tensor<64xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.compute "map" "exp" in @mesh outs [@big] ins [@big] iter [64] axes [0] blocks [64] maps [array<i64: 0>, array<i64: 0>]
    fabric.tensor @c : tensor<4xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.compute "map" "exp" in @mesh outs [@c] ins [@a] iter [4] axes [0] blocks [4] maps [array<i64: 0>, array<i64: 0>]
    fabric.tensor @b2 : tensor<4xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.transfer @x0 @b -> @b2 "linear"
    fabric.compute "map" "add" in @mesh outs [@c] ins [@b2, @c] iter [4] axes [0] blocks [4] maps [array<i64: 0>, array<i64: 0>, array<i64: 0>]
    fabric.output "c" from @c
  }
}

// -----

// A weight streamed from the host stays where its kernel reads it, past a
// kernel it does not depend on: an early stream would hold it in SRAM.
// CHECK-LABEL: fabric.graph @host
// CHECK: fabric.compute "map" "neg" in @mesh outs [@b]
// CHECK-NEXT: fabric.tensor @c
// CHECK-NEXT: fabric.compute "map" "exp" in @mesh outs [@c] ins [@a]
// CHECK-NEXT: fabric.tensor @wm
// CHECK-NEXT: fabric.transfer @x0 @w -> @wm "linear"
// CHECK-NEXT: fabric.compute "map" "mul"
module attributes {fabric.machine = #fabric.machine<name = "t", width = 2, height = 1, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2, host_links = 12, host_link_gbps = 100, host_fmacs_per_cycle = 128>} {
  fabric.graph @host {
    fabric.region @mesh grid [1, 1]
    fabric.region @host host grid [1, 1]
    fabric.tensor @w : tensor<4xf32> "param" name "w" in @host layout <x: replicated(1), y: replicated(1)>
    fabric.tensor @a : tensor<4xf32> "input" name "a" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.tensor @b : tensor<4xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.compute "map" "neg" in @mesh outs [@b] ins [@a] iter [4] axes [0] blocks [4] maps [array<i64: 0>, array<i64: 0>]
    fabric.tensor @c : tensor<4xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.compute "map" "exp" in @mesh outs [@c] ins [@a] iter [4] axes [0] blocks [4] maps [array<i64: 0>, array<i64: 0>]
    fabric.tensor @wm : tensor<4xf32> "temp" in @mesh layout <x: replicated(1), y: replicated(1)>
    fabric.transfer @x0 @w -> @wm "linear"
    fabric.compute "map" "mul" in @mesh outs [@c] ins [@wm, @c] iter [4] axes [0] blocks [4] maps [array<i64: 0>, array<i64: 0>, array<i64: 0>]
    fabric.compute "map" "add" in @mesh outs [@c] ins [@b, @c] iter [4] axes [0] blocks [4] maps [array<i64: 0>, array<i64: 0>, array<i64: 0>]
    fabric.output "c" from @c
  }
}

// -----

// expected-error @+1 {{wse-hoist-transfers needs the module's fabric.machine: run wse-partition first}}
module {
  fabric.graph @train_step {
    fabric.region @mesh grid [1, 1]
  }
}
