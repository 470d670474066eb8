// Two 256x256x256 products (one with a transposed operand): large enough
// for the reference engine to split their rows over threads.
func.func @main(%a: tensor<256x256xf32> {wse.input = "a"},
                %b: tensor<256x256xf32> {wse.input = "b"}) -> tensor<256x256xf32> {
  %0 = wse.matmul %a, %b {transpose_b = true} : tensor<256x256xf32>, tensor<256x256xf32>
  %1 = wse.matmul %0, %b : tensor<256x256xf32>, tensor<256x256xf32>
  return %1 : tensor<256x256xf32>
}
