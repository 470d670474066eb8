// RUN: wse-opt %s -split-input-file -verify-diagnostics

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] f32 at 0
  // expected-error @+1 {{overlaps the buffer before it (ends at 16)}}
  pe.buffer @b[4] f32 at 8
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] f32 at 0
  // expected-error @+1 {{names @nope, which is not a pe.buffer of @p}}
  pe.send @nope color [1]
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] f32 at 0
  pe.buffer @b[4] f32 at 16
  // expected-error @+1 {{needs 6 elements of @a, which holds 4}}
  pe.matmul @a = @b, @b {m = 2, n = 3, k = 2}
}

// -----

module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @p at [0, 0] size [1, 1] {
    pe.buffer @a[4] f32 at 0
    // expected-error @+1 {{color 30 is outside the machine's 0..23}}
    pe.recv @a color [30]
  }
}

// -----

module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  // expected-error @+1 {{buffers need 41000 bytes per PE; a PE has 40960 for data}}
  pe.program @p at [0, 0] size [1, 1] {
    pe.buffer @a[10250] f32 at 0
  }
}

// -----

pe.program @p at [0, 0] size [2, 1] {
  pe.buffer @a[4] f32 at 0
  pe.buffer @b[4] f32 at 16
  // expected-error @+1 {{needs 6 elements of @b, which holds 4}}
  pe.copy2d @b = @a {rows = 2, cols = 2, src_stride = 2, dst_stride = 2, dst_offset_per_pe = 2}
}

// -----

pe.program @p at [0, 0] size [1, 1] {
  pe.buffer @a[4] f32 at 0
  pe.buffer @l[2] f32 at 16
  // expected-error @+1 {{@l must hold integers}}
  pe.softmax_ce @a, @a = @a, @l {rows = 2, cols = 2}
}

// -----

// expected-error @+1 {{segment 1 is not straight}}
pe.route @r color 1 path [0, 0, 3, 3]

// -----

pe.program @p at [0, 0] size [3, 1] {
  pe.buffer @w[4] f32 at 0
}
// expected-error @+1 {{dim 0 of 'tensor<4x4xf32>' does not split evenly over 3 PEs}}
pe.param "w" in @p::@w : tensor<4x4xf32>

// -----

pe.program @p at [0, 0] size [2, 1] {
  pe.buffer @w[4] f32 at 0
}
// expected-error @+1 {{binds 8 elements per PE to @p::@w, which holds 4}}
pe.param "w" in @p::@w : tensor<4x4xf32>
