//===- Autodiff.cpp - Reverse-mode automatic differentiation ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "passes/autodiff/Autodiff.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "passes/Passes.h"
#include "passes/autodiff/GradientBuilder.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_DIFFERENTIATEPASS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

/// True for values gradients flow through (float tensors).
static bool isDifferentiable(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && isa<FloatType>(type.getElementType());
}

FailureOr<func::FuncOp>
mlir::kiln::buildGradientFunction(func::FuncOp forward, ArrayRef<unsigned> wrt,
                                  StringRef gradName) {
  FunctionType forwardType = forward.getFunctionType();
  if (forwardType.getNumResults() == 0 || !forward.getBody().hasOneBlock())
    return forward.emitOpError("needs one block and a loss result to "
                               "differentiate"),
           failure();
  auto lossType = dyn_cast<RankedTensorType>(forwardType.getResult(0));
  if (!lossType || lossType.getRank() != 0 ||
      !isa<FloatType>(lossType.getElementType()))
    return forward.emitOpError("result #0 must be a scalar float loss, got ")
               << forwardType.getResult(0),
           failure();

  // The gradient function: forward's arguments -> (results..., grads...).
  SmallVector<Type> resultTypes(forwardType.getResults());
  for (unsigned i : wrt)
    resultTypes.push_back(forwardType.getInput(i));
  OpBuilder builder(forward);
  builder.setInsertionPointAfter(forward);
  auto grad = func::FuncOp::create(
      builder, forward.getLoc(), gradName,
      builder.getFunctionType(forwardType.getInputs(), resultTypes));
  if (ArrayAttr argAttrs = forward.getAllArgAttrs())
    grad.setAllArgAttrs(argAttrs);
  IRMapping mapping;
  forward.getBody().cloneInto(&grad.getBody(), mapping);
  Block &body = grad.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Value loss = ret.getOperand(0);

  // Reverse walk over the forward ops, emitting VJPs before the return.
  builder.setInsertionPoint(ret);
  GradientBuilder m(builder, forward.getLoc());
  DenseMap<Value, Value> adjoint;
  adjoint[loss] = m.scalar(loss, 1.0);
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops)) {
    SmallVector<Value> resultGrads;
    bool reached = false;
    for (Value result : op->getResults()) {
      Value g = adjoint.lookup(result);
      reached |= bool(g);
      resultGrads.push_back(g);
    }
    if (!reached || llvm::none_of(op->getOperands(), isDifferentiable))
      continue;
    auto iface = dyn_cast<GradientOpInterface>(op);
    if (!iface)
      return op->emitOpError("is not differentiable (no gradient rule)"),
             failure();
    for (auto [g, result] : llvm::zip(resultGrads, op->getResults()))
      if (!g)
        g = m.zerosLike(result);
    SmallVector<Value> operandGrads;
    if (failed(iface.buildVjp(builder, resultGrads, operandGrads)))
      return failure();
    assert(operandGrads.size() == op->getNumOperands() &&
           "a VJP rule returns one gradient per operand");
    for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads)) {
      if (!g || !isDifferentiable(operand))
        continue;
      g = m.sumToShape(g, cast<RankedTensorType>(operand.getType()));
      Value &acc = adjoint[operand];
      acc = acc ? m.add(acc, g) : g;
    }
  }

  SmallVector<Value> results(ret.getOperands());
  for (unsigned i : wrt) {
    Value arg = body.getArgument(i);
    Value g = adjoint.lookup(arg);
    results.push_back(g ? g : m.zerosLike(arg));
  }
  func::ReturnOp::create(builder, ret.getLoc(), results);
  ret.erase();
  return grad;
}

// --kiln-differentiate
namespace {
struct DifferentiatePass
    : public kiln::impl::DifferentiatePassBase<DifferentiatePass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> targets;
    getOperation().walk([&](func::FuncOp f) {
      if (f->hasAttr("kiln.differentiate"))
        targets.push_back(f);
    });
    SymbolTable symbols(getOperation());
    for (func::FuncOp f : targets) {
      SmallVector<unsigned> wrt, floats;
      for (unsigned i = 0; i < f.getNumArguments(); ++i) {
        if (!isDifferentiable(f.getArgument(i)))
          continue;
        floats.push_back(i);
        if (f.getArgAttr(i, kParamAttrName))
          wrt.push_back(i);
      }
      FailureOr<func::FuncOp> grad = buildGradientFunction(
          f, wrt.empty() ? floats : wrt, (f.getName() + "_grad").str());
      if (failed(grad))
        return signalPassFailure();
      symbols.insert(*grad);
    }
  }
};
} // namespace
