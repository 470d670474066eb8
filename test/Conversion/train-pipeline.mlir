// wse-train-pipeline is wse-make-train-step (every option) followed by the
// mesh pipeline; it equals the passes one by one.
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="loss=cross-entropy optimizer=sgd lr=0.1 machine=wse2 mesh=16x16" > %t.pipeline
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="lr=0.1" --wse-decompose-attention --wse-decompose-for-mesh --cse --wse-partition="mesh=16x16" --wse-hoist-transfers --wse-place --wse-route --wse-lower-to-pe --wse-post-receives > %t.passes
// RUN: diff %t.pipeline %t.passes
// RUN: FileCheck %s < %t.pipeline

// Scale with regions, not PEs: the whole WSE-2 wafer gives the same
// program as a 16x16 corner; only the machine's and the program's sizes
// differ (two lines).
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="lr=0.1 machine=wse2" > %t.wafer
// RUN: FileCheck %s --check-prefix=WAFER < %t.wafer
// RUN: not diff %t.pipeline %t.wafer > %t.diff
// RUN: grep -c '^>' %t.diff | FileCheck %s --check-prefix=TWO
// RUN: sed -E -e 's/width = [0-9]+, height = [0-9]+/width = W, height = H/' -e 's/size \[[0-9]+, [0-9]+\]/size [W, H]/' %t.pipeline > %t.a
// RUN: sed -E -e 's/width = [0-9]+, height = [0-9]+/width = W, height = H/' -e 's/size \[[0-9]+, [0-9]+\]/size [W, H]/' %t.wafer > %t.b
// RUN: diff %t.a %t.b

// Training options reach the program.
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="optimizer=adamw lr=0.01 weight-decay=0.1 mesh=16x16" | FileCheck %s --check-prefix=ADAMW
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="momentum=0.9 nesterov=true lr=0.05 mesh=16x16" | FileCheck %s --check-prefix=MOM
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="lr-input=true freeze=fc1.* mesh=16x16" | FileCheck %s --check-prefix=LR
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="optimizer=adam mesh=16x16" 2>&1 | FileCheck %s --check-prefix=OPT
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="lr=0.1 mesh=2x2x2" 2>&1 | FileCheck %s --check-prefix=MESH

// The 8-16-4 MLP: one program over the 16x16 corner. Parameters live
// spread over the region, where their update runs: fc1.weight's 8 inputs
// over x and its 16 outputs over y. The first layer's product splits the
// same way, leaving partial sums over x that a transfer adds. The sum
// starts from 0 in the product itself (acc 3). The parameters that other
// kernels read in another layout (the biases for their adds, fc2.weight)
// are relaid first, at the start of the step: they hold their old values
// until the updates. So are the labels for their one-hot
// (wse-hoist-transfers starts a transfer as soon as its source is
// ready). The bias's data is in by the add, which waits only for the sums
// (wse-post-receives posts them all early).
// CHECK: module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 16, height = 16, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24,
// CHECK-NEXT: pe.program @mesh at [0, 0] size [16, 16] {
// CHECK: pe.instr "send" [@t2] ints [0]
// CHECK-NEXT: pe.instr "post" [@t10] ints [0]
// CHECK-NEXT: pe.instr "send" [@t3] ints [1]
// CHECK-NEXT: pe.instr "post" [@t13] ints [1]
// CHECK-NEXT: pe.instr "send" [@[[LABELS:t[0-9]+]]] ints [2]
// CHECK-NEXT: pe.instr "post" [@[[ONEHOT:t[0-9]+]]] ints [2]
// CHECK-NEXT: pe.instr "send" [@t1] ints [3]
// CHECK-NEXT: pe.instr "post" [@t7] ints [3]
// CHECK-NEXT: pe.instr "map" "mul" [@t5, @t4, @t0] ints [3, 3, 4, 0, 4, 1, 2, 16, 1, 1, 8, 1, 1, 0, 1, 0, 1, 0, 1, 1]
// CHECK-NEXT: pe.instr "send" [@t5] ints [4]
// CHECK-NEXT: pe.instr "post" [@t6] ints [4]
// CHECK-NEXT: pe.instr "recv" [@t7] ints [3]
// CHECK-NEXT: pe.instr "recv" [@t6] ints [4]
// CHECK-NEXT: pe.instr "map" "add" [@t8, @t6, @t7]
// CHECK-NEXT: pe.instr "map" "relu" [@t9, @t8]
// CHECK: pe.instr "recv" [@[[ONEHOT]]] ints [2]
// CHECK-NEXT: pe.instr "map" "eq" [@{{t[0-9]+}}, @[[ONEHOT]],
// CHECK: pe.instr "map" "relu_grad" [{{.*}}, @t8]
// CHECK-COUNT-4: pe.instr "sgd" {{.*}} floats [1.000000e-01]
// CHECK-NEXT: }
// CHECK-NOT: pe.program
// CHECK: pe.bind "param" "fc1.weight" to @mesh::@t0 : tensor<16x8xf32> {layout = #fabric.layout<x: split(1, 1, 8), y: split(0, 1, 16)>}
// CHECK-NEXT: pe.bind "param" "fc1.bias" to @mesh::@t1 : tensor<16xf32>
// CHECK-NEXT: pe.bind "param" "fc2.weight" to @mesh::@t2 : tensor<4x16xf32>
// CHECK-NEXT: pe.bind "param" "fc2.bias" to @mesh::@t3 : tensor<4xf32>
// CHECK-NEXT: pe.bind "input" "x" to @mesh::@t4 : tensor<4x8xf32> {layout = #fabric.layout<x: split(1, 1, 8), y: replicated(16)>}
// CHECK-NEXT: pe.bind "input" "labels" to @mesh::@[[LABELS]] : tensor<4xi64>
// CHECK: pe.bind "output" "loss" to @mesh::@{{t[0-9]+}} : tensor<f32> {layout = #fabric.layout<x: replicated(1), y: replicated(1)>, loss}
// CHECK-NEXT: pe.bind "output" "fc1.weight" to @mesh::@t0 : tensor<16x8xf32>
// CHECK-NEXT: pe.bind "output" "fc1.bias" to @mesh::@t1 : tensor<16xf32>
// CHECK-NEXT: pe.bind "output" "fc2.weight" to @mesh::@t2 : tensor<4x16xf32>
// CHECK-NEXT: pe.bind "output" "fc2.bias" to @mesh::@t3 : tensor<4xf32>
// CHECK-NEXT: {{^}}}{{$}}

