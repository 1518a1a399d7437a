//===- ModelAbi.cpp - Model descriptor and C entry points -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The descriptor structs are built as LLVM constants whose layout mirrors
// runtime/include/kiln/model.h field by field (pointers, int64_t and int32_t
// pairs only, so the C and LLVM layouts agree without packing rules).
//===----------------------------------------------------------------------===//

#include "codegen/abi/ModelAbi.h"

#include "dialects/kiln/IR/KilnDialect.h"

// The descriptor's C definition: the constants below are built to match it.
#include "kiln/model.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/Cloning.h"

using namespace mlir;
using namespace mlir::kiln;

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
    auto *gv = new llvm::GlobalVariable(
        module, init->getType(),
        /*isConstant=*/true, llvm::GlobalValue::PrivateLinkage, init, name);
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
    return global(llvm::ConstantArray::get(
                      llvm::ArrayType::get(type, elements.size()), elements),
                  name, 8);
  }

  /// kiln_tensor_desc_t {name, dtype, rank, dims, offset, flags}
  llvm::StructType *tensorTy() {
    return llvm::StructType::get(ctx,
                                 {ptrTy, i32Ty, i32Ty, ptrTy, i64Ty, i64Ty});
  }
  llvm::Constant *tensor(llvm::StringRef name, llvm::ArrayRef<int64_t> dims,
                         int64_t offset, int64_t flags = 0,
                         int32_t dtype = KILN_DTYPE_F32) {
    llvm::Constant *dimsPtr =
        dims.empty()
            ? llvm::ConstantPointerNull::get(ptrTy)
            : global(llvm::ConstantDataArray::get(ctx, dims), ".kiln.dims", 8);
    return llvm::ConstantStruct::get(
        tensorTy(), {string(name), i32(dtype), i32(int32_t(dims.size())),
                     dimsPtr, i64(offset), i64(flags)});
  }
  llvm::Constant *tensors(llvm::ArrayRef<llvm::Constant *> elements,
                          const llvm::Twine &name) {
    return array(tensorTy(), elements, name);
  }

  /// kiln_workspace_desc_t {fixed_bytes, per_sample_bytes}
  llvm::Constant *workspace(const WorkspaceSize &size) {
    return llvm::ConstantStruct::get(
        llvm::StructType::get(ctx, {i64Ty, i64Ty}),
        {i64(size.fixedBytes), i64(size.perSampleBytes)});
  }

  /// kiln_layer_desc_t {name, class_name, output_shape, connected_to,
  ///                    num_params, num_trainable_params}
  llvm::StructType *layerTy() {
    return llvm::StructType::get(ctx,
                                 {ptrTy, ptrTy, ptrTy, ptrTy, i64Ty, i64Ty});
  }

  llvm::Module &module;
  llvm::LLVMContext &ctx;
  llvm::PointerType *ptrTy;
  llvm::IntegerType *i64Ty, *i32Ty;
};

} // namespace

