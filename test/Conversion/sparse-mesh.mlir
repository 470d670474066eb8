// A sparsified weight on the mesh (wse-sparsify, then the mesh pipeline):
// the parameter and its AdamW moments are stored as their mask's kept
// entries, the products iterate those entries only, and the train step's
// mask multiplications cost nothing.
// RUN: wse-opt %s --wse-sparsify="density=0.5" --wse-make-train-step="optimizer=adamw lr=0.01" --wse-decompose-for-mesh --cse --wse-partition="mesh=2x2" 2>/dev/null | FileCheck %s --check-prefix=FABRIC
// RUN: wse-opt %s --wse-sparsify="density=0.5" --wse-train-pipeline="optimizer=adamw lr=0.01 mesh=2x2" 2>/dev/null | FileCheck %s --check-prefix=PE
// RUN: wse-opt %s --wse-sparsify="density=0.5" --wse-train-pipeline="optimizer=adamw lr=0.01 mesh=2x2" -o %t.mlir 2>/dev/null
// RUN: wse-translate --export-wafer-program-text %t.mlir | FileCheck %s --check-prefix=BIN
// A mask that keeps everything (density 1) is no mask: the dense program
// (the same buffers and instructions; only the initializer's spelling
// differs).
// RUN: wse-opt %s --wse-sparsify="density=1" --wse-train-pipeline="optimizer=adamw lr=0.01 mesh=2x2" 2>/dev/null | grep -E "pe\.(instr|buffer|transfer)" > %t.one
// RUN: wse-opt %s --wse-train-pipeline="optimizer=adamw lr=0.01 mesh=2x2" | grep -E "pe\.(instr|buffer|transfer)" > %t.dense
// RUN: diff %t.one %t.dense

// Magnitude at 0.5 keeps 12 of the 24 entries; the parameter and both
// moments live where the update runs, spread over 2x2 PEs, sparse.
// FABRIC: fabric.mask 0 dense<{{\[\[}}false, true, false, true, false, true], [true, false, true, false, false, true], [true, false, true, false, true, false], [false, true, false, true, false, true]]> : tensor<4x6xi1>
// FABRIC: fabric.tensor @t0 : tensor<4x6xf32> "param" name "w" in @mesh layout <x: split(1, 3, 2), y: split(0, 2, 2), sparse(0)>
// FABRIC: fabric.tensor @t1 : tensor<4x6xf32> "state" name "w.exp_avg" in @mesh layout <x: split(1, 3, 2), y: split(0, 2, 2), sparse(0)>
// FABRIC: fabric.tensor @t2 : tensor<4x6xf32> "state" name "w.exp_avg_sq" in @mesh layout <x: split(1, 3, 2), y: split(0, 2, 2), sparse(0)>
// The forward product iterates the weight's kept entries (operand 2).
// FABRIC: fabric.compute "spmap" "mul" in @mesh outs [@t4] ins [@t3, @t0] iter [2, 4, 6] {{.*}}pattern = 2 : i64
// The weight gradient is only ever multiplied by the mask: it is computed
// at the kept entries alone (a sampled product whose result is the pattern).
// FABRIC: fabric.tensor @[[G:t[0-9]+]] : tensor<4x6xf32> "temp" in @mesh layout <x: split(1, 3, 2), y: split(0, 2, 2), sparse(0)>
// FABRIC-NEXT: fabric.compute "spmap" "mul" in @mesh outs [@[[G]]] ins [@{{t[0-9]+}}, @t3] iter [4, 6, 2] {{.*}}pattern = 0 : i64
// AdamW over the slots writes the weight and moments in place; the
// multiplication of the new weight by the mask is the weight itself.
// FABRIC: fabric.compute "adamw" in @mesh outs [@t0, @t1, @t2] ins [@t0, @[[G]], @t1, @t2,
// FABRIC-NOT: "const" in @mesh {{.*}}tensor<4x6xf32>
// FABRIC-NOT: fabric.compute "map" "mul" in @mesh outs [@{{t[0-9]+}}] ins [@{{t[0-9]+}}, @{{t[0-9]+}}] iter [4, 6]
// FABRIC: fabric.output "w" from @t0

// One index buffer: a count and two 16-bit offsets a word for the at most
// 3 kept entries of a PE's 2x3 tile; the weight's buffer holds 3 slots.
// PE: pe.buffer @t0[3]
// PE: pe.buffer @index0[3]
// PE: pe.instr "spmap" "mul" [@t4, @t3, @t0, @index0] ints [3, 3, 1, 2, 4,
// PE: pe.instr "spmap" "mul" [@[[G:t[0-9]+]], @{{t[0-9]+}}, @t3, @index0] ints [3, 3, 0, 1, 1,
// PE: pe.instr "adamw" [@t0, @t1, @t2, @t0, @[[G]], @t1, @t2, @{{t[0-9]+}}, @index0] ints [2, 2, 2, 4, 3, 1, 6, 1]
// PE-NOT: pe.instr "send" [@t0]
// PE-NOT: pe.instr "recv" [@t0]
// PE: pe.mask 0 dense
// PE: pe.bind "index" "index0" to @mesh::@index0 : tensor<4x6xi1> {layout = #fabric.layout<x: split(1, 3, 2), y: split(0, 2, 2), sparse(0)>}
// PE: pe.bind "param" "w" to @mesh::@t0 : tensor<4x6xf32> {{.*}}sparse(0)>}

// The .wsebin names the mask from the layouts (1 + its index).
// BIN: params {
// BIN-NEXT: name: "w"
// BIN: mask: 1
// BIN: masks {
// BIN-NEXT: shape: 4
// BIN-NEXT: shape: 6
// BIN-NEXT: keep: "\000\001\000\001\000\001\001\000\001\000\000\001\001\000\001\000\001\000\000\001\000\001\000\001"
// BIN: indices {
// BIN-NEXT: name: "index0"
func.func @main(%w: tensor<4x6xf32> {wse.param = "w", wse.init = dense<[[0.1, -0.9, 0.2, 0.8, -0.3, 0.7], [0.6, -0.4, 0.5, -0.5, 0.4, -0.6], [-0.7, 0.3, -0.8, 0.2, -0.9, 0.1], [0.05, 0.95, -0.15, 0.85, -0.25, 0.75]]> : tensor<4x6xf32>},
                %x: tensor<2x6xf32> {wse.input = "x"}) -> tensor<2x4xf32> {
  %y = wse.matmul %x, %w {transpose_b = true} : tensor<2x6xf32>, tensor<4x6xf32>
  return %y : tensor<2x4xf32>
}
