#ifndef WSE_INTERFACES_TD
#define WSE_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Wse_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let description = [{
    An op that knows its own reverse-mode derivative. `wse-make-train-step`
    walks the forward graph backwards and asks each op for the gradients of
    its operands given the gradients of its results. Giving a new op its
    gradient means implementing this one method next to the op.
  }];
  let cppNamespace = "::mlir::wse";
  let methods = [
    InterfaceMethod<[{
        Build the gradients of this op's operands. `resultGrads[i]` is the
        gradient of result i (null if no gradient flows into it).
        `operandGrads` receives one value per operand; null means the
        operand has no gradient (integer labels, say). Ops are built at
        the builder's insertion point.
      }],
      "::mlir::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ArrayRef<::mlir::Value>":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

#endif
