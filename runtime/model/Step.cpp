//===- Step.cpp - Train steps on a model's parameters -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//
#include "model/Step.h"

#include "base/Status.h"

#include <cstring>
#include <utility>

using namespace kiln;

TrainState::~TrainState() {
  if (kiln_status_t status = sync())
    kiln_status_free(status); // the step that failed has said why
  freeBuffer(altParams);
  freeBuffer(altSlots);
}

kiln_status_t TrainState::init() {
  const kiln_model_desc_t *desc = model->desc;
  const kiln_train_desc_t *train = desc->training;
  KILN_RETURN_IF_ERROR(checkCanTrain(desc));
  syncedIterations = model->iterations;
  slots.assign(model->slotPointers, model->slotPointers + train->num_slots);
  std::vector<void *> alt(current.size());
  nextSlots.resize(slots.size());
  if (!scalars.allocate(3 * kBufferAlignment, /*zero=*/true))
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                       "out of memory allocating a train step's scalars");
  KILN_RETURN_IF_ERROR(allocateTensors(desc->num_params, desc->params,
                                       /*zero=*/false, &altParams, alt.data()));
  for (int64_t i = 0; i < desc->num_params; ++i)
    if (isUpdatedByStep(desc, i)) {
      trained.push_back(i);
      next.push_back(alt[static_cast<size_t>(i)]);
    }
  return allocateTensors(train->num_slots, train->slots, /*zero=*/true,
                         &altSlots, nextSlots.data());
}

kiln_status_t TrainState::step(int64_t batch, void *const *inputs,
                               void *const *targets, void *const *predictions,
                               void *const *metricValues, float learningRate,
                               int64_t seed, float *loss) {
  KILN_RETURN_IF_ERROR(submit(batch, inputs, targets, predictions, metricValues,
                              learningRate, seed, loss));
  return finish();
}

kiln_status_t TrainState::submit(int64_t batch, void *const *inputs,
                                 void *const *targets, void *const *predictions,
                                 void *const *metricValues, float learningRate,
                                 int64_t seed, float *loss, bool prefetched) {
  KILN_RETURN_IF_ERROR(finish());
  const kiln_model_desc_t *desc = model->desc;
  const kiln_train_desc_t *train = desc->training;
  float *scalar = scalars.floats();
  const size_t stride = kBufferAlignment / sizeof(float);
  scalar[0] = learningRate;
  scalar[stride] = static_cast<float>(model->iterations + 1);
  auto *rng = reinterpret_cast<int64_t *>(scalar + 2 * stride);
  rng[0] = seed;
  rng[1] = model->iterations;
  buffers.assign(current.begin(), current.end());
  buffers.insert(buffers.end(), slots.begin(), slots.end());
  buffers.insert(buffers.end(), inputs, inputs + desc->num_inputs);
  buffers.insert(buffers.end(), targets, targets + train->num_targets);
  buffers.push_back(scalar);
  buffers.push_back(scalar + stride);
  buffers.push_back(rng);
  buffers.push_back(loss);
  buffers.insert(buffers.end(), predictions, predictions + desc->num_outputs);
  buffers.insert(buffers.end(), metricValues,
                 metricValues + train->num_metrics);
  buffers.insert(buffers.end(), next.begin(), next.end());
  buffers.insert(buffers.end(), nextSlots.begin(), nextSlots.end());
  // On a GPU the parameters and slots stay there until sync, and the step
  // is only queued.
  if (model->device) {
    model->device->beginResident();
    KILN_RETURN_IF_ERROR(
        model->device->submit(desc, EntryKind::TrainStep, batch, buffers.data(),
                              /*paramsVersion=*/0, prefetched));
    submitted = true;
  } else {
    KILN_RETURN_IF_ERROR(runEntry(model, EntryKind::TrainStep, batch,
                                  buffers.data(), workspace));
  }
  swapSets();
  ++model->iterations;
  // Every other step writes the model's own buffers (on the host), and
  // sync copies the newest values there.
  paramsWritten(model);
  return nullptr;
}

void TrainState::swapSets() {
  for (size_t k = 0; k < trained.size(); ++k)
    std::swap(current[static_cast<size_t>(trained[k])], next[k]);
  slots.swap(nextSlots);
  usingAlt = !usingAlt;
}

kiln_status_t TrainState::finish() {
  if (!submitted)
    return nullptr;
  submitted = false;
  kiln_status_t status = model->device->finish();
  if (status) {
    // The step did not happen: the sets it would have made current stay
    // the next ones.
    swapSets();
    --model->iterations;
  }
  return status;
}

kiln_status_t TrainState::sync() {
  kiln_status_t status = finish();
  // Whether the host buffers of the current set hold its values: on a
  // device, only once they came back.
  bool returned = true;
  if (model->device) {
    std::vector<void *> latest(current.begin(), current.end());
    latest.insert(latest.end(), slots.begin(), slots.end());
    kiln_status_t copied = model->device->endResident(latest);
    returned = copied == nullptr;
    if (status)
      kiln_status_free(copied);
    else
      status = copied;
    paramsWritten(model);
  }
  if (!returned) {
    // The device kept the steps since the last sync: the model's own
    // buffers still hold the values from then (the other set's host
    // memory never held any), and so does its iteration count.
    model->iterations = syncedIterations;
  } else if (usingAlt) {
    const kiln_model_desc_t *desc = model->desc;
    for (size_t k = 0; k < trained.size(); ++k) {
      size_t i = static_cast<size_t>(trained[k]);
      if (size_t bytes = tensorByteSize(desc->params[i]))
        std::memcpy(model->paramPointers[i], current[i], bytes);
    }
    for (size_t i = 0; i < slots.size(); ++i)
      if (size_t bytes = tensorByteSize(desc->training->slots[i]))
        std::memcpy(model->slotPointers[i], slots[i], bytes);
  }
  if (usingAlt) {
    for (size_t k = 0; k < trained.size(); ++k)
      std::swap(current[static_cast<size_t>(trained[k])], next[k]);
    slots.swap(nextSlots);
    usingAlt = false;
    paramsWritten(model);
  }
  if (returned)
    syncedIterations = model->iterations;
  return status;
}

kiln_status_t kiln::checkCanTrain(const kiln_model_desc_t *desc) {
  const kiln_train_desc_t *train = desc->training;
  if (!train || !train->train_step)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED, "model '%s' cannot train: %s",
                       desc->name ? desc->name : "",
                       desc->train_unavailable ? desc->train_unavailable
                       : train                 ? "no train_step"
                               : "it was compiled without a loss");
  return nullptr;
}

bool kiln::compiledLearningRate(const kiln_model_desc_t *desc, float &rate) {
  const kiln_train_desc_t *train = desc->training;
  bool found = false;
  for (int64_t i = 0; train && i < train->num_hyper; ++i)
    if (std::strcmp(train->hyper[i].name, "learning_rate") == 0) {
      rate = static_cast<float>(train->hyper[i].value);
      found = true;
    }
  return found;
}
