// The cost model runs a PE's ramps beside its core. Each PE of a 2x1
// program fills its half of @v (64 elements, 32 cycles at 2 adds a cycle)
// and all-gathers it into @w: its out-ramp sends 64 elements to itself and
// 64 to its neighbour (cycles 32 to 160), while the core goes on to fill
// @z (512 elements, 256 cycles: up to cycle 288).
// RUN: split-file %s %t
// RUN: wse-translate --export-wafer-program %t/send-beside-core.mlir -o %t/a.wsebin
// RUN: wse-sim %t/a.wsebin --report %t/a.json --dump-outputs %t/a --quiet
// RUN: FileCheck %s --check-prefix=SEND < %t/a.json
// RUN: wse-translate --export-wafer-program %t/post-early.mlir -o %t/b.wsebin
// RUN: wse-sim %t/b.wsebin --report %t/b.json --dump-outputs %t/b --quiet
// RUN: FileCheck %s --check-prefix=POST < %t/b.json
// RUN: wse-translate --export-wafer-program %t/write-while-sending.mlir -o %t/c.wsebin
// RUN: wse-sim %t/c.wsebin --report %t/c.json --dump-outputs %t/c --quiet
// RUN: FileCheck %s --check-prefix=HAZARD < %t/c.json
// RUN: wse-translate --export-wafer-program %t/posted-fills-gaps.mlir -o %t/f.wsebin
// RUN: wse-sim %t/f.wsebin --report %t/f.json --dump-outputs %t/f --quiet
// RUN: FileCheck %s --check-prefix=GAPS < %t/f.json
// RUN: %python -c "import numpy; print([sorted(set(numpy.load('%t/' + r + '/output_0.npy').tolist())) for r in 'abcf'], sorted(set(numpy.load('%t/f/output_1.npy').tolist())))" | FileCheck %s --check-prefix=VALUES
// RUN: not wse-translate --export-wafer-program %t/never-received.mlir -o %t/d.wsebin 2>&1 | FileCheck %s --check-prefix=NEVER
// RUN: not wse-translate --export-wafer-program %t/posted-twice.mlir -o %t/e.wsebin 2>&1 | FileCheck %s --check-prefix=TWICE

// The recv takes the neighbour's 64 wavelets once the core reaches it:
// 288 + 64. The report's bottleneck is what the last PE's core did most:
// it computed for 288 of the 352 cycles.
// SEND: "bottleneck": "compute",
// SEND-NEXT: "compute_share": 0.81818181818181823,
// SEND-NEXT: "cycles": 352,
// SEND: "execution": "pipelined",

// Posted before the fill, the in-ramp takes them while the core fills
// (they are all in by cycle 161): the recv costs nothing.
// POST: "cycles": 288,

// Writing @v while the out-ramp still sends it waits for the send (cycle
// 160); the 32-cycle fill ends at 192 and the recv at 192 + 64. What was
// sent is the first fill's value, 1.
// HAZARD: "bottleneck": "fabric",
// HAZARD-NEXT: "compute_share": 0.25,
// HAZARD-NEXT: "cycles": 256,
// VALUES: {{\[}}[1.0], [1.0], [1.0], [1.0]] [2.0]

// A posted transfer takes the in-ramp whenever it is free, also before a
// transfer whose recv comes first in the program: @early is posted at 32
// and its neighbour's 64 wavelets are in during the 256-cycle fill; @late
// (8 elements each) is sent at 292 and received first, in 9 cycles. The
// recv of @early then costs nothing: the step ends with the out-ramp's
// send of @late, at 309. (A ramp that took @early's wavelets only after
// @late's, in the order of the recvs, ended it at 373.)
// GAPS: "cycles": 309,

// NEVER: error: inconsistent wafer program: program 'p' posts transfer 'allgather' and never receives it
// TWICE: error: inconsistent wafer program: program 'p' instruction 3: posts transfer 'allgather' again before receiving it

