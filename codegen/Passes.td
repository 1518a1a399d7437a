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
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def FuseElementwisePass : Pass<"kiln-fuse-elementwise", "::mlir::ModuleOp"> {
  let summary = "Fuse elementwise linalg producers into their consumers";
  let description = [{
    Elementwise `linalg.generic`s with one use are fused into the generic
    that consumes them (a bias add and its activation become one loop nest),
    as upstream's `linalg-fuse-elementwise-ops` does, but without its
    reshape propagation: that pass also rewrites a `linalg.matmul` fed by a
    `tensor.collapse_shape` into a higher-rank contraction generic, which
    the CPU pipeline's matmul micro kernel never sees (a convolution's
    im2col rows, a Dense on a sequence). A scalar computed from scalars
    (a generic without loops on 0-d inputs: Adam's step size from its
    step count) fuses into every consumer: a few flops each, hoisted out of
    a CPU loop, and no one-thread kernel on a GPU.

    Two folds come first: a generic without inputs that yields a value from
    outside its body becomes a `linalg.fill` (which folds into consumers
    and through reshapes), and a sum over a splat becomes `init + s * R`,
    R the product of the reduced extents, so that the count of a mean's
    gradient (a sum of ones) is the batch size, not a reduction.

    ```mlir
    // before
    %b = linalg.generic {...} ins(%y, %bias ...) { arith.addf }
    %r = linalg.generic {...} ins(%b ...) { arith.maximumf }
    // after
    %r = linalg.generic {...} ins(%y, %bias ...) { arith.addf; arith.maximumf }
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def PrepareBufferizationPass
    : Pass<"kiln-prepare-bufferization", "::mlir::func::FuncOp"> {
  let summary = "Read-only entry arguments; loop-carried tensors in place; "
                "one init per destination";
  let description = [{
    Entry arguments are the caller's parameters and inputs: they get
    `bufferization.writable = false`, so nothing is computed in place in a
    caller's buffer. And one-shot bufferization needs each tensor an
    `scf.for` yields to live in its iteration argument's buffer. A loop body that computes its next state
    into a fresh tensor (a recurrent cell: matmul, add, tanh) is rewritten to
    yield `bufferization.materialize_in_destination %next in %state`: one
    copy per iteration into the carried buffer, which is dead by then.
    Yields that already insert into the carried tensor are left alone.

    Last, every destination becomes its user's own: CSE merges the identical
    `tensor.empty` inits (and zero `linalg.fill`s of them) of all layers into
    one value, and the analysis compares each in-place write into a value
    with every other use of it, quadratic in the model's size. Each further
    use gets its own clone of the init, made just before it. For the same
    reason a 0-d input of a `linalg.generic` (the learning rate, read by
    every parameter's update) is read once, as a scalar (`tensor.extract`)
    that the generics capture.

    ```mlir
    // before
    scf.yield %t : tensor<?x4xf32>
    // after
    %m = bufferization.materialize_in_destination %t in %h
        : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
    scf.yield %m : tensor<?x4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def InlineCopiesPass : Pass<"kiln-inline-copies", "::mlir::func::FuncOp"> {
  let summary = "Turn memref.copy into linalg.copy (loops, no runtime call)";
  let description = [{
    `memref.copy` between buffers with a non-identity layout (a slot of a
    saved-state stack) lowers to a call of MLIR's `memrefCopy` runtime
    function, which compiled models do not link. This pass rewrites every
    copy as `linalg.copy`, which becomes plain loops with the other linalg
    ops: generated entry points call nothing.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
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

    With `parallel-threshold`, the loop over the full row blocks is an
    `scf.parallel` when the product has at least that many multiply-adds
    (decided per call when M or K is the dynamic batch, with a serial copy
    below it, so that small products keep their single-thread latency).
    Each element of C is computed by one iteration in the same order
    whatever the number of threads: results are bit-identical.

    With `pack-threshold`, a matmul whose B does not stay in the cache
    (more bytes than the threshold) and that has at least 16 rows (decided
    per call when M is the batch) copies B block by block (`pack-k` steps
    of K by `pack-n` columns) into panels of one tile's columns, each
    contiguous over its K steps (GotoBLAS/BLIS packing): the block stays in
    L2 while all row blocks of A stream over it. C is updated block by
    block of K, in the same order as without packing: the results are the
    same bits.

    B may also be read transposed (indexing maps (m, k), (n, k) -> (m, n):
    an input gradient G @ W^T without a copy of W^T, static N and K); it is
    then always packed, each panel copied along W's rows, with its column
    tail as one narrower panel, and packed once for all rows when it is
    small.

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
    Option<"parallelThreshold", "parallel-threshold", "int64_t",
           /*default=*/"0",
           "multiply-adds from which the full row blocks run as an "
           "scf.parallel (threads, through --convert-scf-to-openmp); 0 keeps "
           "every loop serial">,
    Option<"packThreshold", "pack-threshold", "int64_t", /*default=*/"0",
           "bytes of B (of a packK-row block of it when K is dynamic) from "
           "which B is packed into panels (about half of one core's L2); "
           "0 never packs">,
    Option<"packK", "pack-k", "int64_t", /*default=*/"256",
           "K steps per packed block of B">,
    Option<"packN", "pack-n", "int64_t", /*default=*/"128",
           "columns per packed block of B (rounded down to whole tiles); "
           "pack-k x pack-n floats live on the stack">,
    Option<"packM", "pack-m", "int64_t", /*default=*/"256",
           "rows of A per block of a packed matmul (rounded down to whole "
           "row blocks): B is packed again for each block of rows">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def VectorizeGenericPass
    : Pass<"kiln-cpu-vectorize-generic", "::mlir::func::FuncOp"> {
  let summary = "Vectorize buffer linalg.generic ops along their innermost parallel loop";
  let description = [{
    Rewrites each `linalg.generic` on buffers whose innermost loop is
    parallel with a static trip count of at least 4 (the channels of an
    NHWC activation, the units of a Dense layer, a weight's last dimension)
    into `scf.for` loops over the other dimensions and, along the innermost
    one, chunks of `vector-width` lanes (fewer for a shorter loop; a last
    chunk that is not full is masked). Operands that do not depend on the
    innermost dimension are read once per chunk as scalars; the others, and
    loads in the body whose last index is that dimension's index plus an
    offset (im2col, pooling windows, their adjoints), become vector loads
    of contiguous elements. Ops whose operands vary along the innermost
    loop in any other way (gathers, transposes) are left to the scalar
    lowering.

    ```mlir
    // before
    linalg.generic {indexing_maps = [(n,h,w,c) -> (n,h,w,c), (n,h,w,c) -> (c), ...]}
        ins(%x, %bias : memref<?x28x28x16xf32>, memref<16xf32>) outs(%y : ...)
    // after (sketch)
    scf.for %n ... scf.for %h ... scf.for %w ... {
      %a = vector.load %x[%n, %h, %w, %c0] : ..., vector<16xf32>
      %b = vector.load %bias[%c0] : ..., vector<16xf32>
      %s = arith.addf %a, %b : vector<16xf32>
      vector.store %s, %y[%n, %h, %w, %c0]
    ```
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "lanes per vector (16 for AVX-512, 8 for AVX2)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def ApproximateMathPass
    : Pass<"kiln-approximate-math", "::mlir::func::FuncOp"> {
  let summary = "Polynomial approximations of tanh, exp, expm1, log and log1p";
  let description = [{
    Rewrites `math.tanh`, `math.exp`, `math.expm1`, `math.log` and
    `math.log1p` on f32 scalars and vectors into MLIR's polynomial
    approximations: range reduction and a minimax polynomial of FMAs,
    within a few ulp of the correctly rounded result (well inside the 1e-5
    that kiln's numbers are checked to against Keras). On vectors the
    alternative is one libm call per lane: LLVM has no vector `tanh`, and
    its `exp` and `log` intrinsics on vectors are split the same way. Other
    math functions (erf for GELU) keep their libm calls, unless
    `all-functions` is set: for GPU kernels, which have no libm (and kiln
    links no libdevice), every function MLIR approximates is (acos, asin,
    atan, atan2, cbrt, cos, erf, erfc, exp2, log2, sin besides the five),
    and tan becomes sin / cos first.
  }];
  let options = [
    Option<"allFunctions", "all-functions", "bool", /*default=*/"false",
           "Approximate every function MLIR has a polynomial for">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def SegmentEntriesPass
    : Pass<"kiln-cpu-segment-entries", "::mlir::ModuleOp"> {
  let summary = "Split long entries into a chain of bounded private functions";
  let description = [{
    After bufferization an entry is one straight-line block: every layer's
    forward and backward operations, one after another, on views of the
    workspace. Every later pass and LLVM's scheduler and register
    allocator see that block at once, and several grow faster than
    linearly with it: a 1000-layer training step took minutes. This pass
    cuts an entry with more than `max-ops` operations into segments of at
    most `max-ops` consecutive operations; each becomes a private,
    non-inlinable function, called from the entry in order. All later
    work (loops, vectors, kernels, the LLVM dialect, LLVM) is on functions
    of bounded size, so compile time grows linearly with the model.

    Operations free of memory effects and regions that are computed from
    the entry's arguments only (constants, index arithmetic, `memref.dim`,
    views of the workspace) are not counted: each segment recomputes the
    ones it uses, instead of receiving them. Other values a segment uses
    from before it are arguments; values it defines and a later operation
    uses are results. Entries no longer than `max-ops`, as every small
    model's, are left alone.

    ```mlir
    // before (max-ops=2)
    func.func @predict(%x: memref<?x16xf32>, %y: memref<?x16xf32>, %ws: memref<?xi8>) {
      %t = memref.view %ws[%c0][%n] : memref<?xi8> to memref<?x16xf32>
      linalg.matmul ins(%x, %w0 ...) outs(%t ...)
      linalg.generic ... ins(%t ...) outs(%t ...)
      linalg.matmul ins(%t, %w1 ...) outs(%y ...)
    }
    // after
    func.func @predict(%x: memref<?x16xf32>, %y: memref<?x16xf32>, %ws: memref<?xi8>) {
      call @predict__seg0(%x, %ws) : (...) -> ()
      call @predict__seg1(%ws, %y) : (...) -> ()
    }
    func.func private @predict__seg0(%x: memref<?x16xf32>, %ws: memref<?xi8>)
        attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]} {
      %t = memref.view %ws[%c0][%n] : memref<?xi8> to memref<?x16xf32>
      linalg.matmul ins(%x, %w0 ...) outs(%t ...)
      linalg.generic ... ins(%t ...) outs(%t ...)
    }
    ```
  }];
  let options = [
    Option<"maxOps", "max-ops", "int64_t", /*default=*/"64",
           "operations (other than recomputed ones) per segment">,
  ];
  let dependentDialects = [
    "::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect"
  ];
}

def OutlineKernelsPass
    : Pass<"kiln-cpu-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Move each top-level loop nest or linalg op of an entry into "
                "its own function";
  let description = [{
    An entry is one long function: every layer's forward and backward loop
    nests, one after another. LLVM's function passes (GVN, LICM, the
    vectorizers, instruction selection) grow faster than linearly with a
    function's size, so a 100-layer training step took minutes to compile.
    This pass outlines each top-level loop nest (`scf.for`, `scf.parallel`,
    `affine.for`) and each linalg op on buffers (a loop nest to be) into a
    private, non-inlinable function of its own, called from the entry: LLVM
    then optimizes many small functions, and compile time grows linearly
    with the model. Identical kernels (the same loop nest or op on the same
    types, as in a model that repeats a layer) are made once and called
    from each place; run before lowering to loops, a repeated layer's ops
    are lowered, canonicalized and converted to LLVM once.

    Values the loop uses from the entry become arguments, except
    constants, which are cloned in so that the kernel keeps its static
    bounds.

    With `parallel-elements`, a kernel of linalg fill/copy/generic ops
    whose rows (loop 0, parallel) are independent (every buffer read and
    written by rows of it, or not by rows at all; the other loops static)
    takes its buffers as slices of rows, and the entry calls a dispatcher
    `NAME__rows` instead: from `parallel-elements` iterations on it calls
    the kernel on slices of rows in an `scf.parallel` (threads through
    `--convert-scf-to-openmp`), below them once on all rows. The kernel and
    the parallel region exist once per distinct kernel; each element is
    computed by one call, the same way on any number of threads. Kernels are internal (`llvm.linkage` internal): entries still
    call nothing outside the object (DESIGN.md contract 2).

    ```mlir
    // before
    func.func @predict(%x: memref<?x16xf32>, %y: memref<?x16xf32>) {
      scf.for %i = %c0 to %n step %c1 { ... }
    }
    // after
    func.func @predict(%x: memref<?x16xf32>, %y: memref<?x16xf32>) {
      call @predict__kernel0(%n, %x, %y) : (index, memref<?x16xf32>, memref<?x16xf32>) -> ()
    }
    func.func private @predict__kernel0(%n: index, %x: ..., %y: ...)
        attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]} {
      %c0 = arith.constant 0 : index
      scf.for %i = %c0 to %n step %c1 { ... }
    }
    ```
  }];
  let options = [
    Option<"minLoops", "min-loops", "int64_t", /*default=*/"2",
           "outline only functions with at least this many top-level loops">,
    Option<"parallelElements", "parallel-elements", "int64_t",
           /*default=*/"0",
           "iterations from which a kernel whose rows are independent runs as "
           "calls on slices of rows in an scf.parallel; 0: every kernel "
           "serial">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

//===----------------------------------------------------------------------===//
// CUDA
//===----------------------------------------------------------------------===//

def TransposedConvolutionPass
    : Pass<"kiln-cuda-transposed-convolution", "::mlir::func::FuncOp"> {
  let summary = "A stride-1 convolution's input gradient as a convolution";
  let description = [{
    Reverse-mode autodiff gives a convolution's input gradient as
    `fold_patches(g @ W2^T)`: a matrix product writing every patch's
    gradient, then col2im summing them into the input. For the GPU the
    whole gradient becomes one convolution instead, of `g` with the
    kernel's taps reversed and its channel axes swapped, padded by
    `(K - 1) dil - pad` before and after (stride 1 only; a stride above 1
    or padding wider than the dilated window is left alone): an implicit
    GEMM (`--kiln-cuda-fuse-into-matmul`) like the forward convolution,
    with no patch gradients in memory and no col2im kernel. It runs on the
    kiln dialect before the lowering to linalg, for `--target cuda` and
    `cuda-on-cpu` (which share that linalg; so does the host code of a
    `--target cuda` binary); the CPU keeps the fold, which its GEMM runs
    faster (a wider product, half the im2col). It is the one place where a
    target changes the linalg (DESIGN.md contract 4): chosen by codegen,
    and cuda-on-cpu still runs exactly the GPU's mapped loops.

    ```mlir
    // before
    %r = kiln.reshape %w : tensor<3x3x2x4xf32> -> tensor<18x4xf32>
    %t = kiln.transpose %r {permutation = array<i64: 1, 0>} : tensor<18x4xf32> -> tensor<4x18xf32>
    %p = kiln.matmul %g, %t : tensor<?x5x6x4xf32>, tensor<4x18xf32> -> tensor<?x5x6x18xf32>
    %dx = kiln.fold_patches %p, %x {window = array<i64: 3, 3>, strides = array<i64: 1, 1>,
            dilations = array<i64: 1, 1>, pad_low = array<i64: 1, 1>, pad_high = array<i64: 1, 1>} ...
    // after
    %rows = kiln.reshape %w : tensor<3x3x2x4xf32> -> tensor<9x8xf32>
    %rev = kiln.constant dense<[8, 7, 6, 5, 4, 3, 2, 1, 0]> : tensor<9xi32>
    %flip = kiln.gather %rows[%rev] : tensor<9x8xf32>, tensor<9xi32> -> tensor<9x8xf32>
    %k = kiln.reshape %flip : tensor<9x8xf32> -> tensor<3x3x2x4xf32>
    %kt = kiln.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : ... -> tensor<3x3x4x2xf32>
    %dx = kiln.conv %g, %kt {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
            pad_low = array<i64: 1, 1>, pad_high = array<i64: 1, 1>} ...
    ```
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

def VerifyBuffersPass
    : Pass<"kiln-cuda-verify-buffers", "::mlir::func::FuncOp"> {
  let summary = "Check that every memref views one allocation or argument";
  let description = [{
    The CUDA buffer passes that follow (kiln-cuda-scalar-operands,
    -split-k, -fuse-into-matmul, -merge-elementwise, -merge-independent,
    -fuse-rows, and kiln-cuda-map-to-gpu's scalar replacement) decide what
    may be merged, fused, reordered or kept in registers by comparing the
    buffers accesses view: the allocation, global or function argument a
    memref is a view of, through view-like ops. Two different ones are
    different memory. A memref that is none of these, carried by a loop
    (`iter_args`), passed between blocks or chosen by an `scf.if` or
    `arith.select`, may be either of two buffers, and counted as a third it
    would let those passes reorder accesses that conflict. Bufferization
    and canonicalization leave none in kiln's pipeline; this pass makes
    the premise an error instead of a silent wrong answer.

    ```mlir
    %r = scf.for %i = %c0 to %n step %c1 iter_args(%s = %a) -> memref<4xf32> {
      // error: cannot tell which buffer block argument #1 views
      ...
    }
    ```
  }];
}

def ScalarOperandsPass
    : Pass<"kiln-cuda-scalar-operands", "::mlir::func::FuncOp"> {
  let summary = "Scalars a linalg.generic reads from host loads become its "
                "operands";
  let description = [{
    After bufferization, a scalar that a generic's body uses (the learning
    rate, a loss's mean divisor, a reduced value) is often a `memref.load`
    outside the generic, captured by its body. On a GPU the host cannot
    load from a device buffer. This pass adds the loaded buffer as an input
    of each generic that reads the value, through a constant indexing map,
    and replaces the captured value with the new block argument; the load
    is then dead. Host arithmetic between such loads and a value the body
    reads (a dropout mask's key, mixed from the seed) is cloned into the
    body first, so that its loads become operands too. It runs before
    workspace allocation, which sees the new uses and keeps the buffer
    alive until the last reader. Loads at non-constant indices are left
    alone.

    ```mlir
    // before
    %lr = memref.load %rate[] : memref<f32>
    linalg.generic {indexing_maps = [#id, #id]} ins(%g) outs(%w) {
    ^bb0(%in: f32, %out: f32):
      %d = arith.mulf %in, %lr : f32 ...
    // after
    linalg.generic {indexing_maps = [#id, affine_map<(d0) -> ()>, #id]}
        ins(%g, %rate : memref<?xf32>, memref<f32>) outs(%w) {
    ^bb0(%in: f32, %lr: f32, %out: f32):
      %d = arith.mulf %in, %lr : f32 ...
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def CheckBarriersPass
    : Pass<"kiln-cuda-check-barriers", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Check that every thread of a block reaches each barrier";
  let description = [{
    A `gpu.barrier` (`bar.sync`) waits for every thread of the block: a
    barrier that some threads skip hangs the block on a GPU, while the host
    loops of `--target cuda-on-cpu` (each phase between barriers a loop
    over the threads) run on. This pass checks each kernel of the module
    kiln-cuda-map-to-gpu outlined: every `scf.if` around a barrier branches
    on, and every `scf.for` around one counts with, values that are the same
    in all threads of a block: kernel arguments, block ids and sizes,
    constants, and what is computed from them, including loads of global
    and shared memory at such places. The thread id, whatever a thread
    reads from its own `memref.alloca` memory, and results chosen by
    control flow that depends on them differ. Any other region op around a
    barrier is refused too, as not proven. A failure is a mapping bug,
    reported at the barrier with a note at the control flow. The tensor
    cores' `nvvm.mma.sync` (`--gpu-precision tf32|bf16`), which all 32
    threads of a warp execute together, is held to the same rule (kiln's
    stand in block-wide control flow, which is stricter than a warp's).

    ```mlir
    %t = gpu.thread_id x
    %first = arith.cmpi eq, %t, %c0 : index
    scf.if %first {
      gpu.barrier   // error: not every thread of the block reaches it
    }
    ```
  }];
}

def SplitKPass : Pass<"kiln-cuda-split-k", "::mlir::func::FuncOp"> {
  let summary = "Give matrix products with few output tiles, and sums with "
                "few outputs, a long reduction a buffer of partial sums";
  let description = [{
    A weight gradient is a matrix product whose output is small (the
    weight) and whose reduction is long (the batch, times the image
    positions for a convolution): mapped as one block per output tile, it
    would occupy a few of a GPU's multiprocessors, each looping over the
    whole batch. This pass, run before workspace allocation, picks a number
    of splits S of the reduction for each matrix product (the shape
    kiln-cuda-map-to-gpu tiles) with static output dimensions M x N whose
    ceil(M / rows) * ceil(N / cols) tiles (the tile shape map-to-gpu
    picks, matmulTileShape) are fewer than `target-blocks`
    and whose reduction is dynamic or at least 2048 long: S = min(
    `max-splits`, ceil(target-blocks / tiles)), at least 2. It allocates
    the partial sums, `memref<S x M x N x f32>`, at the function's start
    (workspace allocation places them in the caller's workspace), and makes
    them the last input of the product (generalized, read through a
    constant map by no one: the operand ties buffer and product together
    and keeps the buffer alive), marked `kiln.split_k`.
    kiln-cuda-map-to-gpu then splits k into chunks of k / S (rounded up to
    whole staging steps, and at least 256 long: a small batch runs fewer
    splits), computes each chunk's partial tile into the buffer and adds
    the partials to the output in order (a single chunk adds its sums to
    the output directly, with no second kernel): results depend on the
    batch size only, not on scheduling or the GPU.

    A sum that kiln-cuda-map-to-gpu shares among blocks of threads (a bias
    gradient: 16 channels, the batch times the image positions long) is
    split the same way: its groups of outputs (one block's lanes) are the
    tiles, S = min(`max-splits`, ceil(`target-blocks` / groups)), and a
    static reduction gives every chunk at least 32 terms per thread; the
    partial sums are `memref<S x outputs x f32>`.

    The defaults follow an H200 run (2026-12-04): with 256 target blocks
    and at most 64 splits, the CNN example's first weight gradient (one
    tile, 9 x 16) ran as 64 blocks, each about 1 us per staged step of k
    whatever the batch (79 us at batch 100, 764 us of a 2.8 ms train step
    at batch 1024): latency, not arithmetic. More blocks, each with fewer
    steps, hide it; the partials' second kernel grows with S.

    ```mlir
    // after
    %partials = memref.alloc() : memref<4x288x64xf32>
    ...
    linalg.generic {indexing_maps = [#lhs, #rhs,
                                     affine_map<(d0, d1, d2) -> (0, 0, 0)>,
                                     #out], ...} {kiln.split_k}
        ins(%x, %g, %partials : ...) outs(%w : memref<288x64xf32>)
    ```
  }];
  let options = [
    Option<"matmulTile", "matmul-tile", "int64_t", /*default=*/"64",
           "Rows and columns of a square output tile "
           "(kiln-cuda-map-to-gpu's option)">,
    Option<"matmulKStep", "matmul-k-step", "int64_t", /*default=*/"16",
           "Steps of k a product stages per round (kiln-cuda-map-to-gpu's "
           "option)">,
    Option<"narrowTiles", "narrow-tiles", "bool", /*default=*/"true",
           "Products of few columns take narrower tiles of the same area "
           "(kiln-cuda-map-to-gpu's option; off with tensor cores)">,
    Option<"wideTileMinTiles", "wide-tile-min-tiles", "int64_t",
           /*default=*/"256",
           "A product of at least 256 columns with this many 128 x 128 "
           "tiles takes them; 0: none does (kiln-cuda-map-to-gpu's "
           "option)">,
    Option<"smallTiles", "small-tiles", "bool", /*default=*/"true",
           "A product with a small static output takes 32 x 32 tiles staged "
           "32 steps of k where they compute at most a quarter of the "
           "elements (kiln-cuda-map-to-gpu's option; off with tensor "
           "cores)">,
    Option<"targetBlocks", "target-blocks", "int64_t", /*default=*/"512",
           "Blocks a product should have at least (about four per "
           "multiprocessor of an H100 or H200)">,
    Option<"maxSplits", "max-splits", "int64_t", /*default=*/"256",
           "The most splits of one reduction">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect"];
}

def FuseIntoMatmulPass
    : Pass<"kiln-cuda-fuse-into-matmul", "::mlir::func::FuncOp"> {
  let summary = "Compute gathered factors inside matrix products (implicit "
                "GEMM), fold zero fills into them, and leave their "
                "elementwise epilogues in place";
  let description = [{
    Run on buffers before workspace allocation, for the GPU. Two rewrites
    of the matrix products that kiln-cuda-map-to-gpu tiles:

    - Implicit GEMM. A convolution is an im2col gather, a fresh buffer of
      patches (batch x positions x taps x channels), then a matrix product
      reading it (and, in a training step, the weight gradient reading it
      again). When a buffer is written once, by a gather (a parallel
      generic whose body computes indices, loads and selects, with no
      arithmetic on the elements), and read only by matrix products that
      come after it in the same block, with nothing between writing what
      the gather reads, each product computes the gathered element where it
      reads it: the factor becomes the gather's body, cloned into the
      product's, at the gather's loop indices recovered from the product's
      (through `memref.collapse_shape`, by division by static sizes). The
      gather, its buffer and the views of it go; `memref.dim` of them
      becomes arithmetic on the allocation's sizes. kiln-cuda-map-to-gpu
      evaluates the computed factor as it stages a tile into shared memory:
      the patches are never written to memory.
    - A `linalg.fill` of +0.0 into the output of a matrix product with
      nothing between them reading or writing that buffer goes; the
      product is marked `kiln.zero_init` and stores its sums instead of
      adding them to the output (a split product: its single chunk stores,
      or the partials' sum starts from partial 0). One kernel and one pass
      over the output fewer per dense or convolution layer and weight
      gradient. The same for a sum that kiln-cuda-map-to-gpu shares among
      blocks of threads (a bias gradient, a loss): one kernel fewer each.
    - Epilogues in place. A parallel generic that is the only reader of a
      product's fresh output (directly or through one expand_shape, read
      element for element) and writes a fresh buffer of the same type
      (bias + activation) writes the output's view instead: its buffer
      goes and its uses take the view. kiln-cuda-map-to-gpu then applies
      it to each sum as the product stores it.

    ```mlir
    // before
    linalg.generic {indexing_maps = [#identity6], iterator_types = [6 x
        "parallel"]} outs(%patches : memref<?x28x28x3x3x1xf32>) {
      ... %v = memref.load %image[...]  %e = arith.select %in, %v, %zero
      linalg.yield %e : f32 }
    %a = memref.collapse_shape %patches [[0, 1, 2], [3, 4, 5]]
    linalg.fill ins(%zero : f32) outs(%c : memref<?x16xf32>)
    linalg.matmul ins(%a, %w : memref<?x9xf32>, memref<9x16xf32>)
                  outs(%c : memref<?x16xf32>)
    // after
    linalg.generic {indexing_maps = [#kn, #mn], ...} {kiln.zero_init}
        ins(%w : memref<9x16xf32>) outs(%c : memref<?x16xf32>) {
    ^bb0(%b: f32, %out: f32):
      %m = linalg.index 0 : index
      %k = linalg.index 2 : index
      ... (the gather's body at (m / 784, m / 28 % 28, m % 28, k / 3, k % 3, 0))
      %p = arith.mulf %e, %b : f32
      %s = arith.addf %out, %p : f32
      linalg.yield %s : f32 }
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect"];
}

def MergeElementwisePass
    : Pass<"kiln-cuda-merge-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Neighbouring elementwise generics over one static space "
                "become one generic with several outputs";
  let description = [{
    Run on buffers before workspace allocation, for the GPU, where each
    linalg op becomes a kernel launch. An optimizer updates each parameter
    in several elementwise ops (Adam: the first moment, the second, then
    the parameter from both): one kernel each, reading the gradient and
    the moments from memory again. Generics in one block, with only
    allocations and index arithmetic between them, whose loops are all
    parallel with the same static extents (or who have none: scalars, such
    as a loss's mean and a gradient's seed), whose outputs are written
    element for element (identity maps) and whose bodies have no effects,
    merge into one generic where the last of them was, with every output
    (`linalg.generic` with several `outs`), provided each reads what an
    earlier one wrote only as that op's output value, element for element
    (the value then comes from the body, not memory), and writes nothing
    an earlier one read or wrote. Entry arguments are distinct buffers
    and allocations are disjoint (contract 2), so buffers are compared by
    the value they are views of.

    ```mlir
    // before: m' = b1 m + (1 - b1) g; v' = ...; p' = p - lr m' / ...
    linalg.generic ... ins(%m, %g) outs(%m1) { ... }
    linalg.generic ... ins(%v, %g) outs(%v1) { ... }
    linalg.generic ... ins(%p, %m1, %v1, %lr) outs(%p1) { ... }
    // after: one kernel
    linalg.generic ... ins(%m, %g, %v, %g, %p, %lr)
                       outs(%m1, %v1, %p1) { ... linalg.yield %a, %b, %c }
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def MergeIndependentPass
    : Pass<"kiln-cuda-merge-independent", "::mlir::func::FuncOp"> {
  let summary = "Independent neighbouring elementwise generics over "
                "different static spaces become one parallel loop";
  let description = [{
    Run on buffers after kiln-cuda-merge-elementwise, for the GPU, where
    each parallel loop becomes a kernel launch. After that pass an
    optimizer updates each parameter in one kernel, and the updates of a
    model's parameters follow each other: tiny kernels (a bias of 10 is
    one block of 32 threads), each paying a launch. Elementwise generics
    (as kiln-cuda-merge-elementwise takes them) in one block, with only
    allocations and index arithmetic between them, none of which reads or
    writes a buffer another one writes, nor updates a buffer in place (a
    product's epilogue stays a candidate for kiln-cuda-map-to-gpu), run as
    one `scf.parallel` over their spaces laid end to end, where the last of
    them was. Iteration i runs the member whose range holds it (one
    branch per member, side by side), at the element i minus the range's
    start names (innermost dimension fastest): the same loads, body and
    stores as the member's own loop, so the numbers do not change. Buffers
    are compared by the value they are views of, as in
    kiln-cuda-merge-elementwise (contract 2). Each operand becomes a kernel
    parameter (a buffer's memref descriptor: two pointers, the offset, a
    size and a stride per dimension, 8 bytes each), and a kernel has 4 KiB
    of parameters before PTX ISA 8.1: a group takes members while their
    operands fit in `max-param-bytes`.

    ```mlir
    // before: three launches (Adam's updates of three parameters)
    linalg.generic ... outs(%w1 : memref<784x128xf32>) { ... }
    linalg.generic ... outs(%b1 : memref<128xf32>) { ... }
    linalg.generic ... outs(%b2 : memref<10xf32>) { ... }
    // after: one
    scf.parallel (%i) = (%c0) to (%c100490) step (%c1) {
      scf.if %i - 0 < 100352 { <w1's update at (i / 128, i % 128)> }
      scf.if %i - 100352 < 128 { <b1's at i - 100352> }
      scf.if %i - 100480 < 10 { <b2's at i - 100480> }
    }
    ```
  }];
  let options = [
    Option<"maxParamBytes", "max-param-bytes", "int64_t", "4096",
           "The most bytes of kernel parameters a merged loop's operands "
           "may take">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def FuseRowsPass : Pass<"kiln-cuda-fuse-rows", "::mlir::func::FuncOp"> {
  let summary = "Neighbouring ops over the same rows become one parallel "
                "loop whose threads run them row by row";
  let description = [{
    Run on buffers after kiln-cuda-merge-independent, for the GPU, where
    each linalg op becomes a kernel launch and each buffer it writes a
    round trip through memory. A loss is a dozen small ops over the batch
    (the row maxima of the logits, their exponentials, the row sums, the
    log-probabilities, the one-hot labels, ...), each a launch, and a max
    pooling's gradient is a zero fill, a sum over the window and the
    activation's derivative, each a pass over a large buffer. Such ops
    run as one `scf.parallel` over their rows (their leading parallel
    dimensions, the common prefix of their outputs' indices), thread r
    running each member's iteration space at row r in turn, the member's
    other loops serial and in order: each output element is computed with
    the same arithmetic in the same order as by the member alone.

    Members are `linalg.fill`s, `linalg.copy`s (kiln-inline-copies runs
    first: a recurrent layer's carried and saved states) and
    `linalg.generic`s that
    kiln-cuda-map-to-gpu would map one thread per element (neither matrix
    products nor shared sums, nor a product's in-place epilogue), whose
    bodies only compute and load, and whose loops outside the rows are
    static. A run of them in one block, with only ops that touch no memory
    between them, joins while
    - every access to a buffer some member writes (an operand, or a load
      in a body) indexes it by the rows first, so that thread r touches
      only row r of it: the members' rows are the first `depth` indices of
      each such access, and through the views of one buffer that they use
      no two rows reach one element (the views have static offsets and
      the same strides along the rows, and the rows' elements, searched
      difference by difference, do not meet: an LSTM's four gate columns
      of one buffer split into rows and columns, a reshape that merges
      the rows does not split at all);
    - the rows have the same size in every member where it is static (a
      pooling's input and output rows do not fuse: threads would idle);
    - no member has more than `max-row-elements` elements per row outside
      its reductions (a thread runs them one after the other);
    - the operands fit in `max-param-bytes` of kernel parameters.
    Members over rows sized at run time by different values (a logits
    buffer and a labels buffer, both the batch) run under a bound check,
    the loop covering the largest.

    Independent ops move so that such runs become neighbours. When an op
    breaks a run, later ops (within 16 memory-touching ops) that the run
    takes move up before it if no op they pass writes a buffer they touch
    or touches one they write (buffers are allocations and arguments,
    distinct before workspace allocation): an LSTM's gate gradients added
    into its input's gradient and copied elsewhere, with its bias update
    between them. When a memory-touching op breaks a run and the next one
    would join it, the run moves down past that op if they do not
    conflict and the op is not a product followed by its in-place
    epilogue: a recurrent layer's state saved before the step's product
    joins the activation after it.

    Each thread's values then stay in registers: an element a member's
    loop loads and stores at every step (a row's sum) is carried by the
    loop, an element one member stores and the next loads is passed on,
    a store that a later store overwrites goes, and a buffer no longer
    read at all (the row maxima) goes with its stores.

    ```mlir
    // before: three launches, and the sums through memory
    linalg.fill ins(%zero : f32) outs(%sum : memref<?xf32>)
    linalg.generic {iterator_types = ["parallel", "reduction"]}
        ins(%e : memref<?x10xf32>) outs(%sum : memref<?xf32>) { addf }
    linalg.generic {iterator_types = ["parallel", "parallel"]}
        ins(%e, %sum : ...) outs(%p : memref<?x10xf32>) { divf }
    // after: one; the sum in a register
    scf.parallel (%r) = (%c0) to (%n) step (%c1) {
      %s = scf.for %j = %c0 to %c10 step %c1 iter_args(%acc = %zero) {
        ... memref.load %e[%r, %j] ... arith.addf ...
      }
      scf.for %j = %c0 to %c10 step %c1 {
        ... memref.load %e[%r, %j] ... arith.divf %x, %s ...
        memref.store %q, %p[%r, %j]
      }
    }
    ```
  }];
  let options = [
    Option<"maxRowElements", "max-row-elements", "int64_t", "32",
           "The most elements a member computes per row, one after the "
           "other, outside its reductions">,
    Option<"maxParamBytes", "max-param-bytes", "int64_t", "4096",
           "The most bytes of kernel parameters the loop's operands may "
           "take">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def DefineLibdevicePass : Pass<"kiln-cuda-define-libdevice"> {
  let summary = "Give the libdevice functions GPU kernels call bodies of "
                "NVPTX intrinsics";
  let description = [{
    Upstream's GPU-to-NVVM conversion lowers floor, ceil, trunc, rint,
    round, fabs, sqrt, rsqrt, fma, copysign, fmod, fmin and fmax to calls of
    libdevice's `__nv_*` functions, which only the CUDA toolkit ships; kiln
    compiles without it. This pass defines each such declared function
    (f32 and f64) as an internal function of the LLVM intrinsic that the
    NVPTX backend selects to one PTX instruction, so LLVM inlines it and the
    PTX calls nothing. Unknown `__nv_*` declarations are left alone: the
    driver refuses PTX with an undefined call, naming it.

    ```mlir
    // before
    llvm.func @__nv_floorf(f32) -> f32
    // after
    llvm.func internal @__nv_floorf(%x: f32) -> f32 {
      %0 = llvm.intr.floor(%x) : (f32) -> f32
      llvm.return %0 : f32
    }
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def MapToGpuPass : Pass<"kiln-cuda-map-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Map an entry's linalg ops and loop nests on buffers to GPU "
                "kernels";
  let description = [{
    Every buffer an entry touches lives on the device (contract 2: the
    caller's buffers and workspace), so everything that reads or writes
    memory must run in a kernel; the host part of an entry only computes
    sizes and views and launches. This pass maps each linalg op on buffers
    to one of three kernel shapes:

    1. a matrix product in any layout (`C += A(m,k) * B(k,n)`, three loops,
       the payload a multiply-add): `matmul-tile` squared tiles of C (64 x
       64), or with `narrow-tiles` for a product of few columns a tile of
       the same area and fewer columns (256 x 16 for a convolution's 16
       channels, 128 x 32 for 32) when that computes fewer elements outside
       C, or for a wide product (at least 256 static columns and
       `wide-tile-min-tiles` tiles of 128 x 128: a large batch through a
       wide Dense layer) 128 x 128 tiles staged 8 steps of k at a time
       (16 in bf16),
       chosen per launch from the batch when m is dynamic (two kernels,
       the host launches one), or with `small-tiles` for a small static
       output (a convolution's weight gradient) 32 x 32 tiles (or
       narrower) staged 32 steps of k where they compute at most a quarter
       of the elements (fp32), per block of 256 threads, A and B staged
       through
       workgroup memory `matmul-k-step` (16) steps of k at a time (zero
       outside the matrices), double-buffered (the next step's elements
       wait in registers while the block multiplies the current one, then
       go to the other half: one barrier a step; two steps of A and B must
       fit the 48 KiB of a block, which rules out tile 128 with k-step 32;
       consecutive threads load neighbours in memory, along k or along m
       for A and along n or along k for B, as the factor is laid out;
       four neighbours at a time, one 16-byte load on the GPU, where the
       size along that dimension and the buffer's offset and other
       strides are static multiples of 4),
       a square register tile of sqrt(rows x columns / 256) outputs a
       side per thread (4 x 4 for 64 x 64 and 256 x 16 tiles alike, the
       threads a (rows / side) x (columns / side) grid),
       one fused multiply-add per product. A
       product marked by kiln-cuda-split-k runs a block per tile and chunk
       of k (at most S chunks), each summing its chunk into the partial-sum
       buffer, then one thread per output adds the partials to C in order.
       With `precision` tf32 or bf16, A and B are rounded as they are
       staged and each warp multiplies its part of the tile with the tensor
       cores' `nvvm.mma.sync` (m16n8k8 or m16n8k16, float sums; see
       codegen/cuda/TensorCore.h); on the host the instruction is emulated.
       A factor the body computes (kiln-cuda-fuse-into-matmul's implicit
       GEMM) is evaluated as its tile is staged; a `kiln.zero_init`
       product stores its sums instead of adding them; an elementwise op
       right after the product that updates C in place, reading nothing
       else of it (bias and activation), is applied to each sum before the
       store and goes: one kernel;
    2. a sum into at most 2^14 outputs over a long (dynamic, or over 512)
       reduction of one or more dimensions (`out += term`: weight and bias
       gradients, a loss): blocks of 256 threads share it, 32 outputs a
       block split 8 ways when there are 1024 outputs or more; fewer
       outputs that are neighbours in memory (a bias gradient's channels)
       side by side in one block (as many lanes as outputs, a power of two),
       so that a warp's loads coalesce; else one output a block split 256
       ways; partial sums in order, then a tree in workgroup memory between
       barriers: a fixed order, whatever the scheduling. A sum marked by
       kiln-cuda-split-k runs a block per group of outputs and chunk of its
       reduction, each storing its totals into the partial-sum buffer, then
       one thread per output adds them in order. A sum to one scalar
       whose next op touching memory is a generic without loops reading
       it (a loss's mean from its sum) takes that op along: the thread
       that stores the sum runs it (after several chunks, a kernel of one
       thread does, after their addition);
    3. anything else: lowered to parallel loops, parallel dimensions
       outermost (a generic that reduces an outer dimension is interchanged
       first), and each top-level `scf.parallel` a `gpu.launch` of one
       thread per iteration of its linearized space (innermost dimension
       fastest, so accesses coalesce), `block-size` threads a block, a
       bounds guard, nothing launched for an empty space (batch 0).

    Any other top-level op that touches memory becomes a kernel of one
    thread; a host `scf.for` or `scf.if` around kernels (a recurrent
    layer's time loop) stays on the host, its body mapped the same way. A
    host `scf.for` that itself reads memory and goes on with the values
    (an embedding's gradient: row i of the gradient added to row ids[i] of
    the table) cannot stay on the host: it runs as a block loop, every
    thread running the loop and thread t taking elements t, t + T, ... of
    each parallel loop in it, a barrier after each. When every access to
    the buffers it writes is at one row (the first index, directly or
    through a one-row subview), the rows split among up to 256 blocks,
    each running the iterations of its rows in order; and when the row is
    computed from the loop's index and buffers the loop does not write,
    the block computes the rows of a chunk of iterations (one per thread)
    into workgroup memory before running them.
    Every launch is outlined into one `gpu.module @kiln_kernels` (one PTX
    module per architecture) with the constants and globals it reads; the
    kernels are named `<entry>_<matmul|sum|loop|block_loop|serial>[_N]`.

    With `host-loops`, each launch becomes host loops over its blocks and
    threads instead, one loop over the threads per phase between barriers,
    workgroup memory and register tiles in stack scratch: the same kernels
    with the same arithmetic in the same order run on the CPU (DESIGN.md
    contract 4; `kiln compile --target cuda-on-cpu`), which checks the
    mapping's numbers without a GPU. With `reverse-host-order` too, those
    loops run the last block and thread first: the threads of one phase
    must not share memory (a race on the GPU), and where they do, the two
    orders compute different numbers. With `host-order-global` the loops
    read the order at run time from that global instead, which kiln's
    runtime sets from the environment: `kiln compile --target cuda-on-cpu`
    binaries run in reverse with KILN_GPU_HOST_ORDER=reverse, compared bit
    for bit with the forward order by test/e2e/cuda_on_cpu.test and
    cuda_on_cpu_keras3.test.

    ```mlir
    // before
    scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c10) step (%c1, %c1) { ... }
    // after
    %total = arith.muli %n, %c10 : index
    gpu.launch_func @kiln_kernels::@predict_loop
        blocks in (%blocks, %c1, %c1) threads in (%c256, %c1, %c1)
        args(%total : index, ...)
    ```
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">,
    Option<"hostLoops", "host-loops", "bool", /*default=*/"false",
           "Run each launch's blocks and threads as host loops (contract 4)">,
    Option<"reverseHostOrder", "reverse-host-order", "bool",
           /*default=*/"false",
           "With host-loops, run the blocks and the threads of each phase "
           "last first (a race check)">,
    Option<"hostOrderGlobal", "host-order-global", "std::string",
           /*default=*/"\"\"",
           "With host-loops, read the order at run time from this external "
           "i32 global, declared if absent (nonzero: last first; kiln's "
           "runtime defines kiln_gpu_host_order from KILN_GPU_HOST_ORDER)">,
    Option<"matmulTile", "matmul-tile", "int64_t", /*default=*/"64",
           "Rows and columns of C per block of a matrix product: 32, 64 or "
           "128 (a register tile of (tile / 16)^2 per thread)">,
    Option<"matmulKStep", "matmul-k-step", "int64_t", /*default=*/"16",
           "Steps of k a matrix product stages per round: 8, 16 or 32">,
    Option<"narrowTiles", "narrow-tiles", "bool", /*default=*/"true",
           "A product with few columns of C takes a narrower tile of the "
           "same area, (tile 2^j) x (tile / 2^j) down to 16 columns, where "
           "that computes fewer elements outside C (fp32 only)">,
    Option<"wideTileMinTiles", "wide-tile-min-tiles", "int64_t",
           /*default=*/"256",
           "A product of at least 256 static columns of C with at least "
           "this many 128 x 128 tiles takes them, staged 8 steps of k at a "
           "time (16 with bf16), whatever matmul-tile and matmul-k-step "
           "say; with a dynamic m the host picks per launch; 0: none "
           "does">,
    Option<"smallTiles", "small-tiles", "bool", /*default=*/"true",
           "An fp32 product with static m and n takes 32 x 32 tiles (or "
           "narrower) staged 32 steps of k where they compute at most a "
           "quarter of the elements that matmul-tile's compute (a "
           "convolution's weight gradient, 9 x 16)">,
    Option<"precision", "precision", "std::string", /*default=*/"\"fp32\"",
           "Multiplicands of the tiled matrix products: fp32 (fused "
           "multiply-adds), tf32 or bf16 (tensor-core mma.sync, sm_80 and "
           "newer; bf16 needs matmul-k-step 16 or 32)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::NVVM::NVVMDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

#endif // KILN_CODEGEN_PASSES_TD
