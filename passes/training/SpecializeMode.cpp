//===- SpecializeMode.cpp - Training vs inference forms ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Gives every mode-dependent op (ModeDependentOpInterface) the form of its
// function's mode. The interface is the only thing this file knows: a new
// mode-dependent layer brings its own forms with its op.
//===----------------------------------------------------------------------===//

#include "passes/training/Training.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_SPECIALIZEMODEPASS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

/// The layer name the importer put in `loc` ("dense_1"), or "".
static std::string layerNameOf(Location loc) {
  std::string name;
  loc->walk([&](Location l) {
    if (auto named = dyn_cast<NameLoc>(l)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return name;
}

std::string mlir::kiln::getTrainingUnsupportedReason(func::FuncOp func) {
  std::string reason;
  func.walk([&](ModeDependentOpInterface op) {
    if (op->hasAttr(kInferenceOnlyAttrName))
      return WalkResult::advance();
    std::string why = op.getTrainingUnsupportedReason();
    if (why.empty())
      return WalkResult::advance();
    std::string layer = layerNameOf(op->getLoc());
    reason = (layer.empty() ? "" : "layer '" + layer + "': ") + why;
    return WalkResult::interrupt();
  });
  return reason;
}

LogicalResult mlir::kiln::specializeMode(
    func::FuncOp func, SmallVectorImpl<std::pair<Value, Value>> *stateUpdates) {
  bool training = false;
  if (auto mode = func->getAttrOfType<StringAttr>(kModeAttrName))
    training = mode.getValue() == "training";
  if (training && !func.getNumArguments())
    return func.emitOpError("is in training mode but has no RNG key argument"),
           failure();
  return specializeMode(func, training ? func.getArguments().back() : Value(),
                        stateUpdates);
}

LogicalResult mlir::kiln::specializeMode(
    func::FuncOp func, Value rng,
    SmallVectorImpl<std::pair<Value, Value>> *stateUpdates) {
  bool training = bool(rng);
  SmallVector<ModeDependentOpInterface> ops;
  func.walk([&](ModeDependentOpInterface op) { ops.push_back(op); });
  IRRewriter rewriter(func.getContext());
  SmallVector<std::pair<Value, Value>> updates;
  for (ModeDependentOpInterface op : ops) {
    rewriter.setInsertionPoint(op);
    size_t before = updates.size();
    bool trains = training && !op->hasAttr(kInferenceOnlyAttrName);
    if (failed(trains ? op.specializeForTraining(rewriter, rng, updates)
                      : op.specializeForInference(rewriter)))
      return failure();
    if (updates.size() != before && !stateUpdates)
      return func.emitOpError(
                 "a training-mode op updates state, but nothing returns it "
                 "(build the function with buildTrainingFunctions)"),
             failure();
  }
  if (stateUpdates)
    stateUpdates->append(updates.begin(), updates.end());
  return success();
}

// --kiln-specialize-mode
namespace {
struct SpecializeModePass
    : public kiln::impl::SpecializeModePassBase<SpecializeModePass> {
  void runOnOperation() override {
    if (failed(specializeMode(getOperation())))
      signalPassFailure();
  }
};
} // namespace
