//===- KilnDialect.td - The kiln dialect -------------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The kiln dialect is the model's language: tensor-level, semantic ops that
// importers build from Keras/ONNX files and that the compiler differentiates,
// fuses and lowers to linalg. It sits at the level of Toy or IREE Flow: a
// Keras `Dense` layer is `kiln.matmul` + `kiln.add` + an activation op.
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_TD
#define KILN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Kiln_Dialect : Dialect {
  let name = "kiln";
  let cppNamespace = "::mlir::kiln";
  let summary = "Tensor-level neural-network ops for the kiln compiler";
  let description = [{
    Ops on ranked tensors of f32 (f64 for numerics checks). The leading (batch) dimension of a model's
    activations may be dynamic (`?`); every other dimension is static.
    Elementwise binary ops broadcast like NumPy. Model parameters enter a
    function as arguments carrying a `kiln.param` attribute; their values
    travel beside the IR as one binary blob, never as textual constants.
  }];
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic, traits>;

// Models are f32; f64 exists for numerics checks (gradcheck runs in f64).
def Kiln_FloatTensor : RankedTensorOf<[F32, F64]>;
// Tensors of numbers: float data, and the int32/int64 index arithmetic of
// ONNX models (position ids from a cumulative sum of a padding mask).
def Kiln_NumericTensor : RankedTensorOf<[F32, F64, I32, I64]>;

#endif // KILN_DIALECT_TD
