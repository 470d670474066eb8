// A row gather from a [5, 3] table at token ids, and one at ids shifted by
// 2 (computed on the mesh, so no host check sees them): errors.test feeds
// both ids outside the table.
func.func @train_step(%table: tensor<5x3xf32> {wse.input = "table"},
                      %ids: tensor<6xi64> {wse.input = "ids"})
    -> (tensor<6x3xf32>, tensor<6x3xf32>) {
  %0 = wse.gather %table, %ids {axis = 0} : tensor<5x3xf32>, tensor<6xi64>
  %two = wse.constant dense<2> : tensor<i64>
  %shifted = wse.add %ids, %two : tensor<6xi64>, tensor<i64>
  %1 = wse.gather %table, %shifted {axis = 0} : tensor<5x3xf32>, tensor<6xi64>
  return %0, %1 : tensor<6x3xf32>, tensor<6x3xf32>
}
