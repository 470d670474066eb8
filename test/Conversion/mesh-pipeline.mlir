// wse-mesh-pipeline maps an existing train step onto the mesh: it equals
// the passes one by one.
// RUN: wse-opt %s -split-input-file --wse-mesh-pipeline="machine=wse2 mesh=4x4" > %t.pipeline
// RUN: wse-opt %s -split-input-file --wse-decompose-attention --wse-decompose-for-mesh --cse --wse-partition="machine=wse2 mesh=4x4" --wse-hoist-transfers --wse-place --wse-route --wse-lower-to-pe --wse-post-receives > %t.passes
// RUN: diff %t.pipeline %t.passes
// RUN: FileCheck %s < %t.pipeline
// RUN: wse-opt %s -split-input-file --wse-mesh-pipeline | FileCheck %s --check-prefix=WAFER

// Bad paths: a forward graph is not a train step; the mesh option reaches
// the partitioner.
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-mesh-pipeline 2>&1 | FileCheck %s --check-prefix=NOSTEP
// NOSTEP: error: wse-partition maps @train_step: run wse-make-train-step first
// RUN: not wse-opt %s -split-input-file --wse-mesh-pipeline="mesh=4" 2>&1 | FileCheck %s --check-prefix=MESH
// MESH: error: wse-mesh-pipeline: mesh='4' is not WxH with positive W and H (e.g. 16x16)
// RUN: not wse-opt %s -split-input-file --wse-mesh-pipeline="machine=wse1" 2>&1 | FileCheck %s --check-prefix=MACHINE
// MACHINE: error: wse-mesh-pipeline: unknown machine 'wse1' (presets: wse2, wse3)

