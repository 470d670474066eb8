// RUN: wse-opt %s --wse-sparsify="density=0.5" -split-input-file -verify-diagnostics | FileCheck %s

// Remarks point at each weight's first use (its layer), not the long
// signature line that declares it.
// Magnitude: the largest |w| stay; ties go to the lower flat index. The
// default selection is the matmul weight, not the bias or the embedding.
// w = [[2, -3], [3, 3]]: three tie at 3; flat 1 and 2 stay, 0 and 3 go.
// CHECK-LABEL: func.func @mlp
// CHECK-SAME: wse.init = dense_resource<fc.weight> : tensor<2x2xf32>, wse.mask = dense<{{\[\[}}false, true], [true, false]]> : tensor<2x2xi1>, wse.param = "fc.weight"
// CHECK-SAME: {wse.init = dense<1.000000e+00> : tensor<2xf32>, wse.param = "fc.bias"}
// CHECK-SAME: {wse.init = dense<1.000000e+00> : tensor<4x2xf32>, wse.param = "wte"}
// The kept values, the rest zero: [0, -3, 3, 0].
// CHECK: fc.weight: "0x0400000000000000000040C00000404000000000"
func.func @mlp(%w: tensor<2x2xf32> {wse.param = "fc.weight", wse.init = dense<[[2.0, -3.0], [3.0, 3.0]]> : tensor<2x2xf32>},
               %bias: tensor<2xf32> {wse.param = "fc.bias", wse.init = dense<1.0> : tensor<2xf32>},
               %table: tensor<4x2xf32> {wse.param = "wte", wse.init = dense<1.0> : tensor<4x2xf32>},
               %ids: tensor<3xi64> {wse.input = "ids"}) -> tensor<3x2xf32> {
  %x = wse.gather %table, %ids {axis = 0} : tensor<4x2xf32>, tensor<3xi64>
  // expected-remark @below {{wse-sparsify: 'fc.weight' keeps 2 of 4 entries (density 0.5000, magnitude)}}
  %y = wse.matmul %x, %w, %bias {transpose_b = true} : tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// All equal: round(0.5 x 6) = 3 entries stay, the lowest flat indices.
// CHECK-LABEL: func.func @three
// CHECK-SAME: wse.mask = dense<{{\[\[}}true, true, true], [false, false, false]]> : tensor<2x3xi1>
func.func @three(%w: tensor<2x3xf32> {wse.param = "w", wse.init = dense<1.0> : tensor<2x3xf32>}, %x: tensor<4x3xf32> {wse.input = "x"}) -> tensor<4x2xf32> {
  // expected-remark @below {{wse-sparsify: 'w' keeps 3 of 6 entries (density 0.5000, magnitude)}}
  %y = wse.matmul %x, %w {transpose_b = true} : tensor<4x3xf32>, tensor<2x3xf32>
  return %y : tensor<4x2xf32>
}
