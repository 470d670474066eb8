// RUN: wse-opt %s -split-input-file -verify-diagnostics --wse-place | FileCheck %s
// RUN: wse-opt %s -split-input-file -verify-diagnostics --wse-place="gap=0" | FileCheck %s --check-prefix=GAP0

// wse-partition makes one region the size of the mesh: it goes at the origin
// and nothing else changes.
// CHECK-LABEL: fabric.graph @train_step
// CHECK-NEXT: fabric.region @mesh grid [16, 16] at [0, 0]
// CHECK-NEXT: fabric.tensor @t0 : tensor<4x8xf32> "input" name "x" in @mesh layout <x: split(0, 1, 4), y: replicated(16)>
// CHECK-NEXT: fabric.output "x" from @t0
// GAP0-LABEL: fabric.graph @train_step
// GAP0-NEXT: fabric.region @mesh grid [16, 16] at [0, 0]
module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 16, height = 16, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @train_step {
    fabric.region @mesh grid [16, 16]
    fabric.tensor @t0 : tensor<4x8xf32> "input" name "x" in @mesh layout <x: split(0, 1, 4), y: replicated(16)>
    fabric.output "x" from @t0
  }
}

// -----

// Several regions go in order along shelves from the north-west corner,
// `gap` free columns (and rows between shelves) apart; a region that does
// not fit the rest of a row starts the next shelf, below the tallest region
// of this one.
// CHECK-LABEL: fabric.graph @shelves
// CHECK-NEXT: fabric.region @a grid [4, 2] at [0, 0]
// CHECK-NEXT: fabric.region @b grid [4, 3] at [5, 0]
// CHECK-NEXT: fabric.region @c grid [8, 1] at [0, 4]
// CHECK-NEXT: fabric.region @d grid [1, 1] at [9, 4]
// GAP0-LABEL: fabric.graph @shelves
// GAP0-NEXT: fabric.region @a grid [4, 2] at [0, 0]
// GAP0-NEXT: fabric.region @b grid [4, 3] at [4, 0]
// GAP0-NEXT: fabric.region @c grid [8, 1] at [0, 3]
// GAP0-NEXT: fabric.region @d grid [1, 1] at [8, 3]
module attributes {fabric.machine = #fabric.machine<name = "t", width = 10, height = 8, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @shelves {
    fabric.region @a grid [4, 2]
    fabric.region @b grid [4, 3]
    fabric.region @c grid [8, 1]
    fabric.region @d grid [1, 1]
  }
}

// -----

module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @train_step {
    fabric.region @a grid [4, 2]
    // expected-error @+1 {{does not fit on the 4x4 mesh next to the regions placed before it (grid 2x3)}}
    fabric.region @b grid [2, 3]
  }
}

// -----

module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @train_step {
    // expected-error @+1 {{does not fit on the 4x4 mesh next to the regions placed before it (grid 5x1)}}
    fabric.region @wide grid [5, 1]
  }
}

// -----

// expected-error @+1 {{wse-place needs the module's fabric.machine: run wse-partition first}}
module {
  fabric.graph @train_step {
    fabric.region @mesh grid [4, 2]
  }
}
