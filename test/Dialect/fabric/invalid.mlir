// RUN: wse-opt %s -split-input-file -verify-diagnostics

// Every fabric verifier error, one per split. Without a fabric.machine a
// placement is not checked against the mesh and colors are checked against
// the default 24.

fabric.graph @g {
  // expected-error @+1 {{grid must be [width, height] with both >= 1}}
  fabric.region @r grid [0, 1]
}

// -----

fabric.graph @g {
  // expected-error @+1 {{grid must be [width, height] with both >= 1}}
  fabric.region @r grid [4]
}

// -----

fabric.graph @g {
  // expected-error @+1 {{at must be [x, y] with both >= 0}}
  fabric.region @r grid [2, 1] at [-1, 0]
}

// -----

module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @g {
    // expected-error @+1 {{placed at [3, 0] with grid [2, 1] it leaves the 4x4 mesh}}
    fabric.region @r grid [2, 1] at [3, 0]
  }
}

// -----

// expected-error @+1 {{'fabric.region' op expects parent op 'fabric.graph'}}
fabric.region @r grid [2, 1]

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  // expected-error @+1 {{layout: axis x uses 8 PEs of a grid of 4}}
  fabric.tensor @t : tensor<8xf32> "temp" in @r layout <x: split(0, 1, 8), y: replicated(1)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  // expected-error @+1 {{layout: axis y uses 3 PEs of a grid of 2}}
  fabric.tensor @t : tensor<8xf32> "temp" in @r layout <x: replicated(1), y: replicated(3)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  // expected-error @+1 {{layout: axis x splits dim 1 of a rank-1 tensor}}
  fabric.tensor @t : tensor<8xf32> "temp" in @r layout <x: split(1, 2, 4), y: replicated(1)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  // expected-error @+1 {{layout: axis x splits dim 0 of 8 in blocks of 3 over 4 PEs}}
  fabric.tensor @t : tensor<8xf32> "temp" in @r layout <x: split(0, 3, 4), y: replicated(1)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  // expected-error @+1 {{layout: dim 0 is split twice}}
  fabric.tensor @t : tensor<8xf32> "temp" in @r layout <x: split(0, 4, 2), y: split(0, 4, 2)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [8, 2]
  // expected-error @+1 {{layout: dim 1 is split twice}}
  fabric.tensor @t : tensor<2x8xf32> "temp" in @r layout <x: split(0, 1, 2) * split(1, 2, 4), y: split(1, 4, 2)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  // expected-error @+1 {{layout: axis x uses 8 PEs of a grid of 4}}
  fabric.tensor @t : tensor<2x8xf32> "temp" in @r layout <x: split(0, 1, 2) * split(1, 2, 4), y: replicated(1)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [8, 2]
  // expected-error @+1 {{layout: axis x (inner) splits dim 1 of 8 in blocks of 2 over 3 PEs}}
  fabric.tensor @t : tensor<2x8xf32> "temp" in @r layout <x: split(0, 1, 2) * split(1, 2, 3), y: replicated(1)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [8, 2]
  // expected-error @+1 {{a nested axis splits or replicates its groups, it does not sum them}}
  fabric.tensor @t : tensor<2x8xf32> "temp" in @r layout <x: partial(2) * split(1, 2, 4), y: replicated(1)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [8, 2]
  // expected-error @+1 {{an inner part spans 2 or more PEs}}
  fabric.tensor @t : tensor<2x8xf32> "temp" in @r layout <x: split(0, 1, 2) * split(1, 8, 1), y: replicated(1)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  // expected-error @+1 {{expected split, replicated or partial}}
  fabric.tensor @t : tensor<8xf32> "temp" in @r layout <x: diagonal(4), y: replicated(1)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  // expected-error @+1 {{kind must be temp, input, param, state, const or accumulator}}
  fabric.tensor @t : tensor<8xf32> "scratch" in @r layout <x: split(0, 2, 4), y: replicated(1)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  // expected-error @+1 {{only a temp can hold partial sums}}
  fabric.tensor @t : tensor<8xf32> "param" name "w" in @r layout <x: split(0, 2, 4), y: partial(2)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  // expected-error @+1 {{a tensor of kind param needs a name}}
  fabric.tensor @t : tensor<8xf32> "param" in @r layout <x: split(0, 2, 4), y: replicated(1)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  // expected-error @+1 {{a tensor of kind input needs a name}}
  fabric.tensor @t : tensor<8xf32> "input" in @r layout <x: split(0, 2, 4), y: replicated(1)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  // expected-error @+1 {{init shape differs from the tensor's}}
  fabric.tensor @t : tensor<8xf32> "const" in @r layout <x: split(0, 2, 4), y: replicated(1)> init dense<1.0> : tensor<4xf32>
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  // expected-error @+1 {{needs a static tensor type}}
  fabric.tensor @t : tensor<?xf32> "temp" in @r layout <x: replicated(1), y: replicated(1)>
}

