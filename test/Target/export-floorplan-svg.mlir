// RUN: rm -rf %t && split-file %s %t
// RUN: wse-translate --export-floorplan-svg %t/program.mlir | FileCheck %s
// RUN: wse-translate --export-floorplan-svg -split-input-file -verify-diagnostics %t/errors.mlir

// Two programs on the whole WSE-2: the drawing covers the used corner plus
// one column and row (8x4 PEs, 48 pixels each), a labelled rectangle per
// program with its SRAM high-water mark, and how many transfers each color
// carries per step. Its size follows the programs, not the wafer.
// CHECK: <svg xmlns="http://www.w3.org/2000/svg" width="404.0" height="262.0" font-family="sans-serif">
// CHECK: <text x="10.0" y="18" font-size="14">wse2 750x994 PEs; showing the used 8x4 corner (one square per PE)</text>
// CHECK-NEXT: <rect x="10.0" y="40.0" width="384.0" height="192.0" fill="#f8f8f8" stroke="#999"/>
// CHECK-COUNT-10: <line
// CHECK-NEXT: <g><title>@fwd: 4x2 PEs at (0, 0), 3072 bytes of SRAM per PE</title><rect x="10.0" y="40.0" width="192.0" height="96.0" {{.*}}>fwd 4x2, 3 KiB</text></g>
// CHECK-NEXT: <g><title>@bwd: 2x3 PEs at (5, 0), 32 bytes of SRAM per PE</title><rect x="250.0" y="40.0" width="96.0" height="144.0" {{.*}}>bwd 2x3,
// CHECK-NEXT: <text {{.*}}>transfers per step by color: <tspan {{.*}}>c0 2</tspan> <tspan {{.*}}>c5 1</tspan></text>
// CHECK-NEXT: </svg>

//--- program.mlir
module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 750, height = 994, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @fwd at [0, 0] size [4, 2] {
    pe.buffer @a[256] at 0
    pe.buffer @b[512] at 1024
  }
  pe.program @bwd at [5, 0] size [2, 3] {
    pe.buffer @c[8] at 0
  }
  pe.transfer @x0 @fwd::@a -> @fwd::@b {affine = array<i64>, color = 0 : i64, combine = 0 : i64, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 8>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, src_shape = array<i64: 8>, window_lo = array<i64: 0>, window_size = array<i64: 8>}
  pe.transfer @x1 @fwd::@b -> @bwd::@c {affine = array<i64>, color = 5 : i64, combine = 0 : i64, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 8>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, src_shape = array<i64: 8>, window_lo = array<i64: 0>, window_size = array<i64: 8>}
  pe.transfer @x2 @bwd::@c -> @fwd::@a {affine = array<i64>, color = 0 : i64, combine = 0 : i64, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 8>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, src_shape = array<i64: 8>, window_lo = array<i64: 0>, window_size = array<i64: 8>}
}

//--- errors.mlir
// expected-error @+1 {{no fabric.machine: draw a module lowered by wse-lower-to-pe (wse-train-pipeline)}}
module {
  pe.program @p at [0, 0] size [1, 1] {
    pe.buffer @a[4] at 0
  }
}

// -----

// expected-error @+1 {{no pe.program to draw: run wse-lower-to-pe}}
module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 750, height = 994, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
}
