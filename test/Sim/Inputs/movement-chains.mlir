// Data movements chained: a slice split into heads and transposed (one
// affine transfer), a transpose merged back (an affine transfer reading its
// index reshaped), two reshapes (one linear transfer).
func.func @train_step(%a: tensor<2x24xf32> {wse.input = "a"}) -> (tensor<2x2x4xf32>, tensor<2x8xf32>, tensor<4x12xf32>) {
  %s = wse.slice %a {start = array<i64: 0, 8>, limit = array<i64: 2, 16>, stride = array<i64: 1, 1>} : tensor<2x24xf32>
  %r = wse.reshape %s : tensor<2x8xf32> -> tensor<2x2x4xf32>
  %t = wse.transpose %r {perm = array<i64: 1, 0, 2>} : tensor<2x2x4xf32>
  %n = wse.neg %t : tensor<2x2x4xf32>
  %u = wse.transpose %n {perm = array<i64: 1, 0, 2>} : tensor<2x2x4xf32>
  %m = wse.reshape %u : tensor<2x2x4xf32> -> tensor<2x8xf32>
  %e = wse.exp %m : tensor<2x8xf32>
  %r1 = wse.reshape %a : tensor<2x24xf32> -> tensor<48xf32>
  %r2 = wse.reshape %r1 : tensor<48xf32> -> tensor<4x12xf32>
  %q = wse.sqrt %r2 : tensor<4x12xf32>
  return %n, %e, %q : tensor<2x2x4xf32>, tensor<2x8xf32>, tensor<4x12xf32>
}
