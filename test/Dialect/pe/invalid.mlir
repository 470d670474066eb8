// RUN: wse-opt %s -split-input-file -verify-diagnostics

// The pe verifiers: instructions are checked against the instruction set's
// own table (the checks the .wsebin loader runs), buffers against the
// machine's SRAM, transfers and bindings against their buffers.

// Not an instruction of the pe instruction set (lib/Support/PeIsa.cpp).
pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{'matmul' is not a pe instruction}}
  pe.instr "matmul" [@a, @a, @a]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{'copy' is not a pe instruction}}
  pe.instr "copy" [@a, @a]
}

// -----

// Wrong buffer counts.
pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{map with fn mul takes 3 buffers, not 2}}
  pe.instr "map" "mul" [@a, @a] ints [1, 0, 4, 0, 4, 1, 1]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{fill takes 1 buffer (buffer), not 2}}
  pe.instr "fill" [@a, @a] floats [0.0]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{adamw takes 8 to 10 buffers (param_out, m_out, v_out, param, grad, m, v, step[, lr]), not 3}}
  pe.instr "adamw" [@a, @a, @a] ints [1, 4, 0, 4] floats [0.1, 0.9, 0.999, 1.0e-8, 0.0]
}

// -----

// A view that reaches past its buffer: the weight view of y = x w^T
// (box M=4 over x, N=6, K=8 over y) walks 6 rows of 4, but @w holds 16.
pe.program @p at [0, 0] size [4, 2] {
  pe.buffer @x[4] at 0
  pe.buffer @w[16] at 16
  pe.buffer @y[6] at 80
  // expected-error @+1 {{map view 2 reaches element 23 of a buffer of 16}}
  pe.instr "map" "mul" [@y, @x, @w] ints [3, 1, 1, 1, 4, 6, 0, 6, 4, 2, 8, 6, 1, 0, 4, 0, 1, 0, 4, 1]
}

// -----

// Past 48 KiB of SRAM: a PE has 48 KiB, 8 KiB of it reserved.
module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [1, 1] {
    // expected-error @+1 {{ends at byte 49156; a PE has 40960 bytes of SRAM for data (49152 less 8192 reserved)}}
    pe.buffer @a[12288] at 4
  }
}

// -----

// The last 4 data bytes are usable; the next 4 are not.
module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [1, 1] {
    pe.buffer @a[10239] at 0
    pe.buffer @b[1] at 40956
    // expected-error @+1 {{ends at byte 40964; a PE has 40960 bytes of SRAM for data (49152 less 8192 reserved)}}
    pe.buffer @c[2] at 40956
  }
}

// -----

// map: functions, immediates, fields, boxes and views.
pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{'frobnicate' is not a function of map}}
  pe.instr "map" "frobnicate" [@a, @a] ints [1, 0, 4, 0, 4, 1, 1]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{fill takes no function}}
  pe.instr "fill" "neg" [@a] floats [0.0]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{map needs a function (fn)}}
  pe.instr "map" [@a, @a] ints [1, 0, 4, 0, 4, 1, 1]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{map with fn leaky_relu takes 1 immediates, not 0}}
  pe.instr "map" "leaky_relu" [@a, @a] ints [1, 0, 4, 0, 4, 1, 1]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{map of rank 1 needs 7 ints, not 6}}
  pe.instr "map" "neg" [@a, @a] ints [1, 0, 4, 0, 4, 1]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{map has rank 9 (at most 8)}}
  pe.instr "map" "neg" [@a, @a] ints [9, 0]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{map has accumulate mode 5}}
  pe.instr "map" "neg" [@a, @a] ints [1, 5, 4, 0, 4, 1, 1]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{map a dim that is not split has block 2 but global 4}}
  pe.instr "map" "neg" [@a, @a] ints [1, 0, 2, 0, 4, 1, 1]
}

// -----

pe.program @p at [0, 0] size [2, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{map two box dims are split over one axis}}
  pe.instr "map" "neg" [@a, @a] ints [2, 0, 2, 1, 4, 2, 1, 4, 2, 1, 2, 1]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{map view 1 has a negative stride}}
  pe.instr "map" "neg" [@a, @a] ints [1, 0, 4, 0, 4, 1, -1]
}

// -----