// -----

fabric.graph @g {
  // expected-error @+1 {{region @nowhere is not a fabric.region}}
  fabric.tensor @t : tensor<8xf32> "temp" in @nowhere layout <x: replicated(1), y: replicated(1)>
}

// -----

fabric.graph @g {
  // expected-error @+1 {{region @a is not a fabric.region}}
  fabric.tensor @a : tensor<8xf32> "temp" in @a layout <x: split(0, 2, 4), y: replicated(1)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{iter, axes and blocks must have one entry per dim}}
  fabric.compute "map" "copy" in @r outs [@a] ins [@a] iter [8] axes [1, 0] blocks [2] maps [array<i64: 0>, array<i64: 0>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{dim 0 has a bad axis or block}}
  fabric.compute "map" "copy" in @r outs [@a] ins [@a] iter [8] axes [0] blocks [2] maps [array<i64: 0>, array<i64: 0>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{dim 0 has a bad axis or block}}
  fabric.compute "map" "copy" in @r outs [@a] ins [@a] iter [8] axes [5] blocks [2] maps [array<i64: 0>, array<i64: 0>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{splits a box dim within groups that no dim splits}}
  fabric.compute "map" "copy" in @r outs [@a] ins [@a] iter [8] axes [3] blocks [2] maps [array<i64: 0>, array<i64: 0>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [8, 2]
  fabric.tensor @a : tensor<2x8xf32> "temp" in @r layout <x: split(0, 1, 2) * split(1, 4, 2), y: replicated(1)>
  // expected-error @+1 {{operand @a is laid out x: d0/1 (2 groups) * d1/4 (2 PEs each), y: replicated (1 PEs); the box gives it x: d0/1 (2 groups) * d1/2 (4 PEs each), y: replicated (1 PEs)}}
  fabric.compute "map" "copy" in @r outs [@a] ins [@a] iter [2, 8] axes [1, 3] blocks [1, 2] maps [array<i64: 0, 1>, array<i64: 0, 1>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{region @q is not a fabric.region}}
  fabric.compute "map" "copy" in @q outs [@a] ins [@a] iter [8] axes [1] blocks [2] maps [array<i64: 0>, array<i64: 0>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{needs one map per operand}}
  fabric.compute "map" "copy" in @r outs [@a] ins [@a] iter [8] axes [1] blocks [2] maps [array<i64: 0>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{operand @b is not a fabric.tensor}}
  fabric.compute "map" "copy" in @r outs [@a] ins [@b] iter [8] axes [1] blocks [2] maps [array<i64: 0>, array<i64: 0>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{the map of @a needs one entry per dim}}
  fabric.compute "map" "copy" in @r outs [@a] ins [@a] iter [8] axes [1] blocks [2] maps [array<i64: 0>, array<i64: 0, 0>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{the map of @a names dim 1}}
  fabric.compute "map" "copy" in @r outs [@a] ins [@a] iter [8] axes [1] blocks [2] maps [array<i64: 0>, array<i64: 1>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{the map of @a names dim -2}}
  fabric.compute "map" "copy" in @r outs [@a] ins [@a] iter [8] axes [1] blocks [2] maps [array<i64: 0>, array<i64: -2>]
}

// -----

// A kernel is a local instruction of the pe instruction set: not a
// made-up one, not a fabric one (send and recv are transfers').
fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{kernel 'matmul' is not a local pe instruction}}
  fabric.compute "matmul" in @r outs [@a] ins [@a] iter [8] axes [1] blocks [2] maps [array<i64: 0>, array<i64: 0>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{kernel 'send' is not a local pe instruction}}
  fabric.compute "send" in @r outs [] ins [@a] iter [8] axes [1] blocks [2] maps [array<i64: 0>]
}

