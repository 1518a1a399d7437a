//===- Model.cpp - kiln_model_t: parameters and predict ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A model session pairs a compiled model's descriptor with an owned copy of
// its parameters. The weights blob in the object file may be unaligned and is
// read-only, so `kiln_model_create` copies every parameter into its own
// 64-byte aligned slot of one allocation; training will update these copies.
//
// The descriptor is checked once at creation (ABI version, shapes, parameter
// ranges, the training tables), so predict only checks what the caller
// passes. A training model also owns its zero-initialized optimizer slots. The
// array-level predict mirrors Keras's `model.predict`: validate the inputs
// against the declared dtypes and shapes, then run the samples through the
// compiled entry point in chunks of `batch_size` (default 32), the last chunk
// possibly smaller, into one array per output in that output's dtype.
//
//===----------------------------------------------------------------------===//
#include "model/Model.h"
#include "base/Array.h"
#include "base/Memory.h"
#include "base/Status.h"

#include <atomic>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

using namespace kiln;

namespace {

/// Keras's default `batch_size` for `Model.predict`.
constexpr int64_t kDefaultBatchSize = 32;

size_t alignUp(size_t value) {
  return (value + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
}

void destroyModel(kiln_model_t *model) {
  freeBuffer(model->weights);
  std::free(model->paramPointers);
  freeBuffer(model->slots);
  std::free(model->slotPointers);
  delete model;
}

/// Fills `model->logNames`: "loss", then each value the steps report, in
/// their order (the descriptor names them as Keras does: "<output>_loss",
/// "<output>_<metric>" when the model has several outputs).
void nameLogs(kiln_model_t *model) {
  const kiln_train_desc_t *train = model->desc->training;
  model->logNames.emplace_back("loss");
  for (int64_t m = 0; m < train->num_metrics; ++m)
    model->logNames.emplace_back(train->metrics[m].name);
}

/// Calls the entry point with parameters, `inputs` and `outputs`.
kiln_status_t runPredict(kiln_model_t *model, int64_t batch,
                         const float *const *inputs, float *const *outputs) {
  const kiln_model_desc_t *desc = model->desc;
  int64_t count = desc->num_params + desc->num_inputs + desc->num_outputs;
  std::unique_ptr<void *, decltype(&std::free)> buffers(
      static_cast<void **>(std::malloc(sizeof(void *) * (count ? count : 1))),
      &std::free);
  if (!buffers)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  void **cursor = buffers.get();
  for (int64_t i = 0; i < desc->num_params; ++i)
    *cursor++ = model->paramPointers[i];
  for (int64_t i = 0; i < desc->num_inputs; ++i)
    *cursor++ = const_cast<float *>(inputs[i]);
  for (int64_t i = 0; i < desc->num_outputs; ++i)
    *cursor++ = outputs[i];
  // One caller at a time uses the model's workspace; concurrent callers get
  // their own.
  std::unique_lock<std::mutex> lock(model->predictMutex, std::try_to_lock);
  Buffer local;
  return runEntry(model, EntryKind::Predict, batch, buffers.get(),
                  lock.owns_lock() ? model->predictWorkspace : local,
                  model->paramsVersion.load(std::memory_order_acquire));
}

/// Checks `array` against input `tensor` (its dtype, same trailing dims; a
/// bool array's bytes are 0 or 1) and returns its leading dimension in
/// `numSamples`.
kiln_status_t checkInput(const kiln_tensor_desc_t &tensor,
                         const kiln_array_t *array, int64_t &numSamples) {
  if (!array)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "input '%s' is NULL",
                       tensor.name);
  if (array->dtype != tensor.dtype)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "input '%s': expected %s, got %s", tensor.name,
                       kiln_dtype_name(tensor.dtype),
                       kiln_dtype_name(array->dtype));
  bool matches = array->rank == tensor.rank;
  for (int32_t d = 1; matches && d < tensor.rank; ++d)
    matches = array->dims[d] == tensor.dims[d];
  if (!matches)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "input '%s': expected shape %s, got %s", tensor.name,
                       formatShape(tensor.rank, tensor.dims).c_str(),
                       formatShape(array->rank, array->dims).c_str());
  if (int64_t bad =
          array->dtype == KILN_DTYPE_BOOL ? findNonBoolByte(array) : -1;
      bad >= 0)
    return KILN_STATUS(
        KILN_STATUS_INVALID_ARGUMENT,
        "input '%s': bool element %" PRId64 " is byte %d, not 0 or 1",
        tensor.name, bad, static_cast<const uint8_t *>(array->data)[bad]);
  numSamples = array->dims[0];
  return nullptr;
}

