// A program whose receiver waits for data nobody sends: the simulator stops
// with an error naming the waiting PE, its color and the would-be sender.
// RUN: wse-translate --export-wafer-program %s -o %t.wsebin
// RUN: not wse-sim %t.wsebin 2>&1 | FileCheck %s

// CHECK: wse-sim: error: step 1: deadlock: no PE can run;
// CHECK-NEXT: PE (3, 0) of @b waits on color 5 at instruction 1; its sender is PE (1, 0) of @a (finished without sending)

module attributes {fabric.machine = #fabric.machine<name = "t", width = 8, height = 2, sram_bytes = 49152, reserved_sram_bytes = 8192, colors = 24, clock_mhz = 850, fmacs_per_cycle = 1, adds_per_cycle = 2>} {
  pe.program @a at [0, 0] size [2, 1] {
    pe.buffer @v[4] f32 at 0
    pe.fill @v, 1.0
    pe.send @v color [5] when last
  }
  pe.program @b at [3, 0] size [1, 1] {
    pe.buffer @v[4] f32 at 0
    pe.recv @v color [5]
    pe.recv @v color [5]
  }
  pe.route @a.v color 5 path [1, 0, 3, 0, 3, 0]
  pe.output "v" from @b::@v : tensor<4xf32>
}
