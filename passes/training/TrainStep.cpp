//===- TrainStep.cpp - @train_step and @eval_step ---------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Builds, from @predict(params, inputs) -> outputs:
//   @eval_step(params, inputs, targets) -> (loss, outputs..., logs...)
//   @train_step(params, slots, inputs, targets, lr, iteration, rng)
//       -> (loss, outputs..., logs..., new trainable params...,
//           new_slots...)
// The loss is the sum of the outputs' losses, each times its weight, and
// the weight penalties. The logs are batch means (an output's unweighted
// loss, or a metric on one output) computed where the predictions are, so
// only scalars leave the step.
// @eval_step runs the model in inference mode; @train_step's forward pass
// runs it in training mode (mode-dependent ops take their training form,
// keyed by `rng`). The gradient comes from differentiating that forward pass
// with respect to the trainable parameters (passes/autodiff); the optimizer
// update follows it in the same function, so the whole step is one unit for
// fusion and codegen. Parameters tagged `kiln.non_trainable` get no
// gradient, no slots and no update. Slots are ordered parameter-major: every
// slot of the first trainable parameter, then of the second...
//===----------------------------------------------------------------------===//

#include "passes/training/Training.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "passes/Passes.h"
#include "passes/autodiff/Autodiff.h"
#include "passes/autodiff/GradientBuilder.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_BUILDTRAINSTEPPASS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

/// Clones the body of `from` (one block) to the end of `to`, its arguments
/// replaced by `args`; returns the values it returned.
static SmallVector<Value> cloneBody(func::FuncOp from, Block *to,
                                    ValueRange args) {
  IRMapping mapping;
  Block &body = from.getBody().front();
  mapping.map(body.getArguments(), args);
  OpBuilder b = OpBuilder::atBlockEnd(to);
  for (Operation &op : body.without_terminator())
    b.clone(op, mapping);
  SmallVector<Value> results;
  for (Value v : body.getTerminator()->getOperands())
    results.push_back(mapping.lookupOrDefault(v));
  return results;
}

/// Fills `body` with @predict's forward pass on `inputs` followed by the
/// loss and the logs against `targets`, and returns them: (loss,
/// outputs..., logs...). The loss includes the weight regularizers'
/// penalties of the trainable parameters (Keras adds `model.losses` in
/// training and evaluation alike); the logs do not.
static SmallVector<Value> buildLossBody(func::FuncOp predict, Block *body,
                                        ValueRange inputs, ValueRange targets,
                                        ArrayRef<OutputLoss> losses,
                                        ArrayRef<StepLog> logs) {
  SmallVector<Value> outputs = cloneBody(predict, body, inputs);
  OpBuilder b = OpBuilder::atBlockEnd(body);
  GradientBuilder m(b, predict.getLoc());
  Value total;
  SmallVector<Value> outputLosses;
  for (auto [output, target, loss] : llvm::zip(outputs, targets, losses)) {
    if (!loss.hasLoss()) { // its target only feeds its metrics
      outputLosses.push_back(Value());
      continue;
    }
    Value l = buildLoss(m, loss.loss, output, target);
    outputLosses.push_back(l);
    if (loss.weight != 1.0)
      l = m.mul(l, m.scalar(l, loss.weight));
    total = total ? m.add(total, l) : l;
  }
  for (auto [i, input] : llvm::enumerate(inputs))
    if (auto regularizer =
            predict.getArgAttrOfType<DictionaryAttr>(i, kRegularizerAttrName))
      if (Value penalty = buildWeightPenalty(m, regularizer, input))
        total = m.add(total, penalty);
  if (Value penalty = buildActivityPenalties(m, body))
    total = m.add(total, penalty);
  SmallVector<Value> results{total};
  results.append(outputs);
  for (const StepLog &log : logs)
    results.push_back(log.kind == "loss"
                          ? outputLosses[log.output]
                          : buildMetric(m, log.kind, log.settings,
                                        outputs[log.output],
                                        targets[log.output]));
  func::ReturnOp::create(b, predict.getLoc(), results);
  return results;
}

/// Creates an empty function `name` of type `inputs -> results` after
/// `anchor`, with one block.
static func::FuncOp createFunction(func::FuncOp anchor, StringRef name,
                                   TypeRange inputs, TypeRange results) {
  OpBuilder b(anchor);
  b.setInsertionPointAfter(anchor);
  auto func = func::FuncOp::create(b, anchor.getLoc(), name,
                                   b.getFunctionType(inputs, results));
  func.addEntryBlock();
  return func;
}

