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

constexpr const char *kMachineDesc =
    "Machine preset: wse2 or wse3 (default: wse2)";
constexpr const char *kMeshDesc =
    "Use a WxH corner of the machine (default: the whole wafer)";
constexpr const char *kExecutionDesc =
    "pipelined (parameters and optimizer state in SRAM), weight-streaming "
    "(in host memory, streamed in over the host links, updated on the "
    "host) or auto (pipelined when they fit; default)";
constexpr const char *kRecomputeDesc =
    "none (keep every activation the backward pass reads; default), "
    "selective (recompute the ones not made from a weight) or full (keep "
    "only the forward's cuts, such as the residual stream between blocks, "
    "and recompute the rest): wse-recompute";

struct MeshPipelineOptions : public PassPipelineOptions<MeshPipelineOptions> {
  Option<std::string> machine{*this, "machine", llvm::cl::desc(kMachineDesc),
                              llvm::cl::init("wse2")};
  Option<std::string> mesh{*this, "mesh", llvm::cl::desc(kMeshDesc),
                           llvm::cl::init("")};
  Option<std::string> execution{*this, "execution",
                                llvm::cl::desc(kExecutionDesc),
                                llvm::cl::init("auto")};
  Option<std::string> recompute{*this, "recompute",
                                llvm::cl::desc(kRecomputeDesc),
                                llvm::cl::init("none")};
};

/// wse-make-train-step's options (the same names, defaults and meaning)
/// and the mesh pipeline's.
struct TrainPipelineOptions : public PassPipelineOptions<TrainPipelineOptions> {
  Option<std::string> loss{
      *this, "loss",
      llvm::cl::desc("Loss on the first result: cross-entropy, mse or output "
                     "(the first result is the loss) (default: "
                     "cross-entropy)"),
      llvm::cl::init("cross-entropy")};
  Option<std::string> reduction{
      *this, "reduction",
      llvm::cl::desc("How cross-entropy and mse reduce: mean or sum "
                     "(default: mean)"),
      llvm::cl::init("mean")};
  Option<int64_t> ignoreIndex{
      *this, "ignore-index",
      llvm::cl::desc("cross-entropy: label value that contributes nothing "
                     "(default: none; torch uses -100)"),
      llvm::cl::init(INT64_MIN)};
  Option<double> labelSmoothing{
      *this, "label-smoothing",
      llvm::cl::desc("cross-entropy: label smoothing epsilon in [0, 1) "
                     "(default: 0)"),
      llvm::cl::init(0.0)};
  Option<std::string> optimizer{
      *this, "optimizer",
      llvm::cl::desc("Optimizer: sgd or adamw (default: sgd)"),
      llvm::cl::init("sgd")};
  Option<double> lr{*this, "lr",
                    llvm::cl::desc("Learning rate, > 0 (default: 0.01)"),
                    llvm::cl::init(0.01)};
  Option<bool> lrInput{
      *this, "lr-input",
      llvm::cl::desc("Take the learning rate per step from an input named "
                     "'lr' (default: false)"),
      llvm::cl::init(false)};
  Option<double> momentum{
      *this, "momentum", llvm::cl::desc("sgd: momentum in [0, 1) (default: 0)"),
      llvm::cl::init(0.0)};
  Option<double> dampening{
      *this, "dampening",
      llvm::cl::desc("sgd: dampening in [0, 1] (default: 0)"),
      llvm::cl::init(0.0)};
  Option<bool> nesterov{
      *this, "nesterov",
      llvm::cl::desc("sgd: Nesterov momentum (default: false)"),
      llvm::cl::init(false)};
  Option<double> weightDecay{
      *this, "weight-decay",
      llvm::cl::desc("Weight decay (default: 0 for sgd, 0.01 for adamw, as "
                     "in torch)"),
      llvm::cl::init(-1.0)};
  Option<double> beta1{*this, "beta1",
                       llvm::cl::desc("adamw: beta1 in [0, 1) (default: 0.9)"),
                       llvm::cl::init(0.9)};
  Option<double> beta2{
      *this, "beta2", llvm::cl::desc("adamw: beta2 in [0, 1) (default: 0.999)"),
      llvm::cl::init(0.999)};
  Option<double> eps{*this, "eps",
                     llvm::cl::desc("adamw: epsilon, > 0 (default: 1e-8)"),
                     llvm::cl::init(1e-8)};
  Option<double> clipNorm{
      *this, "clip-norm",
      llvm::cl::desc("Clip gradients to this global L2 norm, as "
                     "torch.nn.utils.clip_grad_norm_ (default: 0, off)"),
      llvm::cl::init(0.0)};
  ListOption<std::string> freeze{
      *this, "freeze",
      llvm::cl::desc("Parameters not trained: glob patterns, each must match "
                     "(default: none)")};
  Option<bool> stackExperts{
      *this, "stack-experts",
      llvm::cl::desc("Stack the E copies of an expert (a ModuleList of "
                     "experts) into one computation over stacked parameters, "
                     "laid out as batched experts are (wse-stack-experts; "
                     "default: true)"),
      llvm::cl::init(true)};
  Option<bool> routedScatters{
      *this, "routed-scatters",
      llvm::cl::desc("Move a raised mixture of experts' rows by scatter-adds "
                     "from the PEs holding them (wse-decompose-for-mesh; "
                     "default: true)"),
      llvm::cl::init(true)};
  Option<std::string> funcName{
      *this, "func",
      llvm::cl::desc("Forward function (default: the only public function)"),
      llvm::cl::init("")};
  Option<std::string> machine{*this, "machine", llvm::cl::desc(kMachineDesc),
                              llvm::cl::init("wse2")};
  Option<std::string> mesh{*this, "mesh", llvm::cl::desc(kMeshDesc),
                           llvm::cl::init("")};
  Option<std::string> execution{*this, "execution",
                                llvm::cl::desc(kExecutionDesc),
                                llvm::cl::init("auto")};
  Option<std::string> recompute{*this, "recompute",
                                llvm::cl::desc(kRecomputeDesc),
                                llvm::cl::init("none")};
  Option<int64_t> microBatches{
      *this, "micro-batches",
      llvm::cl::desc("Split each step's batch into this many micro-batches "
                     "and accumulate their gradients (wse-micro-batch; "
                     "default: 1)"),
      llvm::cl::init(1)};
};

