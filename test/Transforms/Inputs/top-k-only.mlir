// A top-k whose results feed no matmul (a sampler's, say).
func.func @main(%x: tensor<4x10xf32>) -> (tensor<4x3xf32>, tensor<4x3xi64>) {
  %v, %i = wse.top_k %x {axis = 1 : i64, k = 3 : i64} : tensor<4x10xf32>
  return %v, %i : tensor<4x3xf32>, tensor<4x3xi64>
}
