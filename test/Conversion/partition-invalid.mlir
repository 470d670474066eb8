// Ops the mesh cannot honour are errors at the op, naming it.
// RUN: wse-opt %s -split-input-file -verify-diagnostics --wse-partition="mesh=4x4"

// A model that does not fit pipelined: the bytes one op's tiles need at
// best, the PE's data SRAM, and the largest tile, a weight, which weight
// streaming would take out of SRAM (execution=auto does: see
// weight-streaming.mlir).
// RUN: not wse-opt %S/Inputs/big-layer.mlir --wse-partition="mesh=2x2 execution=pipelined" 2>&1 | FileCheck %s --check-prefix=FIT
// FIT: big-layer.mlir:5:8: error: does not fit: 'wse.matmul' needs at least 1081344 bytes per PE for its operand tiles, and a PE has 40960 bytes of SRAM for data; its largest tile is 1048576 bytes of a 'tensor<1024x1024xf32>'. A larger mesh (mesh=WxH, up to wse2's 750x994) or a smaller batch would make it fit, as would execution=weight-streaming, which keeps the parameters and optimizer state in host memory{{$}}
// FIT-NEXT: %0 = wse.matmul %x, %w
// The advice names the preset's full size, whichever preset.
// RUN: not wse-opt %S/Inputs/big-layer.mlir --wse-partition="machine=wse3 mesh=2x2 execution=pipelined" 2>&1 | FileCheck %s --check-prefix=FIT3
// FIT3: error: does not fit: {{.*}}. A larger mesh (mesh=WxH, up to wse3's 755x1174) or a smaller batch would make it fit, as would execution=weight-streaming, {{.*}}{{$}}
// A layer too large even streamed: no split of its product into at most
// 1024 chunks fits.
// RUN: not wse-opt %S/Inputs/huge-layer.mlir --wse-partition="mesh=1x1 execution=weight-streaming" 2>&1 | FileCheck %s --check-prefix=HUGE
// RUN: not wse-opt %S/Inputs/huge-layer.mlir --wse-partition="mesh=1x1" 2>&1 | FileCheck %s --check-prefix=HUGE
// HUGE: huge-layer.mlir:4:8: error: does not fit even streamed: in 1024 chunks or fewer, a kernel of this product still needs more than 10240 bytes per PE for its operand tiles (a quarter of a PE's data SRAM) on the 1x1 mesh. A larger mesh (mesh=WxH) or a smaller batch would make it fit{{$}}
// HUGE-NEXT: %0 = wse.matmul %x, %w
// On the whole wafer (the default mesh, or asked for) a larger mesh is no
// advice.
// RUN: not wse-opt %S/Inputs/wafer-too-small.mlir --wse-partition 2>&1 | FileCheck %s --check-prefix=WAFER
// RUN: not wse-opt %S/Inputs/wafer-too-small.mlir --wse-partition="mesh=750x994" 2>&1 | FileCheck %s --check-prefix=WAFER
// WAFER: wafer-too-small.mlir:5:8: error: does not fit: 'wse.exp' needs at least 321936 bytes per PE for its operand tiles, and a PE has 40960 bytes of SRAM for data; its largest tile is 160968 bytes of a 'tensor<40000000xf32>'. A smaller batch would make it fit{{$}}

// Pipelined, parameters and optimizer state live spread over the whole
// mesh for the whole step: when they alone exceed it, that is the error,
// which suggests weight streaming (what execution=auto picks for them).
// RUN: not wse-opt %S/Inputs/big-params.mlir --wse-partition="mesh=4x4 execution=pipelined" 2>&1 | FileCheck %s --check-prefix=PARAMS
// The error points at the first use of the largest of them.
// PARAMS: big-params.mlir:4:8: error: does not fit: the parameters and optimizer state need 262144 bytes per PE spread over the whole 4x4 mesh, and a PE has 40960 bytes of SRAM for data; the largest, 'w' (262144 bytes per PE), is first used here. A larger mesh (mesh=WxH, up to wse2's 750x994) would make them fit, or execution=weight-streaming keeps them in host memory and streams each layer's weights in{{$}}
// RUN: not wse-opt %S/Inputs/big-layer.mlir --wse-partition="execution=streaming" 2>&1 | FileCheck %s --check-prefix=EXEC
// EXEC: error: wse-partition: execution='streaming' is not pipelined, weight-streaming or auto