/// Row-major strides of `dims` (dims[0] may be the dynamic batch; it never
/// enters a stride).
static llvm::SmallVector<int64_t>
rowMajorStrides(llvm::ArrayRef<int64_t> dims) {
  llvm::SmallVector<int64_t> strides(dims.size(), 1);
  for (int64_t i = int64_t(dims.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * dims[i + 1];
  return strides;
}

int64_t mlir::kiln::predictChunkRows(int64_t rowBytes) {
  // Measured on the Fashion-MNIST CNN (about 330 KB a row): 62% of the FMA
  // peak at 4 or 16 rows a call, 27% at 128, whose im2col patches and
  // activations (40 MB) stream through DRAM between layers.
  // At 8 MB (26 rows of the CNN, in L3 still), one thread runs as fast as
  // at 4 MB and two threads 12% faster: twice the work per parallel region
  // (the CNN forks about 15 times per chunk).
  constexpr int64_t kChunkBytes = 8 << 20;
  if (rowBytes <= 0)
    return 0;
  return std::max<int64_t>(1, kChunkBytes / rowBytes);
}

llvm::Expected<llvm::Function *> mlir::kiln::emitEntryWrapper(
    llvm::Module &module, llvm::StringRef implName, llvm::StringRef entryName,
    llvm::ArrayRef<llvm::SmallVector<int64_t>> bufferDims, bool exported,
    int64_t chunkRows, llvm::ArrayRef<int64_t> elementBytes) {
  llvm::LLVMContext &ctx = module.getContext();
  auto *ptrTy = llvm::PointerType::getUnqual(ctx);
  auto *i64Ty = llvm::Type::getInt64Ty(ctx);
  llvm::Function *impl = module.getFunction(implName);
  if (!impl)
    return llvm::createStringError("lowered module has no function '" +
                                   implName + "'");
  size_t expectedArgs = 5; // + the workspace, a memref<?xi8>
  for (const auto &dims : bufferDims)
    expectedArgs += 3 + 2 * dims.size();
  if (impl->arg_size() != expectedArgs)
    return llvm::createStringError(
        "lowered '" + implName + "' takes " + llvm::Twine(impl->arg_size()) +
        " arguments, the ABI expects " + llvm::Twine(expectedArgs));
  impl->setLinkage(llvm::GlobalValue::InternalLinkage);
  auto *entryTy = llvm::FunctionType::get(llvm::Type::getInt32Ty(ctx),
                                          {i64Ty, ptrTy, ptrTy}, false);
  auto *entry =
      llvm::Function::Create(entryTy,
                             exported ? llvm::GlobalValue::ExternalLinkage
                                      : llvm::GlobalValue::InternalLinkage,
                             entryName, module);
  // buffers[i] -> the memref descriptor fields (ptr, ptr, 0, sizes...,
  // strides...).
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  llvm::Value *batch = entry->getArg(0);
  if (chunkRows > 0 && elementBytes.size() != bufferDims.size())
    return llvm::createStringError("chunked entry '" + entryName +
                                   "' without the buffers' element sizes");
  bool chunked = chunkRows > 0 && llvm::any_of(bufferDims, [](const auto &d) {
                   return !d.empty() && d.front() < 0;
                 });
  // Chunked: a loop over row offsets `start`, each call on
  // min(chunkRows, batch - start) rows (one call, of 0 rows, for an empty
  // batch, as unchunked).
  llvm::Value *start = nullptr, *rows = batch;
  llvm::BasicBlock *loop = nullptr;
  llvm::PHINode *startPhi = nullptr;
  if (chunked) {
    llvm::BasicBlock *top = b.GetInsertBlock();
    loop = llvm::BasicBlock::Create(ctx, "chunk", entry);
    b.CreateBr(loop);
    b.SetInsertPoint(loop);
    startPhi = b.CreatePHI(i64Ty, 2, "start");
    startPhi->addIncoming(b.getInt64(0), top);
    start = startPhi;
    llvm::Value *remaining = b.CreateSub(batch, start);
    rows = b.CreateSelect(b.CreateICmpSLT(remaining, b.getInt64(chunkRows)),
                          remaining, b.getInt64(chunkRows), "rows");
  }
  llvm::SmallVector<llvm::Value *> args;
  llvm::SmallVector<llvm::LoadInst *> loads;
  for (auto [i, dims] : llvm::enumerate(bufferDims)) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptrTy, entry->getArg(1), i);
    llvm::LoadInst *load = b.CreateLoad(ptrTy, slot);
    loads.push_back(load);
    llvm::Value *ptr = load;
    if (chunked && !dims.empty() && dims.front() < 0) {
      int64_t rowElements = 1;
      for (int64_t d : llvm::drop_begin(dims))
        rowElements *= d;
      ptr = b.CreateGEP(
          b.getInt8Ty(), load,
          b.CreateMul(start, b.getInt64(rowElements * elementBytes[i])));
    }
    args.append({ptr, ptr, b.getInt64(0)});
    for (int64_t d : dims)
      args.push_back(d < 0 ? rows : b.getInt64(d));
    for (int64_t s : rowMajorStrides(dims))
      args.push_back(b.getInt64(s));
  }
  // The workspace: its size is the runtime's business (never read).
  llvm::Value *workspace = entry->getArg(2);
  args.append(
      {workspace, workspace, b.getInt64(0), b.getInt64(0), b.getInt64(1)});
  llvm::CallInst *call = b.CreateCall(impl, args);
  if (chunked) {
    llvm::Value *next = b.CreateAdd(start, b.getInt64(chunkRows));
    startPhi->addIncoming(next, b.GetInsertBlock());
    llvm::BasicBlock *done = llvm::BasicBlock::Create(ctx, "done", entry);
    b.CreateCondBr(b.CreateICmpSLT(next, batch), loop, done);
    b.SetInsertPoint(done);
  }
  b.CreateRet(b.getInt32(0));
  // Inlined now rather than by O3: a large model's implementation takes
  // every buffer as five or more scalars (tens of thousands of arguments),
  // and each attribute O3 would infer on one of them copies the whole
  // argument list, quadratic in time and memory. Inlined, its sizes and
  // strides are constants from the start.
  llvm::InlineFunctionInfo inlining;
  if (llvm::InlineFunction(*call, inlining).isSuccess() && impl->use_empty())
    impl->eraseFromParent();
  // Each use of a buffer's pointer loads it anew, just before the user (a
  // segment's call): loaded once at the top, thousands of pointers would
  // be live across the whole entry, and register allocation and
  // instruction selection of that one block grow with their square.
  for (llvm::LoadInst *load : loads) {
    auto *slot = llvm::cast<llvm::GetElementPtrInst>(load->getPointerOperand());
    for (llvm::Use &use : llvm::make_early_inc_range(load->uses())) {
      auto *user = llvm::cast<llvm::Instruction>(use.getUser());
      if (llvm::isa<llvm::PHINode>(user))
        continue;
      llvm::Instruction *slotCopy = slot->clone();
      slotCopy->insertBefore(user->getIterator());
      llvm::Instruction *loadCopy = load->clone();
      loadCopy->setOperand(0, slotCopy);
      loadCopy->insertBefore(user->getIterator());
      use.set(loadCopy);
    }
    if (load->use_empty()) {
      load->eraseFromParent();
      if (slot->use_empty())
        slot->eraseFromParent();
    }
  }
  return entry;
}

