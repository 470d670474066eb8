// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-partition 2>&1 | FileCheck %s --check-prefix=NOSTEP
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step --wse-partition="machine=wse9" 2>&1 | FileCheck %s --check-prefix=MACHINE
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step --wse-partition="mesh=16by16" 2>&1 | FileCheck %s --check-prefix=MESH
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="loss=mse" --wse-partition 2>&1 | FileCheck %s --check-prefix=MSE
// RUN: not wse-opt %s --wse-make-train-step --wse-partition 2>&1 | FileCheck %s --check-prefix=OP
// RUN: not wse-opt %S/Inputs/big-layer.mlir --wse-make-train-step --wse-partition="mesh=4x4" 2>&1 | FileCheck %s --check-prefix=SRAM

// NOSTEP: error: wse-partition maps @train_step: run wse-make-train-step first
// MACHINE: error: unknown machine 'wse9' (presets: wse2, wse3)
// MESH: error: mesh='16by16' is not WxH with positive W and H (e.g. 16x16)
// MSE: error: the fabric kernels cover loss=cross-entropy only; this loss is computed by wse.mse
// SRAM: error: kernel 'linear' for fc does not fit: no split over up to 4 PEs in a row brings it under 40960 bytes of SRAM per PE

// A graph op no kernel covers yet.
func.func @main(%w: tensor<4x8xf32> {wse.param = "w"}, %x: tensor<4x8xf32> {wse.input = "x"}) -> tensor<4x4xf32> {
  %s = wse.mul %x, %x : tensor<4x8xf32>, tensor<4x8xf32>
  // OP: error: the fabric kernels cover chains of linear layers
  %0 = wse.matmul %s, %w {transpose_b = true} : tensor<4x8xf32>, tensor<4x8xf32>
  return %0 : tensor<4x4xf32>
}