bool hasDynamicBatch(const kiln_tensor_desc_t &tensor) {
  return tensor.rank > 0 && tensor.dims[0] == -1;
}

/// How `predict_arrays` runs the model over its inputs.
enum class Batching {
  /// Every input and output has the dynamic batch: in chunks of the batch
  /// size.
  Chunks,
  /// The inputs with a dynamic batch share it, but some input or output
  /// has none (an output reduced over the batch, such as a loss): once, on
  /// all the samples as one batch; the other tensors have exactly their
  /// shapes.
  Whole,
  /// No input has a dynamic batch (an ONNX model exported for batch 1, say:
  /// its leading dimension need not be a batch, so it is never split): once
  /// on inputs of exactly their shapes.
  Static,
};

/// Picks the batching of `desc`; a model whose outputs have a dynamic
/// batch that no input gives is refused, naming the output.
kiln_status_t checkBatching(const kiln_model_desc_t *desc,
                            Batching &batching) {
  auto any = [](int64_t count, const kiln_tensor_desc_t *tensors,
                bool dynamic) -> const kiln_tensor_desc_t * {
    for (int64_t i = 0; i < count; ++i)
      if (hasDynamicBatch(tensors[i]) == dynamic)
        return &tensors[i];
    return nullptr;
  };
  if (!any(desc->num_inputs, desc->inputs, /*dynamic=*/true)) {
    if (const kiln_tensor_desc_t *output =
            any(desc->num_outputs, desc->outputs, /*dynamic=*/true))
      return KILN_STATUS(
          KILN_STATUS_UNIMPLEMENTED,
          "output '%s' has shape %s, a dynamic batch that no input gives; "
          "use kiln_model_predict",
          output->name, formatShape(output->rank, output->dims).c_str());
    batching = Batching::Static;
  } else if (any(desc->num_inputs, desc->inputs, /*dynamic=*/false) ||
             any(desc->num_outputs, desc->outputs, /*dynamic=*/false)) {
    batching = Batching::Whole;
  } else {
    batching = Batching::Chunks;
  }
  return nullptr;
}

} // namespace

kiln_status_t kiln::allocateTensors(int64_t count,
                                    const kiln_tensor_desc_t *tensors,
                                    bool zero, void **storage,
                                    void **pointers) {
  // Each tensor passed `checkTensors`, so only the padding can overflow.
  size_t total = 0;
  for (int64_t i = 0; i < count; ++i) {
    size_t slot = alignUp(tensorByteSize(tensors[i]));
    if (slot > static_cast<size_t>(PTRDIFF_MAX) - total)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "descriptor: tensors too large");
    total += slot;
  }
  auto *base = static_cast<uint8_t *>(allocateBuffer(total, zero));
  if (total && !base)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                       "out of memory allocating %zu bytes of tensors", total);
  size_t offset = 0;
  for (int64_t i = 0; i < count; ++i) {
    pointers[i] = base ? base + offset : nullptr;
    offset += alignUp(tensorByteSize(tensors[i]));
  }
  *storage = base;
  return nullptr;
}

