//===- ScalarReplacement.h - One thread's elements in registers -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A GPU thread runs the body of a parallel loop: loads and stores that the
// lowering of each linalg op leaves (an output element loaded and stored
// again at every step of a reduction; an element one op stores and the
// next loads back) cost a memory round trip each, and LLVM cannot remove
// them: it does not know that the kernel's buffers are distinct. kiln does
// (DESIGN.md, contract 2: entry arguments are distinct buffers, and so are
// allocations, and after workspace allocation each view of the workspace;
// `bufferOf`), so two accesses touch the same memory only through the same
// buffer. These rewrites keep the arithmetic and its order: the numbers do
// not change, only the memory traffic.
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CUDA_SCALARREPLACEMENT_H
#define KILN_CODEGEN_CUDA_SCALARREPLACEMENT_H

namespace mlir {
class Operation;

namespace kiln {

/// One thread's code, the body of `loop` (a parallel loop), with its
/// elements in registers, in this order:
///  - common subexpressions eliminated (accesses at the same indices then
///    use the same values), loop-invariant arithmetic hoisted;
///  - in every scf.for nested in it, innermost first: an element the loop
///    body loads once and stores once, at indices that do not change in
///    the loop, where nothing else in the loop touches its buffer, becomes
///    a value the loop carries (loaded before the loop, stored after it: a
///    reduction's accumulator); an element the body loads at indices that
///    do not change, from a buffer nothing in the loop writes, is loaded
///    once before the loop when the loop runs at least once;
///  - in the body's ops in order, and in the blocks of the scf.if ops
///    among them: a load of an element stored or loaded earlier, through
///    the same view at the same indices, with nothing in between that may
///    write its buffer, takes that value; a store of an element that a
///    later store overwrites, with nothing in between that may read its
///    buffer, goes.
void keepInRegisters(Operation *loop);

} // namespace kiln
} // namespace mlir

#endif // KILN_CODEGEN_CUDA_SCALARREPLACEMENT_H
