// A train step whose updated weight alone (1024x1024 f32, 4 MiB) is more
// than a 4x4 mesh holds: 262144 bytes per PE spread over it.
func.func @train_step(%w: tensor<1024x1024xf32> {wse.param = "w"}, %g: tensor<1024x1024xf32> {wse.input = "g"}) -> (tensor<1024x1024xf32> {wse.param = "w"}) {
  %0 = wse.sgd_update %w, %g {lr = 1.000000e-01 : f32} : tensor<1024x1024xf32>
  return %0 : tensor<1024x1024xf32>
}
