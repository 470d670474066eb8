// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step --wse-partition="mesh=16x16" --wse-place | FileCheck %s
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step --wse-partition="mesh=4x4" --wse-place="gap=0" | FileCheck %s --check-prefix=SHELF
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step --wse-partition="mesh=2x1" --wse-place 2>&1 | FileCheck %s --check-prefix=FULL

// Dataflow order along a row, one free column between regions.
// CHECK: fabric.region @fc1 "linear" grid [2, 1] sram {{[0-9]+}} at [0, 0]
// CHECK: fabric.region @fc2 "linear" grid [2, 1] sram {{[0-9]+}} at [3, 0]
// CHECK: fabric.region @loss "softmax_cross_entropy" grid [1, 1] sram {{[0-9]+}} at [6, 0]

// A full row starts a new shelf.
// SHELF: fabric.region @fc1 {{.*}} at [0, 0]
// SHELF: fabric.region @fc2 {{.*}} at [2, 0]
// SHELF: fabric.region @loss {{.*}} at [0, 1]

// FULL: error: region @fc2 (2x1 PEs) does not fit on the 2x1 mesh after the regions placed before it; use a larger mesh=
