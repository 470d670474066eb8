// A 4096 -> 4096 layer (64 MiB of weights) on one PE: no chunking into
// 1024 products or fewer fits a quarter of its SRAM.
func.func @train_step(%w: tensor<4096x4096xf32> {wse.param = "w"}, %x: tensor<8x4096xf32> {wse.input = "x"}) -> tensor<8x4096xf32> {
  %0 = wse.matmul %x, %w {transpose_b = true} : tensor<8x4096xf32>, tensor<4096x4096xf32>
  return %0 : tensor<8x4096xf32>
}