//--- send-beside-core.mlir
module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 1, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [2, 1] {
    pe.buffer @v[64] at 0
    pe.buffer @w[128] at 256
    pe.buffer @z[512] at 768
    pe.instr "fill" [@v] floats [1.0]
    pe.instr "send" [@v] ints [0]
    pe.instr "fill" [@z] floats [3.0]
    pe.instr "recv" [@w] ints [0]
  }
  pe.transfer @allgather @p::@v -> @p::@w {affine = array<i64>, color = 0 : i64, combine = 0 : i64, src_layout = #fabric.layout<x: split(0, 64, 2), y: replicated(1)>, src_shape = array<i64: 128>, dst_layout = #fabric.layout<x: replicated(2), y: replicated(1)>, dst_shape = array<i64: 128>, map = "linear", offset = array<i64>, window_lo = array<i64: 0>, window_size = array<i64: 128>}
  pe.bind "output" "w" to @p::@w : tensor<128xf32> {layout = #fabric.layout<x: replicated(2), y: replicated(1)>}
}


//--- post-early.mlir
module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 1, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [2, 1] {
    pe.buffer @v[64] at 0
    pe.buffer @w[128] at 256
    pe.buffer @z[512] at 768
    pe.instr "fill" [@v] floats [1.0]
    pe.instr "send" [@v] ints [0]
    pe.instr "post" [@w] ints [0]
    pe.instr "fill" [@z] floats [3.0]
    pe.instr "recv" [@w] ints [0]
  }
  pe.transfer @allgather @p::@v -> @p::@w {affine = array<i64>, color = 0 : i64, combine = 0 : i64, src_layout = #fabric.layout<x: split(0, 64, 2), y: replicated(1)>, src_shape = array<i64: 128>, dst_layout = #fabric.layout<x: replicated(2), y: replicated(1)>, dst_shape = array<i64: 128>, map = "linear", offset = array<i64>, window_lo = array<i64: 0>, window_size = array<i64: 128>}
  pe.bind "output" "w" to @p::@w : tensor<128xf32> {layout = #fabric.layout<x: replicated(2), y: replicated(1)>}
}


//--- write-while-sending.mlir
module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 1, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [2, 1] {
    pe.buffer @v[64] at 0
    pe.buffer @w[128] at 256
    pe.buffer @z[512] at 768
    pe.instr "fill" [@v] floats [1.0]
    pe.instr "send" [@v] ints [0]
    pe.instr "fill" [@v] floats [2.0]
    pe.instr "recv" [@w] ints [0]
  }
  pe.transfer @allgather @p::@v -> @p::@w {affine = array<i64>, color = 0 : i64, combine = 0 : i64, src_layout = #fabric.layout<x: split(0, 64, 2), y: replicated(1)>, src_shape = array<i64: 128>, dst_layout = #fabric.layout<x: replicated(2), y: replicated(1)>, dst_shape = array<i64: 128>, map = "linear", offset = array<i64>, window_lo = array<i64: 0>, window_size = array<i64: 128>}
  pe.bind "output" "w" to @p::@w : tensor<128xf32> {layout = #fabric.layout<x: replicated(2), y: replicated(1)>}
}


//--- posted-fills-gaps.mlir
module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 1, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [2, 1] {
    pe.buffer @v[64] at 0
    pe.buffer @u[8] at 256
    pe.buffer @w[128] at 512
    pe.buffer @q[16] at 1024
    pe.buffer @z[512] at 1536
    pe.instr "fill" [@v] floats [1.0]
    pe.instr "send" [@v] ints [0]
    pe.instr "post" [@w] ints [0]
    pe.instr "fill" [@z] floats [3.0]
    pe.instr "fill" [@u] floats [2.0]
    pe.instr "send" [@u] ints [1]
    pe.instr "recv" [@q] ints [1]
    pe.instr "recv" [@w] ints [0]
  }
  pe.transfer @early @p::@v -> @p::@w {affine = array<i64>, color = 0 : i64, combine = 0 : i64, src_layout = #fabric.layout<x: split(0, 64, 2), y: replicated(1)>, src_shape = array<i64: 128>, dst_layout = #fabric.layout<x: replicated(2), y: replicated(1)>, dst_shape = array<i64: 128>, map = "linear", offset = array<i64>, window_lo = array<i64: 0>, window_size = array<i64: 128>}
  pe.transfer @late @p::@u -> @p::@q {affine = array<i64>, color = 1 : i64, combine = 0 : i64, src_layout = #fabric.layout<x: split(0, 8, 2), y: replicated(1)>, src_shape = array<i64: 16>, dst_layout = #fabric.layout<x: replicated(2), y: replicated(1)>, dst_shape = array<i64: 16>, map = "linear", offset = array<i64>, window_lo = array<i64: 0>, window_size = array<i64: 16>}
  pe.bind "output" "w" to @p::@w : tensor<128xf32> {layout = #fabric.layout<x: replicated(2), y: replicated(1)>}
  pe.bind "output" "q" to @p::@q : tensor<16xf32> {layout = #fabric.layout<x: replicated(2), y: replicated(1)>}
}


//--- never-received.mlir
module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 1, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [2, 1] {
    pe.buffer @v[64] at 0
    pe.buffer @w[128] at 256
    pe.buffer @z[512] at 768
    pe.instr "fill" [@v] floats [1.0]
    pe.instr "send" [@v] ints [0]
    pe.instr "post" [@w] ints [0]
    pe.instr "fill" [@z] floats [3.0]
  }
  pe.transfer @allgather @p::@v -> @p::@w {affine = array<i64>, color = 0 : i64, combine = 0 : i64, src_layout = #fabric.layout<x: split(0, 64, 2), y: replicated(1)>, src_shape = array<i64: 128>, dst_layout = #fabric.layout<x: replicated(2), y: replicated(1)>, dst_shape = array<i64: 128>, map = "linear", offset = array<i64>, window_lo = array<i64: 0>, window_size = array<i64: 128>}
  pe.bind "output" "w" to @p::@w : tensor<128xf32> {layout = #fabric.layout<x: replicated(2), y: replicated(1)>}
}


//--- posted-twice.mlir
module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 1, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [2, 1] {
    pe.buffer @v[64] at 0
    pe.buffer @w[128] at 256
    pe.buffer @z[512] at 768
    pe.instr "fill" [@v] floats [1.0]
    pe.instr "send" [@v] ints [0]
    pe.instr "post" [@w] ints [0]
    pe.instr "post" [@w] ints [0]
    pe.instr "recv" [@w] ints [0]
  }
  pe.transfer @allgather @p::@v -> @p::@w {affine = array<i64>, color = 0 : i64, combine = 0 : i64, src_layout = #fabric.layout<x: split(0, 64, 2), y: replicated(1)>, src_shape = array<i64: 128>, dst_layout = #fabric.layout<x: replicated(2), y: replicated(1)>, dst_shape = array<i64: 128>, map = "linear", offset = array<i64>, window_lo = array<i64: 0>, window_size = array<i64: 128>}
  pe.bind "output" "w" to @p::@w : tensor<128xf32> {layout = #fabric.layout<x: replicated(2), y: replicated(1)>}
}


