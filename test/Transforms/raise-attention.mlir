// RUN: wse-opt %s --wse-raise-attention | FileCheck %s

// The causal pattern torch exports: q k^T / sqrt(d), masked_fill with a
// constant lower-triangular mask, softmax, times v.
// CHECK-LABEL: func.func @causal
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x3x8xf32>, %[[K:.*]]: tensor<2x4x3x8xf32>, %[[V:.*]]: tensor<2x4x3x8xf32>)
// CHECK-NEXT: %[[A:.*]] = wse.attention %[[Q]], %[[K]], %[[V]] {causal = true, num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 0.353553385 : f32}
// CHECK-NEXT: return %[[A]]
func.func @causal(%q: tensor<2x4x3x8xf32>, %k: tensor<2x4x3x8xf32>, %v: tensor<2x4x3x8xf32>) -> tensor<2x4x3x8xf32> {
  %kt = wse.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<2x4x3x8xf32>
  %s = wse.matmul %q, %kt : tensor<2x4x3x8xf32>, tensor<2x4x8x3xf32>
  %c = wse.constant dense<2.82842708> : tensor<f32>
  %d = wse.div %s, %c : tensor<2x4x3x3xf32>, tensor<f32>
  %mask = wse.constant dense<[[true, false, false], [true, true, false], [true, true, true]]> : tensor<3x3xi1>
  %ninf = wse.constant dense<0xFF800000> : tensor<f32>
  %m = wse.select %mask, %d, %ninf : tensor<3x3xi1>, tensor<2x4x3x3xf32>, tensor<f32>
  %p = wse.softmax %m {axis = 3 : i64} : tensor<2x4x3x3xf32>
  %o = wse.matmul %p, %v : tensor<2x4x3x3xf32>, tensor<2x4x3x8xf32>
  return %o : tensor<2x4x3x8xf32>
}

// nn.MultiheadAttention style: rank 3 [B*H, T, D], scale on the product,
// an additive mask input.
// CHECK-LABEL: func.func @additive
// CHECK: %[[A:.*]] = wse.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} : tensor<4x4xf32> {num_heads = 6 : i64, num_kv_heads = 6 : i64, scale = 5.000000e-01 : f32}
// CHECK: wse.reshape %[[A]] : tensor<1x6x4x4xf32> -> tensor<6x4x4xf32>
// CHECK-NOT: wse.softmax
func.func @additive(%q: tensor<6x4x4xf32>, %k: tensor<6x4x4xf32>, %v: tensor<6x4x4xf32>, %mask: tensor<4x4xf32>) -> tensor<6x4x4xf32> {
  %s = wse.matmul %q, %k {transpose_b = true} : tensor<6x4x4xf32>, tensor<6x4x4xf32>
  %c = wse.constant dense<0.5> : tensor<f32>
  %d = wse.mul %s, %c : tensor<6x4x4xf32>, tensor<f32>
  %m = wse.add %d, %mask : tensor<6x4x4xf32>, tensor<4x4xf32>
  %p = wse.softmax %m {axis = 2 : i64} : tensor<6x4x4xf32>
  %o = wse.matmul %p, %v : tensor<6x4x4xf32>, tensor<6x4x4xf32>
  return %o : tensor<6x4x4xf32>
}

// A softmax that is not attention stays.
// CHECK-LABEL: func.func @plain
// CHECK: wse.softmax
// CHECK-NOT: wse.attention
func.func @plain(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %p = wse.softmax %x {axis = 2 : i64} : tensor<2x3x4xf32>
  return %p : tensor<2x3x4xf32>
}

// BTLM's causal ALiBi: scale, then the constant ALiBi bias, then the causal
// mask; the bias is recognized as the alibi variant. K^T comes from a
// transpose that also moved heads ([B, T, H, D] -> [B, H, D, T]).
// CHECK-LABEL: func.func @alibi
// CHECK: wse.attention %{{.*}}, %{{.*}}, %{{.*}} {alibi = true, causal = true, num_heads = 2 : i64, num_kv_heads = 2 : i64, scale = 5.000000e-01 : f32}
// CHECK-NOT: wse.softmax
func.func @alibi(%q: tensor<1x2x2x4xf32>, %kraw: tensor<1x2x2x4xf32>, %v: tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32> {
  %kt = wse.transpose %kraw {perm = array<i64: 0, 2, 3, 1>} : tensor<1x2x2x4xf32>
  %s = wse.matmul %q, %kt : tensor<1x2x2x4xf32>, tensor<1x2x4x2xf32>
  %c = wse.constant dense<0.5> : tensor<f32>
  %d = wse.mul %s, %c : tensor<1x2x2x2xf32>, tensor<f32>
  // slopes 2^-4 and 2^-8; bias -m (i - j).
  %bias = wse.constant dense<[[[0.0, 0.0], [-0.0625, 0.0]], [[0.0, 0.0], [-0.00390625, 0.0]]]> : tensor<2x2x2xf32>
  %b = wse.add %d, %bias : tensor<1x2x2x2xf32>, tensor<2x2x2xf32>
  %mask = wse.constant dense<[[true, false], [true, true]]> : tensor<2x2xi1>
  %ninf = wse.constant dense<0xFF800000> : tensor<f32>
  %m = wse.select %mask, %b, %ninf : tensor<2x2xi1>, tensor<1x2x2x2xf32>, tensor<f32>
  %p = wse.softmax %m {axis = 3 : i64} : tensor<1x2x2x2xf32>
  %o = wse.matmul %p, %v : tensor<1x2x2x2xf32>, tensor<1x2x2x4xf32>
  return %o : tensor<1x2x2x4xf32>
}
