// RUN: wse-opt %s --wse-raise-attention -split-input-file -verify-diagnostics | FileCheck %s

// Each softmax the pass leaves gets a remark with the reason, so a variant
// it does not know is not lost silently; the graph stays as it was.

// A learned temperature: the scale is a parameter, not a constant.
// CHECK-LABEL: func.func @learned_temperature
// CHECK: wse.softmax
// CHECK-NOT: wse.attention
func.func @learned_temperature(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x3x4xf32>, %v: tensor<1x2x3x4xf32>, %tau: tensor<f32> {wse.param = "tau"}) -> tensor<1x2x3x4xf32> {
  %s = wse.matmul %q, %k {transpose_b = true} : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>
  %d = wse.mul %s, %tau : tensor<1x2x3x3xf32>, tensor<f32>
  // expected-remark @below {{softmax not raised to wse.attention: the scores are multiplied by a value that is not a constant (a learned temperature?); wse.attention takes a constant scale}}
  %p = wse.softmax %d {axis = 3 : i64} : tensor<1x2x3x3xf32>
  %o = wse.matmul %p, %v : tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}

// -----

// Differential attention: two softmaxes combined before the product with v.
// CHECK-LABEL: func.func @differential
// CHECK-COUNT-2: wse.softmax
// CHECK-NOT: wse.attention
func.func @differential(%q1: tensor<1x2x3x4xf32>, %k1: tensor<1x2x3x4xf32>, %q2: tensor<1x2x3x4xf32>, %k2: tensor<1x2x3x4xf32>, %v: tensor<1x2x3x4xf32>, %lambda: tensor<f32>) -> tensor<1x2x3x4xf32> {
  %s1 = wse.matmul %q1, %k1 {transpose_b = true} : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>
  %s2 = wse.matmul %q2, %k2 {transpose_b = true} : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>
  // expected-remark @below {{softmax not raised to wse.attention: its result feeds 'wse.sub', not the product with v}}
  %p1 = wse.softmax %s1 {axis = 3 : i64} : tensor<1x2x3x3xf32>
  // expected-remark @below {{softmax not raised to wse.attention: its result feeds 'wse.mul', not the product with v}}
  %p2 = wse.softmax %s2 {axis = 3 : i64} : tensor<1x2x3x3xf32>
  %l = wse.mul %p2, %lambda : tensor<1x2x3x3xf32>, tensor<f32>
  %p = wse.sub %p1, %l : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
  %o = wse.matmul %p, %v : tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}

// -----

// A classifier's softmax is no attention at all.
func.func @classifier(%x: tensor<8x10xf32>) -> tensor<8x10xf32> {
  // expected-remark @below {{softmax not raised to wse.attention: its input has rank 2; attention scores are [.., T, S] of rank 3 or 4}}
  %p = wse.softmax %x {axis = 1 : i64} : tensor<8x10xf32>
  return %p : tensor<8x10xf32>
}

// -----

// Scores from something other than q k^T.
func.func @not_qk(%s: tensor<1x2x3x3xf32>, %v: tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32> {
  // expected-remark @below {{softmax not raised to wse.attention: the scores come from a function argument, not a q k^T matmul}}
  %p = wse.softmax %s {axis = 3 : i64} : tensor<1x2x3x3xf32>
  %o = wse.matmul %p, %v : tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}
