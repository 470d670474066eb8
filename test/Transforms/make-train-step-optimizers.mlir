// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="optimizer=adamw clip-norm=1.0 freeze=fc1.* lr-input=true" | FileCheck %s --check-prefix=ADAMW
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="momentum=0.9 nesterov=true weight-decay=0.01 label-smoothing=0.1 ignore-index=-100" | FileCheck %s --check-prefix=SGD

// Frozen fc1 is neither updated nor returned; AdamW state is explicit, with
// one shared step counter; the lr comes in per step.
// ADAMW-LABEL: func.func @train_step(
// ADAMW-SAME: %{{.*}}: tensor<f32> {wse.input = "lr"}
// ADAMW-SAME: {wse.init = dense<0.000000e+00> : tensor<f32>, wse.state = "step"}
// ADAMW-SAME: wse.state = "fc2.weight.exp_avg"
// ADAMW-SAME: -> (tensor<f32> {wse.loss}, tensor<f32> {wse.state = "step"}
// ADAMW-NOT: "fc1.weight"}, tensor
// ADAMW: wse.clamp %{{.*}} {max = 1.000000e+00 : f64}
// ADAMW: wse.adamw_update %arg2, %{{.*}}, %{{.*}}, %{{.*}} step(%{{.*}} : tensor<f32>) lr(%{{.*}} : tensor<f32>)
// ADAMW-NOT: wse.adamw_update %arg0

// SGD with momentum keeps a buffer per parameter; label smoothing and
// ignore_index go through log_softmax + nll_loss.
// SGD: wse.log_softmax
// SGD: wse.nll_loss %{{.*}}, %{{.*}} {ignore_index = -100 : i64}
// SGD: wse.sgd_momentum_update %arg0, %{{.*}}, %{{.*}} {lr = 0.00999999977 : f32, momentum = 0.899999976 : f32, nesterov = true, weight_decay = 0.00999999977 : f32}
