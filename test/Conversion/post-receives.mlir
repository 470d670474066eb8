// RUN: wse-opt %s --wse-post-receives | FileCheck %s

// A recv the next instruction does not need becomes a post where it stood
// and a recv just before the first instruction naming its buffer; a recv
// whose buffer the next instruction reads stays; a recv nothing reads
// later waits at the program's end.
// CHECK-LABEL: pe.program @p
// CHECK-NEXT: pe.buffer @a[4] at 0
// CHECK-NEXT: pe.buffer @b[4] at 16
// CHECK-NEXT: pe.buffer @c[4] at 32
// CHECK-NEXT: pe.buffer @d[4] at 48
// CHECK-NEXT: pe.instr "fill" [@a] floats [1.000000e+00]
// CHECK-NEXT: pe.instr "send" [@a] ints [0]
// CHECK-NEXT: pe.instr "post" [@b] ints [0]
// CHECK-NEXT: pe.instr "fill" [@c] floats [2.000000e+00]
// CHECK-NEXT: pe.instr "map" "neg" [@d, @c] ints [1, 0, 4, 0, 4, 1, 1]
// CHECK-NEXT: pe.instr "recv" [@b] ints [0]
// CHECK-NEXT: pe.instr "map" "add" [@d, @b, @c] ints [1, 0, 4, 0, 4, 1, 1, 1]
// CHECK-NEXT: pe.instr "send" [@d] ints [1]
// CHECK-NEXT: pe.instr "recv" [@a] ints [1]
// CHECK-NEXT: pe.instr "map" "neg" [@c, @a] ints [1, 0, 4, 0, 4, 1, 1]
// CHECK-NEXT: pe.instr "send" [@c] ints [2]
// CHECK-NEXT: pe.instr "post" [@b] ints [2]
// CHECK-NEXT: pe.instr "fill" [@d] floats [0.000000e+00]
// CHECK-NEXT: pe.instr "recv" [@b] ints [2]
// CHECK-NEXT: }
module attributes {fabric.machine = #fabric.machine<name = "t", width = 1, height = 1, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [1, 1] {
    pe.buffer @a[4] at 0
    pe.buffer @b[4] at 16
    pe.buffer @c[4] at 32
    pe.buffer @d[4] at 48
    pe.instr "fill" [@a] floats [1.0]
    pe.instr "send" [@a] ints [0]
    pe.instr "recv" [@b] ints [0]
    pe.instr "fill" [@c] floats [2.0]
    pe.instr "map" "neg" [@d, @c] ints [1, 0, 4, 0, 4, 1, 1]
    pe.instr "map" "add" [@d, @b, @c] ints [1, 0, 4, 0, 4, 1, 1, 1]
    pe.instr "send" [@d] ints [1]
    pe.instr "recv" [@a] ints [1]
    pe.instr "map" "neg" [@c, @a] ints [1, 0, 4, 0, 4, 1, 1]
    pe.instr "send" [@c] ints [2]
    pe.instr "recv" [@b] ints [2]
    pe.instr "fill" [@d] floats [0.0]
  }
  pe.transfer @t0 @p::@a -> @p::@b {affine = array<i64>, color = 0 : i64, combine = 0 : i64, src_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, src_shape = array<i64: 4>, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 4>, map = "linear", offset = array<i64>, window_lo = array<i64: 0>, window_size = array<i64: 4>}
  pe.transfer @t1 @p::@d -> @p::@a {affine = array<i64>, color = 1 : i64, combine = 0 : i64, src_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, src_shape = array<i64: 4>, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 4>, map = "linear", offset = array<i64>, window_lo = array<i64: 0>, window_size = array<i64: 4>}
  pe.transfer @t2 @p::@c -> @p::@b {affine = array<i64>, color = 2 : i64, combine = 0 : i64, src_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, src_shape = array<i64: 4>, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 4>, map = "linear", offset = array<i64>, window_lo = array<i64: 0>, window_size = array<i64: 4>}
}
