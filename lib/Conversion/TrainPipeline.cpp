//===- TrainPipeline.cpp - wse-mesh-pipeline and wse-train-pipeline -------===//
//
// wse-mesh-pipeline maps a module that holds a train step (made by
// wse-make-train-step, or edited by hand) onto the mesh: attention and
// composites to primitives, partition, place, route, lower to pe.
// wse-train-pipeline is wse-make-train-step, with every one of its
// options, followed by the mesh pipeline.
//
//===----------------------------------------------------------------------===//
#include "wse/Conversion/Passes.h"
#include "wse/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include <climits>

using namespace mlir;

namespace {

struct MeshPipelineOptions : public PassPipelineOptions<MeshPipelineOptions> {
  Option<std::string> machine{*this, "machine",
                              llvm::cl::desc("Machine preset: wse2, wse3"),
                              llvm::cl::init("wse2")};
  Option<std::string> mesh{
      *this, "mesh",
      llvm::cl::desc("Use a WxH corner of the machine (default: whole wafer)"),
      llvm::cl::init("")};
};

struct TrainPipelineOptions
    : public PassPipelineOptions<TrainPipelineOptions> {
  Option<std::string> loss{*this, "loss",
                           llvm::cl::desc("cross-entropy, mse or output"),
                           llvm::cl::init("cross-entropy")};
  Option<std::string> reduction{*this, "reduction",
                                llvm::cl::desc("mean or sum"),
                                llvm::cl::init("mean")};
  Option<int64_t> ignoreIndex{
      *this, "ignore-index",
      llvm::cl::desc("cross-entropy: label that contributes nothing"),
      llvm::cl::init(INT64_MIN)};
  Option<double> labelSmoothing{*this, "label-smoothing",
                                llvm::cl::desc("cross-entropy smoothing"),
                                llvm::cl::init(0.0)};
  Option<std::string> optimizer{*this, "optimizer",
                                llvm::cl::desc("sgd or adamw"),
                                llvm::cl::init("sgd")};
  Option<double> lr{*this, "lr", llvm::cl::desc("learning rate"),
                    llvm::cl::init(0.01)};
  Option<bool> lrInput{*this, "lr-input",
                       llvm::cl::desc("learning rate per step from input 'lr'"),
                       llvm::cl::init(false)};
  Option<double> momentum{*this, "momentum", llvm::cl::desc("sgd momentum"),
                          llvm::cl::init(0.0)};
  Option<double> dampening{*this, "dampening", llvm::cl::desc("sgd dampening"),
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
  Option<double> clipNorm{*this, "clip-norm",
                          llvm::cl::desc("global gradient norm clip (0: off)"),
                          llvm::cl::init(0.0)};
  ListOption<std::string> freeze{*this, "freeze",
                                 llvm::cl::desc("parameters (globs) not trained")};
  Option<std::string> funcName{*this, "func",
                               llvm::cl::desc("forward function"),
                               llvm::cl::init("")};
  Option<std::string> machine{*this, "machine",
                              llvm::cl::desc("Machine preset: wse2, wse3"),
                              llvm::cl::init("wse2")};
  Option<std::string> mesh{
      *this, "mesh",
      llvm::cl::desc("Use a WxH corner of the machine (default: whole wafer)"),
      llvm::cl::init("")};
};

void addMeshPasses(OpPassManager &pm, const std::string &machine,
                   const std::string &mesh) {
  pm.addPass(wse::createDecomposeAttention());
  pm.addPass(wse::createDecomposeForMesh());
  // Decompositions repeat work (a loss and its gradient share their
  // log-sum-exp); common subexpressions run once.
  pm.addPass(createCSEPass());
  wse::PartitionOptions part;
  part.machine = machine;
  part.mesh = mesh;
  pm.addPass(wse::createPartition(part));
  pm.addPass(wse::createPlace());
  pm.addPass(wse::createRoute());
  pm.addPass(wse::createLowerToPe());
}

} // namespace

void mlir::wse::registerTrainPipeline() {
  PassPipelineRegistration<MeshPipelineOptions>(
      "wse-mesh-pipeline",
      "A module holding @train_step to per-PE programs: "
      "wse-decompose-attention, wse-decompose-for-mesh, cse, wse-partition, "
      "wse-place, wse-route, wse-lower-to-pe",
      [](OpPassManager &pm, const MeshPipelineOptions &o) {
        addMeshPasses(pm, o.machine, o.mesh);
      });
  PassPipelineRegistration<TrainPipelineOptions>(
      "wse-train-pipeline",
      "Forward graph to per-PE programs: wse-make-train-step (every option) "
      "then wse-mesh-pipeline",
      [](OpPassManager &pm, const TrainPipelineOptions &o) {
        MakeTrainStepOptions ts;
        ts.loss = o.loss;
        ts.reduction = o.reduction;
        ts.ignoreIndex = o.ignoreIndex;
        ts.labelSmoothing = o.labelSmoothing;
        ts.optimizer = o.optimizer;
        ts.lr = o.lr;
        ts.lrInput = o.lrInput;
        ts.momentum = o.momentum;
        ts.dampening = o.dampening;
        ts.nesterov = o.nesterov;
        ts.weightDecay = o.weightDecay;
        ts.beta1 = o.beta1;
        ts.beta2 = o.beta2;
        ts.eps = o.eps;
        ts.clipNorm = o.clipNorm;
        ts.freeze.assign(o.freeze.begin(), o.freeze.end());
        ts.funcName = o.funcName;
        pm.addPass(createMakeTrainStep(ts));
        addMeshPasses(pm, o.machine, o.mesh);
      });
}
