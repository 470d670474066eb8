// Four residual blocks h = h + relu(h W_i^T), then a head: the residual
// stream between blocks is the forward's only live activation there.
func.func @main(%w1: tensor<8x8xf32> {wse.param = "w1"},
                %w2: tensor<8x8xf32> {wse.param = "w2"},
                %w3: tensor<8x8xf32> {wse.param = "w3"},
                %w4: tensor<8x8xf32> {wse.param = "w4"},
                %wh: tensor<4x8xf32> {wse.param = "head"},
                %x: tensor<4x8xf32> {wse.input = "x"}) -> tensor<4x4xf32> {
  %m1 = wse.matmul %x, %w1 {transpose_b = true} : tensor<4x8xf32>, tensor<8x8xf32>
  %r1 = wse.relu %m1 : tensor<4x8xf32>
  %h1 = wse.add %x, %r1 : tensor<4x8xf32>, tensor<4x8xf32>
  %m2 = wse.matmul %h1, %w2 {transpose_b = true} : tensor<4x8xf32>, tensor<8x8xf32>
  %r2 = wse.relu %m2 : tensor<4x8xf32>
  %h2 = wse.add %h1, %r2 : tensor<4x8xf32>, tensor<4x8xf32>
  %m3 = wse.matmul %h2, %w3 {transpose_b = true} : tensor<4x8xf32>, tensor<8x8xf32>
  %r3 = wse.relu %m3 : tensor<4x8xf32>
  %h3 = wse.add %h2, %r3 : tensor<4x8xf32>, tensor<4x8xf32>
  %m4 = wse.matmul %h3, %w4 {transpose_b = true} : tensor<4x8xf32>, tensor<8x8xf32>
  %r4 = wse.relu %m4 : tensor<4x8xf32>
  %h4 = wse.add %h3, %r4 : tensor<4x8xf32>, tensor<4x8xf32>
  %o = wse.matmul %h4, %wh {transpose_b = true} : tensor<4x8xf32>, tensor<4x8xf32>
  return %o : tensor<4x4xf32>
}
