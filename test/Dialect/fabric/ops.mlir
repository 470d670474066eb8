// RUN: wse-opt %s | FileCheck %s
// RUN: wse-opt %s | wse-opt | FileCheck %s

// CHECK: module attributes {fabric.machine = #fabric.machine<name = "t", width = 16, height = 4
module attributes {fabric.machine = #fabric.machine<name = "t", width = 16, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  // CHECK: fabric.graph @train_step
  fabric.graph @train_step {
    // CHECK: fabric.region @fc "linear" grid [2, 1] sram 1024 at [0, 0] config {out = 4 : i64}
    fabric.region @fc "linear" grid [2, 1] sram 1024 at [0, 0] config {out = 4 : i64}
    fabric.region @loss "softmax_cross_entropy" grid [1, 1] sram 64 config {}
    // CHECK: fabric.stream @fc.y from @fc "y" to @loss "logits" elements 16 color 3 path [1, 0, 3, 0, 3, 0]
    fabric.stream @fc.y from @fc "y" to @loss "logits" elements 16 color 3 path [1, 0, 3, 0, 3, 0]
    fabric.stream @loss.dlogits from @loss "dlogits" to @fc "dy" elements 16
    // CHECK: fabric.chain @fc.fwd in @fc elements 16 colors [0, 1]
    fabric.chain @fc.fwd in @fc elements 16 colors [0, 1]
    // CHECK: fabric.input "x" to @fc "x" : tensor<4x8xf32>
    fabric.input "x" to @fc "x" : tensor<4x8xf32>
    // CHECK: fabric.output "loss" from @loss "loss" : tensor<f32> {loss}
    fabric.output "loss" from @loss "loss" : tensor<f32> {loss}
    // CHECK: fabric.param "w" in @fc "weight" : tensor<4x8xf32> init dense<0.000000e+00> : tensor<4x8xf32>
    fabric.param "w" in @fc "weight" : tensor<4x8xf32> init dense<0.0> : tensor<4x8xf32>
  }
}
