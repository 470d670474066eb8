//===- TrainPipeline.cpp - wse-train-pipeline -----------------------------===//
#include "wse/Conversion/Passes.h"
#include "wse/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

namespace {
struct TrainPipelineOptions
    : public PassPipelineOptions<TrainPipelineOptions> {
  Option<std::string> loss{*this, "loss",
                           llvm::cl::desc("cross-entropy, mse or output"),
                           llvm::cl::init("cross-entropy")};
  Option<std::string> optimizer{*this, "optimizer", llvm::cl::desc("sgd"),
                                llvm::cl::init("sgd")};
  Option<double> lr{*this, "lr", llvm::cl::desc("learning rate"),
                    llvm::cl::init(0.01)};
  Option<std::string> machine{*this, "machine",
                              llvm::cl::desc("machine preset: wse2, wse3"),
                              llvm::cl::init("wse2")};
  Option<std::string> mesh{*this, "mesh",
                           llvm::cl::desc("WxH corner of the machine"),
                           llvm::cl::init("")};
};
} // namespace

void mlir::wse::registerTrainPipeline() {
  PassPipelineRegistration<TrainPipelineOptions>(
      "wse-train-pipeline",
      "Forward graph to per-PE programs: train step, partition, place, "
      "route, lower to pe",
      [](OpPassManager &pm, const TrainPipelineOptions &o) {
        MakeTrainStepOptions ts;
        ts.loss = o.loss;
        ts.optimizer = o.optimizer;
        ts.lr = o.lr;
        pm.addPass(createMakeTrainStep(ts));
        PartitionOptions part;
        part.machine = o.machine;
        part.mesh = o.mesh;
        pm.addPass(createPartition(part));
        pm.addPass(createPlace());
        pm.addPass(createRoute());
        pm.addPass(createLowerToPe());
      });
}
