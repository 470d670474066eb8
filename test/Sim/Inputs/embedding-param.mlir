// A lookup in a trained [5, 3] table at token ids: torch's Embedding, so a
// negative id is an error on both engines (errors.test).
func.func @train_step(%table: tensor<5x3xf32> {wse.param = "wte", wse.init = dense<1.0> : tensor<5x3xf32>},
                      %ids: tensor<6xi64> {wse.input = "ids"})
    -> tensor<6x3xf32> {
  %0 = wse.gather %table, %ids {axis = 0} : tensor<5x3xf32>, tensor<6xi64>
  return %0 : tensor<6x3xf32>
}
