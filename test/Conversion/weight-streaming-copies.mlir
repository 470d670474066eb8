// RUN: wse-opt %s --wse-partition="mesh=4x4 execution=weight-streaming" | FileCheck %s

// Streaming saves SRAM over transfers: the product's replicated copy of
// %x2 is not kept through the 40 ops to the second product, which has
// %x2 sent again from where it lives (a copy made within 32 ops would be
// reused).
// CHECK-LABEL: fabric.graph @train_step {
// CHECK:      fabric.tensor @t3 : tensor<8x256xf32> "temp" in @mesh layout <x: replicated(4), y: split(1, 64, 4)>
// CHECK-NEXT: fabric.transfer @x0 @t2 -> @t3 "linear"
// CHECK:      fabric.transfer @x2 @t2 -> @t47 "linear"
func.func @train_step(%w: tensor<16x256xf32> {wse.param = "w"}, %x: tensor<8x256xf32> {wse.input = "x"}, %s: tensor<4xf32> {wse.input = "s"}) -> (tensor<8x16xf32>, tensor<8x16xf32>, tensor<4xf32>) {
  %x2 = wse.exp %x : tensor<8x256xf32>
  %a = wse.matmul %x2, %w {transpose_b = true} : tensor<8x256xf32>, tensor<16x256xf32>
  %n0 = wse.neg %s : tensor<4xf32>
  %n1 = wse.neg %n0 : tensor<4xf32>
  %n2 = wse.neg %n1 : tensor<4xf32>
  %n3 = wse.neg %n2 : tensor<4xf32>
  %n4 = wse.neg %n3 : tensor<4xf32>
  %n5 = wse.neg %n4 : tensor<4xf32>
  %n6 = wse.neg %n5 : tensor<4xf32>
  %n7 = wse.neg %n6 : tensor<4xf32>
  %n8 = wse.neg %n7 : tensor<4xf32>
  %n9 = wse.neg %n8 : tensor<4xf32>
  %n10 = wse.neg %n9 : tensor<4xf32>
  %n11 = wse.neg %n10 : tensor<4xf32>
  %n12 = wse.neg %n11 : tensor<4xf32>
  %n13 = wse.neg %n12 : tensor<4xf32>
  %n14 = wse.neg %n13 : tensor<4xf32>
  %n15 = wse.neg %n14 : tensor<4xf32>
  %n16 = wse.neg %n15 : tensor<4xf32>
  %n17 = wse.neg %n16 : tensor<4xf32>
  %n18 = wse.neg %n17 : tensor<4xf32>
  %n19 = wse.neg %n18 : tensor<4xf32>
  %n20 = wse.neg %n19 : tensor<4xf32>
  %n21 = wse.neg %n20 : tensor<4xf32>
  %n22 = wse.neg %n21 : tensor<4xf32>
  %n23 = wse.neg %n22 : tensor<4xf32>
  %n24 = wse.neg %n23 : tensor<4xf32>
  %n25 = wse.neg %n24 : tensor<4xf32>
  %n26 = wse.neg %n25 : tensor<4xf32>
  %n27 = wse.neg %n26 : tensor<4xf32>
  %n28 = wse.neg %n27 : tensor<4xf32>
  %n29 = wse.neg %n28 : tensor<4xf32>
  %n30 = wse.neg %n29 : tensor<4xf32>
  %n31 = wse.neg %n30 : tensor<4xf32>
  %n32 = wse.neg %n31 : tensor<4xf32>
  %n33 = wse.neg %n32 : tensor<4xf32>
  %n34 = wse.neg %n33 : tensor<4xf32>
  %n35 = wse.neg %n34 : tensor<4xf32>
  %n36 = wse.neg %n35 : tensor<4xf32>
  %n37 = wse.neg %n36 : tensor<4xf32>
  %n38 = wse.neg %n37 : tensor<4xf32>
  %n39 = wse.neg %n38 : tensor<4xf32>
  %b = wse.matmul %x2, %w {transpose_b = true} : tensor<8x256xf32>, tensor<16x256xf32>
  return %a, %b, %n39 : tensor<8x16xf32>, tensor<8x16xf32>, tensor<4xf32>
}
