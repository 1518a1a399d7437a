//===- Library.cpp - The handle of a compiled library -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln compile --emit lib|shared` generates NAME.h with one typed function
// per entry (codegen/abi/Library.cpp); each forwards to a `kiln_lib_*`
// function here with its buffers gathered into arrays. A handle is a model
// session plus the message of its last failure, so the generated C API
// returns plain status codes (0: success) that ctypes, Rust or Go can take,
// and `NAME_error` says what went wrong.
//
// Training over caller buffers needs only this archive and base:
//   - `kiln_lib_train_step` is Keras's `train_on_batch`: one compiled
//     train step at the compiled learning rate;
//   - `kiln_lib_fit` is `model.fit(x, y, epochs, batch_size, shuffle=True)`
//     without callbacks: epoch e (counting from the model's epoch) visits
//     the samples in the full-shuffle order of pass e under the seed
//     (base/Random.h), the order `./model train --seed` uses for in-memory
//     data, in batches of `batch_size`, the last one partial, and its loss
//     is the batch-size-weighted mean of the batch losses. So a library's
//     fit reproduces the executable's, step for step.
//
//===----------------------------------------------------------------------===//
#include "model/Library.h"
#include "base/Descriptor.h"
#include "base/Random.h"
#include "base/Status.h"
#include "model/Step.h"

#include <cinttypes>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

using namespace kiln;

struct kiln_lib_t {
  kiln_model_t *model = nullptr;
  std::unique_ptr<TrainState> state; // created by the first train call
  std::mutex errorMutex;
  std::string error;
};

int32_t kiln::libraryResult(kiln_lib_t *lib, kiln_status_t status) {
  if (!status)
    return KILN_STATUS_OK;
  auto code = static_cast<int32_t>(kiln_status_code(status));
  {
    std::lock_guard<std::mutex> lock(lib->errorMutex);
    lib->error = kiln_status_message(status);
  }
  kiln_status_free(status);
  return code;
}

namespace {

const char *modelName(const kiln_model_desc_t *desc) {
  return desc->name ? desc->name : "";
}

/// The handle's train state, created on first use.
kiln_status_t trainState(kiln_lib_t *lib, TrainState *&state) {
  if (!lib->state) {
    KILN_RETURN_IF_ERROR(checkTrainingDtypes(lib->model->desc));
    auto fresh =
        std::unique_ptr<TrainState>(new (std::nothrow) TrainState(lib->model));
    if (!fresh)
      return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                         "out of memory creating a train state");
    KILN_RETURN_IF_ERROR(fresh->init());
    lib->state = std::move(fresh);
  }
  state = lib->state.get();
  return nullptr;
}

kiln_status_t learningRate(const kiln_model_desc_t *desc, float &rate) {
  if (!compiledLearningRate(desc, rate))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "model '%s' has no compiled learning_rate",
                       modelName(desc));
  return nullptr;
}

/// Buffers for `rows` samples of each tensor.
kiln_status_t allocateRows(int64_t count, const kiln_tensor_desc_t *tensors,
                           int64_t rows, std::vector<Buffer> &buffers,
                           std::vector<void *> &pointers) {
  buffers.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    size_t bytes = sampleBytes(tensors[i]) * static_cast<size_t>(rows);
    if (!buffers[i].allocate(bytes ? bytes : 1))
      return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                         "out of memory allocating batches of %" PRId64, rows);
    pointers.push_back(buffers[i].data());
  }
  return nullptr;
}

