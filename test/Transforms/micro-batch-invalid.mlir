// RUN: wse-opt %s -split-input-file -verify-diagnostics --wse-micro-batch=micro-batches=2 -o /dev/null

// Ops that would mix the samples of a batch: the micro-batches would not
// add up to the step.


func.func @sum_over_batch(%x: tensor<4x8xf32> {wse.input = "x"}) -> tensor<8xf32> {
  // expected-error @+1 {{micro-batches=2: 'wse.reduce_sum' reduces over the batch}}
  %0 = wse.reduce_sum %x {axes = array<i64: 0>} : tensor<4x8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @contracts_batch(%x: tensor<4x8xf32> {wse.input = "x"}) -> tensor<8x8xf32> {
  // expected-error @+1 {{micro-batches=2: 'wse.matmul' contracts the batch dim}}
  %0 = wse.matmul %x, %x {transpose_a = true} : tensor<4x8xf32>, tensor<4x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

func.func @batch_moved_inward(%x: tensor<4x8xf32> {wse.input = "x"}) -> tensor<32xf32> {
  %0 = wse.transpose %x {perm = array<i64: 1, 0>} : tensor<4x8xf32>
  // expected-error @+1 {{micro-batches=2: 'wse.reshape' moves the batch off the outermost dim}}
  %1 = wse.reshape %0 : tensor<8x4xf32> -> tensor<32xf32>
  return %1 : tensor<32xf32>
}

// -----

func.func @part_of_batch(%x: tensor<4x8xf32> {wse.input = "x"}) -> tensor<2x8xf32> {
  // expected-error @+1 {{micro-batches=2: 'wse.slice' takes part of the batch}}
  %0 = wse.slice %x {limit = array<i64: 2, 8>, start = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<4x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @batch_sized_constant(%x: tensor<4x8xf32> {wse.input = "x"}) -> tensor<4x8xf32> {
  %c = wse.constant dense<1.0> : tensor<4x8xf32>
  // expected-error @+1 {{micro-batches=2: 'wse.add' combines the batch with a value that has a batch-sized dim but does not depend on the inputs}}
  %0 = wse.add %x, %c : tensor<4x8xf32>, tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @softmax_over_batch(%x: tensor<4x8xf32> {wse.input = "x"}) -> tensor<4x8xf32> {
  // expected-error @+1 {{micro-batches=2: 'wse.softmax' works along the batch dim}}
  %0 = wse.softmax %x {axis = 0 : i64} : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// expected-error @+1 {{micro-batches=2: inputs split their batch along dim 0, and this one's is 6 where the first input's is 4}}
func.func @two_batches(%x: tensor<4x8xf32> {wse.input = "x"}, %y: tensor<6x8xf32> {wse.input = "y"}) -> tensor<4x8xf32> {
  return %x : tensor<4x8xf32>
}


// -----

// top_k along the features keeps each sample's choices in its micro-batch;
// the capacity routing after it shares each expert's slots over the batch.
func.func @route_over_batch(%x: tensor<4x3xf32> {wse.input = "x"}) -> tensor<6xi64> {
  %v, %i = wse.top_k %x {axis = 1 : i64, k = 2 : i64} : tensor<4x3xf32>
  // expected-error @+1 {{micro-batches=2: 'wse.moe_route' routes with a capacity per expert that depends on the tokens of the whole batch}}
  %s, %t = wse.moe_route %i {capacity = 2 : i64, experts = 3 : i64} : tensor<4x2xi64>
  return %t : tensor<6xi64>
}

// -----

func.func @top_k_over_batch(%x: tensor<4x3xf32> {wse.input = "x"}) -> tensor<2x3xf32> {
  // expected-error @+1 {{micro-batches=2: 'wse.top_k' works along the batch dim}}
  %v, %i = wse.top_k %x {axis = 0 : i64, k = 2 : i64} : tensor<4x3xf32>
  return %v : tensor<2x3xf32>
}