extern "C" {

kiln_status_t kiln_model_create(const kiln_model_desc_t *desc,
                                kiln_model_t **out_model) {
  if (!out_model)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "out_model is NULL");
  KILN_RETURN_IF_ERROR(checkDescriptor(desc));
  KILN_RETURN_IF_ERROR(applyThreadEnvironment());

  auto *model = new (std::nothrow) kiln_model_t;
  if (!model)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  model->desc = desc;
  const kiln_train_desc_t *train = desc->training;
  model->paramPointers = static_cast<void **>(
      std::calloc(static_cast<size_t>(desc->num_params ? desc->num_params : 1),
                  sizeof(void *)));
  if (train)
    model->slotPointers = static_cast<void **>(std::calloc(
        static_cast<size_t>(train->num_slots ? train->num_slots : 1),
        sizeof(void *)));
  if (!model->paramPointers || (train && !model->slotPointers)) {
    destroyModel(model);
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  }
  kiln_status_t status =
      allocateTensors(desc->num_params, desc->params, /*zero=*/false,
                      &model->weights, model->paramPointers);
  if (!status && train)
    status = allocateTensors(train->num_slots, train->slots, /*zero=*/true,
                             &model->slots, model->slotPointers);
  if (status) {
    destroyModel(model);
    return status;
  }
  for (int64_t i = 0; i < desc->num_params; ++i)
    if (size_t bytes = tensorByteSize(desc->params[i]))
      std::memcpy(model->paramPointers[i],
                  desc->weights + desc->params[i].offset, bytes);
  if (train)
    nameLogs(model);
  *out_model = model;
  return nullptr;
}

void kiln_model_retain(kiln_model_t *model) {
  if (model)
    model->refCount.fetch_add(1, std::memory_order_relaxed);
}

void kiln_model_release(kiln_model_t *model) {
  if (model && model->refCount.fetch_sub(1, std::memory_order_acq_rel) == 1)
    destroyModel(model);
}

const kiln_model_desc_t *kiln_model_descriptor_of(const kiln_model_t *model) {
  return model->desc;
}

float *kiln_model_param_data(kiln_model_t *model, int64_t index) {
  if (!model || index < 0 || index >= model->desc->num_params)
    return nullptr;
  // The caller may write through it at any time: devices copy the
  // parameters at every call from now on.
  model->paramsVersion.store(0, std::memory_order_release);
  return kiln::paramData(model, index);
}

float *kiln_model_slot_data(kiln_model_t *model, int64_t index) {
  if (!model || !model->slotPointers || index < 0 ||
      index >= model->desc->training->num_slots)
    return nullptr;
  return static_cast<float *>(model->slotPointers[index]);
}

int64_t kiln_model_iterations(const kiln_model_t *model) {
  return model ? model->iterations : 0;
}

int64_t kiln_model_epoch(const kiln_model_t *model) {
  return model ? model->epoch : 0;
}

const char *kiln_model_device(const kiln_model_t *model) {
  return model && model->device ? model->device->name() : "cpu";
}

int64_t kiln_model_num_logs(const kiln_model_t *model) {
  return model ? static_cast<int64_t>(model->logNames.size()) : 0;
}

const char *kiln_model_log_name(const kiln_model_t *model, int64_t index) {
  if (!model || index < 0 ||
      index >= static_cast<int64_t>(model->logNames.size()))
    return nullptr;
  return model->logNames[static_cast<size_t>(index)].c_str();
}

kiln_status_t kiln_model_predict(kiln_model_t *model, int64_t batch,
                                 const float *const *inputs,
                                 float *const *outputs) {
  if (!model)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "model is NULL");
  const kiln_model_desc_t *desc = model->desc;
  if (!desc->predict)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "model '%s' has no predict entry point",
                       desc->name ? desc->name : "");
  if (batch < 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "batch %" PRId64 " is negative", batch);
  if ((desc->num_inputs > 0 && !inputs) || (desc->num_outputs > 0 && !outputs))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "inputs and outputs must not be NULL");
  return runPredict(model, batch, inputs, outputs);
}

