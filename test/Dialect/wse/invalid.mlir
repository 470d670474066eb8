// RUN: wse-opt %s -split-input-file -verify-diagnostics

func.func @contraction(%a: tensor<4x8xf32>, %b: tensor<16x8xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{contraction sizes differ: [4x8] x [16x8]}}
  %0 = wse.matmul %a, %b : tensor<4x8xf32>, tensor<16x8xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @rank(%a: tensor<4xf32>, %b: tensor<4x8xf32>) {
  // expected-error @+1 {{takes operands of rank 2 or more, got [4] and [4x8]}}
  %0 = wse.matmul %a, %b : tensor<4xf32>, tensor<4x8xf32>
  return
}

// -----

func.func @bias(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<5xf32>) {
  // expected-error @+1 {{bias [5] does not broadcast to the result [4x16]}}
  %0 = wse.matmul %a, %b, %c : tensor<4x8xf32>, tensor<8x16xf32>, tensor<5xf32>
  return
}

// -----

func.func @broadcast(%a: tensor<4x8xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{operands [4x8] and [3] do not broadcast}}
  %0 = wse.add %a, %b : tensor<4x8xf32>, tensor<3xf32>
  return
}

// -----

func.func @reshape(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{cannot reshape [4x8] (32 elements) to [5x5] (25 elements)}}
  %0 = wse.reshape %a : tensor<4x8xf32> -> tensor<5x5xf32>
  return
}

// -----

func.func @axes(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = wse.reduce_sum %a {axes = array<i64: 2>} : tensor<4x8xf32>
  return
}

// -----

func.func @axes_order(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{axes must be sorted and unique}}
  %0 = wse.reduce_sum %a {axes = array<i64: 1, 0>} : tensor<4x8xf32>
  return
}

// -----

func.func @labels(%a: tensor<4x8xf32>, %y: tensor<5xi64>) {
  // expected-error @+1 {{expects labels [4], got [5]}}
  %0 = wse.softmax_cross_entropy %a, %y : tensor<4x8xf32>, tensor<5xi64>
  return
}

// -----

func.func @labels_type(%a: tensor<4x8xf32>, %y: tensor<4xf32>) {
  // expected-error @+1 {{must be ranked tensor of 64-bit signless integer or 32-bit signless integer values}}
  %0 = wse.softmax_cross_entropy %a, %y : tensor<4x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @broadcast_to(%a: tensor<3xf32>) {
  // expected-error @+1 {{cannot broadcast [3] to [4x5]}}
  %0 = wse.broadcast_to %a : tensor<3xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @constant() {
  // expected-error @+1 {{'wse.constant' op failed to verify that all of {value, result} have same type}}
  %0 = "wse.constant"() {value = dense<1.0> : tensor<2xf32>} : () -> tensor<3xf32>
  return
}

// -----

func.func @sgd(%p: tensor<4xf32>, %g: tensor<5xf32>) {
  // expected-error @+1 {{failed to verify that all of {param, grad, result} have same type}}
  %0 = "wse.sgd_update"(%p, %g) {lr = 0.1 : f32} : (tensor<4xf32>, tensor<5xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @gqa_heads(%q: tensor<1x3x4x8xf32>, %k: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{query heads (3) must be a multiple of kv heads (2)}}
  %0 = wse.attention %q, %k, %k {num_heads = 3 : i64, num_kv_heads = 2 : i64} : tensor<1x3x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>
  return
}

// -----

func.func @heads_attr(%q: tensor<1x4x4x8xf32>) {
  // expected-error @+1 {{num_heads and num_kv_heads must be 4 and 4}}
  %0 = wse.attention %q, %q, %q {num_heads = 2 : i64, num_kv_heads = 2 : i64} : tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>
  return
}

// -----

func.func @alibi(%q: tensor<1x3x4x8xf32>) {
  // expected-error @+1 {{alibi needs a power-of-two head count, got 3}}
  %0 = wse.attention %q, %q, %q {alibi = true, num_heads = 3 : i64, num_kv_heads = 3 : i64} : tensor<1x3x4x8xf32>, tensor<1x3x4x8xf32>, tensor<1x3x4x8xf32>
  return
}

// -----

func.func @rope_odd(%x: tensor<1x2x4x7xf32>) {
  // expected-error @+1 {{needs [.., T, D] with an even D}}
  %0 = wse.rope %x : tensor<1x2x4x7xf32>
  return
}

// -----

func.func @top_k_too_many(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{wse.top_k k = 5 is not in [1, 4] (the size of axis 1)}}
  %v, %i = wse.top_k %x {axis = 1 : i64, k = 5 : i64} : tensor<3x4xf32>
  return
}

// -----

func.func @top_k_axis(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{wse.top_k axis 2 is out of range for rank 2}}
  %v, %i = wse.top_k %x {axis = 2 : i64, k = 1 : i64} : tensor<3x4xf32>
  return
}

// -----

func.func @moe_route_rank(%c: tensor<6xi64>) {
  // expected-error @+1 {{wse.moe_route takes choices [N, k], not 'tensor<6xi64>'}}
  %s, %t = wse.moe_route %c {capacity = 2 : i64, experts = 3 : i64} : tensor<6xi64>
  return
}

// -----

func.func @moe_route_capacity(%c: tensor<6x2xi64>) {
  // expected-error @+1 {{wse.moe_route needs experts >= 1 and capacity >= 1, got 3 and 0}}
  %s, %t = wse.moe_route %c {capacity = 0 : i64, experts = 3 : i64} : tensor<6x2xi64>
  return
}
