// RUN: wse-opt %S/Inputs/residual-mlp.mlir --wse-make-train-step="lr=0.1" --wse-recompute=policy=full 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=REMARK < %t.err

// policy=full on four residual blocks and a head. The forward's cuts (the
// only activation live at some point): m1, r1, h1, h2, h3, h4 and the
// logits, seven; every third is kept (h1 and h4). The backward recomputes
// the others from the kept cut before them, and each block's own values
// from its own (recomputed) cut, right before that block's backward.
// CHECK: module attributes {wse.recompute = "full"}
// CHECK: %[[H1:.*]] = wse.add %arg5, %{{.*}}
// CHECK: wse.matmul %[[H4:.*]], %arg4 {transpose_b = true}
// The head's weight gradient reads the kept h4.
// CHECK: %[[DH4:.*]] = wse.matmul %[[DL:.*]], %arg4 :
// CHECK-NEXT: wse.matmul %[[DL]], %[[H4]] {transpose_a = true}
// h2 and h3 recomputed from h1 (block 4's product m4 from h3 for its
// relu_grad); the values made only to reach h3 (m3, r3) are not kept.
// CHECK-NEXT: %[[M2:.*]] = wse.matmul %[[H1]], %arg1 {transpose_b = true}
// CHECK-NEXT: %[[R2:.*]] = wse.relu %[[M2]]
// CHECK-NEXT: %[[H2:.*]] = wse.add %[[H1]], %[[R2]]
// CHECK-NEXT: %[[M3:.*]] = wse.matmul %[[H2]], %arg2 {transpose_b = true}
// CHECK-NEXT: %[[R3:.*]] = wse.relu %[[M3]]
// CHECK-NEXT: %[[H3:.*]] = wse.add %[[H2]], %[[R3]]
// CHECK-NEXT: %[[M4:.*]] = wse.matmul %[[H3]], %arg3 {transpose_b = true}
// CHECK-NEXT: wse.relu_grad %[[DH4]], %[[M4]]
// Block 3's backward recomputes m3 again from the recomputed h2.
// CHECK: %[[M3B:.*]] = wse.matmul %[[H2]], %arg2 {transpose_b = true}
// CHECK-NEXT: wse.relu_grad %{{.*}}, %[[M3B]]
// Block 2's from the kept h1, block 1's from the input.
// CHECK: %[[M2B:.*]] = wse.matmul %[[H1]], %arg1 {transpose_b = true}
// CHECK-NEXT: wse.relu_grad %{{.*}}, %[[M2B]]
// CHECK: %[[M1B:.*]] = wse.matmul %arg5, %arg0 {transpose_b = true}
// CHECK-NEXT: wse.relu_grad %{{.*}}, %[[M1B]]
// CHECK: return

// REMARK: residual-mlp.mlir:21:8: remark: wse-recompute: the backward pass recomputes 11 values (336 elements) instead of keeping them from the forward pass
