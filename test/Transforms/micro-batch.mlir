// RUN: wse-opt %s --wse-micro-batch=micro-batches=2 | FileCheck %s
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-micro-batch=micro-batches=2 --wse-make-train-step="lr=0.1" | FileCheck %s --check-prefix=STEP
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-micro-batch=micro-batches=4 --wse-make-train-step="lr=0.1 reduction=sum" | FileCheck %s --check-prefix=SUM
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-micro-batch=micro-batches=1 | FileCheck %s --check-prefix=ONE
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-micro-batch=micro-batches=3 2>&1 | FileCheck %s --check-prefix=DIVIDE
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-micro-batch=micro-batches=0 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-micro-batch=micro-batches=2 --wse-make-train-step="loss=output" 2>&1 | FileCheck %s --check-prefix=OUTPUT
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-micro-batch=micro-batches=2 --wse-make-train-step="ignore-index=-100" 2>&1 | FileCheck %s --check-prefix=IGNORE
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-micro-batch=micro-batches=2 --wse-make-train-step="ignore-index=-100 reduction=sum" -o /dev/null
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-micro-batch=micro-batches=2 --wse-micro-batch=micro-batches=2 2>&1 | FileCheck %s --check-prefix=TWICE
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="mesh=4x4 micro-batches=-1" 2>&1 | FileCheck %s --check-prefix=PIPELINE

// A transformer-shaped forward: the batch is followed through reshapes
// that keep it outermost, transposes, norms, softmax, reductions over other
// dims and products with weights.
// CHECK-LABEL: func.func @lm
// CHECK-SAME: (%arg0: tensor<2x6x4xf32> {wse.input = "x", wse.micro_batched},
// CHECK-SAME: %arg1: tensor<4x4xf32> {wse.param = "w"})
// CHECK-SAME: -> tensor<2x6xf32>
// CHECK-SAME: attributes {wse.micro_batches = 2 : i64}
// CHECK: wse.matmul %arg0, %arg1 {transpose_b = true} : tensor<2x6x4xf32>, tensor<4x4xf32>
// CHECK: wse.reshape %{{.*}} : tensor<2x6x4xf32> -> tensor<2x6x2x2xf32>
// CHECK: wse.transpose %{{.*}} {perm = array<i64: 0, 2, 1, 3>} : tensor<2x6x2x2xf32>
// CHECK: wse.layer_norm %{{.*}} {axis = 3 : i64, epsilon = {{.*}}} : tensor<2x2x6x2xf32>
// CHECK: wse.reshape %{{.*}} : tensor<2x2x6x2xf32> -> tensor<24x2xf32>
// CHECK: wse.slice %{{.*}} {limit = array<i64: 24, 1>, start = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<24x2xf32>
// CHECK: wse.reshape %{{.*}} : tensor<24x1xf32> -> tensor<2x2x6xf32>
// CHECK: wse.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<6x6xi1>, tensor<2x2x6x6xf32>, tensor<f32>
// CHECK: wse.softmax %{{.*}} {axis = 3 : i64} : tensor<2x2x6x6xf32>
// CHECK: wse.reduce_sum %{{.*}} {axes = array<i64: 1, 3>} : tensor<2x2x6x6xf32>
// CHECK: return %{{.*}} : tensor<2x6xf32>
func.func @lm(%x: tensor<4x6x4xf32> {wse.input = "x"},
              %w: tensor<4x4xf32> {wse.param = "w"}) -> tensor<4x6xf32> {
  %mask = wse.constant dense<true> : tensor<6x6xi1>
  %0 = wse.matmul %x, %w {transpose_b = true} : tensor<4x6x4xf32>, tensor<4x4xf32>
  %1 = wse.reshape %0 : tensor<4x6x4xf32> -> tensor<4x6x2x2xf32>
  %2 = wse.transpose %1 {perm = array<i64: 0, 2, 1, 3>} : tensor<4x6x2x2xf32>
  %3 = wse.layer_norm %2 {axis = 3 : i64, epsilon = 1.0e-5 : f32} : tensor<4x2x6x2xf32>
  %4 = wse.reshape %3 : tensor<4x2x6x2xf32> -> tensor<48x2xf32>
  %5 = wse.slice %4 {limit = array<i64: 48, 1>, start = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<48x2xf32>
  %6 = wse.reshape %5 : tensor<48x1xf32> -> tensor<4x2x6xf32>
  %7 = wse.reshape %6 : tensor<4x2x6xf32> -> tensor<4x2x6x1xf32>
  %8 = wse.mul %7, %3 : tensor<4x2x6x1xf32>, tensor<4x2x6x2xf32>
  %9 = wse.matmul %8, %3 {transpose_b = true} : tensor<4x2x6x2xf32>, tensor<4x2x6x2xf32>
  %c = wse.constant dense<-1.0e9> : tensor<f32>
  %10 = wse.select %mask, %9, %c : tensor<6x6xi1>, tensor<4x2x6x6xf32>, tensor<f32>
  %11 = wse.softmax %10 {axis = 3 : i64} : tensor<4x2x6x6xf32>
  %12 = wse.reduce_sum %11 {axes = array<i64: 1, 3>} : tensor<4x2x6x6xf32>
  return %12 : tensor<4x6xf32>
}


// The step runs on one micro-batch: the labels the loss adds come in
// micro-batches too, and the loss and each gradient are accumulated (a
// mean over the step's micro-batches) before the update.
// STEP: func.func @train_step(
// STEP-SAME: %arg4: tensor<2x8xf32> {wse.input = "x", wse.micro_batched}
// STEP-SAME: %arg5: tensor<2xi64> {wse.input = "labels", wse.micro_batched
// STEP-SAME: attributes {wse.micro_batches = 2 : i64}
// STEP: %[[L:.*]] = wse.softmax_cross_entropy
// STEP: %[[G:.*]] = wse.accumulate %{{.*}} {mean, micro_batches = 2 : i64} : tensor<16x8xf32>
// STEP-NEXT: wse.accumulate %{{.*}} {mean, micro_batches = 2 : i64} : tensor<16xf32>
// STEP-NEXT: wse.accumulate %{{.*}} {mean, micro_batches = 2 : i64} : tensor<4x16xf32>
// STEP-NEXT: wse.accumulate %{{.*}} {mean, micro_batches = 2 : i64} : tensor<4xf32>
// STEP: wse.sgd_update %arg0, %[[G]]
// STEP: %[[SL:.*]] = wse.accumulate %[[L]] {mean, micro_batches = 2 : i64} : tensor<f32>
// STEP: return %[[SL]],

// A sum over the batch is the sum of the micro-batches' sums.
// SUM: attributes {wse.micro_batches = 4 : i64}
// SUM: wse.accumulate %{{.*}} {micro_batches = 4 : i64} : tensor<16x8xf32>
// SUM-NOT: mean

// ONE-NOT: micro

// DIVIDE: error: micro-batches=3 does not divide the batch of 4
// ZERO: error: wse-micro-batch: micro-batches=0 must be at least 1
// OUTPUT: error: a micro-batched step needs loss=cross-entropy or mse: how an output loss reduces over the batch is unknown
// IGNORE: error: a micro-batched step cannot take the mean over labels that are not ignored (ignore-index): micro-batches would count different labels; use reduction=sum
// TWICE: error: wse-micro-batch: the function is micro-batched already
// PIPELINE: wse-train-pipeline: micro-batches=-1 must be at least 1
