// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="optimizer=adamw lr=0.01 weight-decay=0.1 mesh=16x16" | FileCheck %s --check-prefix=ADAMW
// RUN: wse-opt %S/../Inputs/mlp.mlir --wse-train-pipeline="momentum=0.9 nesterov=true lr=0.05 mesh=16x16" | FileCheck %s --check-prefix=MOM
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-make-train-step="lr-input=true" --wse-partition 2>&1 | FileCheck %s --check-prefix=LR

// AdamW state lives next to the weights (SRAM starts zeroed); each PE
// counts the steps itself.
// ADAMW-LABEL: pe.program @fc1
// ADAMW: pe.buffer @w_m[64] f32
// ADAMW: pe.buffer @w_v[64] f32
// ADAMW: pe.buffer @step[1] f32
// ADAMW: pe.add_const @step, 1.000000e+00
// ADAMW-NEXT: pe.adamw @w, @dw, @w_m, @w_v step @step {beta1 = 0.899999976 : f32, beta2 = 9.990000e-01 : f32, eps = 9.99999993E-9 : f32, length = 64 : i64, lr = 0.00999999977 : f32, weight_decay = 1.000000e-01 : f32}
// ADAMW-NEXT: pe.adamw @b, @db, @b_m, @b_v step @step

// MOM-LABEL: pe.program @fc1
// MOM: pe.buffer @w_buf[64] f32
// MOM: pe.sgd_momentum @w, @dw, @w_buf {length = 64 : i64, lr = 5.000000e-02 : f32, momentum = 0.899999976 : f32, nesterov = true, weight_decay = 0.000000e+00 : f32}

// LR: error: a per-step learning rate input (lr-input) is not mapped onto the mesh yet
