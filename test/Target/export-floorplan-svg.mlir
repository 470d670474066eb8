// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="lr=0.1 mesh=16x16" -o %t.mlir
// RUN: wse-translate --export-floorplan-svg %t.mlir | FileCheck %s
// RUN: not wse-translate --export-floorplan-svg %S/../Inputs/mlp.mlir 2>&1 | FileCheck %s --check-prefix=NOTPE

// CHECK: <svg xmlns="http://www.w3.org/2000/svg"
// CHECK: wse2 16x16 PEs; showing the used 8x2 corner
// CHECK: <title>@fc1: 2x1 PEs at (0, 0), {{[0-9]+}} bytes of SRAM per PE</title>
// CHECK: <title>@loss: 1x1 PEs at (6, 0)
// CHECK: <title>chain @fc1.fwd colors 1, 2</title>
// CHECK: <title>@fc1.y on color 0</title>
// CHECK: </svg>
// NOTPE: error: no fabric.machine: draw a module lowered by wse-lower-to-pe
