//===- InlineCopies.cpp - memref.copy as loops ------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A strided memref.copy lowers to a call of MLIR's runtime `memrefCopy`,
// which compiled models do not link (contract 2: entries call nothing).
// Every copy becomes linalg.copy, lowered to loops like any linalg op.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_INLINECOPIESPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {
struct InlineCopiesPass
    : public kiln::impl::InlineCopiesPassBase<InlineCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    for (memref::CopyOp copy : copies) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};
} // namespace