int32_t mlir::kiln::descriptorDtype(const TensorSignature &tensor) {
  if (tensor.elementType && tensor.elementType.isInteger(32))
    return KILN_DTYPE_I32;
  if (tensor.elementType && tensor.elementType.isInteger(64))
    return KILN_DTYPE_I64;
  if (tensor.elementType && tensor.elementType.isInteger(1))
    return KILN_DTYPE_BOOL;
  return KILN_DTYPE_F32;
}

namespace {
/// The buffers of each entry, as dims in kiln/model.h's order, and what
/// predict's chunking needs.
struct EntryBuffers {
  llvm::SmallVector<llvm::SmallVector<int64_t>> predict, train, eval;
  llvm::SmallVector<int64_t> predictElementBytes;
  int64_t predictRowBytes = 0; // workspace, input and output bytes per row
  bool batched = false;        // some input or output has the batch
};
} // namespace

static EntryBuffers entryBuffers(const ImportedModel &model,
                                 const ModelSignature &signature) {
  EntryBuffers lists;
  // Predict: params, inputs, outputs.
  lists.predictRowBytes =
      signature.workspaceOf(kPredictFuncName).perSampleBytes;
  for (const ParamData &param : model.params) {
    lists.predict.push_back(param.shape);
    lists.predictElementBytes.push_back(sizeof(float));
  }
  for (const TensorSignature &t : llvm::concat<const TensorSignature>(
           signature.inputs, signature.outputs)) {
    int64_t bytes =
        t.elementType
            ? llvm::divideCeil(t.elementType.getIntOrFloatBitWidth(), 8)
            : int64_t(sizeof(float));
    // Only batch-sized tensors grow with the rows; static ones (an ONNX
    // model's fixed-shape inputs, scalars among them) do not.
    if (!t.dims.empty() && t.dims.front() < 0) {
      int64_t elements = 1;
      for (int64_t d : llvm::drop_begin(t.dims))
        elements *= d;
      lists.predictRowBytes += elements * bytes;
      lists.batched = true;
    }
    lists.predict.push_back(t.dims);
    lists.predictElementBytes.push_back(bytes);
  }
  if (!signature.training)
    return lists;
  const TrainingSignature &t = *signature.training;
  auto dimsOf = [](llvm::ArrayRef<TensorSignature> tensors) {
    llvm::SmallVector<llvm::SmallVector<int64_t>> dims;
    for (const TensorSignature &tensor : tensors)
      dims.push_back(tensor.dims);
    return dims;
  };
  llvm::ArrayRef<llvm::SmallVector<int64_t>> paramDims =
      llvm::ArrayRef(lists.predict).take_front(model.params.size());
  auto inputDims = dimsOf(signature.inputs),
       outputDims = dimsOf(signature.outputs);
  auto targetDims = dimsOf(t.targets), slotDims = dimsOf(t.slots);
  lists.train.assign(paramDims.begin(), paramDims.end());
  for (auto *group : {&slotDims, &inputDims, &targetDims})
    lists.train.append(group->begin(), group->end());
  lists.train.append(2, {});  // learning rate, iteration
  lists.train.push_back({2}); // rng: seed, step
  // A scalar per log, or a pair (metricValueCount).
  llvm::SmallVector<llvm::SmallVector<int64_t>> metricValues;
  for (const TrainingSignature::Log &log : t.logs)
    metricValues.push_back(log.values == 1
                               ? llvm::SmallVector<int64_t>{}
                               : llvm::SmallVector<int64_t>{log.values});
  lists.train.push_back({}); // loss
  lists.train.append(outputDims.begin(), outputDims.end());
  lists.train.append(metricValues.begin(), metricValues.end());
  for (auto [param, dims] : llvm::zip(model.params, paramDims))
    if (param.trainable || param.state)
      lists.train.push_back(dims);
  lists.train.append(slotDims.begin(), slotDims.end());
  lists.eval.assign(paramDims.begin(), paramDims.end());
  lists.eval.append(inputDims.begin(), inputDims.end());
  lists.eval.append(targetDims.begin(), targetDims.end());
  lists.eval.push_back({}); // loss
  lists.eval.append(outputDims.begin(), outputDims.end());
  lists.eval.append(metricValues.begin(), metricValues.end());
  return lists;
}

