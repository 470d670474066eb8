// RUN: wse-opt %s -split-input-file -verify-diagnostics

module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @g {
    // expected-error @+1 {{placed at [3, 0] with grid [2, 1] it leaves the 4x4 mesh}}
    fabric.region @r "linear" grid [2, 1] sram 16 at [3, 0] config {}
  }
}

// -----

module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @g {
    // expected-error @+1 {{needs 45000 bytes of SRAM per PE; a PE has 40960 for data}}
    fabric.region @r "linear" grid [2, 1] sram 45000 config {}
  }
}

// -----

fabric.graph @g {
  // expected-error @+1 {{grid must be [width, height] with both >= 1}}
  fabric.region @r "linear" grid [0, 1] sram 16 config {}
}

// -----

fabric.graph @g {
  fabric.region @r "linear" grid [2, 1] sram 16 config {}
  // expected-error @+1 {{destination @nowhere is not a fabric.region}}
  fabric.stream @s from @r "y" to @nowhere "x" elements 4
}

// -----

module attributes {fabric.machine = #fabric.machine<name = "t", width = 4, height = 4, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @g {
    fabric.region @a "linear" grid [2, 1] sram 16 config {}
    fabric.region @b "linear" grid [2, 1] sram 16 config {}
    // expected-error @+1 {{color 24 is outside the machine's 0..23}}
    fabric.stream @s from @a "y" to @b "x" elements 4 color 24 path [1, 0, 2, 0]
  }
}

// -----

fabric.graph @g {
  fabric.region @r "linear" grid [2, 1] sram 16 config {}
  // expected-error @+1 {{needs two different colors}}
  fabric.chain @c in @r elements 4 colors [3, 3]
}

// -----

// expected-error @+1 {{'fabric.region' op expects parent op 'fabric.graph'}}
fabric.region @r "linear" grid [2, 1] sram 16 config {}

// -----

fabric.graph @g {
  fabric.region @a "linear" grid [4, 1] sram 16 at [0, 0] config {}
  // expected-error @+1 {{overlaps region @a on the mesh}}
  fabric.region @b "linear" grid [2, 1] sram 16 at [3, 0] config {}
}

// -----

fabric.graph @g {
  // expected-error @+1 {{region @nowhere is not a fabric.region}}
  fabric.input "x" to @nowhere "x" : tensor<4xf32>
}

// -----

fabric.graph @g {
  fabric.region @a "linear" grid [4, 1] sram 16 config {}
  // expected-error @+1 {{init has type 'tensor<2xf32>', the parameter 'tensor<4xf32>'}}
  fabric.param "w" in @a "weight" : tensor<4xf32> init dense<0.0> : tensor<2xf32>
}
