// The step of one 1024 -> 1024 layer: its weight alone is 4 MiB, more
// than a 2x2 corner's 4 x 40 KiB of data SRAM can hold under any split.
func.func @train_step(%w: tensor<1024x1024xf32> {wse.param = "fc.weight"},
                      %x: tensor<8x1024xf32> {wse.input = "x"}) -> tensor<8x1024xf32> {
  %0 = wse.matmul %x, %w {transpose_b = true} : tensor<8x1024xf32>, tensor<1024x1024xf32>
  return %0 : tensor<8x1024xf32>
}
