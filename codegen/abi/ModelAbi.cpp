//===- ModelAbi.cpp - Model descriptor and C entry points -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The descriptor structs are built as LLVM constants whose layout mirrors
// runtime/include/kiln/model.h field by field (pointers, int64_t and int32_t
// pairs only, so the C and LLVM layouts agree without packing rules).
//===----------------------------------------------------------------------===//

#include "codegen/abi/ModelAbi.h"

#include "dialects/kiln/IR/KilnDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

using namespace mlir;
using namespace mlir::kiln;

/// Must match KILN_MODEL_ABI_VERSION and KILN_DTYPE_F32 in kiln/model.h.
static constexpr int64_t kModelAbiVersion = 2;
static constexpr int32_t kDtypeF32 = 1;
/// Parameter alignment inside the weights blob (one cache line).
static constexpr int64_t kParamAlignment = 64;

ModelSignature mlir::kiln::getModelSignature(const ImportedModel &model) {
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
    signature.inputs.push_back({name ? name.str() : "input_" + std::to_string(i),
                                dims(func.getArgumentTypes()[i])});
  }
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto name = func.getResultAttrOfType<StringAttr>(i, kOutputAttrName);
    signature.outputs.push_back(
        {name ? name.str() : "output_" + std::to_string(i),
         dims(func.getResultTypes()[i])});
  }
  return signature;
}

namespace {

/// Builds the descriptor's constants in one module.
class AbiEmitter {
public:
  explicit AbiEmitter(llvm::Module &module)
      : module(module), ctx(module.getContext()),
        ptrTy(llvm::PointerType::getUnqual(ctx)),
        i64Ty(llvm::Type::getInt64Ty(ctx)), i32Ty(llvm::Type::getInt32Ty(ctx)) {
  }

  /// A private constant global holding `init`.
  llvm::Constant *global(llvm::Constant *init, const llvm::Twine &name,
                         uint64_t align = 0) {
    auto *gv = new llvm::GlobalVariable(module, init->getType(),
                                        /*isConstant=*/true,
                                        llvm::GlobalValue::PrivateLinkage, init,
                                        name);
    gv->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    if (align)
      gv->setAlignment(llvm::Align(align));
    return gv;
  }

  llvm::Constant *string(llvm::StringRef text) {
    return global(llvm::ConstantDataArray::getString(ctx, text), ".kiln.str");
  }

  llvm::Constant *i64(int64_t v) { return llvm::ConstantInt::get(i64Ty, v); }
  llvm::Constant *i32(int32_t v) { return llvm::ConstantInt::get(i32Ty, v); }

  /// A pointer to an array of `elements` of `type` (null when empty).
  llvm::Constant *array(llvm::Type *type,
                        llvm::ArrayRef<llvm::Constant *> elements,
                        const llvm::Twine &name) {
    if (elements.empty())
      return llvm::ConstantPointerNull::get(ptrTy);
    return global(
        llvm::ConstantArray::get(llvm::ArrayType::get(type, elements.size()),
                                 elements),
        name, 8);
  }

  /// kiln_tensor_desc_t {name, dtype, rank, dims, offset}
  llvm::StructType *tensorTy() {
    return llvm::StructType::get(ctx, {ptrTy, i32Ty, i32Ty, ptrTy, i64Ty});
  }
  llvm::Constant *tensor(llvm::StringRef name, llvm::ArrayRef<int64_t> dims,
                         int64_t offset) {
    llvm::Constant *dimsPtr =
        dims.empty() ? llvm::ConstantPointerNull::get(ptrTy)
                     : global(llvm::ConstantDataArray::get(ctx, dims),
                              ".kiln.dims", 8);
    return llvm::ConstantStruct::get(
        tensorTy(), {string(name), i32(kDtypeF32), i32(int32_t(dims.size())),
                     dimsPtr, i64(offset)});
  }
  llvm::Constant *tensors(llvm::ArrayRef<llvm::Constant *> elements,
                          const llvm::Twine &name) {
    return array(tensorTy(), elements, name);
  }

  /// kiln_layer_desc_t {name, class_name, output_shape, connected_to,
  ///                    num_params, num_trainable_params}
  llvm::StructType *layerTy() {
    return llvm::StructType::get(
        ctx, {ptrTy, ptrTy, ptrTy, ptrTy, i64Ty, i64Ty});
  }

  llvm::Module &module;
  llvm::LLVMContext &ctx;
  llvm::PointerType *ptrTy;
  llvm::IntegerType *i64Ty, *i32Ty;
};

} // namespace