// The other instructions' fields.
pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{fill takes one float (the value), or ints [-1] for -infinity}}
  pe.instr "fill" [@a] ints [0]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{send takes one int (the transfer) and no floats}}
  pe.instr "send" [@a] ints [0, 1]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{names transfer 0; the module has 0}}
  pe.instr "recv" [@a] ints [0]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @out[4] at 0
  pe.buffer @t[16] at 16
  pe.buffer @i[1] at 80
  // expected-error @+1 {{gather needs buffers of 8, 16 and 2 elements}}
  pe.instr "gather" [@out, @t, @i] ints [2, 0, 2, 4, 0, 4, 4, 0, 4]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{scatter_add takes 9 ints (boxes of n, d, v), then 1 for a table not stored, and no floats}}
  pe.instr "scatter_add" [@a, @a, @a] ints [4, 0, 4]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{sgd takes 1 float}}
  pe.instr "sgd" [@a, @a, @a] ints [1, 4, 0, 4]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{sgd has a malformed box}}
  pe.instr "sgd" [@a, @a, @a] ints [2, 4, 0, 4] floats [0.1]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  pe.buffer @s[2] at 16
  // expected-error @+1 {{adamw buffer 6 holds 2 elements, fewer than the tile's 4}}
  pe.instr "adamw" [@a, @a, @a, @a, @a, @a, @s, @s] ints [1, 4, 0, 4] floats [0.1, 0.9, 0.999, 1.0e-8, 0.0]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{names @nope, which is not a pe.buffer of this program}}
  pe.instr "map" "neg" [@a, @nope] ints [1, 0, 4, 0, 4, 1, 1]
}

// -----

// An instruction reads its own PE's SRAM: a buffer of another program is
// out of reach, and a nested reference is not a buffer of this program.
pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] at 0
  // expected-error @+1 {{names @q::@b, which is not a pe.buffer of this program}}
  pe.instr "map" "neg" [@a, @q::@b] ints [1, 0, 4, 0, 4, 1, 1]
}
pe.program @q at [1, 0] size [1, 1] {
  pe.buffer @b[4] at 0
}

// -----

// Buffers and programs.
pe.program @p at [0, 0] size [1, 1] {
  // expected-error @+1 {{needs a positive length and a 4-byte aligned offset}}
  pe.buffer @a[0] at 0
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  // expected-error @+1 {{needs a positive length and a 4-byte aligned offset}}
  pe.buffer @a[4] at 2
}

// -----

// expected-error @+1 {{at and size must be [x, y] and [width, height]}}
pe.program @p at [0, 0] size [0, 1] {
}

// -----

module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  // expected-error @+1 {{lies outside the 4x4 mesh}}
  pe.program @p at [2, 0] size [4, 1] {
  }
}

// -----

// expected-error @+1 {{'pe.buffer' op expects parent op 'pe.program'}}
pe.buffer @a[4] at 0

// -----