llvm::Error mlir::kiln::emitGpuAbi(llvm::Module &module,
                                   const ImportedModel &model,
                                   const ModelSignature &signature,
                                   llvm::ArrayRef<GpuPtx> ptx,
                                   llvm::StringRef implPrefix,
                                   llvm::StringRef matmulPrecision) {
  if (ptx.empty())
    return llvm::createStringError("the GPU kernels have no PTX");
  AbiEmitter e(module);
  EntryBuffers lists = entryBuffers(model, signature);
  // Device entries run the whole batch at once: the GPU has no cache to
  // keep a chunk's intermediates in.
  auto wrap = [&](llvm::StringRef impl, llvm::StringRef entry,
                  llvm::ArrayRef<llvm::SmallVector<int64_t>> buffers)
      -> llvm::Expected<llvm::Constant *> {
    std::string implName = (implPrefix + impl).str();
    if (!module.getFunction(implName))
      return llvm::ConstantPointerNull::get(e.ptrTy);
    llvm::Expected<llvm::Function *> fn =
        emitEntryWrapper(module, implName, entry, buffers, /*exported=*/false);
    if (!fn)
      return fn.takeError();
    return *fn;
  };
  llvm::Expected<llvm::Constant *> predict =
      wrap(kPredictFuncName, "kiln_cuda_predict_entry", lists.predict);
  if (!predict)
    return predict.takeError();
  llvm::Expected<llvm::Constant *> train =
      wrap("train_step", "kiln_cuda_train_step_entry", lists.train);
  if (!train)
    return train.takeError();
  llvm::Expected<llvm::Constant *> eval =
      wrap("eval_step", "kiln_cuda_eval_step_entry", lists.eval);
  if (!eval)
    return eval.takeError();
  // kiln_gpu_ptx_t {arch, text} for the other architectures.
  auto *ptxTy = llvm::StructType::get(e.ctx, {e.ptrTy, e.ptrTy});
  llvm::SmallVector<llvm::Constant *> more;
  for (const GpuPtx &object : ptx.drop_front())
    more.push_back(llvm::ConstantStruct::get(
        ptxTy, {e.string(object.arch), e.string(object.text)}));
  llvm::Constant *fields[] = {
      e.string(ptx.front().arch),
      *predict,
      *train,
      *eval,
      e.workspace(signature.workspaceOf(kPredictFuncName)),
      e.workspace(signature.workspaceOf("train_step")),
      e.workspace(signature.workspaceOf("eval_step")),
      e.i64(static_cast<int64_t>(more.size())),
      e.array(ptxTy, more, ".kiln.gpu.ptx"),
      e.string(matmulPrecision),
  };
  llvm::SmallVector<llvm::Type *> types;
  for (llvm::Constant *c : fields)
    types.push_back(c->getType());
  auto *descTy = llvm::StructType::get(e.ctx, types);
  // External until linked into the CPU module (the linker drops unused
  // local globals), which makes it internal (emitModelAbi).
  auto *gv = new llvm::GlobalVariable(
      module, descTy, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantStruct::get(descTy, fields), kGpuDescriptorName);
  gv->setAlignment(llvm::Align(8));
  return llvm::Error::success();
}

