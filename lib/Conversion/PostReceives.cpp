//===- PostReceives.cpp - receive transfers beside the core ---------------===//
//
// wse-lower-to-pe emits each transfer as a `send` and a `recv` back to
// back, so a PE waits for a transfer's data before it does anything else.
// Its in-ramp can take the data while the core computes: this pass splits
// a `recv` into a `post` where it stood and the `recv` (the wait) just
// before the first later instruction that names its buffer. The buffer is
// live from its transfer on (wse-lower-to-pe allocates by lifetime), so no
// instruction in between reads or writes its memory.
//
//===----------------------------------------------------------------------===//
#include "pe/PeDialect.h"
#include "wse/Conversion/Passes.h"
#include "wse/WseDialect.h"

#include "mlir/IR/Builders.h"

namespace mlir::wse {
#define GEN_PASS_DEF_POSTRECEIVES
#include "wse/Conversion/Passes.h.inc"
} // namespace mlir::wse

using namespace mlir;

namespace {

bool names(pe::InstrOp op, Attribute buffer) {
  return llvm::is_contained(op.getBuffers().getValue(), buffer);
}

void postReceives(pe::ProgramOp prog) {
  Block &body = prog.getBody().front();
  SmallVector<pe::InstrOp> recvs;
  for (auto op : body.getOps<pe::InstrOp>())
    if (op.getOp() == "recv")
      recvs.push_back(op);
  for (pe::InstrOp recv : recvs) {
    Attribute buffer = recv.getBuffers()[0];
    // The next instruction, and the first that names the buffer.
    pe::InstrOp next, user;
    for (Operation *op = recv->getNextNode(); op && !user;
         op = op->getNextNode())
      if (auto in = dyn_cast<pe::InstrOp>(op)) {
        next = next ? next : in;
        if (names(in, buffer))
          user = in;
      }
    if (!next || next == user)
      continue;
    OpBuilder b(recv);
    auto post = pe::InstrOp::create(b, recv.getLoc(), b.getStringAttr("post"),
                                    StringAttr(), recv.getBuffers(),
                                    recv.getIntsAttr(), recv.getFloatsAttr());
    if (recv->hasAttr(wse::kOnceAttr))
      post->setAttr(wse::kOnceAttr, b.getUnitAttr());
    if (user)
      recv->moveBefore(user);
    else
      recv->moveBefore(&body, body.end());
  }
}

struct PostReceivesPass
    : public mlir::wse::impl::PostReceivesBase<PostReceivesPass> {
  void runOnOperation() override {
    getOperation().walk([](pe::ProgramOp prog) { postReceives(prog); });
  }
};

} // namespace