// WAFER: module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 750, height = 994,
// WAFER-NEXT: pe.program @mesh at [0, 0] size [750, 994] {
// TWO: 2

// AdamW: the moments and the step are state the host binds (zero at load).
// ADAMW-COUNT-4: pe.instr "adamw" {{.*}} floats [1.000000e-02, 9.000000e-01, 9.990000e-01, 1.000000e-08, 1.000000e-01]
// ADAMW-DAG: pe.bind "state" "step" to @mesh::@{{t[0-9]+}} : tensor<f32> {init = dense<0.000000e+00> : tensor<f32>
// ADAMW-DAG: pe.bind "state" "fc1.weight.exp_avg" to @mesh::@{{t[0-9]+}} : tensor<16x8xf32> {init = dense<0.000000e+00> : tensor<16x8xf32>
// ADAMW-DAG: pe.bind "state" "fc1.weight.exp_avg_sq"
// ADAMW: pe.bind "output" "step"

// Nesterov momentum: the leading int is 1.
// MOM-COUNT-4: pe.instr "sgd_momentum" {{.*}} ints [1, {{.*}} floats [5.000000e-02, 9.000000e-01, 0.000000e+00, 0.000000e+00]
// MOM: pe.bind "state" "fc1.weight.momentum_buffer"

// A per-step learning rate is an input buffer, the updates' fourth operand
// (relaid where an update wants it elsewhere); frozen parameters (fc1) are
// not updated.
// LR-NOT: pe.instr "sgd"
// LR: pe.instr "sgd" [@{{t[0-9]+}}, @{{t[0-9]+}}, @{{t[0-9]+}}, @[[LR:t[0-9]+]]] ints [2, 1, 2, 4, 1, 1, 16]
// LR: pe.instr "sgd" [@{{t[0-9]+}}, @{{t[0-9]+}}, @{{t[0-9]+}}, @[[LR2:t[0-9]+]]] ints [1,
// LR-NOT: pe.instr "sgd"
// LR: pe.transfer @x{{[0-9]+}} @mesh::@[[LR]] -> @mesh::@[[LR2]]
// LR: pe.bind "input" "lr" to @mesh::@[[LR]] : tensor<f32>

// OPT: error: wse-train-pipeline: optimizer='adam' is not one of sgd, adamw
// MESH: error: wse-train-pipeline: mesh='2x2x2' is not WxH with positive W and H (e.g. 16x16)