/// Row-major strides of `dims` (dims[0] may be the dynamic batch; it never
/// enters a stride).
static llvm::SmallVector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> dims) {
  llvm::SmallVector<int64_t> strides(dims.size(), 1);
  for (int64_t i = int64_t(dims.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * dims[i + 1];
  return strides;
}

llvm::Function *mlir::kiln::emitEntryWrapper(
    llvm::Module &module, llvm::StringRef implName, llvm::StringRef entryName,
    llvm::ArrayRef<llvm::SmallVector<int64_t>> bufferDims, bool exported,
    std::string &error) {
  llvm::LLVMContext &ctx = module.getContext();
  auto *ptrTy = llvm::PointerType::getUnqual(ctx);
  auto *i64Ty = llvm::Type::getInt64Ty(ctx);
  llvm::Function *impl = module.getFunction(implName);
  if (!impl) {
    error = "lowered module has no function '" + implName.str() + "'";
    return nullptr;
  }
  size_t expectedArgs = 0;
  for (const auto &dims : bufferDims)
    expectedArgs += 3 + 2 * dims.size();
  if (impl->arg_size() != expectedArgs) {
    error = "lowered '" + implName.str() + "' takes " +
            std::to_string(impl->arg_size()) + " arguments, the ABI expects " +
            std::to_string(expectedArgs);
    return nullptr;
  }
  impl->setLinkage(llvm::GlobalValue::InternalLinkage);
  auto *entryTy = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx),
                                          {i64Ty, ptrTy}, false);
  auto *entry = llvm::Function::Create(
      entryTy,
      exported ? llvm::GlobalValue::ExternalLinkage
               : llvm::GlobalValue::InternalLinkage,
      entryName, module);
  // buffers[i] -> the memref descriptor fields (ptr, ptr, 0, sizes...,
  // strides...).
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  llvm::Value *batch = entry->getArg(0);
  llvm::SmallVector<llvm::Value *> args;
  for (auto [i, dims] : llvm::enumerate(bufferDims)) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptrTy, entry->getArg(1), i);
    llvm::Value *ptr = b.CreateLoad(ptrTy, slot);
    args.append({ptr, ptr, b.getInt64(0)});
    for (int64_t d : dims)
      args.push_back(d < 0 ? batch : b.getInt64(d));
    for (int64_t s : rowMajorStrides(dims))
      args.push_back(b.getInt64(s));
  }
  b.CreateCall(impl, args);
  b.CreateRetVoid();
  return entry;
}

