// RUN: wse-opt %s --wse-lower-to-pe | FileCheck %s

// Optimizer and row kernels on a 4x2 region, the parameter's [6, 8] box
// split in [3, 2] tiles (dim 0 over y, dim 1 over x). Their ints are the
// instruction's leading fields, the box's rank and (block, axis, global)
// per dim; their floats the hyperparameters.

// Optimizer state and the step are buffers bound to the host like
// parameters; a learning rate given per step is an input buffer.
// CHECK-LABEL: pe.program @mesh at [0, 0] size [4, 2] {
// CHECK-NEXT: pe.buffer @w[6] at 0
// CHECK-NEXT: pe.buffer @g[6] at 24
// CHECK-NEXT: pe.buffer @lr[1] at 48
// CHECK-NEXT: pe.buffer @buf[6] at 52
// CHECK-NEXT: pe.buffer @m[6] at 76
// CHECK-NEXT: pe.buffer @v[6] at 100
// CHECK-NEXT: pe.buffer @step[1] at 124
// CHECK-NEXT: pe.buffer @emb[20] at 128
// CHECK-NEXT: pe.buffer @tok[1] at 208
// CHECK-NEXT: pe.buffer @h[2] at 224
// CHECK-NEXT: pe.buffer @dh[3] at 212
// CHECK-NEXT: pe.buffer @tokr[3] at 232
// CHECK-NEXT: pe.buffer @demb[5] at 244
// sgd: [param_out, param, grad(, lr)], ints [rank, box], floats [lr].
// CHECK-NEXT: pe.instr "sgd" [@w, @w, @g] ints [2, 3, 2, 6, 2, 1, 8] floats [1.000000e-01]
// CHECK-NEXT: pe.instr "sgd" [@w, @w, @g, @lr] ints [2, 3, 2, 6, 2, 1, 8] floats [1.000000e-01]
// sgd_momentum: ints [nesterov, rank, box], floats [lr, momentum,
// dampening, weight_decay].
// CHECK-NEXT: pe.instr "sgd_momentum" [@w, @buf, @w, @g, @buf] ints [1, 2, 3, 2, 6, 2, 1, 8] floats [5.000000e-02, 9.000000e-01, 0.000000e+00, 1.000000e-02]
// adamw: floats [lr, beta1, beta2, eps, weight_decay]; the step is a buffer.
// CHECK-NEXT: pe.instr "adamw" [@w, @m, @v, @w, @g, @m, @v, @step] ints [2, 3, 2, 6, 2, 1, 8] floats [1.000000e-03, 9.000000e-01, 9.990000e-01, 1.000000e-08, 1.000000e-02]
// Rows: ints are the (n, d, v) box alone. The gather's tokens split over x,
// the table's columns over y; the scatter-add's table rows over y.
// CHECK-NEXT: pe.instr "gather" [@h, @emb, @tok] ints [1, 1, 3, 2, 2, 4, 10, 0, 10]{{$}}
// CHECK-NEXT: pe.instr "scatter_add" [@demb, @dh, @tokr] ints [3, 0, 3, 1, 1, 4, 5, 2, 10]{{$}}
// CHECK-NEXT: }
// CHECK-NEXT: pe.bind "param" "w" to @mesh::@w : tensor<6x8xf32> {init = dense<5.000000e-01> : tensor<6x8xf32>, layout = #fabric.layout<x: split(1, 2, 4), y: split(0, 3, 2)>}
// CHECK-NEXT: pe.bind "input" "grad" to @mesh::@g : tensor<6x8xf32>
// CHECK-NEXT: pe.bind "input" "lr" to @mesh::@lr : tensor<f32> {layout = #fabric.layout<x: replicated(4), y: replicated(2)>}
// CHECK-NEXT: pe.bind "state" "w.momentum_buffer" to @mesh::@buf : tensor<6x8xf32> {layout = #fabric.layout<x: split(1, 2, 4), y: split(0, 3, 2)>}
// CHECK-NEXT: pe.bind "state" "w.exp_avg" to @mesh::@m : tensor<6x8xf32>
// CHECK-NEXT: pe.bind "state" "w.exp_avg_sq" to @mesh::@v : tensor<6x8xf32>
// CHECK-NEXT: pe.bind "state" "step" to @mesh::@step : tensor<f32> {layout = #fabric.layout<x: replicated(4), y: replicated(2)>}
// CHECK-NEXT: pe.bind "param" "emb" to @mesh::@emb : tensor<10x4xf32>
// CHECK-NEXT: pe.bind "input" "tokens" to @mesh::@tok : tensor<3xi64> {layout = #fabric.layout<x: split(0, 1, 3), y: replicated(2)>
// CHECK-NEXT: pe.bind "input" "dh" to @mesh::@dh : tensor<3x4xf32>
// CHECK-NEXT: pe.bind "output" "w" to @mesh::@w : tensor<6x8xf32>
// CHECK-NEXT: pe.bind "output" "h" to @mesh::@h : tensor<3x4xf32>
// CHECK-NEXT: pe.bind "output" "demb" to @mesh::@demb : tensor<10x4xf32> {layout = #fabric.layout<x: split(1, 1, 4), y: split(0, 5, 2)>}

