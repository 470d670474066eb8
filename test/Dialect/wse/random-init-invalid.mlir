// RUN: wse-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{unknown distribution 'gamma' (normal, uniform or constant)}}
func.func @f(%w: tensor<4xf32> {wse.init = #wse.random<gamma mean = 0.0 std = 1.0 seed = 1> : tensor<4xf32>}) {
  return
}

// -----

// expected-error @+1 {{#wse.random normal needs std > 0, not 0.000000e+00}}
func.func @f(%w: tensor<4xf32> {wse.init = #wse.random<normal mean = 0.0 std = 0.0 seed = 1> : tensor<4xf32>}) {
  return
}

// -----

// expected-error @+1 {{#wse.random uniform needs low < high, not 1.000000e+00 and 1.000000e+00}}
func.func @f(%w: tensor<4xf32> {wse.init = #wse.random<uniform low = 1.0 high = 1.0 seed = 1> : tensor<4xf32>}) {
  return
}

// -----

// expected-error @+1 {{#wse.random draws f32 tensors of static shape, not 'tensor<4xi64>'}}
func.func @f(%w: tensor<4xi64> {wse.init = #wse.random<constant value = 1.0> : tensor<4xi64>}) {
  return
}

// -----

// expected-error @+1 {{#wse.random needs its tensor type after it}}
func.func @f(%w: tensor<4xf32> {wse.init = #wse.random<constant value = 1.0>}) {
  return
}

// -----

// expected-error @+1 {{wse.init of argument 0 has type 'tensor<4x4xf32>' but the argument is 'tensor<4x8xf32>'}}
func.func @f(%w: tensor<4x8xf32> {wse.init = #wse.random<normal mean = 0.0 std = 1.0 seed = 1> : tensor<4x4xf32>}) {
  return
}

// -----

// expected-error @+1 {{expected 'seed'}}
func.func @f(%w: tensor<4xf32> {wse.init = #wse.random<normal mean = 0.0 std = 1.0> : tensor<4xf32>}) {
  return
}