LogicalResult mlir::kiln::buildTrainingFunctions(func::FuncOp predict,
                                                 unsigned numParams,
                                                 ArrayRef<OutputLoss> losses,
                                                 const OptimizerSpec *optimizer,
                                                 ArrayRef<StepLog> logs) {
  FunctionType predictType = predict.getFunctionType();
  Location loc = predict.getLoc();
  if (predictType.getNumResults() == 0)
    return predict.emitOpError("has no outputs to train");
  if (losses.size() != predictType.getNumResults())
    return predict.emitOpError("has ")
           << predictType.getNumResults() << " outputs but " << losses.size()
           << " losses";
  if (llvm::none_of(losses, [](const OutputLoss &l) { return l.hasLoss(); }))
    return predict.emitOpError("has no output with a loss");

  // Targets: one per output; sparse losses take class indices.
  SmallVector<Type> targetTypes;
  for (auto [t, outputLoss] : llvm::zip(predictType.getResults(), losses)) {
    const LossSpec &loss = outputLoss.loss;
    auto type = cast<RankedTensorType>(t);
    if (std::string issue = classAxisIssue(loss, type); !issue.empty())
      return predict.emitOpError("loss '") << loss.name << "' " << issue;
    if (!isSparseLoss(loss)) {
      targetTypes.push_back(type);
      continue;
    }
    targetTypes.push_back(RankedTensorType::get(type.getShape().drop_back(),
                                                type.getElementType()));
  }
  Type elementType =
      cast<RankedTensorType>(predictType.getResult(0)).getElementType();
  auto scalarType = RankedTensorType::get({}, elementType);
  // A sparse metric takes class indices, the others targets shaped like the
  // outputs: the output's loss decides which targets the steps take.
  for (const StepLog &log : logs) {
    if (log.output >= losses.size())
      return predict.emitOpError("a log of output ")
             << log.output << ", which does not exist";
    if (log.kind == "loss") {
      if (!losses[log.output].hasLoss())
        return predict.emitOpError("a loss log of output ")
               << log.output << ", which has no loss";
      continue;
    }
    if (!isMetricKind(log.kind))
      return predict.emitOpError("unknown metric '") << log.kind << "'";
    if (std::string issue = classAxisIssue(
            log.kind,
            cast<RankedTensorType>(predictType.getResult(log.output)));
        !issue.empty())
      return predict.emitOpError("metric '") << log.kind << "' " << issue;
    if (std::string issue =
            metricTargetMismatch(log.kind, losses[log.output].loss);
        !issue.empty())
      return predict.emitOpError("metric '") << log.kind << "' " << issue;
    if (llvm::Error error = checkMetricSettings(log.kind, log.settings))
      return predict.emitOpError("metric: ")
             << llvm::toString(std::move(error));
  }

  // @eval_step(params, inputs, targets) -> (loss, outputs..., logs...)
  SmallVector<Type> evalInputs(predictType.getInputs());
  evalInputs.append(targetTypes);
  SmallVector<Type> evalResults{scalarType};
  evalResults.append(predictType.getResults().begin(),
                     predictType.getResults().end());
  for (const StepLog &log : logs)
    evalResults.push_back(
        metricValueCount(log.kind) == 1
            ? Type(scalarType)
            : RankedTensorType::get(
                  {int64_t(metricValueCount(log.kind))}, elementType));
  func::FuncOp eval =
      createFunction(predict, kEvalStepName, evalInputs, evalResults);
  Block *evalBody = &eval.getBody().front();
  SmallVector<Value> evalReturn = buildLossBody(
      predict, evalBody,
      evalBody->getArguments().take_front(predictType.getNumInputs()),
      evalBody->getArguments().take_back(targetTypes.size()), losses, logs);
  ValueRange outputs =
      ValueRange(evalReturn).slice(1, predictType.getNumResults());
  OpBuilder b = OpBuilder::atBlockEnd(evalBody);
  GradientBuilder m(b, loc);
  for (unsigned i = 0; i < numParams; ++i)
    eval.setArgAttrs(i, predict.getArgAttrDict(i));
  // Sparse targets are class indices: record how many classes there are.
  for (auto [i, output] : llvm::enumerate(outputs))
    if (isSparseLoss(losses[i].loss))
      eval.setArgAttr(
          predictType.getNumInputs() + i, kNumClassesAttrName,
          b.getI64IntegerAttr(
              cast<RankedTensorType>(output.getType()).getShape().back()));

  // Inference forms in @eval_step (Keras evaluates with training=False).
  if (failed(specializeMode(eval)))
    return failure();
  if (!optimizer)
    return success();

  // The training forward: @eval_step's body with mode-dependent ops in
  // their training form, keyed by the step's RNG argument.
  std::string reason = getTrainingUnsupportedReason(predict);
  if (!reason.empty())
    return predict.emitOpError("cannot build a training step: ") << reason;
  Type elementTypeI64 = IntegerType::get(predict.getContext(), 64);
  auto rngType = RankedTensorType::get({2}, elementTypeI64);
  SmallVector<Type> forwardInputs(evalInputs);
  forwardInputs.push_back(rngType);
  func::FuncOp forward =
      createFunction(eval, "train_step_forward", forwardInputs, evalResults);
  forward->setAttr(kModeAttrName, b.getStringAttr("training"));
  Block *forwardBody = &forward.getBody().front();
  buildLossBody(
      predict, forwardBody,
      forwardBody->getArguments().take_front(predictType.getNumInputs()),
      forwardBody->getArguments().drop_back().take_back(targetTypes.size()),
      losses, logs);
  SmallVector<std::pair<Value, Value>> stateUpdates;
  if (failed(specializeMode(forward, &stateUpdates)))
    return failure();
  // The forward also returns the new value of each state parameter (the
  // old one where no op updated it), in parameter order.
  SmallVector<unsigned> stateParams;
  for (unsigned i = 0; i < numParams; ++i)
    if (predict.getArgAttr(i, kStateAttrName))
      stateParams.push_back(i);
  {
    auto ret = cast<func::ReturnOp>(forwardBody->getTerminator());
    SmallVector<Value> results(ret.getOperands());
    for (unsigned i : stateParams) {
      Value arg = forwardBody->getArgument(i), next = arg;
      for (auto [param, value] : stateUpdates)
        if (param == arg)
          next = value;
      results.push_back(next);
    }
    OpBuilder rb(ret);
    func::ReturnOp::create(rb, ret.getLoc(), results);
    ret.erase();
    forward.setType(FunctionType::get(forward.getContext(),
                                      forward.getArgumentTypes(),
                                      ValueRange(results).getTypes()));
  }

  // The gradient of the training loss with respect to the trainable
  // parameters; `kiln.non_trainable` ones are read but never updated by the
  // optimizer (state ones get their new value from the forward pass).
  SmallVector<unsigned> wrt;
  for (unsigned i = 0; i < numParams; ++i)
    if (!predict.getArgAttr(i, kNonTrainableAttrName))
      wrt.push_back(i);
  FailureOr<func::FuncOp> grad =
      buildGradientFunction(forward, wrt, "train_step_grad");
  forward.erase();
  if (failed(grad))
    return failure();

  // @train_step(params, slots, inputs, targets, lr, iteration, rng)
  //     -> (loss, outputs..., logs..., new trainable and state params...,
  //         new slots...)
  std::vector<std::string> slotNames = optimizerSlotNames(*optimizer);
  ArrayRef<Type> paramTypes = predictType.getInputs().take_front(numParams);
  SmallVector<Type> trainedTypes, updatedTypes;
  for (unsigned i : wrt)
    trainedTypes.push_back(paramTypes[i]);
  for (unsigned i = 0; i < numParams; ++i)
    if (llvm::is_contained(wrt, i) || llvm::is_contained(stateParams, i))
      updatedTypes.push_back(paramTypes[i]);
  SmallVector<Type> trainInputs(paramTypes);
  for (Type p : trainedTypes)
    trainInputs.append(slotNames.size(), p);
  trainInputs.append(predictType.getInputs().begin() + numParams,
                     predictType.getInputs().end());
  trainInputs.append(targetTypes);
  trainInputs.append({scalarType, scalarType, rngType});
  SmallVector<Type> trainResults(evalResults);
  trainResults.append(updatedTypes.begin(), updatedTypes.end());
  for (Type p : trainedTypes)
    trainResults.append(slotNames.size(), p);
  func::FuncOp train =
      createFunction(*grad, kTrainStepName, trainInputs, trainResults);
  Block *trainBody = &train.getBody().front();
  ValueRange args = trainBody->getArguments();
  unsigned numSlots = wrt.size() * slotNames.size();
  ValueRange params = args.take_front(numParams);
  ValueRange slots = args.slice(numParams, numSlots);
  ValueRange data =
      args.slice(numParams + numSlots, evalInputs.size() - numParams);
  Value lr = args[args.size() - 3], iteration = args[args.size() - 2];
  Value rng = args.back();
  SmallVector<Value> gradArgs(params);
  gradArgs.append(data.begin(), data.end());
  gradArgs.push_back(rng);
  SmallVector<Value> gradResults = cloneBody(*grad, trainBody, gradArgs);
  (*grad).erase();

  b.setInsertionPointToEnd(trainBody);
  // gradResults: loss, outputs..., logs..., new state..., gradients...
  ValueRange grads = ValueRange(gradResults).take_back(wrt.size());
  ValueRange newState = ValueRange(gradResults)
                            .drop_back(wrt.size())
                            .take_back(stateParams.size());
  SmallVector<Value> newParams, newSlots;
  for (unsigned i = 0; i < numParams; ++i) {
    if (const auto *it = llvm::find(wrt, i); it != wrt.end()) {
      size_t k = it - wrt.begin();
      SmallVector<Value> updated;
      buildOptimizerUpdate(m, *optimizer, params[i], grads[k],
                           slots.slice(k * slotNames.size(), slotNames.size()),
                           lr, iteration, updated);
      // Keras applies a weight's constraint after each update.
      if (auto constraint =
              predict.getArgAttrOfType<DictionaryAttr>(i, kConstraintAttrName))
        updated.front() = applyConstraint(m, constraint, updated.front());
      newParams.push_back(updated.front());
      newSlots.append(updated.begin() + 1, updated.end());
    } else if (const auto *st = llvm::find(stateParams, i);
               st != stateParams.end()) {
      newParams.push_back(newState[st - stateParams.begin()]);
    }
  }
  SmallVector<Value> trainReturn(ValueRange(gradResults)
                                     .drop_back(wrt.size())
                                     .drop_back(stateParams.size()));
  trainReturn.append(newParams);
  trainReturn.append(newSlots);
  func::ReturnOp::create(b, loc, trainReturn);
  for (unsigned i = 0; i < numParams; ++i)
    train.setArgAttrs(i, predict.getArgAttrDict(i));
  return success();
}

