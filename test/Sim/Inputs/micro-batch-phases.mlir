// A hand-written micro-batched step whose update reads a value made per
// micro-batch (%g) beside the accumulated one: which micro-batch's value
// it would mean is not defined.
func.func @train_step(%w: tensor<2xf32> {wse.param = "w", wse.init = dense<1.0> : tensor<2xf32>},
                      %x: tensor<1x2xf32> {wse.input = "x", wse.micro_batched})
    -> (tensor<f32> {wse.loss}, tensor<2xf32> {wse.param = "w"})
    attributes {wse.micro_batches = 2 : i64} {
  %p = wse.reshape %x : tensor<1x2xf32> -> tensor<2xf32>
  %g = wse.mul %p, %w : tensor<2xf32>, tensor<2xf32>
  %l = wse.reduce_sum %g {axes = array<i64: 0>} : tensor<2xf32>
  %a = wse.accumulate %g {mean, micro_batches = 2 : i64} : tensor<2xf32>
  %m = wse.add %a, %g : tensor<2xf32>, tensor<2xf32>
  %n = wse.sgd_update %w, %m {lr = 0.1 : f32} : tensor<2xf32>
  %s = wse.accumulate %l {mean, micro_batches = 2 : i64} : tensor<f32>
  return %s, %n : tensor<f32>, tensor<2xf32>
}
