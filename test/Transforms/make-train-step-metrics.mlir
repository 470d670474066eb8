// RUN: wse-opt %s --wse-make-train-step="loss=output lr=0.1" | FileCheck %s
// RUN: wse-opt %s --wse-make-train-step="loss=output lr=0.1" -o %t.mlir
// RUN: wse-sim %t.mlir --steps 2 --input x=%S/Inputs/metrics-x.npy --report %t.json --quiet
// RUN: FileCheck %s --check-prefix=REPORT < %t.json
// The mesh engine reads them back as outputs marked metric, with the same values.
// RUN: wse-opt %s --wse-train-pipeline="loss=output lr=0.1 mesh=2x2" -o %t.mesh.mlir
// RUN: wse-translate --export-wafer-program %t.mesh.mlir -o %t.wsebin
// RUN: wse-sim %t.wsebin --steps 2 --input x=%S/Inputs/metrics-x.npy --report %t.mesh.json --quiet
// RUN: FileCheck %s --check-prefix=REPORT < %t.mesh.json

// Forward results marked wse.metric stay results of the train step, after
// the updated parameters; other extra results go away. wse-sim reports each
// metric per step.
func.func @main(%w: tensor<3xf32> {wse.param = "w", wse.init = dense<[1.0, -2.0, 0.5]> : tensor<3xf32>},
                %x: tensor<3xf32> {wse.input = "x"})
    -> (tensor<f32>, tensor<3xf32> {wse.metric = "scaled"}, tensor<3xf32>,
        tensor<f32> {wse.metric = "norm"}) {
  %p = wse.mul %w, %x : tensor<3xf32>, tensor<3xf32>
  %sq = wse.mul %p, %p : tensor<3xf32>, tensor<3xf32>
  %l = wse.reduce_sum %sq {axes = array<i64: 0>} : tensor<3xf32>
  %n = wse.reduce_sum %w {axes = array<i64: 0>} : tensor<3xf32>
  return %l, %p, %sq, %n : tensor<f32>, tensor<3xf32>, tensor<3xf32>, tensor<f32>
}

// CHECK: func.func @train_step(
// CHECK-SAME: -> (tensor<f32> {wse.loss}, tensor<3xf32> {wse.param = "w"}, tensor<3xf32> {wse.metric = "scaled"}, tensor<f32> {wse.metric = "norm"})

// Step 2 sees w after one SGD step: w - 0.1 * 2 w x^2 = [0.2, -1.6, 0.1].
// REPORT: "metrics": {
// REPORT-NEXT: "norm": -0.5,
// REPORT-NEXT: "scaled": [
// REPORT-NEXT: 2,
// REPORT-NEXT: -2,
// REPORT-NEXT: 1
// REPORT: "metrics": {
// REPORT-NEXT: "norm": -1.3000000715255737,
// REPORT-NEXT: "scaled": [
// REPORT-NEXT: 0.39999997615814209,
// REPORT-NEXT: -1.6000000238418579,
// REPORT-NEXT: 0.19999998807907104
