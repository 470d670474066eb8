// One elementwise op on 40M floats: a rank-1 tensor splits over one axis
// only, so even the whole WSE-2 wafer (at most 994 PEs along an axis)
// leaves each PE 160 KB of it.
func.func @train_step(%x: tensor<40000000xf32> {wse.input = "x"}) -> tensor<40000000xf32> {
  %0 = wse.exp %x : tensor<40000000xf32>
  return %0 : tensor<40000000xf32>
}