// -----

// map names a known function; no other kernel names one.
fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{a map kernel needs a known fn, other kernels none}}
  fabric.compute "map" in @r outs [@a] ins [@a] iter [8] axes [1] blocks [2] maps [array<i64: 0>, array<i64: 0>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{a map kernel needs a known fn, other kernels none}}
  fabric.compute "map" "frobnicate" in @r outs [@a] ins [@a] iter [8] axes [1] blocks [2] maps [array<i64: 0>, array<i64: 0>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{a map kernel needs a known fn, other kernels none}}
  fabric.compute "fill" "neg" in @r outs [@a] ins [] iter [8] axes [1] blocks [2] maps [array<i64: 0>] {floats = array<f32: 0.0>}
}

// -----

// Each operand is laid out as the box says. Where the operand maps the box
// dim an axis splits, it is split the same way: @b's blocks of 4 over 2
// PEs are not the box's blocks of 2 over 4.
fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  fabric.tensor @b : tensor<8xf32> "temp" in @r layout <x: split(0, 4, 2), y: replicated(1)>
  // expected-error @+1 {{operand @b is laid out x: d0/4 (2 PEs), y: replicated (1 PEs); the box gives it x: d0/2 (4 PEs), y: replicated (1 PEs)}}
  fabric.compute "map" "copy" in @r outs [@a] ins [@b] iter [8] axes [1] blocks [2] maps [array<i64: 0>, array<i64: 0>]
}

// -----

// An output that does not map a split box dim holds partial sums over that
// axis (a sum over x).
fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  fabric.tensor @s : tensor<f32> "temp" in @r layout <x: replicated(1), y: replicated(1)>
  // expected-error @+1 {{operand @s is laid out x: replicated (1 PEs), y: replicated (1 PEs); the box gives it x: partial (4 PEs), y: replicated (1 PEs)}}
  fabric.compute "map" "copy" in @r outs [@s] ins [@a] iter [8] axes [1] blocks [2] maps [array<i64>, array<i64: 0>] {acc = 1 : i64}
}

// -----

// An input that does not map a split box dim is replicated over that axis,
// once per PE the box uses (a broadcast over x).
fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  fabric.tensor @c : tensor<f32> "temp" in @r layout <x: replicated(1), y: replicated(1)>
  // expected-error @+1 {{operand @c is laid out x: replicated (1 PEs), y: replicated (1 PEs); the box gives it x: replicated (4 PEs), y: replicated (1 PEs)}}
  fabric.compute "map" "copy" in @r outs [@a] ins [@c] iter [8] axes [1] blocks [2] maps [array<i64: 0>, array<i64>]
}

// -----

// On an axis no box dim uses, every operand lives once (replicated(1)).
fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  fabric.tensor @b : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(2)>
  // expected-error @+1 {{operand @b is laid out x: d0/2 (4 PEs), y: replicated (2 PEs); the box gives it x: d0/2 (4 PEs), y: replicated (1 PEs)}}
  fabric.compute "map" "copy" in @r outs [@a] ins [@b] iter [8] axes [1] blocks [2] maps [array<i64: 0>, array<i64: 0>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{source and destination must be fabric.tensors}}
  fabric.transfer @x0 @a -> @r "linear"
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{map must be linear or affine}}
  fabric.transfer @x0 @a -> @a "gather"
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  fabric.tensor @b : tensor<2x4xf32> "temp" in @r layout <x: split(1, 1, 4), y: split(0, 1, 2)>
  // expected-error @+1 {{an affine map needs src rank x index rank coefficients and src rank offsets}}
  fabric.transfer @x0 @a -> @b "affine" {affine = array<i64: 1>, offset = array<i64: 0>}
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  fabric.tensor @b : tensor<2x4xf32> "temp" in @r layout <x: split(1, 1, 4), y: split(0, 1, 2)>
  // expected-error @+1 {{an affine map needs src rank x index rank coefficients and src rank offsets}}
  fabric.transfer @x0 @a -> @b "affine"
}

// -----

