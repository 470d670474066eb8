// RUN: wse-opt %s | FileCheck %s
// RUN: wse-opt %s | wse-opt | FileCheck %s

module attributes {fabric.machine = #fabric.machine<name = "t", width = 16, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  // CHECK: pe.program @fc at [0, 0] size [2, 1]
  pe.program @fc at [0, 0] size [2, 1] {
    // CHECK-NEXT: pe.buffer @x[8] f32 at 0
    pe.buffer @x[8] f32 at 0
    pe.buffer @w[8] f32 at 32
    pe.buffer @z[4] f32 at 64
    pe.buffer @full[8] f32 at 80
    pe.buffer @lab[2] i32 at 112
    pe.buffer @loss[1] f32 at 120
    // CHECK: pe.recv @x color [3]
    pe.recv @x color [3]
    // CHECK: pe.matmul @z = @x, @w {k = 4 : i64, m = 2 : i64, n = 2 : i64, transpose_b = true}
    pe.matmul @z = @x, @w {m = 2, n = 2, k = 4, transpose_b = true}
    pe.relu @z = @z {length = 4}
    pe.relu_grad @z = @z, @z {length = 4}
    pe.bias_add @z, @w {rows = 2, cols = 2}
    pe.col_sum @w = @z {rows = 2, cols = 2}
    pe.fill @full, 0.0
    // CHECK: pe.copy2d @full = @z {cols = 2 : i64, dst_offset_per_pe = 2 : i64, dst_stride = 4 : i64, rows = 2 : i64, src_stride = 2 : i64}
    pe.copy2d @full = @z {rows = 2, cols = 2, src_stride = 2, dst_stride = 4, dst_offset_per_pe = 2}
    // CHECK: pe.recv_add @full color [1, 0] when not_first
    pe.recv_add @full color [1, 0] when not_first
    // CHECK: pe.send @full color [0, 1] when not_last
    pe.send @full color [0, 1] when not_last
    pe.softmax_ce @loss, @full = @full, @lab {rows = 2, cols = 4}
    pe.sgd @w, @w {length = 8, lr = 0.1 : f32}
  }
  // CHECK: pe.route @r color 2 path [1, 0, 4, 0, 6, 0]
  pe.route @r color 2 path [1, 0, 4, 0, 6, 0]
  // CHECK: pe.chain @c in @fc colors [0, 1]
  pe.chain @c in @fc colors [0, 1]
  // CHECK: pe.input "x" to @fc::@x : tensor<8xf32>
  pe.input "x" to @fc::@x : tensor<8xf32>
  pe.output "loss" from @fc::@loss : tensor<f32> {loss}
  // CHECK: pe.param "w" in @fc::@w : tensor<4x4xf32>
  pe.param "w" in @fc::@w : tensor<4x4xf32>
}