kiln_status_t kiln_model_predict_arrays(kiln_model_t *model, int64_t batch_size,
                                        const kiln_array_t *const *inputs,
                                        kiln_array_t **out_outputs) {
  if (!model || !out_outputs || (model->desc->num_inputs > 0 && !inputs))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "model, inputs and out_outputs must not be NULL");
  const kiln_model_desc_t *desc = model->desc;
  if (!desc->predict)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "model '%s' has no predict entry point",
                       desc->name ? desc->name : "");
  if (desc->num_inputs == 0)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "predict_arrays needs a model with inputs");
  Batching batching = Batching::Chunks;
  KILN_RETURN_IF_ERROR(checkBatching(desc, batching));
  if (batch_size <= 0)
    batch_size = kDefaultBatchSize;

  // The samples: the leading dimension that the inputs with a dynamic
  // batch share (the first of them names it); the other inputs have
  // exactly their shapes.
  int64_t numSamples = -1;
  const char *samplesFrom = nullptr;
  for (int64_t i = 0; i < desc->num_inputs; ++i) {
    int64_t samples = 0;
    const kiln_tensor_desc_t &tensor = desc->inputs[i];
    KILN_RETURN_IF_ERROR(checkInput(tensor, inputs[i], samples));
    if (!hasDynamicBatch(tensor)) {
      if (tensor.rank > 0 && samples != tensor.dims[0])
        return KILN_STATUS(
            KILN_STATUS_INVALID_ARGUMENT,
            "input '%s': the model takes exactly shape %s (no dynamic batch "
            "dimension), got %s",
            tensor.name, formatShape(tensor.rank, tensor.dims).c_str(),
            formatShape(inputs[i]->rank, inputs[i]->dims).c_str());
    } else if (!samplesFrom) {
      numSamples = samples;
      samplesFrom = tensor.name;
    } else if (samples != numSamples) {
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "input '%s': expected %" PRId64
                         " samples like input '%s', got %" PRId64,
                         tensor.name, numSamples, samplesFrom, samples);
    }
  }

  if (batching == Batching::Whole && numSamples == 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "input '%s' has no samples, and the model computes "
                       "some of its tensors over the whole batch",
                       samplesFrom);

  // Create the outputs; they are published only once all chunks have run.
  int64_t numInputs = desc->num_inputs, numOutputs = desc->num_outputs;
  std::unique_ptr<kiln_array_t *[]> outputs(
      new (std::nothrow) kiln_array_t *[numOutputs + 1]());
  std::unique_ptr<const float *[]> inPtrs(new (std::nothrow)
                                              const float *[numInputs]);
  std::unique_ptr<float *[]> outPtrs(
      new (std::nothrow) float *[numOutputs + 1]);
  if (!outputs || !inPtrs || !outPtrs)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  auto releaseOutputs = [&] {
    for (int64_t i = 0; i < numOutputs; ++i)
      kiln_array_release(outputs[i]);
  };
  for (int64_t i = 0; i < numOutputs; ++i) {
    const kiln_tensor_desc_t &tensor = desc->outputs[i];
    int64_t dims[KILN_MAX_RANK];
    for (int32_t d = 0; d < tensor.rank; ++d)
      dims[d] = tensor.dims[d];
    if (hasDynamicBatch(tensor))
      dims[0] = numSamples;
    kiln_status_t status =
        createArray(tensor.dtype, tensor.rank, dims, true, &outputs[i]);
    if (status) {
      releaseOutputs();
      return status;
    }
  }

  // One run for Whole and Static (whose batch is its first input's
  // leading dimension).
  if (batching == Batching::Static)
    numSamples = desc->inputs[0].rank > 0 ? desc->inputs[0].dims[0] : 1;
  if (batching != Batching::Chunks)
    batch_size = numSamples;
  int64_t batch = 0;
  for (int64_t start = 0; start < numSamples; start += batch) {
    batch = numSamples - start < batch_size ? numSamples - start : batch_size;
    for (int64_t i = 0; i < numInputs; ++i)
      inPtrs[i] = reinterpret_cast<const float *>(
          static_cast<const char *>(inputs[i]->data) +
          static_cast<size_t>(start) * sampleBytes(desc->inputs[i]));
    for (int64_t i = 0; i < numOutputs; ++i)
      outPtrs[i] = reinterpret_cast<float *>(
          static_cast<char *>(outputs[i]->data) +
          static_cast<size_t>(start) * sampleBytes(desc->outputs[i]));
    kiln_status_t status =
        runPredict(model, batch, inPtrs.get(), outPtrs.get());
    if (status) {
      releaseOutputs();
      return status;
    }
  }
  for (int64_t i = 0; i < numOutputs; ++i)
    out_outputs[i] = outputs[i];
  return nullptr;
}

} // extern "C"

