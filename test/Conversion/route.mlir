// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step --wse-partition="mesh=16x16" --wse-place --wse-route | FileCheck %s
// RUN: not wse-opt %S/Inputs/few-colors.mlir --wse-route 2>&1 | FileCheck %s --check-prefix=COLORS
// RUN: not wse-opt %S/Inputs/unplaced.mlir --wse-route 2>&1 | FileCheck %s --check-prefix=UNPLACED

// Streams leave the producer's last PE and cover the consumer's row; no
// router carries two routes on one color.
// CHECK: fabric.stream @fc1.y from @fc1 "y" to @fc2 "x" elements 64 color 0 path [1, 0, 3, 0, 4, 0]
// CHECK: fabric.stream @fc2.y from @fc2 "y" to @loss "logits" elements 16 color 1 path [4, 0, 6, 0, 6, 0]
// CHECK: fabric.stream @loss.dlogits from @loss "dlogits" to @fc2 "dy" elements 16 color 2 path [6, 0, 4, 0, 3, 0]
// CHECK: fabric.stream @fc2.dx from @fc2 "dx" to @fc1 "dy" elements 64 color 3 path [4, 0, 1, 0, 0, 0]
// CHECK: fabric.chain @fc1.fwd in @fc1 elements 64 colors [1, 2]
// CHECK: fabric.chain @fc2.fwd in @fc2 elements 16 colors [4, 5]
// CHECK: fabric.chain @fc2.bwd in @fc2 elements 64 colors [6, 7]

// COLORS: error: out of colors for chain @a.bwd: all 3 colors are taken on some router it crosses, e.g. PE (0, 0)
// UNPLACED: error: region @a is not placed: run wse-place first
