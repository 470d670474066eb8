// A stack of 3 expert FFNs (batched weights [E, d, f], as models/moe
// keeps them) over their slots x [E, C, d], with a squared-error loss.
// On the mesh each expert's weights, products and updates live on its own
// band of rows (a nested layout, mapping.md).
func.func @main(%x: tensor<3x5x8xf32> {wse.input = "x"},
                %t: tensor<3x5x8xf32> {wse.input = "t"},
                %w1: tensor<3x8x12xf32> {wse.param = "w1", wse.init = #wse.random<normal mean = 0.0 std = 0.3 seed = 1> : tensor<3x8x12xf32>},
                %b1: tensor<3x1x12xf32> {wse.param = "b1", wse.init = #wse.random<normal mean = 0.0 std = 0.1 seed = 2> : tensor<3x1x12xf32>},
                %w2: tensor<3x12x8xf32> {wse.param = "w2", wse.init = #wse.random<normal mean = 0.0 std = 0.3 seed = 3> : tensor<3x12x8xf32>}) -> tensor<f32> {
  %0 = wse.matmul %x, %w1 : tensor<3x5x8xf32>, tensor<3x8x12xf32>
  %1 = wse.add %0, %b1 : tensor<3x5x12xf32>, tensor<3x1x12xf32>
  %2 = wse.relu %1 : tensor<3x5x12xf32>
  %3 = wse.matmul %2, %w2 : tensor<3x5x12xf32>, tensor<3x12x8xf32>
  %4 = wse.sub %3, %t : tensor<3x5x8xf32>, tensor<3x5x8xf32>
  %5 = wse.mul %4, %4 : tensor<3x5x8xf32>, tensor<3x5x8xf32>
  %6 = wse.reduce_sum %5 {axes = array<i64: 0, 1, 2>} : tensor<3x5x8xf32>
  return %6 : tensor<f32>
}
