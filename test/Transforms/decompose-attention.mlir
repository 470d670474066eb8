// RUN: wse-opt %s --wse-decompose-attention | FileCheck %s

// GQA (4 query heads, 2 kv heads), causal, ALiBi and a sliding window.
// CHECK-LABEL: func.func @gqa
func.func @gqa(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x3x8xf32>, %v: tensor<1x2x3x8xf32>) -> tensor<1x4x3x8xf32> {
  // kv heads repeat to the query heads.
  // CHECK: wse.reshape %{{.*}} : tensor<1x2x3x8xf32> -> tensor<1x2x1x3x8xf32>
  // CHECK: wse.broadcast_to %{{.*}} : tensor<1x2x1x3x8xf32> -> tensor<1x2x2x3x8xf32>
  // CHECK: wse.matmul %{{.*}}, %{{.*}} {transpose_b = true} : tensor<1x4x3x8xf32>, tensor<1x4x3x8xf32>
  // Scale 1/sqrt(8), then the constant bias: -inf above the diagonal and
  // outside the window, -slope * distance inside.
  // CHECK: wse.constant dense<0.353553385>
  // CHECK: wse.constant dense<{{.*}}0xFF800000{{.*}}> : tensor<1x4x3x3xf32>
  // CHECK: wse.softmax %{{.*}} {axis = 3 : i64} : tensor<1x4x3x3xf32>
  // CHECK: wse.matmul
  // CHECK-NOT: wse.attention
  %0 = wse.attention %q, %k, %v {causal = true, alibi = true, window = 2 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : tensor<1x4x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>
  return %0 : tensor<1x4x3x8xf32>
}

// CHECK-LABEL: func.func @rope
func.func @rope(%x: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // CHECK: wse.slice
  // CHECK: wse.neg
  // CHECK: wse.concat
  // CHECK-NOT: wse.rope
  %0 = wse.rope %x {theta = 10000.0 : f32} : tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}
