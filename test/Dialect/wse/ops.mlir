// RUN: wse-opt %s | FileCheck %s
// RUN: wse-opt %s | wse-opt | FileCheck %s

// CHECK-LABEL: func.func @graph
func.func @graph(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>,
                 %y: tensor<4xi64>) -> (tensor<f32>, tensor<16xf32>) {
  // CHECK: wse.matmul %{{.*}}, %{{.*}}, %{{.*}} {transpose_b = true} : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>
  %0 = wse.matmul %x, %w, %b {transpose_b = true} : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>
  // CHECK: wse.relu %{{.*}} : tensor<4x16xf32>
  %1 = wse.relu %0 : tensor<4x16xf32>
  // CHECK: wse.add %{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<16xf32>
  %2 = wse.add %1, %b : tensor<4x16xf32>, tensor<16xf32>
  %3 = wse.sub %2, %b : tensor<4x16xf32>, tensor<16xf32>
  %4 = wse.mul %3, %3 : tensor<4x16xf32>, tensor<4x16xf32>
  // CHECK: wse.reduce_sum %{{.*}} {axes = array<i64: 0>} : tensor<4x16xf32>
  %5 = wse.reduce_sum %4 {axes = array<i64: 0>} : tensor<4x16xf32>
  // CHECK: wse.broadcast_to %{{.*}} : tensor<16xf32> -> tensor<4x16xf32>
  %6 = wse.broadcast_to %5 : tensor<16xf32> -> tensor<4x16xf32>
  %7 = wse.reshape %6 : tensor<4x16xf32> -> tensor<64xf32>
  %8 = wse.relu_grad %6, %1 : tensor<4x16xf32>
  %9 = wse.mse %8, %6 : tensor<4x16xf32>, tensor<4x16xf32>
  %l = wse.softmax_cross_entropy %8, %y : tensor<4x16xf32>, tensor<4xi64>
  %one = wse.constant dense<1.0> : tensor<f32>
  // CHECK: wse.softmax_cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<4xi64>, tensor<f32>
  %g = wse.softmax_cross_entropy_grad %8, %y, %one : tensor<4x16xf32>, tensor<4xi64>, tensor<f32>
  // CHECK: wse.sgd_update %{{.*}}, %{{.*}} {lr = 1.000000e-01 : f32} : tensor<16xf32>
  %u = wse.sgd_update %b, %5 {lr = 0.1 : f32} : tensor<16xf32>
  return %l, %u : tensor<f32>, tensor<16xf32>
}