// A reshaped index: only for an affine map, as many elements as the
// window, and the coefficients count the reshape's dims.
fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  fabric.tensor @b : tensor<2x4xf32> "temp" in @r layout <x: split(1, 1, 4), y: split(0, 1, 2)>
  // expected-error @+1 {{only an affine map reads its index reshaped}}
  fabric.transfer @x0 @a -> @b "linear" {reshape = array<i64: 8>}
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  fabric.tensor @b : tensor<2x4xf32> "temp" in @r layout <x: split(1, 1, 4), y: split(0, 1, 2)>
  // expected-error @+1 {{reshapes a window of 8 elements into 6}}
  fabric.transfer @x0 @a -> @b "affine" {affine = array<i64: 1>, offset = array<i64: 0>, reshape = array<i64: 6>}
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  fabric.tensor @b : tensor<2x4xf32> "temp" in @r layout <x: split(1, 1, 4), y: split(0, 1, 2)>
  // expected-error @+1 {{an affine map needs src rank x index rank coefficients and src rank offsets}}
  fabric.transfer @x0 @a -> @b "affine" {affine = array<i64: 1, 0>, offset = array<i64: 0>, reshape = array<i64: 8>}
}

// -----

// The reshaped index must stay inside the source: m in [0, 8) times 2
// reads up to 14 of 8.
fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  fabric.tensor @b : tensor<2x4xf32> "temp" in @r layout <x: split(1, 1, 4), y: split(0, 1, 2)>
  // expected-error @+1 {{reads outside the source along dim 0}}
  fabric.transfer @x0 @a -> @b "affine" {affine = array<i64: 2>, offset = array<i64: 0>, reshape = array<i64: 8>}
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  fabric.tensor @b : tensor<2x4xf32> "temp" in @r layout <x: split(1, 1, 4), y: split(0, 1, 2)>
  // expected-error @+1 {{window needs one entry per destination dim}}
  fabric.transfer @x0 @a -> @b "linear" {window_lo = array<i64: 0>, window_size = array<i64: 2>}
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{combine must be 0, 1 or 2}}
  fabric.transfer @x0 @a -> @a "linear" {combine = 3 : i64}
}

// -----

// A transfer combines (sum or max) exactly when its source holds partial
// sums, and never writes them.
fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  fabric.tensor @b : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(2)>
  // expected-error @+1 {{combines a source that holds no partial sums}}
  fabric.transfer @x0 @a -> @b "linear" {combine = 1 : i64}
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @p : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: partial(2)>
  fabric.tensor @b : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(2)>
  // expected-error @+1 {{reads partial sums but combines nothing}}
  fabric.transfer @x0 @p -> @b "linear"
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @p : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: partial(2)>
  fabric.tensor @q : tensor<8xf32> "temp" in @r layout <x: replicated(1), y: partial(2)>
  // expected-error @+1 {{cannot write partial sums}}
  fabric.transfer @x0 @p -> @q "linear" {combine = 1 : i64}
}

// -----

// The window lies inside the destination: rows 1..2 of a 2x4.
fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  fabric.tensor @b : tensor<2x4xf32> "temp" in @r layout <x: split(1, 1, 4), y: split(0, 1, 2)>
  // expected-error @+1 {{window leaves the destination along dim 0}}
  fabric.transfer @x0 @a -> @b "linear" {window_lo = array<i64: 1, 0>, window_size = array<i64: 2, 4>}
}

// -----

// A linear map (a reshape) moves exactly the window's elements.
fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  fabric.tensor @b : tensor<2x4xf32> "temp" in @r layout <x: split(1, 1, 4), y: split(0, 1, 2)>
  // expected-error @+1 {{moves 8 elements into a window of 4}}
  fabric.transfer @x0 @a -> @b "linear" {window_lo = array<i64: 1, 0>, window_size = array<i64: 1, 4>}
}

// -----

// An affine map reads inside the source: src[0] = 2 + dst[1] reaches row 5
// of a source of 4 rows (src[1] = dst[0] stays inside).
fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<4x4xf32> "temp" in @r layout <x: split(1, 1, 4), y: replicated(1)>
  fabric.tensor @b : tensor<2x4xf32> "temp" in @r layout <x: split(1, 1, 4), y: split(0, 1, 2)>
  // expected-error @+1 {{reads outside the source along dim 0}}
  fabric.transfer @x0 @a -> @b "affine" {affine = array<i64: 0, 1, 1, 0>, offset = array<i64: 2, 0>}
}

// -----

