// A machine with three colors: a region's second chain has none left.
module attributes {fabric.machine = #fabric.machine<name = "tiny", width = 8, height = 1, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 3, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  fabric.graph @train_step {
    fabric.region @a "linear" grid [4, 1] sram 64 at [0, 0] config {}
    fabric.chain @a.fwd in @a elements 4
    fabric.chain @a.bwd in @a elements 4
  }
}
