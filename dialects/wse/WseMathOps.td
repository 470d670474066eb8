// Elementwise math, comparisons, logic and selection of the wse dialect.
// Included from WseOps.td.

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

class Wse_UnaryOp<string mnemonic, string desc, Type type = Wse_F32Tensor,
                  list<Trait> traits = []>
    : Wse_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType], traits)> {
  let summary = desc;
  let arguments = (ins type:$input);
  let results = (outs type:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

class Wse_DiffUnaryOp<string mnemonic, string desc, Type type = Wse_F32Tensor>
    : Wse_UnaryOp<mnemonic, desc, type, [DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]>;

def Wse_NegOp : Wse_DiffUnaryOp<"neg", "-x", Wse_NumericTensor>;
def Wse_AbsOp : Wse_DiffUnaryOp<"abs", "|x|", Wse_NumericTensor>;
def Wse_SignOp : Wse_UnaryOp<"sign", "-1, 0 or 1 by the sign of x", Wse_NumericTensor>;
def Wse_ExpOp : Wse_DiffUnaryOp<"exp", "e^x">;
def Wse_LogOp : Wse_DiffUnaryOp<"log", "natural logarithm">;
def Wse_SqrtOp : Wse_DiffUnaryOp<"sqrt", "square root">;
def Wse_RsqrtOp : Wse_DiffUnaryOp<"rsqrt", "1 / sqrt(x)">;
def Wse_ReciprocalOp : Wse_DiffUnaryOp<"reciprocal", "1 / x">;
def Wse_TanhOp : Wse_DiffUnaryOp<"tanh", "hyperbolic tangent">;
def Wse_ErfOp : Wse_DiffUnaryOp<"erf", "error function">;
def Wse_SigmoidOp : Wse_DiffUnaryOp<"sigmoid", "1 / (1 + e^-x)">;
def Wse_SoftplusOp : Wse_DiffUnaryOp<"softplus", "log(1 + e^x)">;
def Wse_SiluOp : Wse_DiffUnaryOp<"silu", "x * sigmoid(x)">;
def Wse_SinOp : Wse_DiffUnaryOp<"sin", "sine">;
def Wse_CosOp : Wse_DiffUnaryOp<"cos", "cosine">;
def Wse_FloorOp : Wse_UnaryOp<"floor", "largest integer not above x">;
def Wse_CeilOp : Wse_UnaryOp<"ceil", "smallest integer not below x">;

def Wse_GeluOp : Wse_Op<"gelu", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "GELU: x * Phi(x), exactly (erf) or with the tanh approximation";
  let arguments = (ins Wse_F32Tensor:$input,
                   DefaultValuedAttr<BoolAttr, "false">:$approximate);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Wse_LeakyReluOp : Wse_Op<"leaky_relu", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "x if x >= 0 else alpha * x";
  let arguments = (ins Wse_F32Tensor:$input, F32Attr:$alpha);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Wse_EluOp : Wse_Op<"elu", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "x if x > 0 else alpha * (e^x - 1)";
  let arguments = (ins Wse_F32Tensor:$input, F32Attr:$alpha);
  let results = (outs Wse_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Wse_ClampOp : Wse_Op<"clamp", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "min(max(x, min), max); either bound may be absent";
  let arguments = (ins Wse_NumericTensor:$input, OptionalAttr<F64Attr>:$min,
                   OptionalAttr<F64Attr>:$max);
  let results = (outs Wse_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

def Wse_DivOp : Wse_DiffBinaryOp<"div", "Elementwise quotient (integer division truncates)">;
def Wse_PowOp : Wse_DiffBinaryOp<"pow", "Elementwise power">;
def Wse_MaxOp : Wse_DiffBinaryOp<"max", "Elementwise maximum">;
def Wse_MinOp : Wse_DiffBinaryOp<"min", "Elementwise minimum">;

//===----------------------------------------------------------------------===//
// Comparisons and logic: results are i1 masks
//===----------------------------------------------------------------------===//

class Wse_CompareOp<string mnemonic, string desc>
    : Wse_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let summary = desc # " with NumPy broadcasting, giving an i1 mask";
  let arguments = (ins Wse_AnyTensor:$lhs, Wse_AnyTensor:$rhs);
  let results = (outs Wse_BoolTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

def Wse_EqualOp : Wse_CompareOp<"equal", "a == b">;
def Wse_LessOp : Wse_CompareOp<"less", "a < b">;
def Wse_LessEqualOp : Wse_CompareOp<"less_equal", "a <= b">;
def Wse_GreaterOp : Wse_CompareOp<"greater", "a > b">;
def Wse_GreaterEqualOp : Wse_CompareOp<"greater_equal", "a >= b">;

class Wse_LogicalOp<string mnemonic, string desc>
    : Wse_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let summary = desc # " of i1 masks with NumPy broadcasting";
  let arguments = (ins Wse_BoolTensor:$lhs, Wse_BoolTensor:$rhs);
  let results = (outs Wse_BoolTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

def Wse_AndOp : Wse_LogicalOp<"and", "a and b">;
def Wse_OrOp : Wse_LogicalOp<"or", "a or b">;
def Wse_XorOp : Wse_LogicalOp<"xor", "a xor b">;
def Wse_NotOp : Wse_UnaryOp<"not", "logical not", Wse_BoolTensor>;

def Wse_SelectOp : Wse_Op<"select", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "cond ? a : b, all three broadcast (ONNX Where)";
  let arguments = (ins Wse_BoolTensor:$cond, Wse_AnyTensor:$lhs,
                   Wse_AnyTensor:$rhs);
  let results = (outs Wse_AnyTensor:$result);
  let assemblyFormat = [{
    $cond `,` $lhs `,` $rhs attr-dict `:` type($cond) `,` type($lhs) `,` type($rhs)
  }];
}

def Wse_CastOp : Wse_Op<"cast", [Pure,
    DeclareOpInterfaceMethods<Wse_DifferentiableOpInterface>]> {
  let summary = "Convert elements between f32, i64, i32 and i1";
  let description = [{
    Float to integer truncates toward zero; anything to i1 is `x != 0`.
  }];
  let arguments = (ins Wse_AnyTensor:$input);
  let results = (outs Wse_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}
