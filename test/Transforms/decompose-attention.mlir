// RUN: wse-opt %s --wse-decompose-attention | FileCheck %s

// GQA (4 query heads, 2 kv heads), causal, ALiBi and a sliding window.
// CHECK-LABEL: func.func @gqa
func.func @gqa(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x3x8xf32>, %v: tensor<1x2x3x8xf32>) -> tensor<1x4x3x8xf32> {
  // kv heads repeat to the query heads.
  // CHECK: wse.reshape %{{.*}} : tensor<1x2x3x8xf32> -> tensor<1x2x1x3x8xf32>
  // CHECK: wse.broadcast_to %{{.*}} : tensor<1x2x1x3x8xf32> -> tensor<1x2x2x3x8xf32>
  // CHECK: wse.matmul %{{.*}}, %{{.*}} {transpose_b = true} : tensor<1x4x3x8xf32>, tensor<1x4x3x8xf32>
  // Scale 1/sqrt(8), then the bias, computed from the query positions
  // [3, 1] and key positions [1, 3] (no [T, S] constant): -inf above the
  // diagonal and outside the window, slope * (key - query) inside.
  // CHECK: wse.constant dense<0.353553385>
  // CHECK: %[[POS:.*]] = wse.constant dense<{{\[\[\[\[}}0.000000e+00], [1.000000e+00], [2.000000e+00]]]]> : tensor<1x1x3x1xf32>
  // CHECK: %[[KEY:.*]] = wse.constant dense<{{\[\[\[\[}}0.000000e+00, 1.000000e+00, 2.000000e+00]]]]> : tensor<1x1x1x3xf32>
  // CHECK: %[[CAUSAL:.*]] = wse.greater %[[KEY]], %[[POS]]
  // CHECK: %[[START:.*]] = wse.sub %[[POS]], %{{.*}} : tensor<1x1x3x1xf32>, tensor<f32>
  // CHECK: %[[OLD:.*]] = wse.less_equal %[[KEY]], %[[START]]
  // CHECK: %[[HIDDEN:.*]] = wse.or %[[CAUSAL]], %[[OLD]]
  // CHECK: %[[SLOPES:.*]] = wse.constant dense<{{\[\[\[\[}}2.500000e-01]], {{\[\[}}6.250000e-02]], {{\[\[}}1.562500e-02]], {{\[\[}}3.906250e-03]]]]> : tensor<1x4x1x1xf32>
  // CHECK: %[[DIST:.*]] = wse.sub %[[KEY]], %[[POS]]
  // CHECK: %[[ALIBI:.*]] = wse.mul %[[SLOPES]], %[[DIST]]
  // CHECK: %[[NINF:.*]] = wse.constant dense<0xFF800000> : tensor<f32>
  // CHECK: wse.select %[[HIDDEN]], %[[NINF]], %[[ALIBI]] : tensor<1x1x3x3xi1>, tensor<f32>, tensor<1x4x3x3xf32>
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
