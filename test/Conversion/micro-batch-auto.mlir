// RUN: wse-opt %s --wse-train-pipeline="optimizer=adamw mesh=16x16" | FileCheck %s --check-prefix=WHOLE
// RUN: wse-opt %s --wse-train-pipeline="optimizer=adamw mesh=16x16 micro-batches=2" | FileCheck %s --check-prefix=MICRO

// execution=auto counts gradient accumulators: an MLP 1024-304-304-10 at
// batch 8 whose parameters and AdamW state fit a 16x16 mesh maps pipelined;
// with micro-batches=2 its accumulators, one per parameter, do not fit
// beside them, and it streams.
func.func @main(%w1: tensor<304x1024xf32> {wse.param = "fc1.weight", wse.init = #wse.random<normal mean = 0.0 std = 0.02 seed = 1> : tensor<304x1024xf32>},
                %w2: tensor<304x304xf32> {wse.param = "fc2.weight", wse.init = #wse.random<normal mean = 0.0 std = 0.02 seed = 2> : tensor<304x304xf32>},
                %w3: tensor<10x304xf32> {wse.param = "fc3.weight", wse.init = #wse.random<normal mean = 0.0 std = 0.02 seed = 3> : tensor<10x304xf32>},
                %x: tensor<8x1024xf32> {wse.input = "x"}) -> tensor<8x10xf32> {
  %0 = wse.matmul %x, %w1 {transpose_b = true} : tensor<8x1024xf32>, tensor<304x1024xf32>
  %1 = wse.relu %0 : tensor<8x304xf32>
  %2 = wse.matmul %1, %w2 {transpose_b = true} : tensor<8x304xf32>, tensor<304x304xf32>
  %3 = wse.relu %2 : tensor<8x304xf32>
  %4 = wse.matmul %3, %w3 {transpose_b = true} : tensor<8x304xf32>, tensor<10x304xf32>
  return %4 : tensor<8x10xf32>
}

// WHOLE-NOT: pe.program @host
// WHOLE: pe.program @mesh
// WHOLE-NOT: pe.program @host
// MICRO: pe.program @host
// MICRO: pe.instr "accumulate"