module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 2, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @train_step {
    fabric.region @mesh grid [4, 2] at [0, 0]
    fabric.tensor @w : tensor<6x8xf32> "param" name "w" in @mesh layout <x: split(1, 2, 4), y: split(0, 3, 2)> init dense<0.5> : tensor<6x8xf32>
    fabric.tensor @g : tensor<6x8xf32> "input" name "grad" in @mesh layout <x: split(1, 2, 4), y: split(0, 3, 2)>
    fabric.tensor @lr : tensor<f32> "input" name "lr" in @mesh layout <x: replicated(4), y: replicated(2)>
    fabric.tensor @buf : tensor<6x8xf32> "state" name "w.momentum_buffer" in @mesh layout <x: split(1, 2, 4), y: split(0, 3, 2)>
    fabric.tensor @m : tensor<6x8xf32> "state" name "w.exp_avg" in @mesh layout <x: split(1, 2, 4), y: split(0, 3, 2)>
    fabric.tensor @v : tensor<6x8xf32> "state" name "w.exp_avg_sq" in @mesh layout <x: split(1, 2, 4), y: split(0, 3, 2)>
    fabric.tensor @step : tensor<f32> "state" name "step" in @mesh layout <x: replicated(4), y: replicated(2)>
    fabric.compute "sgd" in @mesh outs [@w] ins [@w, @g] iter [6, 8] axes [2, 1] blocks [3, 2] maps [array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>] {floats = array<f32: 0.1>}
    fabric.compute "sgd" in @mesh outs [@w] ins [@w, @g, @lr] iter [6, 8] axes [2, 1] blocks [3, 2] maps [array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64>] {floats = array<f32: 0.1>}
    fabric.compute "sgd_momentum" in @mesh outs [@w, @buf] ins [@w, @g, @buf] iter [6, 8] axes [2, 1] blocks [3, 2] maps [array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>] {ints = array<i64: 1>, floats = array<f32: 0.05, 0.9, 0.0, 0.01>}
    fabric.compute "adamw" in @mesh outs [@w, @m, @v] ins [@w, @g, @m, @v, @step] iter [6, 8] axes [2, 1] blocks [3, 2] maps [array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64: 0, 1>, array<i64>] {floats = array<f32: 0.001, 0.9, 0.999, 1.0e-8, 0.01>}
    fabric.tensor @emb : tensor<10x4xf32> "param" name "emb" in @mesh layout <x: replicated(3), y: split(1, 2, 2)> init dense<0.0> : tensor<10x4xf32>
    fabric.tensor @tok : tensor<3xi64> "input" name "tokens" in @mesh layout <x: split(0, 1, 3), y: replicated(2)>
    fabric.tensor @h : tensor<3x4xf32> "temp" in @mesh layout <x: split(0, 1, 3), y: split(1, 2, 2)>
    fabric.compute "gather" in @mesh outs [@h] ins [@emb, @tok] iter [3, 4, 10] axes [1, 2, 0] blocks [1, 2, 10] maps [array<i64: 0, 1>, array<i64: 2, 1>, array<i64: 0>]
    fabric.tensor @dh : tensor<3x4xf32> "input" name "dh" in @mesh layout <x: split(1, 1, 4), y: replicated(2)>
    fabric.tensor @tokr : tensor<3xi64> "temp" in @mesh layout <x: replicated(4), y: replicated(2)>
    fabric.tensor @demb : tensor<10x4xf32> "temp" in @mesh layout <x: split(1, 1, 4), y: split(0, 5, 2)>
    fabric.compute "scatter_add" in @mesh outs [@demb] ins [@dh, @tokr] iter [3, 4, 10] axes [0, 1, 2] blocks [3, 1, 5] maps [array<i64: 2, 1>, array<i64: 0, 1>, array<i64: 0>]
    fabric.output "w" from @w
    fabric.output "h" from @h
    fabric.output "demb" from @demb
  }
}
