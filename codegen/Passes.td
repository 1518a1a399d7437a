//===- Passes.td - kiln codegen passes ---------------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Passes of codegen/: the common kiln -> linalg lowering and the
// target-specific rewrites. The pipelines that order them are in
// passes/Pipelines.cpp.
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_PASSES_TD
#define KILN_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Common (both targets)
//===----------------------------------------------------------------------===//

def LowerToLinalgPass : Pass<"kiln-lower-to-linalg", "::mlir::func::FuncOp"> {
  let summary = "Lower kiln ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Every kiln op becomes linalg on tensors; elementwise ops become
    `linalg.generic`s with broadcasting indexing maps, ready for
    `linalg-fuse-elementwise-ops`.

    ```mlir
    // before
    %y = kiln.add %x, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    // after
    %e = tensor.empty(%d) : tensor<?x4xf32>
    %y = linalg.generic {indexing_maps = [(d0, d1) -> (d0, d1),
                                          (d0, d1) -> (d1),
                                          (d0, d1) -> (d0, d1)], ...}
           ins(%x, %b : ...) outs(%e : ...) { arith.addf ... }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

def WorkspaceAllocationPass
    : Pass<"kiln-workspace-allocation", "::mlir::ModuleOp"> {
  let summary = "Place every buffer allocation in a caller-provided workspace";
  let description = [{
    Generated entry points never allocate (DESIGN.md contract 2). Each
    function gets a trailing `memref<?xi8>` workspace argument; each
    `memref.alloc` becomes a `memref.view` at a 64-byte aligned offset into
    it and each `memref.dealloc` goes away. The bytes a function needs,
    `fixed + per_sample * batch`, are recorded in the module attribute
    `kiln.workspace = {name = array<i64: fixed, per_sample>}`. Sizes that
    are not a constant times the batch are an error.

    ```mlir
    // before
    %t = memref.alloc(%b) {alignment = 64 : i64} : memref<?x128xf32>
    // after
    %t = memref.view %ws[%off][%b] : memref<?xi8> to memref<?x128xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect"
  ];
}

//===----------------------------------------------------------------------===//
// CPU
//===----------------------------------------------------------------------===//

def VectorizeMatmulPass
    : Pass<"kiln-cpu-vectorize-matmul", "::mlir::func::FuncOp"> {
  let summary = "Rewrite buffer linalg.matmul into register-blocked vector FMA loops";
  let description = [{
    Replaces each `linalg.matmul` on contiguous f32 memrefs with a static
    `N` (`M` and `K` may be the dynamic batch) by a register-blocked micro
    kernel: `rows` rows of C by `vectors` vectors of `vector-width` lanes are
    held in registers across the whole K loop, each step broadcasting one
    element of A per row and loading `vectors` vectors of B. A last, masked
    column tile handles `N` that is not a multiple of the tile; a one-row
    loop handles the remaining rows.

    ```mlir
    // before
    linalg.matmul ins(%a, %b : memref<?x784xf32>, memref<784x128xf32>)
                  outs(%c : memref<?x128xf32>)
    // after (sketch)
    scf.for %m = ... step 4 {
      scf.for %n = ... step 64 {
        %acc = scf.for %k = ... iter_args(16 x vector<16xf32>) {
          vector.load %b[%k, %n] ... vector.broadcast ... vector.fma ...
        }
        vector.store ...
    ```
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes per vector (16 for AVX-512, 8 for AVX2)">,
    Option<"rows", "rows", "int64_t", /*default=*/"4",
           "rows of C held in registers per micro-kernel">,
    Option<"vectors", "vectors", "int64_t", /*default=*/"4",
           "vectors of C per row held in registers per micro-kernel">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

#endif // KILN_CODEGEN_PASSES_TD
