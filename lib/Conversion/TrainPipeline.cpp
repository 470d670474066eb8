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
  Option<double> momentum{*this, "momentum", llvm::cl::desc("sgd momentum"),
                          llvm::cl::init(0.0)};
  Option<bool> nesterov{*this, "nesterov", llvm::cl::desc("sgd nesterov"),
                        llvm::cl::init(false)};
  Option<double> weightDecay{
      *this, "weight-decay",
      llvm::cl::desc("weight decay (default: 0 for sgd, 0.01 for adamw)"),
      llvm::cl::init(-1.0)};
  Option<double> beta1{*this, "beta1", llvm::cl::desc("adamw beta1"),
                       llvm::cl::init(0.9)};
  Option<double> beta2{*this, "beta2", llvm::cl::desc("adamw beta2"),
                       llvm::cl::init(0.999)};
  Option<double> eps{*this, "eps", llvm::cl::desc("adamw epsilon"),
                     llvm::cl::init(1e-8)};
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
        ts.momentum = o.momentum;
        ts.nesterov = o.nesterov;
        ts.weightDecay = o.weightDecay;
        ts.beta1 = o.beta1;
        ts.beta2 = o.beta2;
        ts.eps = o.eps;
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
