// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="optimizer=adam" 2>&1 | FileCheck %s --check-prefix=OPT
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="loss=hinge" 2>&1 | FileCheck %s --check-prefix=LOSS
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="loss=output" 2>&1 | FileCheck %s --check-prefix=OUT
// RUN: not wse-opt %s --wse-make-train-step 2>&1 | FileCheck %s --check-prefix=NOGRAD
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="func=nope" 2>&1 | FileCheck %s --check-prefix=FUNC

// OPT: error: wse-make-train-step: optimizer='adam' is not one of sgd, adamw
// LOSS: error: wse-make-train-step: loss='hinge' is not one of cross-entropy, mse, output
// OUT: error: loss=output needs a scalar tensor<f32> first result, got 'tensor<4x4xf32>'
// FUNC: error: no forward function named 'nope'

// An op without a gradient rule between a parameter and the loss.
func.func @main(%w: tensor<4x4xf32> {wse.param = "w"}, %x: tensor<4x4xf32> {wse.input = "x"}) -> tensor<4x4xf32> {
  // NOGRAD: error: 'wse.relu_grad' has no gradient rule (DifferentiableOpInterface); it lies between a parameter and the loss
  %0 = wse.relu_grad %x, %w : tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="momentum=0.9 dampening=0.1" 2>&1 | FileCheck %s --check-prefix=DAMP
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="nesterov=true" 2>&1 | FileCheck %s --check-prefix=NEST
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="label-smoothing=1.5" 2>&1 | FileCheck %s --check-prefix=SMOOTH
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="reduction=max" 2>&1 | FileCheck %s --check-prefix=RED
// DAMP: error: dampening is not supported yet
// NEST: error: wse-make-train-step: nesterov needs momentum > 0
// SMOOTH: error: wse-make-train-step: label-smoothing=1.5 must be in [0, 1)
// RED: error: wse-make-train-step: reduction='max' is not one of mean, sum
