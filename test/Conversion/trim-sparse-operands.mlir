// RUN: wse-opt %S/../Inputs/mlp-init.mlir --wse-sparsify="density=0.5" --wse-make-train-step="optimizer=adamw lr=0.01" --wse-decompose-for-mesh --cse --wse-partition="mesh=4x4" --wse-trim-sparse-operands 2>/dev/null | FileCheck %s
// RUN: wse-opt %S/../Inputs/mlp-init.mlir --wse-sparsify="density=0.5" --wse-make-train-step="optimizer=adamw lr=0.01" --wse-decompose-for-mesh --cse --wse-partition="mesh=16x16" --wse-trim-sparse-operands 2>/dev/null | FileCheck %s --check-prefix=WIDE
// RUN: wse-opt %S/../Inputs/mlp-init.mlir --wse-make-train-step="optimizer=adamw lr=0.01" --wse-decompose-for-mesh --cse --wse-partition="mesh=4x4" --wse-trim-sparse-operands | FileCheck %s --check-prefix=DENSE

// The MLP with both weights sparse (density 0.5) on 4x4. The first
// layer's product leaves partial sums over x that only the reducing
// transfer reads: each PE sends the columns its kept entries of
// fc1.weight (mask 0) reach.
// CHECK: fabric.compute "spmap" "mul" in @mesh outs [@[[P1:t[0-9]+]]] {{.*}}pattern = 2
// CHECK: fabric.transfer @x0 @[[P1]] -> @{{t[0-9]+}} "linear" {combine = 1 : i64, have = #fabric.layout<x: split(1, 2, 4), y: split(0, 4, 4), sparse(0)>, have_dims = array<i64: 0, 1>}
// So does the second layer's, along fc2.weight's rows (mask 1).
// CHECK: fabric.transfer @x3 @{{t[0-9]+}} -> @{{t[0-9]+}} "linear" {combine = 1 : i64, have = #fabric.layout<x: replicated(4), y: split(1, 4, 4), sparse(1)>, have_dims = array<i64: 0, 1>}
// The relayouts only sparse kernels read are left whole: on 4x4 a PE's
// entries index more than two thirds of its tile, and a filtered transfer
// could not multicast.
// CHECK-NOT: need =

// On 16x16 the tiles are one row or column of each weight: the relayouts
// of the gradients and activations that only sparse kernels read take just
// the indices a PE's entries use (fc2.weight's rows for the first layer's
// output gradient, fc1.weight's rows for its weight gradient).
// WIDE: fabric.transfer @x12 @{{t[0-9]+}} -> @[[IN:t[0-9]+]] "linear" {need = #fabric.layout<x: replicated(4), y: split(1, 1, 16), sparse(1)>, need_dims = array<i64: 0, 1>}
// WIDE: fabric.compute "spmap" "mul" in @mesh outs [@{{t[0-9]+}}] ins [@[[IN]], @{{t[0-9]+}}] {{.*}}pattern = 2
// WIDE: fabric.transfer @x16 @{{t[0-9]+}} -> @[[G:t[0-9]+]] "linear" {need = #fabric.layout<x: split(1, 1, 8), y: split(0, 1, 16), sparse(0)>, need_dims = array<i64: 0, 1>}
// WIDE: fabric.compute "spmap" "mul" in @mesh outs [@{{t[0-9]+}}] ins [@[[G]], @{{t[0-9]+}}] {{.*}}pattern = 0

// A dense step has no sparse kernels: nothing changes.
// DENSE-NOT: need =
// DENSE-NOT: have =
