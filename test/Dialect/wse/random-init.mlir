// RUN: wse-opt %s -split-input-file | FileCheck %s
// RUN: wse-opt %s -split-input-file | wse-opt -split-input-file | FileCheck %s
// RUN: wse-opt %s -split-input-file --wse-sparsify="density=0.5" 2>&1 | FileCheck %s --check-prefix=SPARSE

// #wse.random: a parameter's initial value as its generator. The three
// distributions print as they parse (the tensor type after the attribute,
// as for dense<...>), and round-trip.
// CHECK-LABEL: func.func @params
// CHECK-SAME: wse.init = #wse.random<normal mean = 0.000000e+00 std = 2.000000e-02 seed = 7> : tensor<4x8xf32>
// CHECK-SAME: wse.init = #wse.random<uniform low = -1.000000e-01 high = 1.000000e-01 seed = 18446744073709551615> : tensor<8xf32>
// CHECK-SAME: wse.init = #wse.random<constant value = 1.000000e+00> : tensor<4xf32>
// wse-sparsify draws a seeded weight to rank it: 16 of 32 entries kept.
// SPARSE: remark: wse-sparsify: 'w' keeps 16 of 32 entries (density 0.5000, magnitude)
func.func @params(%w: tensor<4x8xf32> {wse.param = "w", wse.init = #wse.random<normal mean = 0.0 std = 0.02 seed = 7> : tensor<4x8xf32>},
                  %b: tensor<8xf32> {wse.param = "b", wse.init = #wse.random<uniform low = -0.1 high = 0.1 seed = 18446744073709551615> : tensor<8xf32>},
                  %s: tensor<4xf32> {wse.param = "s", wse.init = #wse.random<constant value = 1.0> : tensor<4xf32>},
                  %x: tensor<2x8xf32> {wse.input = "x"}) -> tensor<2x4xf32> {
  %0 = wse.matmul %x, %w {transpose_b = true} : tensor<2x8xf32>, tensor<4x8xf32>
  %1 = wse.mul %s, %0 : tensor<4xf32>, tensor<2x4xf32>
  return %1 : tensor<2x4xf32>
}