llvm::Error mlir::kiln::emitModelAbi(llvm::Module &module,
                                     const ImportedModel &model,
                                     const ModelSignature &signature,
                                     llvm::StringRef implName) {
  AbiEmitter e(module);
  llvm::LLVMContext &ctx = e.ctx;

  // The weights blob (contract 3), laid out in one place.
  std::string blob;
  llvm::SmallVector<int64_t> offsets;
  layOutWeights(model, blob, offsets);
  llvm::Constant *weights =
      blob.empty()
          ? static_cast<llvm::Constant *>(
                llvm::ConstantPointerNull::get(e.ptrTy))
          : e.global(llvm::ConstantDataArray::getRaw(
                         blob, blob.size(), llvm::Type::getInt8Ty(ctx)),
                     "kiln_weights", kWeightsAlignment);

  // The entry points.
  EntryBuffers lists = entryBuffers(model, signature);
  llvm::Expected<llvm::Function *> entry = emitEntryWrapper(
      module, implName, "kiln_predict_entry", lists.predict,
      /*exported=*/false,
      lists.batched ? predictChunkRows(lists.predictRowBytes) : 0,
      lists.predictElementBytes);
  if (!entry)
    return entry.takeError();

  // Training entry points and their descriptor.
  llvm::Constant *training = llvm::ConstantPointerNull::get(e.ptrTy);
  if (signature.training) {
    const TrainingSignature &t = *signature.training;
    llvm::Constant *trainEntry = llvm::ConstantPointerNull::get(e.ptrTy);
    if (t.hasTrainStep) {
      llvm::Expected<llvm::Function *> fn =
          emitEntryWrapper(module, "train_step", "kiln_train_step_entry",
                           lists.train, /*exported=*/false);
      if (!fn)
        return fn.takeError();
      trainEntry = *fn;
    }
    llvm::Expected<llvm::Function *> evalEntry =
        emitEntryWrapper(module, "eval_step", "kiln_eval_step_entry",
                         lists.eval, /*exported=*/false);
    if (!evalEntry)
      return evalEntry.takeError();

    auto hyperTy =
        llvm::StructType::get(ctx, {e.ptrTy, llvm::Type::getDoubleTy(ctx)});
    llvm::SmallVector<llvm::Constant *> hyper, metrics, targets, slots;
    for (const auto &[name, value] : t.hyper)
      hyper.push_back(llvm::ConstantStruct::get(
          hyperTy, {e.string(name), llvm::ConstantFP::get(
                                        llvm::Type::getDoubleTy(ctx), value)}));
    // kiln_metric_desc_t {name, kind, output}
    auto metricTy = llvm::StructType::get(ctx, {e.ptrTy, e.ptrTy, e.i64Ty});
    for (const TrainingSignature::Log &log : t.logs)
      metrics.push_back(llvm::ConstantStruct::get(
          metricTy,
          {e.string(log.name), e.string(log.kind), e.i64(log.output)}));
    for (auto [target, classIndices] :
         llvm::zip(t.targets, t.classIndexTargets))
      targets.push_back(e.tensor(target.name, target.dims, 0,
                                 classIndices ? KILN_TENSOR_CLASS_INDICES : 0));
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
        e.array(metricTy, metrics, "kiln_metrics"),
        e.i64(targets.size()),
        e.tensors(targets, "kiln_targets"),
        e.i64(slots.size()),
        e.tensors(slots, "kiln_slots"),
        trainEntry,
        *evalEntry,
        e.workspace(signature.workspaceOf("train_step")),
        e.workspace(signature.workspaceOf("eval_step")),
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
    params.push_back(
        e.tensor(param.name, param.shape, offset, descriptorFlags(param)));
  for (const TensorSignature &t : signature.inputs)
    inputs.push_back(e.tensor(t.name, t.dims, 0, 0, descriptorDtype(t)));
  for (const TensorSignature &t : signature.outputs)
    outputs.push_back(e.tensor(t.name, t.dims, 0, 0, descriptorDtype(t)));
  for (const LayerRow &row : model.layers)
    layers.push_back(llvm::ConstantStruct::get(
        e.layerTy(), {e.string(row.name), e.string(row.className),
                      e.string(row.outputShape), e.string(row.connectedTo),
                      e.i64(row.numParams), e.i64(row.numTrainableParams)}));
  // Each parameter's place in a Keras 3 weights file, when one has any.
  llvm::Constant *keras3Paths = llvm::ConstantPointerNull::get(e.ptrTy);
  if (llvm::any_of(model.params,
                   [](const ParamData &p) { return !p.keras3Path.empty(); })) {
    llvm::SmallVector<llvm::Constant *> paths;
    for (const ParamData &param : model.params)
      paths.push_back(param.keras3Path.empty()
                          ? static_cast<llvm::Constant *>(
                                llvm::ConstantPointerNull::get(e.ptrTy))
                          : e.string(param.keras3Path));
    keras3Paths = e.array(e.ptrTy, paths, "kiln_keras3_paths");
  }
  llvm::GlobalVariable *gpu = module.getNamedGlobal(kGpuDescriptorName);
  if (gpu)
    gpu->setLinkage(llvm::GlobalValue::InternalLinkage);
  llvm::Constant *fields[] = {
      e.i64(KILN_MODEL_ABI_VERSION),
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
      *entry,
      training,
      e.workspace(signature.workspaceOf(kPredictFuncName)),
      signature.trainUnavailable.empty()
          ? static_cast<llvm::Constant *>(
                llvm::ConstantPointerNull::get(e.ptrTy))
          : e.string(signature.trainUnavailable),
      // The GPU entries, when the CUDA part was linked in (emitGpuAbi).
      gpu ? static_cast<llvm::Constant *>(gpu)
          : llvm::ConstantPointerNull::get(e.ptrTy),
      keras3Paths,
  };
  llvm::SmallVector<llvm::Type *> fieldTypes;
  for (llvm::Constant *c : fields)
    fieldTypes.push_back(c->getType());
  auto *descTy = llvm::StructType::get(ctx, fieldTypes);
  new llvm::GlobalVariable(
      module, descTy, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantStruct::get(descTy, fields), "kiln_model_descriptor");
  return llvm::Error::success();
}

int64_t mlir::kiln::descriptorFlags(const ParamData &param) {
  return (param.trainable ? 0 : KILN_TENSOR_NON_TRAINABLE) |
         (param.state ? KILN_TENSOR_STATE : 0);
}

/// Removes the kiln.* argument/result attributes that LLVM does not know,
/// all of a function's at once (removing one copies every argument's).
void mlir::kiln::stripAbiAttributes(ModuleOp module) {
  auto strip = [](ArrayRef<DictionaryAttr> all,
                  ArrayRef<StringRef> names) -> SmallVector<DictionaryAttr> {
    SmallVector<DictionaryAttr> stripped;
    for (DictionaryAttr attrs : all) {
      NamedAttrList list(attrs);
      for (StringRef name : names)
        list.erase(name);
      stripped.push_back(list.getDictionary(attrs.getContext()));
    }
    return stripped;
  };
  module.walk([&](func::FuncOp func) {
    SmallVector<DictionaryAttr> args, results;
    func.getAllArgAttrs(args);
    func.getAllResultAttrs(results);
    func.setAllArgAttrs(strip(args, {kParamAttrName, kInputAttrName,
                                     kNonTrainableAttrName, kStateAttrName}));
    func.setAllResultAttrs(strip(results, {kOutputAttrName}));
  });
}
