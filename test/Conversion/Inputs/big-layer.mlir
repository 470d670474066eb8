// A layer whose weight (1024 x 1024 floats, 4 MiB) cannot fit on a 4x4 mesh.
func.func @main(%w: tensor<1024x1024xf32> {wse.param = "fc.weight"}, %x: tensor<8x1024xf32> {wse.input = "x"}) -> tensor<8x1024xf32> {
  %0 = wse.matmul %x, %w {transpose_b = true} : tensor<8x1024xf32>, tensor<1024x1024xf32>
  return %0 : tensor<8x1024xf32>
}