module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @g {
    fabric.region @r grid [4, 2]
    fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
    // expected-error @+1 {{color 24 is outside the machine's 0..23}}
    fabric.transfer @x0 @a -> @a "linear" color 24
  }
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: replicated(1)>
  // expected-error @+1 {{color 24 is outside the machine's 0..23}}
  fabric.transfer @x0 @a -> @a "linear" color 24
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  // expected-error @+1 {{tensor @nothing is not a fabric.tensor}}
  fabric.output "loss" from @nothing
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 2]
  fabric.tensor @p : tensor<8xf32> "temp" in @r layout <x: split(0, 2, 4), y: partial(2)>
  // expected-error @+1 {{reads a tensor of partial sums}}
  fabric.output "loss" from @p {loss}
}

// -----

// Sparse layouts name a mask of the graph, of their tensor's shape.
fabric.graph @g {
  fabric.region @r grid [2, 2]
  // expected-error @+1 {{is sparse(3), which no mask defines}}
  fabric.tensor @w : tensor<2x4xf32> "temp" in @r layout <x: split(1, 2, 2), y: replicated(1), sparse(3)>
}

// -----

fabric.graph @g {
  fabric.region @r grid [2, 2]
  fabric.mask 0 dense<true> : tensor<4x2xi1>
  // expected-error @+1 {{is sparse(0), a mask of another shape}}
  fabric.tensor @w : tensor<2x4xf32> "temp" in @r layout <x: split(1, 2, 2), y: replicated(1), sparse(0)>
}

// -----

fabric.graph @g {
  // expected-error @+1 {{keep must be a static i1 tensor}}
  fabric.mask 0 dense<1.0> : tensor<2x2xf32>
}

// -----

