//===- PromoteToF64.cpp - Retype kiln functions to f64 ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln ops are agnostic of the float type (f32 or f64), so promoting a
// function is retyping its values and converting its constants in place.
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_PROMOTETOF64PASS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

/// `type` with f32 elements replaced by f64.
static Type promote(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.getElementType().isF32())
    return type;
  return tensor.clone(Float64Type::get(type.getContext()));
}

/// Converts an f32 elements attribute to f64.
static DenseElementsAttr promote(DenseElementsAttr attr) {
  auto type = cast<RankedTensorType>(promote(attr.getType()));
  return attr.mapValues(type.getElementType(), [](const APFloat &value) {
    APFloat wide = value;
    bool losesInfo = false;
    wide.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven,
                 &losesInfo);
    return wide.bitcastToAPInt();
  });
}

// --kiln-promote-to-f64
namespace {
struct PromoteToF64Pass
    : public kiln::impl::PromoteToF64PassBase<PromoteToF64Pass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    WalkResult walk = func.walk([](Operation *op) -> WalkResult {
      // Kiln ops, and the loops, index arithmetic and slices around them.
      if (!isa<KilnDialect, func::FuncDialect, scf::SCFDialect,
               arith::ArithDialect, tensor::TensorDialect>(op->getDialect()))
        return op->emitOpError("cannot be promoted to f64 (not a kiln op)");
      for (Region &region : op->getRegions())
        for (BlockArgument arg : region.getArguments())
          arg.setType(promote(arg.getType()));
      for (OpResult result : op->getResults())
        result.setType(promote(result.getType()));
      if (auto constant = dyn_cast<ConstantOp>(op)) {
        auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
        if (!dense)
          return op->emitOpError("has a non-dense value");
        if (dense.getElementType().isF32())
          constant.setValueAttr(promote(dense));
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    SmallVector<Type> inputs, results;
    for (Type t : func.getArgumentTypes())
      inputs.push_back(promote(t));
    for (Type t : func.getResultTypes())
      results.push_back(promote(t));
    func.setType(FunctionType::get(func.getContext(), inputs, results));
  }
};
} // namespace
