// A 8-16-4 MLP with relu, batch 4: the forward graph as the importer writes it.
func.func @main(%w1: tensor<16x8xf32> {wse.param = "fc1.weight"},
                %b1: tensor<16xf32> {wse.param = "fc1.bias"},
                %w2: tensor<4x16xf32> {wse.param = "fc2.weight"},
                %b2: tensor<4xf32> {wse.param = "fc2.bias"},
                %x: tensor<4x8xf32> {wse.input = "x"}) -> tensor<4x4xf32> {
  %0 = wse.matmul %x, %w1, %b1 {transpose_b = true} : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>
  %1 = wse.relu %0 : tensor<4x16xf32>
  %2 = wse.matmul %1, %w2, %b2 {transpose_b = true} : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4xf32>
  return %2 : tensor<4x4xf32>
}