/// The step outputs a library call does not return: the predictions of
/// `rows` samples and the metric values. A device keeps them (NULL buffers:
/// nothing comes back); on the host the step needs somewhere to write them.
kiln_status_t unreadOutputs(const kiln_model_t *model, int64_t rows,
                            std::vector<Buffer> &storage,
                            std::vector<void *> &predictions,
                            std::vector<void *> &metricValues) {
  const kiln_model_desc_t *desc = model->desc;
  size_t metrics = static_cast<size_t>(desc->training->num_metrics);
  if (model->device) {
    predictions.assign(static_cast<size_t>(desc->num_outputs), nullptr);
    metricValues.assign(metrics, nullptr);
    return nullptr;
  }
  KILN_RETURN_IF_ERROR(allocateRows(desc->num_outputs, desc->outputs, rows,
                                    storage, predictions));
  for (size_t i = 0; i < metrics; ++i) {
    storage.emplace_back();
    if (!storage.back().allocate(
            sizeof(float) * static_cast<size_t>(
                                metricValueCount(desc->training->metrics[i]))))
      return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                         "out of memory allocating metric values");
    metricValues.push_back(storage.back().data());
  }
  return nullptr;
}

/// Copies samples `order[0..rows)` of each tensor's full array into its
/// batch buffer.
void gather(int64_t count, const kiln_tensor_desc_t *tensors,
            const void *const *from, const std::vector<void *> &to,
            const int64_t *order, int64_t rows) {
  for (int64_t i = 0; i < count; ++i) {
    size_t bytes = sampleBytes(tensors[i]);
    auto *source = static_cast<const uint8_t *>(from[i]);
    auto *target = static_cast<uint8_t *>(to[static_cast<size_t>(i)]);
    for (int64_t r = 0; r < rows; ++r)
      std::memcpy(target + static_cast<size_t>(r) * bytes,
                  source + static_cast<size_t>(order[r]) * bytes, bytes);
  }
}

kiln_status_t fit(kiln_lib_t *lib, int64_t n, const void *const *inputs,
                  const float *const *targets, int64_t epochs,
                  int64_t batchSize, int64_t seed, float *epochLosses) {
  kiln_model_t *model = lib->model;
  const kiln_model_desc_t *desc = model->desc;
  if (n <= 0 || epochs < 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "fit needs at least one sample and no negative epochs "
                       "(got %" PRId64 " samples, %" PRId64 " epochs)",
                       n, epochs);
  TrainState *state = nullptr;
  KILN_RETURN_IF_ERROR(trainState(lib, state));
  float rate = 0;
  KILN_RETURN_IF_ERROR(learningRate(desc, rate));
  const kiln_train_desc_t *train = desc->training;
  if (batchSize <= 0)
    batchSize = 32; // Keras's default
  int64_t rows = batchSize < n ? batchSize : n;
  std::vector<Buffer> storage[3];
  std::vector<void *> batchInputs, batchTargets, predictions, metricValues;
  KILN_RETURN_IF_ERROR(allocateRows(desc->num_inputs, desc->inputs, rows,
                                    storage[0], batchInputs));
  KILN_RETURN_IF_ERROR(allocateRows(train->num_targets, train->targets, rows,
                                    storage[1], batchTargets));
  KILN_RETURN_IF_ERROR(
      unreadOutputs(model, rows, storage[2], predictions, metricValues));
  std::vector<int64_t> order(static_cast<size_t>(n));
  if (seed < 0)
    seed = model->seed >= 0 ? model->seed : randomSeed();
  model->seed = seed;
  const int64_t firstEpoch = model->epoch;
  for (int64_t e = 0; e < epochs; ++e) {
    passOrder(order.data(), n, /*shuffle=*/true, uint64_t(seed), model->epoch);
    double total = 0;
    for (int64_t start = 0; start < n; start += rows) {
      int64_t batch = n - start < rows ? n - start : rows;
      gather(desc->num_inputs, desc->inputs, inputs, batchInputs,
             order.data() + start, batch);
      gather(train->num_targets, train->targets,
             reinterpret_cast<const void *const *>(targets), batchTargets,
             order.data() + start, batch);
      float loss = 0;
      kiln_status_t status = state->step(
          batch, batchInputs.data(), batchTargets.data(), predictions.data(),
          metricValues.data(), rate, seed, &loss);
      if (status) {
        kiln_status_free(state->sync()); // the step's error says why
        return status;
      }
      total += static_cast<double>(loss) * static_cast<double>(batch);
    }
    ++model->epoch;
    if (epochLosses)
      epochLosses[e] = static_cast<float>(total / static_cast<double>(n));
  }
  // A device that cannot return the parameters keeps this fit's steps:
  // the model stays as it was before it (TrainState::sync), epochs too.
  kiln_status_t status = state->sync();
  if (status)
    model->epoch = firstEpoch;
  return status;
}

