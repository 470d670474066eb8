// RUN: wse-opt %s --wse-chunk-attention=mesh=4x4 | FileCheck %s
// RUN: not wse-opt %s --wse-chunk-attention=machine=wse9 2>&1 | FileCheck %s --check-prefix=BAD

// Scores [4, 4, 64, 64] over a 4x4 mesh are 4096 per PE, 13 times a 32nd
// of the data SRAM (320): one attention per batch and head, joined along
// the heads, then the batches.
// CHECK-LABEL: func.func @batches
// CHECK-COUNT-16: wse.attention %{{.*}} {causal = true, num_heads = 1 : i64, num_kv_heads = 1 : i64} : tensor<1x1x64x8xf32>, tensor<1x1x64x8xf32>, tensor<1x1x64x8xf32>
// CHECK-NOT: wse.attention
// CHECK: %[[J:.*]] = wse.concat %{{.*}} {axis = 0 : i64} : tensor<1x4x64x8xf32>, tensor<1x4x64x8xf32>, tensor<1x4x64x8xf32>, tensor<1x4x64x8xf32>
// CHECK-NEXT: return %[[J]]
func.func @batches(%q: tensor<4x4x64x8xf32>, %k: tensor<4x4x64x8xf32>, %v: tensor<4x4x64x8xf32>) -> tensor<4x4x64x8xf32> {
  %0 = wse.attention %q, %k, %v {causal = true, num_heads = 4 : i64, num_kv_heads = 4 : i64} : tensor<4x4x64x8xf32>, tensor<4x4x64x8xf32>, tensor<4x4x64x8xf32>
  return %0 : tensor<4x4x64x8xf32>
}

// GQA, one batch: heads in multiples of the 4 query heads sharing a kv
// head, each group with its kv head; the mask is sliced along the heads.
// CHECK-LABEL: func.func @heads
// CHECK: %[[Q0:.*]] = wse.slice %arg0 {limit = array<i64: 1, 4, 64, 8>, start = array<i64: 0, 0, 0, 0>
// CHECK: %[[K0:.*]] = wse.slice %arg1 {limit = array<i64: 1, 1, 64, 8>, start = array<i64: 0, 0, 0, 0>
// CHECK: %[[V0:.*]] = wse.slice %arg2 {limit = array<i64: 1, 1, 64, 8>, start = array<i64: 0, 0, 0, 0>
// CHECK: %[[M0:.*]] = wse.slice %arg3 {limit = array<i64: 1, 4, 64, 64>, start = array<i64: 0, 0, 0, 0>
// CHECK: %[[A0:.*]] = wse.attention %[[Q0]], %[[K0]], %[[V0]] mask %[[M0]] : tensor<1x4x64x64xf32> {num_heads = 4 : i64, num_kv_heads = 1 : i64, scale = 5.000000e-01 : f32}
// CHECK: %[[K1:.*]] = wse.slice %arg1 {limit = array<i64: 1, 2, 64, 8>, start = array<i64: 0, 1, 0, 0>
// CHECK: %[[A1:.*]] = wse.attention %{{.*}}, %[[K1]], %{{.*}} mask %{{.*}} : tensor<1x4x64x64xf32> {num_heads = 4 : i64, num_kv_heads = 1 : i64, scale = 5.000000e-01 : f32}
// CHECK: wse.concat %[[A0]], %[[A1]] {axis = 1 : i64}
func.func @heads(%q: tensor<1x8x64x8xf32>, %k: tensor<1x2x64x8xf32>, %v: tensor<1x2x64x8xf32>, %m: tensor<1x8x64x64xf32>) -> tensor<1x8x64x8xf32> {
  %0 = wse.attention %q, %k, %v mask %m : tensor<1x8x64x64xf32> {num_heads = 8 : i64, num_kv_heads = 2 : i64, scale = 0.5 : f32} : tensor<1x8x64x8xf32>, tensor<1x2x64x8xf32>, tensor<1x2x64x8xf32>
  return %0 : tensor<1x8x64x8xf32>
}

// A mask broadcast over the batch ([1, 1, T, S]) is read whole by every
// group.
// CHECK-LABEL: func.func @shared_mask
// CHECK-NOT: wse.slice %arg3
// CHECK-COUNT-4: wse.attention %{{.*}} mask %arg3 : tensor<1x1x64x64xf32>
func.func @shared_mask(%q: tensor<4x1x64x8xf32>, %k: tensor<4x1x64x8xf32>, %v: tensor<4x1x64x8xf32>, %m: tensor<1x1x64x64xf32>) -> tensor<4x1x64x8xf32> {
  %0 = wse.attention %q, %k, %v mask %m : tensor<1x1x64x64xf32> {num_heads = 1 : i64, num_kv_heads = 1 : i64} : tensor<4x1x64x8xf32>, tensor<4x1x64x8xf32>, tensor<4x1x64x8xf32>
  return %0 : tensor<4x1x64x8xf32>
}

// ALiBi's slopes depend on a head's index among all heads: a single batch
// stays whole.
// CHECK-LABEL: func.func @alibi
// CHECK-NEXT: wse.attention %arg0, %arg1, %arg2 {alibi = true, causal = true, num_heads = 8 : i64, num_kv_heads = 8 : i64}
// CHECK-NEXT: return
func.func @alibi(%q: tensor<1x8x64x8xf32>, %k: tensor<1x8x64x8xf32>, %v: tensor<1x8x64x8xf32>) -> tensor<1x8x64x8xf32> {
  %0 = wse.attention %q, %k, %v {alibi = true, causal = true, num_heads = 8 : i64, num_kv_heads = 8 : i64} : tensor<1x8x64x8xf32>, tensor<1x8x64x8xf32>, tensor<1x8x64x8xf32>
  return %0 : tensor<1x8x64x8xf32>
}

// Small scores stay as they are.
// CHECK-LABEL: func.func @small
// CHECK-NEXT: wse.attention %arg0, %arg1, %arg2 {causal = true, num_heads = 2 : i64, num_kv_heads = 2 : i64}
// CHECK-NEXT: return
func.func @small(%q: tensor<1x2x8x8xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %0 = wse.attention %q, %k, %v {causal = true, num_heads = 2 : i64, num_kv_heads = 2 : i64} : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>
  return %0 : tensor<1x2x8x8xf32>
}

// BAD: wse-chunk-attention: unknown machine 'wse9' (presets: wse2, wse3)
