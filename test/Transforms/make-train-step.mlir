// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="loss=cross-entropy optimizer=sgd lr=0.1" | FileCheck %s
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="lr=0.1" --mlir-print-debuginfo | FileCheck %s --check-prefix=LOC
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="loss=mse lr=0.5" | FileCheck %s --check-prefix=MSE

// The forward graph becomes @train_step: labels are a new input, the loss
// is the first result, the updated parameters follow under their names.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: {wse.param = "fc1.weight"}
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<4x8xf32> {wse.input = "x"}, %[[Y:[a-z0-9]+]]: tensor<4xi64> {wse.input = "labels"})
// CHECK-SAME: -> (tensor<f32> {wse.loss}, tensor<16x8xf32> {wse.param = "fc1.weight"}, tensor<16xf32> {wse.param = "fc1.bias"}, tensor<4x16xf32> {wse.param = "fc2.weight"}, tensor<4xf32> {wse.param = "fc2.bias"})

// Forward, then the loss.
// CHECK: %[[H:.*]] = wse.matmul %[[X]], %arg0, %arg1 {transpose_b = true}
// CHECK: %[[A:.*]] = wse.relu %[[H]]
// CHECK: %[[L:.*]] = wse.matmul %[[A]], %arg2, %arg3 {transpose_b = true}
// CHECK: %[[LOSS:.*]] = wse.softmax_cross_entropy %[[L]], %[[Y]]

// Backward: seeded with d(loss) = 1, through both layers.
// CHECK: %[[ONE:.*]] = wse.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[DL:.*]] = wse.softmax_cross_entropy_grad %[[L]], %[[Y]], %[[ONE]]
// CHECK: %[[DA:.*]] = wse.matmul %[[DL]], %arg2 :
// CHECK: %[[DW2:.*]] = wse.matmul %[[DL]], %[[A]] {transpose_a = true}
// CHECK: wse.reduce_sum %[[DL]] {axes = array<i64: 0>, keep_dims = true}
// CHECK: %[[DH:.*]] = wse.relu_grad %[[DA]], %[[H]]
// CHECK: %[[DW1:.*]] = wse.matmul %[[DH]], %[[X]] {transpose_a = true}
// No gradient for the input x: nothing multiplies %[[DH]] by fc1.weight.
// CHECK-NOT: wse.matmul %[[DH]], %arg0

// Update, in parameter order.
// CHECK: %[[U1:.*]] = wse.sgd_update %arg0, %[[DW1]] {lr = 1.000000e-01 : f32}
// CHECK: wse.sgd_update %arg1,
// CHECK: wse.sgd_update %arg2, %[[DW2]]
// CHECK: wse.sgd_update %arg3,
// CHECK: return %[[LOSS]], %[[U1]],

// Gradients are named after their parameters.
// LOC-DAG: loc("fc1.weight.grad"
// LOC-DAG: loc("fc2.bias.grad"

// MSE adds a target input shaped like the output.
// MSE-LABEL: func.func @train_step(
// MSE-SAME: %{{.*}}: tensor<4x4xf32> {wse.input = "targets"})
// MSE: wse.mse
// MSE: wse.sub
// MSE: wse.sgd_update %arg0, %{{.*}} {lr = 5.000000e-01 : f32}