/// Runs `body` on a created handle's model and records its failure.
template <typename Body> int32_t onModel(kiln_lib_t *lib, Body &&body) {
  if (!lib->model)
    return libraryResult(lib, KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                                          "the model was not created"));
  return libraryResult(lib, body());
}

} // namespace

extern "C" {

int32_t kiln_lib_create(const kiln_model_desc_t *desc, kiln_lib_t **out_lib) {
  auto *lib = new (std::nothrow) kiln_lib_t;
  *out_lib = lib;
  if (!lib)
    return KILN_STATUS_OUT_OF_MEMORY;
  return libraryResult(lib, kiln_model_create(desc, &lib->model));
}

void kiln_lib_destroy(kiln_lib_t *lib) {
  if (!lib)
    return;
  lib->state.reset();
  kiln_model_release(lib->model);
  delete lib;
}

const char *kiln_lib_error(kiln_lib_t *lib) {
  if (!lib)
    return "out of memory";
  std::lock_guard<std::mutex> lock(lib->errorMutex);
  return lib->error.c_str();
}

kiln_model_t *kiln_lib_model(kiln_lib_t *lib) { return lib->model; }

int32_t kiln_lib_predict(kiln_lib_t *lib, int64_t batch,
                         const void *const *inputs, void *const *outputs) {
  return onModel(lib, [&] {
    return kiln_model_predict(lib->model, batch,
                              reinterpret_cast<const float *const *>(inputs),
                              reinterpret_cast<float *const *>(outputs));
  });
}

int32_t kiln_lib_train_step(kiln_lib_t *lib, int64_t batch,
                            const void *const *inputs,
                            const float *const *targets, float *loss) {
  return onModel(lib, [&]() -> kiln_status_t {
    if (batch <= 0)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "train_step needs a batch of at least one sample, "
                         "got %" PRId64,
                         batch);
    TrainState *state = nullptr;
    KILN_RETURN_IF_ERROR(trainState(lib, state));
    const kiln_model_desc_t *desc = lib->model->desc;
    float rate = 0;
    KILN_RETURN_IF_ERROR(learningRate(desc, rate));
    std::vector<Buffer> storage;
    std::vector<void *> predictions, metricValues;
    KILN_RETURN_IF_ERROR(
        unreadOutputs(lib->model, batch, storage, predictions, metricValues));
    float scalar = 0;
    int64_t seed = lib->model->seed >= 0 ? lib->model->seed : 0;
    kiln_status_t status = state->step(
        batch, const_cast<void *const *>(inputs),
        reinterpret_cast<void *const *>(const_cast<float *const *>(targets)),
        predictions.data(), metricValues.data(), rate, seed, &scalar);
    kiln_status_t synced = state->sync();
    if (loss)
      *loss = scalar;
    if (status) {
      kiln_status_free(synced);
      return status;
    }
    return synced;
  });
}

int32_t kiln_lib_fit(kiln_lib_t *lib, int64_t num_samples,
                     const void *const *inputs, const float *const *targets,
                     int64_t epochs, int64_t batch_size, int64_t seed,
                     float *epoch_losses) {
  return onModel(lib, [&] {
    return fit(lib, num_samples, inputs, targets, epochs, batch_size, seed,
               epoch_losses);
  });
}

int32_t kiln_lib_load_weights(kiln_lib_t *lib, const char *path) {
  return onModel(lib,
                 [&] { return kiln_model_load_weights(lib->model, path); });
}

int32_t kiln_lib_save_weights(kiln_lib_t *lib, const char *path) {
  return onModel(lib,
                 [&] { return kiln_model_save_weights(lib->model, path); });
}

} // extern "C"
