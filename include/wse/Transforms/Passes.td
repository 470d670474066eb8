#ifndef WSE_TRANSFORMS_PASSES_TD
#define WSE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def MakeTrainStep : Pass<"wse-make-train-step", "mlir::ModuleOp"> {
  let summary = "Turn a forward function into a training step";
  let description = [{
    Takes the module's forward function (parameters are arguments marked
    `{wse.param}`), adds the loss, differentiates the loss with respect to
    every parameter by reverse-mode autodiff over the graph (each op gives
    its own gradient through `DifferentiableOpInterface`), and applies the
    optimizer. The result is `@train_step`, which returns the loss (marked
    `{wse.loss}`) followed by the updated parameters (each marked
    `{wse.param = "<name>"}`), in the order forward, backward, update.

    Before:
    ```mlir
    func.func @main(%w: tensor<10x64xf32> {wse.param = "fc.weight"},
                    %x: tensor<32x64xf32>) -> tensor<32x10xf32>
    ```
    After (`loss=cross-entropy optimizer=sgd lr=0.1`):
    ```mlir
    func.func @train_step(%w: ... {wse.param = "fc.weight"}, %x: ...,
                          %labels: tensor<32xi64> {wse.input = "labels"})
        -> (tensor<f32> {wse.loss}, tensor<10x64xf32> {wse.param = "fc.weight"})
    ```
  }];
  let options = [
    Option<"loss", "loss", "std::string", /*default=*/"\"cross-entropy\"",
           "Loss on the first result: cross-entropy, mse or output (the first result is the loss)">,
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"sgd\"",
           "Optimizer: sgd">,
    Option<"lr", "lr", "double", /*default=*/"0.01", "Learning rate">,
    Option<"funcName", "func", "std::string", /*default=*/"\"\"",
           "Forward function (default: the only public function)">,
  ];
  let dependentDialects = ["mlir::wse::WseDialect", "mlir::func::FuncDialect"];
}

#endif
