// The registered pipeline equals the passes one by one.
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="loss=cross-entropy optimizer=sgd lr=0.1 machine=wse2 mesh=16x16" > %t.pipeline
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="lr=0.1" --wse-partition="mesh=16x16" --wse-place --wse-route --wse-lower-to-pe > %t.passes
// RUN: diff %t.pipeline %t.passes
// RUN: FileCheck %s < %t.pipeline

// Scale with regions, not PEs: the whole WSE-2 wafer gives the same
// programs as a 16x16 corner; only the machine attribute differs.
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="lr=0.1 machine=wse2" > %t.wafer
// RUN: grep -v "fabric.machine" %t.pipeline > %t.a
// RUN: grep -v "fabric.machine" %t.wafer > %t.b
// RUN: diff %t.a %t.b
// RUN: FileCheck %s --check-prefix=WAFER < %t.wafer

// CHECK: #fabric.machine<name = "wse2", width = 16, height = 16
// CHECK-COUNT-3: pe.program
// WAFER: #fabric.machine<name = "wse2", width = 750, height = 994
