// RUN: wse-opt %s --wse-partition="execution=weight-streaming" | FileCheck %s

// Attention's product of probabilities and values at batch 8 on the whole
// wafer: the leading batch dim and the heads are separate box dims (the
// partitioner splits one dim per mesh axis), so the product runs in chunks
// of one batch and 8 columns, 128 in all, each put in its window of the
// joined result as it is computed.
// CHECK-LABEL: fabric.graph @train_step {
// CHECK:      fabric.compute "map" "mul" in @mesh outs [@t4] ins [@t1, @t3] iter [1, 40, 2048, 8, 2048]
// CHECK-NEXT: fabric.tensor @t5 : tensor<8x40x2048x128xf32> "temp" in @mesh
// CHECK-COUNT-127: fabric.compute "map" "mul" in @mesh {{.*}} iter [1, 40, 2048, 8, 2048]
// CHECK-NOT:  fabric.compute "map" "mul"
// CHECK:      window_lo = array<i64: 7, 0, 0, 120>, window_size = array<i64: 1, 40, 2048, 8>
func.func @train_step(%p: tensor<8x40x2048x2048xf32> {wse.input = "p"}, %v: tensor<8x40x2048x128xf32> {wse.input = "v"}) -> tensor<8x40x2048x128xf32> {
  %0 = wse.matmul %p, %v : tensor<8x40x2048x2048xf32>, tensor<8x40x2048x128xf32>
  return %0 : tensor<8x40x2048x128xf32>
}