bool mlir::kiln::emitModelAbi(llvm::Module &module, const ImportedModel &model,
                              const ModelSignature &signature,
                              llvm::StringRef implName, std::string &error) {
  AbiEmitter e(module);
  llvm::LLVMContext &ctx = e.ctx;

  // The weights blob: every parameter at a 64-byte aligned offset.
  std::string blob;
  llvm::SmallVector<int64_t> offsets;
  for (const ParamData &param : model.params) {
    blob.resize(llvm::alignTo(blob.size(), kParamAlignment), '\0');
    offsets.push_back(blob.size());
    blob.append(reinterpret_cast<const char *>(param.values.data()),
                param.values.size() * sizeof(float));
  }
  llvm::Constant *weights =
      blob.empty()
          ? static_cast<llvm::Constant *>(llvm::ConstantPointerNull::get(e.ptrTy))
          : e.global(llvm::ConstantDataArray::getRaw(
                         blob, blob.size(), llvm::Type::getInt8Ty(ctx)),
                     "kiln_weights", kParamAlignment);

  // The entry point: params, inputs, outputs.
  llvm::SmallVector<llvm::SmallVector<int64_t>> buffers;
  buffers.reserve(model.params.size() + signature.inputs.size() +
                  signature.outputs.size());
  for (const ParamData &param : model.params)
    buffers.push_back(param.shape);
  for (const TensorSignature &t : signature.inputs)
    buffers.push_back(t.dims);
  for (const TensorSignature &t : signature.outputs)
    buffers.push_back(t.dims);
  llvm::Function *entry = emitEntryWrapper(
      module, implName, "kiln_predict_entry", buffers, /*exported=*/false, error);
  if (!entry)
    return false;

  // Training entry points and their descriptor.
  llvm::Constant *training = llvm::ConstantPointerNull::get(e.ptrTy);
  if (signature.training) {
    const TrainingSignature &t = *signature.training;
    auto dimsOf = [](llvm::ArrayRef<TensorSignature> tensors) {
      llvm::SmallVector<llvm::SmallVector<int64_t>> dims;
      for (const TensorSignature &tensor : tensors)
        dims.push_back(tensor.dims);
      return dims;
    };
    llvm::ArrayRef<llvm::SmallVector<int64_t>> paramDims =
        llvm::ArrayRef(buffers).take_front(model.params.size());
    auto inputDims = dimsOf(signature.inputs), outputDims = dimsOf(signature.outputs);
    auto targetDims = dimsOf(t.targets), slotDims = dimsOf(t.slots);
    llvm::SmallVector<llvm::SmallVector<int64_t>> trainBuffers(paramDims);
    for (auto *group : {&slotDims, &inputDims, &targetDims})
      trainBuffers.append(group->begin(), group->end());
    trainBuffers.append(3, {}); // learning rate, iteration, loss
    trainBuffers.append(outputDims.begin(), outputDims.end());
    trainBuffers.append(paramDims.begin(), paramDims.end());
    trainBuffers.append(slotDims.begin(), slotDims.end());
    llvm::SmallVector<llvm::SmallVector<int64_t>> evalBuffers(paramDims);
    evalBuffers.append(inputDims.begin(), inputDims.end());
    evalBuffers.append(targetDims.begin(), targetDims.end());
    evalBuffers.push_back({}); // loss
    evalBuffers.append(outputDims.begin(), outputDims.end());
    llvm::Function *trainEntry =
        emitEntryWrapper(module, "train_step", "kiln_train_step_entry",
                         trainBuffers, /*exported=*/false, error);
    llvm::Function *evalEntry =
        trainEntry ? emitEntryWrapper(module, "eval_step", "kiln_eval_step_entry",
                                      evalBuffers, /*exported=*/false, error)
                   : nullptr;
    if (!evalEntry)
      return false;

    auto pairTy = llvm::StructType::get(ctx, {e.ptrTy, e.ptrTy});
    auto hyperTy = llvm::StructType::get(ctx, {e.ptrTy, llvm::Type::getDoubleTy(ctx)});
    llvm::SmallVector<llvm::Constant *> hyper, metrics, targets, slots;
    for (const auto &[name, value] : t.hyper)
      hyper.push_back(llvm::ConstantStruct::get(
          hyperTy, {e.string(name),
                    llvm::ConstantFP::get(llvm::Type::getDoubleTy(ctx), value)}));
    for (const auto &[name, kind] : t.metrics)
      metrics.push_back(llvm::ConstantStruct::get(
          pairTy, {e.string(name), e.string(kind)}));
    for (const TensorSignature &target : t.targets)
      targets.push_back(e.tensor(target.name, target.dims, 0));
    for (const TensorSignature &slot : t.slots)
      slots.push_back(e.tensor(slot.name, slot.dims, 0));
    // kiln_train_desc_t, field by field.
    llvm::Constant *trainFields[] = {
        e.string(t.loss),
        e.i64(t.fromLogits),
        e.string(t.optimizer),
        e.i64(hyper.size()),
        e.array(hyperTy, hyper, "kiln_hyper"),
        e.i64(metrics.size()),
        e.array(pairTy, metrics, "kiln_metrics"),
        e.i64(targets.size()),
        e.tensors(targets, "kiln_targets"),
        e.i64(slots.size()),
        e.tensors(slots, "kiln_slots"),
        trainEntry,
        evalEntry,
    };
    llvm::SmallVector<llvm::Type *> trainTypes;
    for (llvm::Constant *c : trainFields)
      trainTypes.push_back(c->getType());
    auto *trainTy = llvm::StructType::get(ctx, trainTypes);
    training = e.global(llvm::ConstantStruct::get(trainTy, trainFields),
                        "kiln_training", 8);
  }

  // The descriptor.
  llvm::SmallVector<llvm::Constant *> params, inputs, outputs, layers;
  for (auto [param, offset] : llvm::zip(model.params, offsets))
    params.push_back(e.tensor(param.name, param.shape, offset));
  for (const TensorSignature &t : signature.inputs)
    inputs.push_back(e.tensor(t.name, t.dims, 0));
  for (const TensorSignature &t : signature.outputs)
    outputs.push_back(e.tensor(t.name, t.dims, 0));
  for (const LayerRow &row : model.layers)
    layers.push_back(llvm::ConstantStruct::get(
        e.layerTy(), {e.string(row.name), e.string(row.className),
                      e.string(row.outputShape), e.string(row.connectedTo),
                      e.i64(row.numParams), e.i64(row.numTrainableParams)}));
  llvm::Constant *fields[] = {
      e.i64(kModelAbiVersion),
      e.string(model.name),
      e.string(model.kind),
      e.i64(inputs.size()),
      e.tensors(inputs, "kiln_inputs"),
      e.i64(outputs.size()),
      e.tensors(outputs, "kiln_outputs"),
      e.i64(params.size()),
      e.tensors(params, "kiln_params"),
      e.i64(layers.size()),
      e.array(e.layerTy(), layers, "kiln_layers"),
      e.i64(blob.size()),
      weights,
      entry,
      training,
  };
  llvm::SmallVector<llvm::Type *> fieldTypes;
  for (llvm::Constant *c : fields)
    fieldTypes.push_back(c->getType());
  auto *descTy = llvm::StructType::get(ctx, fieldTypes);
  new llvm::GlobalVariable(module, descTy, /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage,
                           llvm::ConstantStruct::get(descTy, fields),
                           "kiln_model_descriptor");
  return true;
}
