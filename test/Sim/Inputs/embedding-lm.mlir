// A lookup of 512 token ids in a trained [1024, 256] table, then a linear
// head over 64 classes. On a 16x16 mesh the lookup's kernel (the table
// split over both axes, the rows whole along the ids) needs more than a
// quarter of SRAM, so weight streaming runs the lookup and its gradient in
// chunks of the ids (stream-row-chunks.test).
func.func @lm(%table: tensor<1024x256xf32> {wse.param = "wte", wse.init = #wse.random<normal mean = 0.0 std = 0.5 seed = 1> : tensor<1024x256xf32>},
              %head: tensor<64x256xf32> {wse.param = "head", wse.init = #wse.random<normal mean = 0.0 std = 0.05 seed = 2> : tensor<64x256xf32>},
              %ids: tensor<512xi64> {wse.input = "ids"}) -> tensor<512x64xf32> {
  %0 = wse.gather %table, %ids {axis = 0} : tensor<1024x256xf32>, tensor<512xi64>
  %1 = wse.matmul %0, %head {transpose_b = true} : tensor<512x256xf32>, tensor<64x256xf32>
  return %1 : tensor<512x64xf32>
}