const char *kiln::entryName(EntryKind kind) {
  switch (kind) {
  case EntryKind::Predict:
    return "predict";
  case EntryKind::TrainStep:
    return "train_step";
  case EntryKind::EvalStep:
    return "eval_step";
  }
  return "?";
}

HostBuffer &HostBuffer::operator=(HostBuffer &&other) noexcept {
  if (this != &other) {
    release();
    device = other.device;
    pinned = other.pinned;
    plain = std::move(other.plain);
    other.pinned = nullptr;
  }
  return *this;
}

bool HostBuffer::allocate(DeviceExecutor *owner, size_t bytes) {
  release();
  if (owner && bytes)
    pinned = static_cast<uint8_t *>(owner->allocateHost(bytes));
  if (pinned) {
    device = owner;
    return true;
  }
  return plain.allocate(bytes, /*zero=*/true);
}

void HostBuffer::release() {
  if (pinned)
    device->freeHost(pinned);
  pinned = nullptr;
  device = nullptr;
  plain = Buffer();
}

float *kiln::paramData(kiln_model_t *model, int64_t index) {
  return static_cast<float *>(model->paramPointers[index]);
}

void kiln::paramsWritten(kiln_model_t *model) {
  uint64_t version = model->paramsVersion.load(std::memory_order_relaxed);
  while (version != 0 && !model->paramsVersion.compare_exchange_weak(
                             version, version + 1, std::memory_order_acq_rel))
    ;
}

kiln_status_t kiln::runEntry(kiln_model_t *model, EntryKind kind, int64_t batch,
                             void *const *buffers, Buffer &workspace,
                             uint64_t paramsVersion) {
  const char *what = entryName(kind);
  const kiln_model_desc_t *desc = model->desc;
  if (model->device)
    return model->device->run(desc, kind, batch, buffers, paramsVersion);
  kiln_entry_fn fn = desc->predict;
  kiln_workspace_desc_t size = desc->predict_workspace;
  if (kind != EntryKind::Predict) {
    bool train = kind == EntryKind::TrainStep;
    fn = train ? desc->training->train_step : desc->training->eval_step;
    size = train ? desc->training->train_workspace
                 : desc->training->eval_workspace;
  }
  int64_t bytes = kiln_workspace_bytes(size, batch);
  if (bytes < 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: invalid workspace size in the descriptor", what);
  if (workspace.size() < static_cast<size_t>(bytes) &&
      !workspace.allocate(static_cast<size_t>(bytes)))
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                       "%s: out of memory allocating a %" PRId64
                       "-byte workspace for batch %" PRId64,
                       what, bytes, batch);
  if (int32_t code = fn(batch, buffers, workspace.data()))
    return KILN_STATUS(static_cast<kiln_status_code_t>(code),
                       "%s failed with status %d", what, code);
  return nullptr;
}
