// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="lr=0.1" --wse-partition="machine=wse2 mesh=16x16" | FileCheck %s
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="lr=0.1" --wse-partition="machine=wse3" | FileCheck %s --check-prefix=WSE3

// CHECK: module attributes {fabric.machine = #fabric.machine<name = "wse2", width = 16, height = 16, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24
// CHECK: fabric.graph @train_step
// Each layer is a weight-stationary linear kernel over more than one PE.
// CHECK: fabric.region @fc1 "linear" grid [2, 1] sram {{[0-9]+}} config {batch = 4 : i64, bias = true, dx = false, in = 8 : i64, lr = 1.000000e-01 : f32, opt = "sgd", out = 16 : i64, relu = true}
// CHECK: fabric.region @fc2 "linear" grid [2, 1] sram {{[0-9]+}} config {batch = 4 : i64, bias = true, dx = true, in = 16 : i64, lr = 1.000000e-01 : f32, opt = "sgd", out = 4 : i64, relu = false}
// CHECK: fabric.region @loss "softmax_cross_entropy" grid [1, 1]
// Activations forward and gradients backward, only as streams.
// CHECK: fabric.stream @fc1.y from @fc1 "y" to @fc2 "x" elements 64
// CHECK: fabric.stream @fc2.y from @fc2 "y" to @loss "logits" elements 16
// CHECK: fabric.stream @loss.dlogits from @loss "dlogits" to @fc2 "dy" elements 16
// CHECK: fabric.stream @fc2.dx from @fc2 "dx" to @fc1 "dy" elements 64
// CHECK: fabric.chain @fc1.fwd in @fc1 elements 64
// CHECK-NOT: fabric.chain @fc1.bwd
// CHECK: fabric.chain @fc2.bwd in @fc2 elements 64
// CHECK: fabric.input "x" to @fc1 "x" : tensor<4x8xf32>
// CHECK: fabric.input "labels" to @loss "labels" : tensor<4xi64>
// CHECK: fabric.output "loss" from @loss "loss" : tensor<f32> {loss}
// CHECK: fabric.param "fc1.weight" in @fc1 "weight" : tensor<16x8xf32>
// CHECK: fabric.param "fc2.bias" in @fc2 "bias" : tensor<4xf32>
// CHECK-NOT: func.func

// WSE3: #fabric.machine<name = "wse3", width = 755, height = 1174