// Machine and mesh options.
// RUN: not wse-opt %S/Inputs/big-layer.mlir --wse-partition="machine=wse9" 2>&1 | FileCheck %s --check-prefix=MACHINE
// MACHINE: error: wse-partition: unknown machine 'wse9' (presets: wse2, wse3)
// RUN: not wse-opt %S/Inputs/big-layer.mlir --wse-partition="mesh=16by16" 2>&1 | FileCheck %s --check-prefix=MESH
// MESH: error: wse-partition: mesh='16by16' is not WxH with positive W and H (e.g. 16x16)
// RUN: not wse-opt %S/Inputs/big-layer.mlir --wse-partition="mesh=0x4" 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: error: wse-partition: mesh='0x4' is not WxH with positive W and H (e.g. 16x16)
// RUN: not wse-opt %S/Inputs/big-layer.mlir --wse-partition="machine=wse2 mesh=1000x4" 2>&1 | FileCheck %s --check-prefix=LARGE
// LARGE: error: wse-partition: mesh=1000x4 is larger than wse2's 750x994 PEs

// A forward graph is not a train step.
// RUN: not wse-opt %S/../Inputs/mlp.mlir --wse-partition 2>&1 | FileCheck %s --check-prefix=NOSTEP
// NOSTEP: error: wse-partition maps @train_step: run wse-make-train-step first

func.func @train_step(%x: tensor<4x8xf32> {wse.input = "x"}) -> tensor<4x8xf32> {
  %0 = wse.exp %x : tensor<4x8xf32>
  // expected-error @+1 {{'wse.cumsum' has no mesh mapping}}
  %1 = wse.cumsum %0 {axis = 1 : i64} : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

func.func @train_step(%x: tensor<4x8xf32> {wse.input = "x"}) -> tensor<4x1xi64> {
  // expected-error @+1 {{'wse.argmax' has no mesh mapping}}
  %0 = wse.argmax %x {axis = 1 : i64} : tensor<4x8xf32>
  return %0 : tensor<4x1xi64>
}

// -----

// A composite wse-decompose-for-mesh would have rewritten.
func.func @train_step(%x: tensor<4x8xf32> {wse.input = "x"}) -> tensor<4x8xf32> {
  // expected-error @+1 {{'wse.softmax' has no mesh mapping}}
  %0 = wse.softmax %x {axis = 1 : i64} : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @train_step(%x: tensor<4x8xf32> {wse.input = "x"}, %w: tensor<8x8xf32> {wse.param = "w"}, %b: tensor<8xf32> {wse.param = "b"}) -> tensor<4x8xf32> {
  // expected-error @+1 {{the mesh maps pure contractions; run wse-decompose-for-mesh first to split off alpha, beta and the bias}}
  %0 = wse.matmul %x, %w, %b {transpose_b = true} : tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// PEs hold integers as f32: products could leave the exact range.
func.func @train_step(%x: tensor<4xi64> {wse.input = "x"}) -> tensor<4xi64> {
  // expected-error @+1 {{'wse.mul' on integers has no mesh mapping: PEs hold integers as exact f32 values, which products, powers and quotients can leave}}
  %0 = wse.mul %x, %x : tensor<4xi64>, tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @train_step(%x: tensor<4x8xi64> {wse.input = "x"}) -> tensor<4xi64> {
  // expected-error @+1 {{the mesh reduces f32 tensors only}}
  %0 = wse.reduce_sum %x {axes = array<i64: 1>} : tensor<4x8xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @train_step(%x: tensor<4x8xf32> {wse.input = "x"}, %i: tensor<2xi64> {wse.input = "i"}) -> tensor<4x2xf32> {
  // expected-error @+1 {{the mesh gathers rows (axis 0) only}}
  %0 = wse.gather %x, %i {axis = 1 : i64} : tensor<4x8xf32>, tensor<2xi64>
  return %0 : tensor<4x2xf32>
}

// -----

// A scatter-add into anything but zeros.
func.func @train_step(%u: tensor<3x4xf32> {wse.input = "u"}, %d: tensor<10x4xf32> {wse.input = "d"}, %i: tensor<3xi64> {wse.input = "i"}) -> tensor<10x4xf32> {
  // expected-error @+1 {{the mesh scatter-adds rows (axis 0) into zeros; run wse-decompose-for-mesh first}}
  %0 = wse.scatter_add %u into %d at %i {axis = 0 : i64} : tensor<3x4xf32> into tensor<10x4xf32> at tensor<3xi64>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @train_step(%x: tensor<2x8xf32> {wse.input = "x"}, %d: tensor<4x8xf32> {wse.input = "d"}) -> tensor<4x8xf32> {
  // expected-error @+1 {{the mesh inserts contiguous windows only; this insert_slice has a stride other than 1}}
  %0 = wse.insert_slice %x into %d {start = array<i64: 0, 0>, stride = array<i64: 2, 1>} : tensor<2x8xf32> into tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// An update result must name a parameter an argument holds.
func.func @train_step(%x: tensor<4x8xf32> {wse.input = "x"}) -> (tensor<4x8xf32> {wse.param = "nope"}) {
  // expected-error @+1 {{result 0 updates 'nope', which no argument of the train step holds}}
  %0 = wse.neg %x : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
