// A lookup of 48 token ids in a trained [64, 16] table, then a linear head
// over 8 classes: small enough for a pipelined step on a few PEs.
func.func @lm(%table: tensor<64x16xf32> {wse.param = "wte", wse.init = #wse.random<normal mean = 0.0 std = 0.5 seed = 1> : tensor<64x16xf32>},
              %head: tensor<8x16xf32> {wse.param = "head", wse.init = #wse.random<normal mean = 0.0 std = 0.2 seed = 2> : tensor<8x16xf32>},
              %ids: tensor<48xi64> {wse.input = "ids"}) -> tensor<48x8xf32> {
  %0 = wse.gather %table, %ids {axis = 0} : tensor<64x16xf32>, tensor<48xi64>
  %1 = wse.matmul %0, %head {transpose_b = true} : tensor<48x16xf32>, tensor<8x16xf32>
  return %1 : tensor<48x8xf32>
}
