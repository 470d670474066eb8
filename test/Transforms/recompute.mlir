// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="lr=0.1" --wse-decompose-for-mesh --cse --wse-recompute 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=REMARK < %t.err
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="lr=0.1" --wse-decompose-for-mesh --cse --wse-recompute=policy=none | FileCheck %s --check-prefix=NONE
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-recompute 2>&1 | FileCheck %s --check-prefix=NOSTEP
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-recompute=policy=all 2>&1 | FileCheck %s --check-prefix=POLICY
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="lr=0.1 mesh=4x4 recompute=sometimes" 2>&1 | FileCheck %s --check-prefix=PIPELINE

// The module says what was done (the wafer program and wse-sim's report
// carry it).
// CHECK: module attributes {wse.recompute = "selective"}

// Forward: the products with the weights are kept; the bias add and the
// relu are not.
// CHECK: %[[H:.*]] = wse.matmul %arg4, %arg0 {transpose_b = true}
// CHECK: %[[HB:.*]] = wse.add %[[H]], %arg1
// CHECK: %[[A:.*]] = wse.relu %[[HB]]
// CHECK: wse.matmul %[[A]], %arg2 {transpose_b = true}

// Backward: the gradient of fc2.weight reads the relu, recomputed right
// before it from the kept product; relu_grad reads the recomputed bias add.
// CHECK: %[[DA:.*]] = wse.matmul %[[DL:.*]], %arg2 :
// CHECK-NEXT: %[[HB2:.*]] = wse.add %[[H]], %arg1
// CHECK-NEXT: %[[A2:.*]] = wse.relu %[[HB2]]
// CHECK-NEXT: wse.matmul %[[DL]], %[[A2]] {transpose_a = true}
// CHECK: wse.relu_grad %[[DA]], %[[HB2]]
// The products are not recomputed, and the forward's relu is read by the
// forward only.
// CHECK-NOT: wse.matmul %arg4, %arg0
// CHECK-NOT: %[[A]]
// CHECK: return

// REMARK: mlp.mlir:9:8: remark: wse-recompute: the backward pass recomputes 11 values (224 elements) instead of keeping them from the forward pass

// NONE: module {
// NONE-COUNT-1: wse.relu %
// NONE-NOT: wse.relu %

// NOSTEP: error: wse-recompute: no train step (a function whose result is marked wse.loss); run wse-make-train-step first
// POLICY: error: wse-recompute: policy must be selective, full or none, not 'all'
// PIPELINE: wse-train-pipeline: recompute must be none, selective or full, not 'sometimes'
