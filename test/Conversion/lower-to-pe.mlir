// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="lr=0.1" --wse-partition="mesh=16x16" --wse-place --wse-route --wse-lower-to-pe | FileCheck %s
// RUN: not wse-opt %S/Inputs/unplaced.mlir --wse-lower-to-pe 2>&1 | FileCheck %s --check-prefix=UNPLACED

// One SPMD program per region; buffers laid out back to back in SRAM.
// CHECK-LABEL: pe.program @fc1 at [0, 0] size [2, 1]
// CHECK-NEXT: pe.buffer @x[32] f32 at 0
// CHECK-NEXT: pe.buffer @w[64] f32 at 128
// Forward: local block of z = x W^T + b, relu, then the assembling chain.
// CHECK: pe.matmul @z = @x, @w {k = 8 : i64, m = 4 : i64, n = 8 : i64, transpose_b = true}
// CHECK-NEXT: pe.bias_add @z, @b
// CHECK-NEXT: pe.relu @t = @z
// CHECK-NEXT: pe.fill @full, 0.000000e+00
// CHECK-NEXT: pe.copy2d @full = @t {cols = 8 : i64, dst_offset_per_pe = 8 : i64, dst_stride = 16 : i64, rows = 4 : i64, src_stride = 8 : i64}
// CHECK-NEXT: pe.recv_add @full color [2, 1] when not_first
// CHECK-NEXT: pe.send @full color [1, 2] when not_last
// CHECK-NEXT: pe.send @full color [0] when last
// Backward: dy arrives on the color of the stream from fc2; no dx for the input.
// CHECK-NEXT: pe.recv @full color [3]
// CHECK: pe.relu_grad @t = @t, @z
// CHECK-NEXT: pe.matmul @dw = @t, @x {{.*}}transpose_a = true
// CHECK-NEXT: pe.col_sum @db = @t
// CHECK-NEXT: pe.sgd @w, @dw {length = 64 : i64, lr = 1.000000e-01 : f32}
// CHECK-NEXT: pe.sgd @b, @db {length = 8 : i64, lr = 1.000000e-01 : f32}
// CHECK-NEXT: }
// CHECK-LABEL: pe.program @fc2 at [3, 0] size [2, 1]
// CHECK: pe.recv @x color [0]
// CHECK: pe.matmul @dx = @t, @w
// CHECK-NEXT: pe.recv_add @dx color [7, 6] when not_first
// CHECK-NEXT: pe.send @dx color [6, 7] when not_last
// CHECK-NEXT: pe.send @dx color [3] when last
// CHECK-LABEL: pe.program @loss at [6, 0] size [1, 1]
// CHECK: pe.buffer @labels[4] i32
// CHECK: pe.recv @logits color [1]
// CHECK-NEXT: pe.softmax_ce @loss, @grad = @logits, @labels {cols = 4 : i64, rows = 4 : i64}
// CHECK-NEXT: pe.send @grad color [2]
// Router configuration and host bindings.
// CHECK: pe.route @fc1.y color 0 path [1, 0, 3, 0, 4, 0]
// CHECK: pe.chain @fc1.fwd in @fc1 colors [1, 2]
// CHECK: pe.input "x" to @fc1::@x : tensor<4x8xf32>
// CHECK: pe.input "labels" to @loss::@labels : tensor<4xi64>
// CHECK: pe.output "loss" from @loss::@loss : tensor<f32> {loss}
// CHECK: pe.param "fc1.weight" in @fc1::@w : tensor<16x8xf32>
// CHECK-NOT: fabric.

// UNPLACED: error: chain @a.fwd is not routed: run wse-route first