// --kiln-build-train-step
namespace {
struct BuildTrainStepPass
    : public kiln::impl::BuildTrainStepPassBase<BuildTrainStepPass> {
  using BuildTrainStepPassBase::BuildTrainStepPassBase;
  void runOnOperation() override {
    auto predict = getOperation().lookupSymbol<func::FuncOp>("predict");
    if (!predict) {
      getOperation().emitError("kiln-build-train-step: no @predict");
      return signalPassFailure();
    }
    unsigned numOutputs = predict.getNumResults();
    if ((!losses.empty() && losses.size() != numOutputs) ||
        (!lossWeights.empty() && lossWeights.size() != numOutputs)) {
      predict.emitError("kiln-build-train-step: losses and loss-weights "
                        "need one entry per output (")
          << numOutputs << ")";
      return signalPassFailure();
    }
    SmallVector<OutputLoss> perOutput;
    for (unsigned o = 0; o < numOutputs; ++o) {
      StringRef name = losses.empty() ? StringRef(loss) : StringRef(losses[o]);
      if (name == "none") { // an output without a loss
        perOutput.push_back({});
        continue;
      }
      LossSpec lossSpec{canonicalLossName(name),
                        {fromLogits, delta, labelSmoothing, gamma, alpha,
                         applyClassBalancing}};
      if (lossSpec.name.empty()) {
        predict.emitError("unknown loss '") << name << "'";
        return signalPassFailure();
      }
      if (llvm::Error error = checkLossSettings(lossSpec)) {
        predict.emitError(llvm::toString(std::move(error)));
        return signalPassFailure();
      }
      perOutput.push_back(
          {lossSpec, lossWeights.empty() ? 1.0 : lossWeights[o]});
    }
    llvm::Expected<OptimizerSpec> spec = makeOptimizerSpec(optimizer, {});
    if (!spec) {
      predict.emitError(llvm::toString(spec.takeError()));
      return signalPassFailure();
    }
    unsigned numParams = 0;
    while (numParams < predict.getNumArguments() &&
           predict.getArgAttr(numParams, kParamAttrName))
      ++numParams;
    // Every output reports every metric, output-major.
    auto parsedMetrics = parseMetricList(metrics);
    if (!parsedMetrics) {
      predict.emitError("metrics: ")
          << llvm::toString(parsedMetrics.takeError());
      return signalPassFailure();
    }
    SmallVector<StepLog> logs;
    for (unsigned o = 0; o < numOutputs; ++o) {
      if (outputLosses && perOutput[o].hasLoss())
        logs.push_back({o, "loss"});
      for (const auto &[metric, settings] : *parsedMetrics)
        logs.push_back({o, metric, settings});
    }
    if (failed(buildTrainingFunctions(predict, numParams, perOutput, &*spec,
                                      logs)))
      signalPassFailure();
  }
};
} // namespace
