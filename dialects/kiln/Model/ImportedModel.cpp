//===- ImportedModel.cpp - Shared importer helpers --------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "dialects/kiln/Model/ImportedModel.h"

#include "dialects/kiln/IR/KilnDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::kiln;

std::string mlir::kiln::formatKerasShape(llvm::ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << '(';
  llvm::interleaveComma(shape, os, [&](int64_t dim) {
    if (ShapedType::isDynamic(dim))
      os << "None";
    else
      os << dim;
  });
  os << (shape.size() == 1 ? ",)" : ")");
  return text;
}

mlir::kiln::ModelSignature
mlir::kiln::getModelSignature(const ImportedModel &model) {
  ModelSignature signature;
  auto func = cast<func::FuncOp>(
      SymbolTable::lookupSymbolIn(*model.module, kPredictFuncName));
  auto dims = [](Type type) {
    llvm::SmallVector<int64_t> result;
    for (int64_t d : cast<RankedTensorType>(type).getShape())
      result.push_back(ShapedType::isDynamic(d) ? -1 : d);
    return result;
  };
  for (unsigned i = model.params.size(); i < func.getNumArguments(); ++i) {
    auto name = func.getArgAttrOfType<StringAttr>(i, kInputAttrName);
    signature.inputs.push_back(
        {name ? name.str() : "input_" + std::to_string(i),
         dims(func.getArgumentTypes()[i]),
         cast<RankedTensorType>(func.getArgumentTypes()[i]).getElementType()});
  }
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto name = func.getResultAttrOfType<StringAttr>(i, kOutputAttrName);
    signature.outputs.push_back(
        {name ? name.str() : "output_" + std::to_string(i),
         dims(func.getResultTypes()[i]),
         cast<RankedTensorType>(func.getResultTypes()[i]).getElementType()});
  }
  return signature;
}

void mlir::kiln::layOutWeights(const ImportedModel &model, std::string &blob,
                               llvm::SmallVectorImpl<int64_t> &offsets) {
  blob.clear();
  offsets.clear();
  for (const ParamData &param : model.params) {
    blob.resize(llvm::alignTo(blob.size(), kWeightsAlignment), '\0');
    offsets.push_back(blob.size());
    blob.append(reinterpret_cast<const char *>(param.values.data()),
                param.values.size() * sizeof(float));
  }
}

void mlir::kiln::finishPredictFunction(
    Operation *predict, const ImportedModel &model, ValueRange results,
    llvm::ArrayRef<std::string> inputNames,
    llvm::ArrayRef<std::string> outputNames) {
  auto func = cast<func::FuncOp>(predict);
  Block &entry = func.getBody().front();
  OpBuilder builder = OpBuilder::atBlockEnd(&entry);
  func::ReturnOp::create(builder, func.getLoc(), results);
  func.setType(
      builder.getFunctionType(entry.getArgumentTypes(), results.getTypes()));
  for (auto [i, param] : llvm::enumerate(model.params)) {
    func.setArgAttr(i, kParamAttrName, builder.getStringAttr(param.name));
    if (!param.trainable)
      func.setArgAttr(i, kNonTrainableAttrName, builder.getUnitAttr());
    if (param.state)
      func.setArgAttr(i, kStateAttrName, builder.getUnitAttr());
    if (param.regularizer)
      func.setArgAttr(i, kRegularizerAttrName, param.regularizer);
    if (param.constraint)
      func.setArgAttr(i, kConstraintAttrName, param.constraint);
  }
  for (auto [i, name] : llvm::enumerate(inputNames))
    func.setArgAttr(model.params.size() + i, kInputAttrName,
                    builder.getStringAttr(name));
  for (auto [i, name] : llvm::enumerate(outputNames))
    func.setResultAttr(i, kOutputAttrName, builder.getStringAttr(name));
}

llvm::Expected<double> mlir::kiln::parseSettingValue(llvm::StringRef key,
                                                     llvm::StringRef value) {
  double number;
  if (value == "true" || value == "True")
    return 1.0;
  if (value == "false" || value == "False")
    return 0.0;
  if (value.getAsDouble(number))
    return llvm::createStringError("setting '" + key +
                                   "' needs a number, got '" + value + "'");
  return number;
}

llvm::Error mlir::kiln::setMetricSetting(MetricSettings &settings,
                                         llvm::StringRef key, double value) {
  auto flag = [&](bool &field) -> llvm::Error {
    if (value != 0 && value != 1)
      return llvm::createStringError(key + " must be true or false");
    field = value != 0;
    return llvm::Error::success();
  };
  if (key == "threshold" || key == "thresholds") {
    settings.threshold = value;
    return llvm::Error::success();
  }
  if (key == "k") {
    if (!(value >= 1 && value <= double(INT32_MAX) && value == int64_t(value)))
      return llvm::createStringError("k must be a positive whole number");
    settings.k = int64_t(value);
    return llvm::Error::success();
  }
  if (key == "from_logits")
    return flag(settings.fromLogits);
  if (key == "label_smoothing") {
    settings.labelSmoothing = value;
    return llvm::Error::success();
  }
  return llvm::createStringError(
      "unknown metric setting '" + key +
      "' (threshold, thresholds, k, from_logits, label_smoothing)");
}
