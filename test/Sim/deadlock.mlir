// Hand-written pe programs whose receives can never complete: the simulator
// stops with one error naming each waiting PE, the transfer and its color,
// and a sender it waits for (finished without sending, or blocked), another
// PE's part named before its own.
// RUN: split-file %s %t
// RUN: wse-translate --export-wafer-program %t/missing-send.mlir -o %t/missing-send.wsebin
// RUN: not wse-sim %t/missing-send.wsebin 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: wse-translate --export-wafer-program %t/recv-first.mlir -o %t/recv-first.wsebin
// RUN: not wse-sim %t/recv-first.wsebin 2>&1 | FileCheck %s --check-prefix=ORDER
// The same program with the send first runs.
// RUN: wse-translate --export-wafer-program %t/send-first.mlir -o %t/send-first.wsebin
// RUN: wse-sim %t/send-first.wsebin --report %t/ok.json --dump-outputs %t/out
// RUN: FileCheck %s --check-prefix=OK < %t/ok.json
// RUN: %python -c "import numpy; print(numpy.load('%t/out/output_0.npy').tolist())" | FileCheck %s --check-prefix=OUT

// @a never sends its halves of @v: @b waits for both.
// MISSING: wse-sim: error: step 1: deadlock: 1 PEs wait
// MISSING-NEXT: PE (3, 0) of @b waits in recv of transfer 'gather_v' (color 5) for PE (0, 0) of @a (finished without sending) and 1 more{{$}}
// MISSING-NOT: waits

// Every PE of @p receives the all-gather before it sends its part: each
// waits on the other, blocked in the same recv (and on its own part).
// ORDER: wse-sim: error: step 1: deadlock: 2 PEs wait
// ORDER-NEXT: PE (1, 1) of @p waits in recv of transfer 'allgather' (color 7) for PE (2, 1) of @p (blocked) and 1 more{{$}}
// ORDER-NEXT: PE (2, 1) of @p waits in recv of transfer 'allgather' (color 7) for PE (1, 1) of @p (blocked) and 1 more{{$}}
// ORDER-NOT: waits

// OK: "engine": "mesh"
// OK: "pes": 2
// OUT: [1.0, 1.0, 1.0, 1.0]

//--- missing-send.mlir
module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 2, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @a at [0, 0] size [2, 1] {
    pe.buffer @v[2] at 0
    pe.instr "fill" [@v] floats [1.0]
  }
  pe.program @b at [3, 0] size [1, 1] {
    pe.buffer @w[4] at 0
    pe.instr "recv" [@w] ints [0]
  }
  pe.transfer @gather_v @a::@v -> @b::@w {affine = array<i64>, color = 5 : i64, combine = 0 : i64, src_layout = #fabric.layout<x: split(0, 2, 2), y: replicated(1)>, src_shape = array<i64: 4>, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 4>, map = "linear", offset = array<i64>, window_lo = array<i64: 0>, window_size = array<i64: 4>}
  pe.bind "output" "w" to @b::@w : tensor<4xf32> {layout = #fabric.layout<x: replicated(1), y: replicated(1)>}
}

//--- recv-first.mlir
module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 2, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [1, 1] size [2, 1] {
    pe.buffer @v[2] at 0
    pe.buffer @w[4] at 8
    pe.instr "fill" [@v] floats [1.0]
    pe.instr "recv" [@w] ints [0]
    pe.instr "send" [@v] ints [0]
  }
  pe.transfer @allgather @p::@v -> @p::@w {affine = array<i64>, color = 7 : i64, combine = 0 : i64, src_layout = #fabric.layout<x: split(0, 2, 2), y: replicated(1)>, src_shape = array<i64: 4>, dst_layout = #fabric.layout<x: replicated(2), y: replicated(1)>, dst_shape = array<i64: 4>, map = "linear", offset = array<i64>, window_lo = array<i64: 0>, window_size = array<i64: 4>}
  pe.bind "output" "w" to @p::@w : tensor<4xf32> {layout = #fabric.layout<x: replicated(2), y: replicated(1)>}
}

//--- send-first.mlir
module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 2, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [1, 1] size [2, 1] {
    pe.buffer @v[2] at 0
    pe.buffer @w[4] at 8
    pe.instr "fill" [@v] floats [1.0]
    pe.instr "send" [@v] ints [0]
    pe.instr "recv" [@w] ints [0]
  }
  pe.transfer @allgather @p::@v -> @p::@w {affine = array<i64>, color = 7 : i64, combine = 0 : i64, src_layout = #fabric.layout<x: split(0, 2, 2), y: replicated(1)>, src_shape = array<i64: 4>, dst_layout = #fabric.layout<x: replicated(2), y: replicated(1)>, dst_shape = array<i64: 4>, map = "linear", offset = array<i64>, window_lo = array<i64: 0>, window_size = array<i64: 4>}
  pe.bind "output" "w" to @p::@w : tensor<4xf32> {layout = #fabric.layout<x: replicated(2), y: replicated(1)>}
}
