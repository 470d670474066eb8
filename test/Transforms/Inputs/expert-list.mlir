// Three experts written as a list of modules (torch's ModuleList of
// nn.Linear, as exported): expert e reads block e of the slots, runs
// Linear -> GELU -> Linear on its own parameters, and the results are
// concatenated.
func.func @main(
    %w1a: tensor<6x8xf32> {wse.param = "moe.expert.0.fc.weight", wse.init = #wse.random<normal mean = 0.0 std = 0.3 seed = 1> : tensor<6x8xf32>},
    %b1a: tensor<6xf32> {wse.param = "moe.expert.0.fc.bias", wse.init = #wse.random<normal mean = 0.0 std = 0.3 seed = 2> : tensor<6xf32>},
    %w2a: tensor<8x6xf32> {wse.param = "moe.expert.0.proj.weight", wse.init = #wse.random<normal mean = 0.0 std = 0.3 seed = 3> : tensor<8x6xf32>},
    %w1b: tensor<6x8xf32> {wse.param = "moe.expert.1.fc.weight", wse.init = #wse.random<normal mean = 0.0 std = 0.3 seed = 4> : tensor<6x8xf32>},
    %b1b: tensor<6xf32> {wse.param = "moe.expert.1.fc.bias", wse.init = #wse.random<normal mean = 0.0 std = 0.3 seed = 5> : tensor<6xf32>},
    %w2b: tensor<8x6xf32> {wse.param = "moe.expert.1.proj.weight", wse.init = #wse.random<normal mean = 0.0 std = 0.3 seed = 6> : tensor<8x6xf32>},
    %w1c: tensor<6x8xf32> {wse.param = "moe.expert.2.fc.weight", wse.init = #wse.random<normal mean = 0.0 std = 0.3 seed = 7> : tensor<6x8xf32>},
    %b1c: tensor<6xf32> {wse.param = "moe.expert.2.fc.bias", wse.init = #wse.random<normal mean = 0.0 std = 0.3 seed = 8> : tensor<6xf32>},
    %w2c: tensor<8x6xf32> {wse.param = "moe.expert.2.proj.weight", wse.init = #wse.random<normal mean = 0.0 std = 0.3 seed = 9> : tensor<8x6xf32>},
    %x: tensor<12x8xf32> {wse.input = "x"}) -> tensor<f32> {
  %slots = wse.reshape %x : tensor<12x8xf32> -> tensor<3x4x8xf32>
  %s0 = wse.slice %slots {start = array<i64: 0, 0, 0>, limit = array<i64: 1, 4, 8>, stride = array<i64: 1, 1, 1>} : tensor<3x4x8xf32>
  %r0 = wse.reshape %s0 : tensor<1x4x8xf32> -> tensor<4x8xf32>
  %h0 = wse.matmul %r0, %w1a, %b1a {transpose_b = true} : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6xf32>
  %g0 = wse.gelu %h0 : tensor<4x6xf32>
  %y0 = wse.matmul %g0, %w2a {transpose_b = true} : tensor<4x6xf32>, tensor<8x6xf32>
  %o0 = wse.reshape %y0 : tensor<4x8xf32> -> tensor<1x4x8xf32>
  %s1 = wse.slice %slots {start = array<i64: 1, 0, 0>, limit = array<i64: 2, 4, 8>, stride = array<i64: 1, 1, 1>} : tensor<3x4x8xf32>
  %r1 = wse.reshape %s1 : tensor<1x4x8xf32> -> tensor<4x8xf32>
  %h1 = wse.matmul %r1, %w1b, %b1b {transpose_b = true} : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6xf32>
  %g1 = wse.gelu %h1 : tensor<4x6xf32>
  %y1 = wse.matmul %g1, %w2b {transpose_b = true} : tensor<4x6xf32>, tensor<8x6xf32>
  %o1 = wse.reshape %y1 : tensor<4x8xf32> -> tensor<1x4x8xf32>
  %s2 = wse.slice %slots {start = array<i64: 2, 0, 0>, limit = array<i64: 3, 4, 8>, stride = array<i64: 1, 1, 1>} : tensor<3x4x8xf32>
  %r2 = wse.reshape %s2 : tensor<1x4x8xf32> -> tensor<4x8xf32>
  %h2 = wse.matmul %r2, %w1c, %b1c {transpose_b = true} : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6xf32>
  %g2 = wse.gelu %h2 : tensor<4x6xf32>
  %y2 = wse.matmul %g2, %w2c {transpose_b = true} : tensor<4x6xf32>, tensor<8x6xf32>
  %o2 = wse.reshape %y2 : tensor<4x8xf32> -> tensor<1x4x8xf32>
  %cat = wse.concat %o0, %o1, %o2 {axis = 0 : i64} : tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
  %q2 = wse.mul %cat, %cat : tensor<3x4x8xf32>, tensor<3x4x8xf32>
  %loss = wse.reduce_sum %q2 {axes = array<i64: 0, 1, 2>} : tensor<3x4x8xf32>
  return %loss : tensor<f32>
}