// A map reads dense tiles; an spmap names its sparse pattern operand.
fabric.graph @g {
  fabric.region @r grid [1, 1]
  fabric.mask 0 dense<[[true, false], [false, true]]> : tensor<2x2xi1>
  fabric.tensor @w : tensor<2x2xf32> "temp" in @r layout <x: replicated(1), y: replicated(1), sparse(0)>
  fabric.tensor @o : tensor<2x2xf32> "temp" in @r layout <x: replicated(1), y: replicated(1)>
  // expected-error @+1 {{operand @w is sparse; a map kernel reads dense tiles}}
  fabric.compute "map" "copy" in @r outs [@o] ins [@w] iter [2, 2] axes [0, 0] blocks [2, 2] maps [array<i64: 0, 1>, array<i64: 0, 1>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [1, 1]
  fabric.mask 0 dense<[[true, false], [false, true]]> : tensor<2x2xi1>
  fabric.tensor @w : tensor<2x2xf32> "temp" in @r layout <x: replicated(1), y: replicated(1), sparse(0)>
  fabric.tensor @o : tensor<2x2xf32> "temp" in @r layout <x: replicated(1), y: replicated(1)>
  // expected-error @+1 {{an spmap kernel names its pattern operand, other kernels none}}
  fabric.compute "spmap" "copy" in @r outs [@o] ins [@w] iter [2, 2] axes [0, 0] blocks [2, 2] maps [array<i64: 0, 1>, array<i64: 0, 1>]
}

// -----

fabric.graph @g {
  fabric.region @r grid [1, 1]
  fabric.mask 0 dense<[[true, false], [false, true]]> : tensor<2x2xi1>
  fabric.tensor @w : tensor<2x2xf32> "temp" in @r layout <x: replicated(1), y: replicated(1), sparse(0)>
  fabric.tensor @o : tensor<2x2xf32> "temp" in @r layout <x: replicated(1), y: replicated(1)>
  // expected-error @+1 {{pattern operand @o is not sparse}}
  fabric.compute "spmap" "copy" in @r outs [@o] ins [@w] iter [2, 2] axes [0, 0] blocks [2, 2] maps [array<i64: 0, 1>, array<i64: 0, 1>] {pattern = 0 : i64}
}

// -----

fabric.graph @g {
  fabric.region @r grid [1, 1]
  fabric.mask 0 dense<[[true, false], [false, true]]> : tensor<2x2xi1>
  fabric.tensor @w : tensor<2x2xf32> "temp" in @r layout <x: replicated(1), y: replicated(1), sparse(0)>
  fabric.tensor @o : tensor<2x2xf32> "temp" in @r layout <x: replicated(1), y: replicated(1), sparse(0)>
  // expected-error @+1 {{sparse operand @w differs from the kernel's first sparse operand in layout or map}}
  fabric.compute "spmap" "copy" in @r outs [@o] ins [@w] iter [2, 2] axes [0, 0] blocks [2, 2] maps [array<i64: 0, 1>, array<i64: 1, 0>] {pattern = 0 : i64}
}

// -----

// Transfer filters (wse-trim-sparse-operands): a sparse layout of a
// defined mask, indexing one dim of the tensor by a mask dim of its extent.
fabric.graph @g {
  fabric.region @r grid [2, 2]
  fabric.mask 0 dense<true> : tensor<4x8xi1>
  fabric.tensor @a : tensor<2x8xf32> "temp" in @r layout <x: split(1, 4, 2), y: replicated(1)>
  fabric.tensor @b : tensor<2x8xf32> "temp" in @r layout <x: split(1, 4, 2), y: replicated(2)>
  // expected-error @+1 {{need_dims must be [mask dim (0 or 1), tensor dim]}}
  fabric.transfer @x0 @a -> @b "linear" {need = #fabric.layout<x: split(1, 4, 2), y: split(0, 2, 2), sparse(0)>, need_dims = array<i64: 2, 1>}
}

// -----

fabric.graph @g {
  fabric.region @r grid [2, 2]
  fabric.tensor @a : tensor<2x8xf32> "temp" in @r layout <x: split(1, 4, 2), y: replicated(1)>
  fabric.tensor @b : tensor<2x8xf32> "temp" in @r layout <x: split(1, 4, 2), y: replicated(2)>
  // expected-error @+1 {{need must be a sparse layout}}
  fabric.transfer @x0 @a -> @b "linear" {need = #fabric.layout<x: split(1, 4, 2), y: split(0, 2, 2)>, need_dims = array<i64: 1, 1>}
}

// -----

fabric.graph @g {
  fabric.region @r grid [2, 2]
  fabric.tensor @a : tensor<2x8xf32> "temp" in @r layout <x: split(1, 4, 2), y: replicated(1)>
  fabric.tensor @b : tensor<2x8xf32> "temp" in @r layout <x: split(1, 4, 2), y: replicated(2)>
  // expected-error @+1 {{have uses mask 3, which no fabric.mask defines}}
  fabric.transfer @x0 @a -> @b "linear" {have = #fabric.layout<x: split(1, 4, 2), y: split(0, 2, 2), sparse(3)>, have_dims = array<i64: 1, 1>}
}

// -----

fabric.graph @g {
  fabric.region @r grid [2, 2]
  fabric.mask 0 dense<true> : tensor<4x8xi1>
  fabric.tensor @a : tensor<2x8xf32> "temp" in @r layout <x: split(1, 4, 2), y: replicated(1)>
  fabric.tensor @b : tensor<2x8xf32> "temp" in @r layout <x: split(1, 4, 2), y: replicated(2)>
  // expected-error @+1 {{need indexes dim 1 of extent 8 by mask dim 0 of extent 4}}
  fabric.transfer @x0 @a -> @b "linear" {need = #fabric.layout<x: split(1, 4, 2), y: split(0, 2, 2), sparse(0)>, need_dims = array<i64: 0, 1>}
}

// -----

fabric.graph @g {
  fabric.region @r grid [2, 2]
  fabric.tensor @a : tensor<2x8xf32> "temp" in @r layout <x: split(1, 4, 2), y: replicated(1)>
  fabric.tensor @b : tensor<2x8xf32> "temp" in @r layout <x: split(1, 4, 2), y: replicated(2)>
  // expected-error @+1 {{have_dims without a have layout}}
  fabric.transfer @x0 @a -> @b "linear" {have_dims = array<i64: 1, 1>}
}

// -----

fabric.graph @g {
  fabric.region @r grid [4, 1]
  fabric.tensor @a : tensor<8xf32> "temp" in @r layout <x: partial(4), y: replicated(1)>
  fabric.tensor @b : tensor<8xf32> "temp" in @r layout <x: replicated(1), y: replicated(1)>
  // expected-error @+1 {{leaves zero rows unsent, which only a sum (combine 1) may}}
  fabric.transfer @x @a -> @b "linear" {combine = 2 : i64, sparse_rows}
}