// Transfers and host bindings.
pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @a[2] at 0
  pe.buffer @b[2] at 8
}
// expected-error @+1 {{layout: axis x uses 8 PEs of a grid of 4}}
pe.transfer @x0 @p::@a -> @p::@b {affine = array<i64>, color = 0 : i64, combine = 0 : i64, dst_layout = #fabric.layout<x: split(0, 2, 4), y: replicated(1)>, dst_shape = array<i64: 8>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: split(0, 2, 8), y: replicated(1)>, src_shape = array<i64: 16>, window_lo = array<i64: 0>, window_size = array<i64: 8>}

// -----

pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @a[2] at 0
  pe.buffer @b[1] at 8
}
// expected-error @+1 {{a tile of 2 elements does not fit @p::@b}}
pe.transfer @x0 @p::@a -> @p::@b {affine = array<i64>, color = 0 : i64, combine = 0 : i64, dst_layout = #fabric.layout<x: split(0, 2, 4), y: replicated(1)>, dst_shape = array<i64: 8>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: split(0, 2, 4), y: replicated(1)>, src_shape = array<i64: 8>, window_lo = array<i64: 0>, window_size = array<i64: 8>}

// -----

pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @a[2] at 0
  pe.buffer @b[2] at 8
}
// expected-error @+1 {{names @p::@zz, which is not a pe.buffer}}
pe.transfer @x0 @p::@a -> @p::@zz {affine = array<i64>, color = 0 : i64, combine = 0 : i64, dst_layout = #fabric.layout<x: split(0, 2, 4), y: replicated(1)>, dst_shape = array<i64: 8>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: split(0, 2, 4), y: replicated(1)>, src_shape = array<i64: 8>, window_lo = array<i64: 0>, window_size = array<i64: 8>}

// -----

pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @a[2] at 0
  pe.buffer @b[2] at 8
}
// expected-error @+1 {{map must be linear or affine}}
pe.transfer @x0 @p::@a -> @p::@b {affine = array<i64>, color = 0 : i64, combine = 0 : i64, dst_layout = #fabric.layout<x: split(0, 2, 4), y: replicated(1)>, dst_shape = array<i64: 8>, map = "diagonal", offset = array<i64>, src_layout = #fabric.layout<x: split(0, 2, 4), y: replicated(1)>, src_shape = array<i64: 8>, window_lo = array<i64: 0>, window_size = array<i64: 8>}

// -----

// A transfer's color is one of the machine's.
module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [4, 1] {
    pe.buffer @a[2] at 0
    pe.buffer @b[2] at 8
  }
  // expected-error @+1 {{color 24 is outside the machine's 0..23}}
  pe.transfer @x0 @p::@a -> @p::@b {affine = array<i64>, color = 24 : i64, combine = 0 : i64, dst_layout = #fabric.layout<x: split(0, 2, 4), y: replicated(1)>, dst_shape = array<i64: 8>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: split(0, 2, 4), y: replicated(1)>, src_shape = array<i64: 8>, window_lo = array<i64: 0>, window_size = array<i64: 8>}
}

// -----

// A transfer combines (1 sum, 2 max) exactly when its source holds partial
// sums, and never writes them.
pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @a[2] at 0
  pe.buffer @b[2] at 8
}
// expected-error @+1 {{combine must be 1 (sum) or 2 (max) exactly when the source holds partial sums}}
pe.transfer @x0 @p::@a -> @p::@b {affine = array<i64>, color = 0 : i64, combine = 1 : i64, dst_layout = #fabric.layout<x: split(0, 2, 4), y: replicated(1)>, dst_shape = array<i64: 8>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: split(0, 2, 4), y: replicated(1)>, src_shape = array<i64: 8>, window_lo = array<i64: 0>, window_size = array<i64: 8>}

// -----

pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @a[2] at 0
  pe.buffer @b[2] at 8
}
// expected-error @+1 {{combine must be 1 (sum) or 2 (max) exactly when the source holds partial sums}}
pe.transfer @x0 @p::@a -> @p::@b {affine = array<i64>, color = 0 : i64, combine = 0 : i64, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 2>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: partial(4), y: replicated(1)>, src_shape = array<i64: 2>, window_lo = array<i64: 0>, window_size = array<i64: 2>}

// -----

pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @a[2] at 0
  pe.buffer @b[2] at 8
}
// expected-error @+1 {{cannot write partial sums}}
pe.transfer @x0 @p::@a -> @p::@b {affine = array<i64>, color = 0 : i64, combine = 1 : i64, dst_layout = #fabric.layout<x: partial(4), y: replicated(1)>, dst_shape = array<i64: 2>, map = "linear", offset = array<i64>, src_layout = #fabric.layout<x: partial(4), y: replicated(1)>, src_shape = array<i64: 2>, window_lo = array<i64: 0>, window_size = array<i64: 2>}

// -----

pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @a[2] at 0
  pe.buffer @b[2] at 8
}
// expected-error @+1 {{kind must be input, output, param, state, const or index}}
pe.bind "weights" "w" to @p::@a : tensor<8xf32> {layout = #fabric.layout<x: split(0, 2, 4), y: replicated(1)>}

// -----

pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @a[2] at 0
  pe.buffer @b[2] at 8
}
// expected-error @+1 {{a tile of 4 elements does not fit @p::@a}}
pe.bind "param" "w" to @p::@a : tensor<4x4xf32> {layout = #fabric.layout<x: split(0, 1, 4), y: replicated(1)>}

// -----

pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @a[2] at 0
  pe.buffer @b[2] at 8
}
// expected-error @+1 {{needs a static tensor type}}
pe.bind "input" "x" to @p::@a : tensor<?xf32> {layout = #fabric.layout<x: split(0, 2, 4), y: replicated(1)>}

// -----

// A source built from rows (an unstored scatter-add's table) names two
// buffers of its program, a box of 9 ints whose v and d blocks are the
// source tile's, and sparse rows; its placeholder buffer need not hold a
// tile.
pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @t[1] at 0
  pe.buffer @u[4] at 8
  pe.buffer @i[2] at 32
  pe.buffer @s[10] at 48
}
pe.program @q at [4, 0] size [1, 1] {
  pe.buffer @w[4] at 0
}
pe.transfer @ok @p::@t -> @p::@s {affine = array<i64>, color = 0 : i64, combine = 1 : i64, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 5, 2>, map = "linear", offset = array<i64>, rows = [@p::@u, @p::@i], rows_box = array<i64: 2, 1, 8, 2, 0, 2, 5, 0, 5>, sparse_rows, src_layout = #fabric.layout<x: partial(4), y: replicated(1)>, src_shape = array<i64: 5, 2>, window_lo = array<i64: 0, 0>, window_size = array<i64: 5, 2>}

// -----

pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @t[1] at 0
  pe.buffer @u[4] at 8
  pe.buffer @i[2] at 32
  pe.buffer @s[10] at 48
}
pe.program @q at [4, 0] size [1, 1] {
  pe.buffer @w[4] at 0
}
// expected-error @+1 {{rows needs two buffers (updates, indices), a rows_box of 9 ints and sparse_rows}}
pe.transfer @x1 @p::@t -> @p::@s {affine = array<i64>, color = 0 : i64, combine = 1 : i64, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 5, 2>, map = "linear", offset = array<i64>, rows = [@p::@u, @p::@i], rows_box = array<i64: 2, 1, 8, 2, 0, 2, 5, 0, 5>, src_layout = #fabric.layout<x: partial(4), y: replicated(1)>, src_shape = array<i64: 5, 2>, window_lo = array<i64: 0, 0>, window_size = array<i64: 5, 2>}

// -----

pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @t[1] at 0
  pe.buffer @u[4] at 8
  pe.buffer @i[2] at 32
  pe.buffer @s[10] at 48
}
pe.program @q at [4, 0] size [1, 1] {
  pe.buffer @w[4] at 0
}
// expected-error @+1 {{rows names @q::@w, which is not a pe.buffer of the source's program}}
pe.transfer @x2 @p::@t -> @p::@s {affine = array<i64>, color = 0 : i64, combine = 1 : i64, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 5, 2>, map = "linear", offset = array<i64>, rows = [@q::@w, @p::@i], rows_box = array<i64: 2, 1, 8, 2, 0, 2, 5, 0, 5>, sparse_rows, src_layout = #fabric.layout<x: partial(4), y: replicated(1)>, src_shape = array<i64: 5, 2>, window_lo = array<i64: 0, 0>, window_size = array<i64: 5, 2>}

// -----

pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @t[1] at 0
  pe.buffer @u[4] at 8
  pe.buffer @i[2] at 32
  pe.buffer @s[10] at 48
}
pe.program @q at [4, 0] size [1, 1] {
  pe.buffer @w[4] at 0
}
// expected-error @+1 {{rows_box's blocks of v and d (4, 2) are not the source tile's}}
pe.transfer @x3 @p::@t -> @p::@s {affine = array<i64>, color = 0 : i64, combine = 1 : i64, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 5, 2>, map = "linear", offset = array<i64>, rows = [@p::@u, @p::@i], rows_box = array<i64: 2, 1, 8, 2, 0, 2, 4, 0, 4>, sparse_rows, src_layout = #fabric.layout<x: partial(4), y: replicated(1)>, src_shape = array<i64: 5, 2>, window_lo = array<i64: 0, 0>, window_size = array<i64: 5, 2>}

// -----

pe.program @p at [0, 0] size [4, 1] {
  pe.buffer @t[1] at 0
  pe.buffer @u[4] at 8
  pe.buffer @i[2] at 32
  pe.buffer @s[10] at 48
}
pe.program @q at [4, 0] size [1, 1] {
  pe.buffer @w[4] at 0
}
// expected-error @+1 {{a tile of 10 elements does not fit @p::@t}}
pe.transfer @x4 @p::@t -> @p::@s {affine = array<i64>, color = 0 : i64, combine = 1 : i64, dst_layout = #fabric.layout<x: replicated(1), y: replicated(1)>, dst_shape = array<i64: 5, 2>, map = "linear", offset = array<i64>, sparse_rows, src_layout = #fabric.layout<x: partial(4), y: replicated(1)>, src_shape = array<i64: 5, 2>, window_lo = array<i64: 0, 0>, window_size = array<i64: 5, 2>}