void addMeshPasses(OpPassManager &pm, const std::string &machine,
                   const std::string &mesh, const std::string &execution,
                   const std::string &recompute, bool routedScatters = true) {
  pm.addPass(wse::createDecomposeAttention());
  wse::DecomposeForMeshOptions decompose;
  decompose.routedScatters = routedScatters;
  pm.addPass(wse::createDecomposeForMesh(decompose));
  // Decompositions repeat work (a loss and its gradient share their
  // log-sum-exp); common subexpressions run once.
  pm.addPass(createCSEPass());
  // After CSE, which would merge the recomputed values back.
  if (recompute != "none") {
    wse::RecomputeOptions rc;
    rc.policy = recompute;
    pm.addPass(wse::createRecompute(rc));
  }
  wse::PartitionOptions part;
  part.machine = machine;
  part.mesh = mesh;
  part.execution = execution;
  pm.addPass(wse::createPartition(part));
  pm.addPass(wse::createTrimSparseOperands());
  pm.addPass(wse::createHoistTransfers());
  pm.addPass(wse::createPlace());
  pm.addPass(wse::createRoute());
  pm.addPass(wse::createLowerToPe());
  pm.addPass(wse::createPostReceives());
}

/// Registers pipeline `arg` whose options are checked where they are
/// parsed: `check` returns an error message, empty if they are fine.
template <typename Options>
void registerCheckedPipeline(
    StringRef arg, StringRef description,
    std::function<std::string(const Options &)> check,
    std::function<void(OpPassManager &, const Options &)> build) {
  registerPassPipeline(
      arg, description,
      [=](OpPassManager &pm, StringRef text,
          function_ref<LogicalResult(const Twine &)> errorHandler) {
        Options options;
        std::string parseError;
        llvm::raw_string_ostream os(parseError);
        if (failed(options.parseFromString(text, os)))
          return parseError.empty()
                     ? failure()
                     : errorHandler(arg + ": " + StringRef(parseError).trim());
        if (std::string e = check(options); !e.empty())
          return errorHandler(arg + ": " + e);
        build(pm, options);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optHandler) {
        optHandler(Options());
      });
}

std::string checkRecompute(const std::string &recompute) {
  if (wse::isRecomputePolicy(recompute))
    return "";
  return "recompute must be none, selective or full, not '" + recompute + "'";
}

wse::MakeTrainStepOptions trainStepOptions(const TrainPipelineOptions &o) {
  wse::MakeTrainStepOptions ts;
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
  return ts;
}

} // namespace

void mlir::wse::registerTrainPipeline() {
  registerCheckedPipeline<MeshPipelineOptions>(
      "wse-mesh-pipeline",
      "A module holding @train_step to per-PE programs: "
      "wse-decompose-attention, wse-decompose-for-mesh, cse, wse-partition, "
      "wse-place, wse-route, wse-lower-to-pe, wse-post-receives",
      [](const MeshPipelineOptions &o) {
        std::string e = checkRecompute(o.recompute);
        return e.empty()
                   ? wse::checkMachineOptions(o.machine, o.mesh, o.execution)
                   : e;
      },
      [](OpPassManager &pm, const MeshPipelineOptions &o) {
        addMeshPasses(pm, o.machine, o.mesh, o.execution, o.recompute);
      });
  registerCheckedPipeline<TrainPipelineOptions>(
      "wse-train-pipeline",
      "Forward graph to per-PE programs: wse-chunk-attention, "
      "wse-make-train-step (every option) then wse-mesh-pipeline",
      [](const TrainPipelineOptions &o) {
        std::string e = wse::checkMakeTrainStepOptions(trainStepOptions(o));
        if (e.empty() && o.microBatches < 1)
          e = "micro-batches=" + std::to_string(o.microBatches) +
              " must be at least 1";
        if (e.empty())
          e = checkRecompute(o.recompute);
        return e.empty()
                   ? wse::checkMachineOptions(o.machine, o.mesh, o.execution)
                   : e;
      },
      [](OpPassManager &pm, const TrainPipelineOptions &o) {
        // First: attention chunks and the step see one micro-batch.
        wse::MicroBatchOptions micro;
        micro.microBatches = o.microBatches;
        micro.funcName = o.funcName;
        pm.addPass(wse::createMicroBatch(micro));
        // Before the backward pass is built, so it runs group by group.
        wse::ChunkAttentionOptions chunk;
        chunk.machine = o.machine;
        chunk.mesh = o.mesh;
        pm.addPass(wse::createChunkAttention(chunk));
        if (o.stackExperts)
          pm.addPass(wse::createStackExperts());
        pm.addPass(createMakeTrainStep(trainStepOptions(o)));
        addMeshPasses(pm, o.machine, o.mesh, o.execution, o.recompute,
                      o.routedScatters);
      });
}