// The step of a linear classifier, as wse-make-train-step writes it: the
// bias matmul and the softmax cross-entropy (and its gradient) are
// composites, decomposed on the way.
// CHECK-LABEL: module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 4, height = 4,
// CHECK-NEXT: pe.program @mesh at [0, 0] size [4, 4] {
// The labels' relayout for their one-hot needs only the input: it starts
// the step (wse-hoist-transfers). The bias is a parameter, read in its
// old value until its update: the relayout its add needs runs next, at
// the start of the step. The PEs wait for each only where it is used.
// CHECK: pe.instr "send" [@[[LABELS:t[0-9]+]]] ints [0]
// CHECK-NEXT: pe.instr "post" [@[[ONEHOT:t[0-9]+]]] ints [0]
// CHECK-NEXT: pe.instr "send" [@t1] ints [1]
// CHECK-NEXT: pe.instr "post" [@t5] ints [1]
// CHECK-NEXT: pe.instr "map" "mul" [@t3, @t2, @t0] ints [3, 3,
// CHECK-NEXT: pe.instr "send" [@t3] ints [2]
// CHECK-NEXT: pe.instr "post" [@t4] ints [2]
// CHECK: pe.instr "recv" [@t4] ints [2]
// CHECK: pe.instr "map" "add" [@t6, @t4, @t5]
// Log-sum-exp: a row max over y, combined by a transfer, then exp and a sum.
// CHECK-NEXT: pe.instr "map" "copy" [@t7, @t6] ints [2, 4,
// CHECK-NEXT: pe.instr "send" [@t7] ints [3]
// CHECK-NEXT: pe.instr "recv" [@t8] ints [3]
// CHECK: pe.instr "map" "exp"
// CHECK: pe.instr "map" "log" [@[[LSE:t[0-9]+]],
// The labels' one-hot.
// CHECK: pe.instr "recv" [@[[ONEHOT]]] ints [0]
// CHECK-NEXT: pe.instr "map" "eq" [@{{t[0-9]+}}, @[[ONEHOT]],
// The gradient's softmax reuses the loss's log-sum-exp (cse runs after the
// decomposition): no second row max or log.
// CHECK-NOT: pe.instr "map" "log"
// CHECK-NOT: pe.instr "map" "copy" [@{{t[0-9]+}}, @{{t[0-9]+}}] ints [2, 4,
// CHECK: pe.instr "send" [@[[LSE]]]
// CHECK-NOT: pe.instr "map" "log"
// CHECK-NOT: pe.instr "map" "copy" [@{{t[0-9]+}}, @{{t[0-9]+}}] ints [2, 4,
// The parameters live where their updates run, which write them in place.
// CHECK: pe.instr "sgd" [@t0, @t0, {{.*}}] ints [2, {{.*}}] floats [5.000000e-01]
// CHECK: pe.instr "sgd" [@t1, @t1, {{.*}}] ints [1, {{.*}}] floats [5.000000e-01]
// CHECK-NEXT: }
// CHECK: pe.transfer @x2 @mesh::@t7 -> @mesh::@t8 {{{.*}}combine = 2 : i64
// CHECK: pe.bind "param" "fc.weight" to @mesh::@t0 : tensor<3x4xf32>
// CHECK-NEXT: pe.bind "param" "fc.bias" to @mesh::@t1 : tensor<3xf32>
// CHECK-NEXT: pe.bind "input" "x" to @mesh::@t2 : tensor<2x4xf32>
// CHECK-NEXT: pe.bind "input" "labels" to @mesh::@[[LABELS]] : tensor<2xi64>
// CHECK: pe.bind "output" "loss" to @mesh::@{{t[0-9]+}} : tensor<f32> {layout = #fabric.layout<x: replicated(1), y: replicated(1)>, loss}
// CHECK-NEXT: pe.bind "output" "fc.weight" to @mesh::@t0 : tensor<3x4xf32>
// CHECK-NEXT: pe.bind "output" "fc.bias" to @mesh::@t1 : tensor<3xf32>
// CHECK-NOT: func.func
// CHECK-NOT: fabric.graph
// CHECK-NOT: wse.
// WAFER-LABEL: module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 750, height = 994,
// WAFER-NEXT: pe.program @mesh at [0, 0] size [750, 994] {
func.func @train_step(%w: tensor<3x4xf32> {wse.param = "fc.weight"}, %b: tensor<3xf32> {wse.param = "fc.bias"}, %x: tensor<2x4xf32> {wse.input = "x"}, %labels: tensor<2xi64> {wse.input = "labels"}) -> (tensor<f32> {wse.loss}, tensor<3x4xf32> {wse.param = "fc.weight"}, tensor<3xf32> {wse.param = "fc.bias"}) {
  %0 = wse.matmul %x, %w, %b {transpose_b = true} : tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>
  %1 = wse.softmax_cross_entropy %0, %labels : tensor<2x3xf32>, tensor<2xi64>
  %2 = wse.constant dense<1.000000e+00> : tensor<f32>
  %3 = wse.softmax_cross_entropy_grad %0, %labels, %2 : tensor<2x3xf32>, tensor<2xi64>, tensor<f32>
  %4 = wse.matmul %3, %x {transpose_a = true} : tensor<2x3xf32>, tensor<2x4xf32>
  %5 = wse.reduce_sum %3 {axes = array<i64: 0>, keep_dims = true} : tensor<2x3xf32>
  %6 = wse.reshape %5 : tensor<1x3xf32> -> tensor<3xf32>
  %7 = wse.sgd_update %w, %4 {lr = 5.000000e-01 : f32} : tensor<3x4xf32>
  %8 = wse.sgd_update %b, %6 {lr = 5.000000e-01 : f32} : tensor<3xf32>
  return %1, %7, %8 : tensor<f32>, tensor<3x4xf32>, tensor<3xf32>
}

// -----

// Attention is decomposed too: causal masking becomes a bias computed from
// the key and query positions (a compare and a select on the mesh).
// CHECK-LABEL: module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 4, height = 4,
// CHECK-NEXT: pe.program @mesh at [0, 0] size [4, 4] {
// CHECK: pe.instr "map" "gt"
// CHECK-NEXT: pe.instr "map" "select"
// CHECK: pe.instr "map" "exp"
// CHECK: pe.bind "param" "q" to @mesh::@t0 : tensor<1x2x3x4xf32>
// CHECK: pe.bind "const" "{{t[0-9]+}}" to @mesh::@{{t[0-9]+}} : tensor<1x1x1x3xf32> {init = dense<{{\[\[\[\[}}0.000000e+00, 1.000000e+00, 2.000000e+00]]]]>
// CHECK: pe.bind "output" "result0"
// CHECK-NOT: wse.attention
// WAFER-LABEL: module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 750, height = 994,
func.func @train_step(%q: tensor<1x2x3x4xf32> {wse.param = "q"}, %k: tensor<1x2x3x4xf32> {wse.input = "k"}, %v: tensor<1x2x3x4xf32> {wse.input = "v"}) -> tensor<1x2x3x4xf32> {
  %0 = wse.attention %q, %k, %v {causal = true, num_heads = 2 : i64, num_kv_heads = 2 : i64} : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>
  return %0 : tensor<1x2x3x4xf32>
}
