// RUN: wse-opt %S/../Inputs/mlp-init.mlir --wse-train-pipeline="lr=0.1 mesh=16x16" -o %t.mlir
// RUN: wse-translate --export-wafer-program-text %t.mlir | FileCheck %s
// RUN: wse-translate --export-wafer-program %t.mlir -o %t.wsebin
// RUN: not wse-translate --export-wafer-program %S/../Inputs/mlp.mlir 2>&1 | FileCheck %s --check-prefix=NOTPE
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="lr=0.1 mesh=16x16" -o %t.noinit.mlir
// RUN: not wse-translate --export-wafer-program %t.noinit.mlir 2>&1 | FileCheck %s --check-prefix=NOINIT

// CHECK: version: 1
// CHECK: machine {
// CHECK-NEXT: name: "wse2"
// CHECK-NEXT: width: 16
// CHECK: programs {
// CHECK-NEXT: name: "fc1"
// CHECK: buffers {
// CHECK-NEXT: name: "x"
// CHECK: instrs {
// CHECK-NEXT: op: MATMUL
// CHECK: routes {
// CHECK-NEXT: name: "fc1.y"
// CHECK: chains {
// CHECK: inputs {
// CHECK-NEXT: name: "x"
// CHECK: outputs {
// CHECK-NEXT: name: "loss"
// CHECK: loss: true
// CHECK: params {
// CHECK-NEXT: name: "fc1.weight"
// CHECK: init: 0.1

// NOTPE: error: no fabric.machine: export a module lowered by wse-lower-to-pe (wse-train-pipeline)
// NOINIT: error: parameter 'fc1.weight' has no initial value (import it from ONNX or give its argument {wse.init})
