//===- TrainUtil.h - Fake training models for the runtime tests -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Hand-written `kiln_train_desc_t`s whose train/eval steps are C++ functions,
// so the training loop's semantics can be checked exactly:
//   - LinearFake: y = x . w + b over 2 features, MSE loss, SGD with momentum
//     slots and a 1/sqrt(iteration) step decay (so a wrong iteration count
//     changes the numbers); it records every step's sample ids (x[:, 0] * 8),
//     learning rate and iteration.
//   - ClassifierFake: predictions = x * scale over 3 classes, constant loss
//     1.5, no update; metric k's batch value is (k + 1) * the batch's first
//     input: used to check how the runtime averages metrics, and its label
//     checks.
//   - MaskedFake: y = sum(mask ? x * w : 0) over 2 features with a bool
//     input `mask`, MSE loss, plain SGD; it records the mask bytes every
//     step receives (the runtime converts the float batches to bytes).
// `linearStep` is the step math shared by the fake and the tests' reference
// loops, which batch, order and weight independently of the runtime.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_RUNTIME_TRAINUTIL_H
#define KILN_TEST_RUNTIME_TRAINUTIL_H

#include "TestUtil.h"
#include "base/Descriptor.h"
#include "base/Status.h"
#include "model/Model.h"

#include <algorithm>
#include <cmath>

namespace kiln::test {

//===----------------------------------------------------------------------===//
// Linear regression
//===----------------------------------------------------------------------===//

/// One recorded train_step call.
struct LinearCall {
  std::vector<int64_t> ids;
  float learningRate;
  float iteration;
};

inline std::vector<LinearCall> &linearCalls() {
  static std::vector<LinearCall> calls;
  return calls;
}

constexpr float kMomentum = 0.5f;

/// The state the linear model trains.
struct LinearState {
  float w[2];
  float b;
  float vw[2];
  float vb;
};

/// Forward pass, MSE loss and (when `lr` >= 0) the momentum-SGD update of
/// `state` for `batch` rows of `x` (2 features) and `t`.
inline float linearStep(LinearState &state, const float *x, const float *t,
                        int64_t batch, float lr, float iteration, float *pred) {
  float loss = 0, gw[2] = {0, 0}, gb = 0;
  for (int64_t n = 0; n < batch; ++n) {
    pred[n] = x[2 * n] * state.w[0] + x[2 * n + 1] * state.w[1] + state.b;
    float diff = pred[n] - t[n];
    loss += diff * diff;
    float dp = 2 * diff / static_cast<float>(batch);
    gw[0] += dp * x[2 * n];
    gw[1] += dp * x[2 * n + 1];
    gb += dp;
  }
  loss /= static_cast<float>(batch);
  if (lr < 0)
    return loss;
  float scale = lr / std::sqrt(iteration);
  for (int k = 0; k < 2; ++k) {
    state.vw[k] = kMomentum * state.vw[k] + gw[k];
    state.w[k] -= scale * state.vw[k];
  }
  state.vb = kMomentum * state.vb + gb;
  state.b -= scale * state.vb;
  return loss;
}

/// The batch mean of |pred - t| in float, as a compiled step returns its
/// "mae" metric.
inline float linearMae(const float *pred, const float *t, int64_t batch) {
  float total = 0;
  for (int64_t n = 0; n < batch; ++n)
    total += std::fabs(pred[n] - t[n]);
  return total / static_cast<float>(batch);
}

extern "C" inline int32_t linearTrainStep(int64_t batch, void *const *buffers,
                                          void *) {
  // params w, b; slots vw, vb; x; t; lr; iteration; rng; loss; pred; mae;
  // new w, b; new vw, vb.
  auto f = [&](int i) { return static_cast<float *>(buffers[i]); };
  LinearState state = {
      {f(0)[0], f(0)[1]}, f(1)[0], {f(2)[0], f(2)[1]}, f(3)[0]};
  const float *x = f(4);
  LinearCall call{{}, f(6)[0], f(7)[0]};
  for (int64_t n = 0; n < batch; ++n)
    call.ids.push_back(static_cast<int64_t>(x[2 * n] * 8));
  linearCalls().push_back(call);
  f(9)[0] = linearStep(state, x, f(5), batch, f(6)[0], f(7)[0], f(10));
  f(11)[0] = linearMae(f(10), f(5), batch);
  f(12)[0] = state.w[0];
  f(12)[1] = state.w[1];
  f(13)[0] = state.b;
  f(14)[0] = state.vw[0];
  f(14)[1] = state.vw[1];
  f(15)[0] = state.vb;
  return 0;
}

extern "C" inline int32_t linearEvalStep(int64_t batch, void *const *buffers,
                                         void *) {
  // params w, b; x; t; loss; pred; mae.
  auto f = [&](int i) { return static_cast<float *>(buffers[i]); };
  LinearState state = {{f(0)[0], f(0)[1]}, f(1)[0], {0, 0}, 0};
  f(4)[0] = linearStep(state, f(2), f(3), batch, -1, 1, f(5));
  f(6)[0] = linearMae(f(5), f(3), batch);
  return 0;
}

extern "C" inline int32_t linearPredict(int64_t batch, void *const *buffers,
                                        void *) {
  auto f = [&](int i) { return static_cast<float *>(buffers[i]); };
  LinearState state = {{f(0)[0], f(0)[1]}, f(1)[0], {0, 0}, 0};
  std::vector<float> t(static_cast<size_t>(batch));
  linearStep(state, f(2), t.data(), batch, -1, 1, f(3));
  return 0;
}

struct LinearFake {
  LinearFake() {
    const float init[3] = {0.5f, -0.25f, 0.1f};
    std::memcpy(storage, init, sizeof(init));
    inputs[0] = {"x", KILN_DTYPE_F32, 2, xDims, 0};
    outputs[0] = {"y", KILN_DTYPE_F32, 2, yDims, 0};
    targets[0] = {"y_true", KILN_DTYPE_F32, 2, yDims, 0};
    params[0] = {"dense/kernel", KILN_DTYPE_F32, 2, kernelDims, 0};
    params[1] = {"dense/bias", KILN_DTYPE_F32, 1, biasDims, 8};
    slots[0] = {"dense/kernel/momentum", KILN_DTYPE_F32, 2, kernelDims, 0};
    slots[1] = {"dense/bias/momentum", KILN_DTYPE_F32, 1, biasDims, 0};
    layers[0] = {"dense", "Dense", "(None, 1)", "", 3, 3};
    hyper[0] = {"learning_rate", 0.05};
    hyper[1] = {"momentum", kMomentum};
    metrics[0] = {"mae", "mae"};
    train.loss = "mean_squared_error";
    train.optimizer = "sgd";
    train.num_hyper = 2;
    train.hyper = hyper;
    train.num_metrics = 1;
    train.metrics = metrics;
    train.num_targets = 1;
    train.targets = targets;
    train.num_slots = 2;
    train.slots = slots;
    train.train_step = linearTrainStep;
    train.eval_step = linearEvalStep;
    desc.abi_version = KILN_MODEL_ABI_VERSION;
    desc.name = "linear";
    desc.kind = "Sequential";
    desc.num_inputs = 1;
    desc.inputs = inputs;
    desc.num_outputs = 1;
    desc.outputs = outputs;
    desc.num_params = 2;
    desc.params = params;
    desc.num_layers = 1;
    desc.layers = layers;
    desc.weights_size = 12;
    desc.weights = storage;
    desc.predict = linearPredict;
    desc.training = &train;
    linearCalls().clear();
  }
  LinearFake(const LinearFake &) = delete;
  LinearFake &operator=(const LinearFake &) = delete;

  static LinearState initialState() {
    return {{0.5f, -0.25f}, 0.1f, {0, 0}, 0};
  }

  int64_t xDims[2] = {-1, 2};
  int64_t yDims[2] = {-1, 1};
  int64_t kernelDims[2] = {2, 1};
  int64_t biasDims[1] = {1};
  uint8_t storage[12] = {};
  kiln_tensor_desc_t inputs[1], outputs[1], targets[1], params[2], slots[2];
  kiln_layer_desc_t layers[1];
  kiln_hyper_desc_t hyper[2];
  kiln_metric_desc_t metrics[1];
  kiln_train_desc_t train = {};
  kiln_model_desc_t desc = {};
};

/// Sample i of the linear data set: x = (i / 8, i % 3 - 1), t = 2 x0 - 3 x1
/// + 0.5 + a small wobble.
inline float linearX(int64_t i, int k) {
  return k == 0 ? static_cast<float>(i) / 8 : static_cast<float>(i % 3 - 1);
}
inline float linearT(int64_t i) {
  return 2 * linearX(i, 0) - 3 * linearX(i, 1) + 0.5f +
         static_cast<float>(i % 4) * 0.125f;
}

/// The arrays of the linear data set with `n` samples.
inline std::pair<ArrayPtr, ArrayPtr> linearArrays(int64_t n) {
  int64_t xDims[2] = {n, 2}, tDims[2] = {n, 1};
  kiln_array_t *x = nullptr, *t = nullptr;
  EXPECT_EQ(kiln_array_create(KILN_DTYPE_F32, 2, xDims, &x), nullptr);
  EXPECT_EQ(kiln_array_create(KILN_DTYPE_F32, 2, tDims, &t), nullptr);
  auto *xd = static_cast<float *>(kiln_array_data(x));
  auto *td = static_cast<float *>(kiln_array_data(t));
  for (int64_t i = 0; i < n; ++i) {
    xd[2 * i] = linearX(i, 0);
    xd[2 * i + 1] = linearX(i, 1);
    td[i] = linearT(i);
  }
  return {ArrayPtr(x), ArrayPtr(t)};
}

struct DatasetDeleter {
  void operator()(kiln_dataset_t *dataset) const {
    kiln_dataset_release(dataset);
  }
};
using DatasetPtr = std::unique_ptr<kiln_dataset_t, DatasetDeleter>;

inline DatasetPtr linearDataset(const kiln_model_desc_t &desc, int64_t n) {
  auto [x, t] = linearArrays(n);
  const kiln_array_t *inputs[1] = {x.get()}, *targets[1] = {t.get()};
  kiln_dataset_t *dataset = nullptr;
  StatusPtr status(kiln_dataset_create(&desc, inputs, targets, &dataset));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  return DatasetPtr(dataset);
}

/// The reference loop: runs `order`'s batches (sample ids) on `state` and
/// returns the batch-size-weighted mean loss and mean absolute error.
inline std::pair<double, double>
referenceEpoch(LinearState &state,
               const std::vector<std::vector<int64_t>> &batches, float lr,
               int64_t &iteration) {
  double lossTotal = 0, maeTotal = 0, count = 0;
  for (const std::vector<int64_t> &ids : batches) {
    std::vector<float> x, t, pred(ids.size());
    for (int64_t id : ids) {
      x.push_back(linearX(id, 0));
      x.push_back(linearX(id, 1));
      t.push_back(linearT(id));
    }
    auto batch = static_cast<int64_t>(ids.size());
    ++iteration;
    float loss = linearStep(state, x.data(), t.data(), batch, lr,
                            static_cast<float>(iteration), pred.data());
    lossTotal += static_cast<double>(loss) * static_cast<double>(batch);
    maeTotal += static_cast<double>(linearMae(pred.data(), t.data(), batch)) *
                static_cast<double>(batch);
    count += static_cast<double>(batch);
  }
  return {lossTotal / count, maeTotal / count};
}

/// Sequential batches of `batchSize` over `n` samples.
inline std::vector<std::vector<int64_t>> sequentialBatches(int64_t n,
                                                           int64_t batchSize) {
  std::vector<std::vector<int64_t>> batches;
  for (int64_t start = 0; start < n; start += batchSize) {
    batches.emplace_back();
    for (int64_t i = start; i < n && i < start + batchSize; ++i)
      batches.back().push_back(i);
  }
  return batches;
}

/// Collects the epoch-end logs of a fit.
struct EpochLog {
  int64_t epoch;
  std::vector<std::string> names;
  std::vector<double> values;
};

extern "C" inline void recordEpoch(void *user, int64_t epoch, int64_t count,
                                   const char *const *names,
                                   const double *values) {
  auto *logs = static_cast<std::vector<EpochLog> *>(user);
  EpochLog log{epoch, {}, {}};
  for (int64_t i = 0; i < count; ++i) {
    log.names.emplace_back(names[i]);
    log.values.push_back(values[i]);
  }
  logs->push_back(std::move(log));
}

/// Fit options without output that record every epoch's logs in `logs`
/// (when not NULL).
inline kiln_fit_options_t quietOptions(std::vector<EpochLog> *logs = nullptr) {
  kiln_fit_options_t options;
  kiln_fit_options_initialize(&options);
  options.verbose = 0;
  if (logs) {
    options.on_epoch_end = recordEpoch;
    options.user_data = logs;
  }
  return options;
}

//===----------------------------------------------------------------------===//
// Classifier: predictions = x * scale
//===----------------------------------------------------------------------===//

/// The number of metrics of the ClassifierFake in use.
inline int64_t &classifierMetrics() {
  static int64_t count = 0;
  return count;
}

extern "C" inline int32_t classifierEvalStep(int64_t batch,
                                             void *const *buffers, void *) {
  // params scale; x; t; loss; pred; metrics...
  auto f = [&](int64_t i) { return static_cast<float *>(buffers[i]); };
  for (int64_t i = 0; i < batch * 3; ++i)
    f(4)[i] = f(1)[i] * f(0)[0];
  f(3)[0] = 1.5f;
  for (int64_t k = 0; k < classifierMetrics(); ++k)
    f(5 + k)[0] = static_cast<float>(k + 1) * f(1)[0];
  return 0;
}

extern "C" inline int32_t classifierTrainStep(int64_t batch,
                                              void *const *buffers, void *) {
  // params scale; x; t; lr; iteration; rng; loss; pred; metrics...;
  // new scale.
  auto f = [&](int64_t i) { return static_cast<float *>(buffers[i]); };
  for (int64_t i = 0; i < batch * 3; ++i)
    f(7)[i] = f(1)[i] * f(0)[0];
  f(6)[0] = 1.5f;
  int64_t metrics = classifierMetrics();
  for (int64_t k = 0; k < metrics; ++k)
    f(8 + k)[0] = static_cast<float>(k + 1) * f(1)[0];
  f(8 + metrics)[0] = f(0)[0];
  return 0;
}

struct ClassifierFake {
  /// `sparse`: targets are (None,) class indices, else (None, 3).
  explicit ClassifierFake(bool sparse) {
    const float scale = 1;
    std::memcpy(storage, &scale, sizeof(scale));
    inputs[0] = {"x", KILN_DTYPE_F32, 2, ioDims, 0};
    outputs[0] = {"probs", KILN_DTYPE_F32, 2, ioDims, 0};
    targets[0] =
        sparse
            ? kiln_tensor_desc_t{"labels", KILN_DTYPE_F32,           1, ioDims,
                                 0,        KILN_TENSOR_CLASS_INDICES}
            : kiln_tensor_desc_t{"labels", KILN_DTYPE_F32, 2, ioDims, 0};
    params[0] = {"scale", KILN_DTYPE_F32, 1, scaleDims, 0};
    hyper[0] = {"learning_rate", 0.01};
    train.loss =
        sparse ? "sparse_categorical_crossentropy" : "categorical_crossentropy";
    train.optimizer = "sgd";
    train.num_hyper = 1;
    train.hyper = hyper;
    train.num_targets = 1;
    train.targets = targets;
    train.train_step = classifierTrainStep;
    train.eval_step = classifierEvalStep;
    desc.abi_version = KILN_MODEL_ABI_VERSION;
    desc.name = "classifier";
    desc.kind = "Sequential";
    desc.num_inputs = 1;
    desc.inputs = inputs;
    desc.num_outputs = 1;
    desc.outputs = outputs;
    desc.num_params = 1;
    desc.params = params;
    desc.weights_size = 4;
    desc.weights = storage;
    desc.training = &train;
    classifierMetrics() = 0;
  }
  ClassifierFake(const ClassifierFake &) = delete;
  ClassifierFake &operator=(const ClassifierFake &) = delete;

  void setMetrics(std::vector<kiln_metric_desc_t> list) {
    metrics = std::move(list);
    train.num_metrics = static_cast<int64_t>(metrics.size());
    train.metrics = metrics.data();
    classifierMetrics() = train.num_metrics;
  }

  int64_t ioDims[2] = {-1, 3};
  int64_t scaleDims[1] = {1};
  uint8_t storage[4] = {};
  kiln_tensor_desc_t inputs[1], outputs[1], targets[1], params[1];
  kiln_hyper_desc_t hyper[1];
  std::vector<kiln_metric_desc_t> metrics;
  kiln_train_desc_t train = {};
  kiln_model_desc_t desc = {};
};

//===----------------------------------------------------------------------===//
// Masked: y = sum_k(mask_k ? x_k * w_k : 0), a bool input
//===----------------------------------------------------------------------===//

/// The mask bytes every masked step received, in call order.
inline std::vector<uint8_t> &maskedBytes() {
  static std::vector<uint8_t> bytes;
  return bytes;
}

/// Predictions, MSE loss and (when `lr` >= 0) the SGD update of `w`.
inline float maskedStep(float *w, const float *x, const uint8_t *mask,
                        const float *t, int64_t batch, float lr, float *pred) {
  float loss = 0, g[2] = {0, 0};
  for (int64_t n = 0; n < batch; ++n) {
    pred[n] = 0;
    for (int k = 0; k < 2; ++k)
      pred[n] += mask[2 * n + k] ? x[2 * n + k] * w[k] : 0.0f;
    float diff = pred[n] - t[n];
    loss += diff * diff;
    for (int k = 0; k < 2; ++k)
      g[k] += mask[2 * n + k] ? 2 * diff * x[2 * n + k] : 0.0f;
  }
  float count = static_cast<float>(batch);
  if (lr >= 0)
    for (int k = 0; k < 2; ++k)
      w[k] -= lr * g[k] / count;
  return loss / count;
}

/// Records `batch` samples of the mask; false when a byte is not 0 or 1.
inline bool recordMask(const void *mask, int64_t batch) {
  const auto *bytes = static_cast<const uint8_t *>(mask);
  maskedBytes().insert(maskedBytes().end(), bytes, bytes + 2 * batch);
  return std::all_of(bytes, bytes + 2 * batch, [](uint8_t b) { return b < 2; });
}

extern "C" inline int32_t maskedTrainStep(int64_t batch, void *const *buffers,
                                          void *) {
  // params w; x; mask; t; lr; iteration; rng; loss; pred; new w.
  auto f = [&](int i) { return static_cast<float *>(buffers[i]); };
  if (!recordMask(buffers[2], batch))
    return KILN_STATUS_INTERNAL;
  float w[2] = {f(0)[0], f(0)[1]};
  f(7)[0] = maskedStep(w, f(1), static_cast<const uint8_t *>(buffers[2]), f(3),
                       batch, f(4)[0], f(8));
  f(9)[0] = w[0];
  f(9)[1] = w[1];
  return 0;
}

extern "C" inline int32_t maskedEvalStep(int64_t batch, void *const *buffers,
                                         void *) {
  // params w; x; mask; t; loss; pred.
  auto f = [&](int i) { return static_cast<float *>(buffers[i]); };
  if (!recordMask(buffers[2], batch))
    return KILN_STATUS_INTERNAL;
  float w[2] = {f(0)[0], f(0)[1]};
  f(4)[0] = maskedStep(w, f(1), static_cast<const uint8_t *>(buffers[2]), f(3),
                       batch, -1, f(5));
  return 0;
}

struct MaskedFake {
  MaskedFake() {
    const float init[2] = {0.5f, -2};
    std::memcpy(storage, init, sizeof(init));
    inputs[0] = {"x", KILN_DTYPE_F32, 2, xDims, 0};
    inputs[1] = {"mask", KILN_DTYPE_BOOL, 2, xDims, 0};
    outputs[0] = {"y", KILN_DTYPE_F32, 2, yDims, 0};
    targets[0] = {"y_true", KILN_DTYPE_F32, 2, yDims, 0};
    params[0] = {"w", KILN_DTYPE_F32, 1, wDims, 0};
    hyper[0] = {"learning_rate", 0.125};
    train.loss = "mean_squared_error";
    train.optimizer = "sgd";
    train.num_hyper = 1;
    train.hyper = hyper;
    train.num_targets = 1;
    train.targets = targets;
    train.train_step = maskedTrainStep;
    train.eval_step = maskedEvalStep;
    desc.abi_version = KILN_MODEL_ABI_VERSION;
    desc.name = "masked";
    desc.kind = "Functional";
    desc.num_inputs = 2;
    desc.inputs = inputs;
    desc.num_outputs = 1;
    desc.outputs = outputs;
    desc.num_params = 1;
    desc.params = params;
    desc.weights_size = 8;
    desc.weights = storage;
    desc.training = &train;
    maskedBytes().clear();
  }
  MaskedFake(const MaskedFake &) = delete;
  MaskedFake &operator=(const MaskedFake &) = delete;

  /// Sample i: x = (i / 4, 1 - i % 3), mask = (i % 2, i % 3 != 1), t = i / 8.
  static float x(int64_t i, int k) {
    return k == 0 ? static_cast<float>(i) / 4 : static_cast<float>(1 - i % 3);
  }
  static bool mask(int64_t i, int k) { return k == 0 ? i % 2 : i % 3 != 1; }
  static float t(int64_t i) { return static_cast<float>(i) / 8; }

  int64_t xDims[2] = {-1, 2};
  int64_t yDims[2] = {-1, 1};
  int64_t wDims[1] = {2};
  uint8_t storage[8] = {};
  kiln_tensor_desc_t inputs[2], outputs[1], targets[1], params[1];
  kiln_hyper_desc_t hyper[1];
  kiln_train_desc_t train = {};
  kiln_model_desc_t desc = {};
};

//===----------------------------------------------------------------------===//
// A device whose steps finish later
//===----------------------------------------------------------------------===//

/// A device that runs a train step on the host only when it is finished,
/// as a GPU finishes it later, and notes at each finish the first value
/// of the other batch input buffer it gave out (page-locked memory). With
/// `failFinish` = i, its i-th finish (from 0) fails without running the
/// step, as a GPU error would report it. A step still queued when it goes
/// is an error of the runtime (its buffers may be gone).
///
/// prefetch() copies the buffers as a GPU would, and a step submitted with
/// `prefetched` reads those copies, which must still equal the host
/// buffers when it runs (the host wrote nothing since).
class DeferredDevice final : public kiln::DeviceExecutor {
public:
  explicit DeferredDevice(size_t inputBytes) : inputBytes(inputBytes) {}
  ~DeferredDevice() override {
    EXPECT_FALSE(queued) << "a submitted step was never finished";
    for (auto &[memory, bytes] : given)
      std::free(memory);
  }
  const char *name() const override { return "deferred"; }

  kiln_status_t run(const kiln_model_desc_t *desc, kiln::EntryKind kind,
                    int64_t batch, void *const *buffers,
                    uint64_t paramsVersion) override {
    KILN_RETURN_IF_ERROR(
        submit(desc, kind, batch, buffers, paramsVersion, false));
    return finish();
  }
  kiln_status_t submit(const kiln_model_desc_t *desc, kiln::EntryKind kind,
                       int64_t batch, void *const *buffers, uint64_t,
                       bool prefetched) override {
    EXPECT_NE(kind, kiln::EntryKind::Predict);
    EXPECT_FALSE(queued) << "a step was submitted before the last finished";
    queued = true;
    queuedKind = kind;
    queuedDesc = desc;
    queuedBatch = batch;
    queuedBuffers = buffers;
    // What the step reads from the prefetch's copies (all of them: a fit
    // prefetches only what the next step reads); the copies go either way.
    copiesRead.clear();
    if (prefetched) {
      ++prefetchedSteps;
      copiesRead.swap(copies);
    }
    copies.clear();
    // The first input follows the parameters (and a train step's slots).
    bool train = kind == kiln::EntryKind::TrainStep;
    queuedInput =
        buffers[desc->num_params + (train ? desc->training->num_slots : 0)];
    return nullptr;
  }
  kiln_status_t prefetch(const void *const *hosts, const size_t *bytes,
                         size_t count) override {
    copies.clear();
    for (size_t i = 0; i < count; ++i) {
      const auto *from = static_cast<const uint8_t *>(hosts[i]);
      copies.push_back({hosts[i], std::vector<uint8_t>(from, from + bytes[i])});
    }
    ++prefetches;
    return nullptr;
  }
  kiln_status_t finish() override {
    if (!queued)
      return nullptr;
    queued = false;
    if (finishes++ == failFinish)
      return KILN_STATUS(KILN_STATUS_INTERNAL, "the device failed step %d",
                         failFinish);
    for (auto &[memory, bytes] : given)
      if (bytes == inputBytes && memory != queuedInput)
        otherInput.push_back(*static_cast<float *>(memory));
    // The step reads the device's copies, which must equal the host's
    // buffers (the host wrote nothing since they were made); it then
    // computes the same from either.
    size_t reads = bufferCount(queuedDesc, queuedKind);
    for (const Copy &copy : copiesRead) {
      if (std::find(queuedBuffers, queuedBuffers + reads, copy.host) ==
          queuedBuffers + reads) {
        ADD_FAILURE() << "the step does not read a prefetched buffer";
        continue;
      }
      EXPECT_EQ(std::memcmp(copy.host, copy.data.data(), copy.data.size()), 0)
          << "the host wrote a prefetched buffer before its step ran";
    }
    const kiln_train_desc_t *train = queuedDesc->training;
    bool step = queuedKind == kiln::EntryKind::TrainStep;
    kiln::Buffer workspace;
    workspace.allocate(
        static_cast<size_t>(kiln_workspace_bytes(step ? train->train_workspace
                                                      : train->eval_workspace,
                                                 queuedBatch)) +
        1);
    // Outputs the host gave no buffer for stay on a device: the step
    // writes them into memory of the device's own.
    size_t firstOutput = reads + (step ? 3 : 0) + 1;
    size_t count = firstOutput + static_cast<size_t>(queuedDesc->num_outputs *
                                                     (1 + train->num_metrics));
    if (step) {
      count += static_cast<size_t>(train->num_slots);
      for (int64_t i = 0; i < queuedDesc->num_params; ++i)
        count += kiln::isUpdatedByStep(queuedDesc, i);
    }
    std::vector<void *> pointers(queuedBuffers, queuedBuffers + count);
    std::vector<kiln::Buffer> kept(
        static_cast<size_t>(queuedDesc->num_outputs));
    for (size_t k = 0; k < kept.size(); ++k)
      if (!pointers[firstOutput + k]) {
        kept[k].allocate(kiln::sampleBytes(queuedDesc->outputs[k]) *
                         static_cast<size_t>(queuedBatch));
        pointers[firstOutput + k] = kept[k].data();
      }
    int32_t code = (step ? train->train_step : train->eval_step)(
        queuedBatch, pointers.data(), workspace.data());
    return code ? KILN_STATUS(KILN_STATUS_INTERNAL, "step failed") : nullptr;
  }
  void *allocateHost(size_t bytes) override {
    void *memory = std::calloc(1, bytes);
    given.emplace_back(memory, bytes);
    return memory;
  }
  void freeHost(void *memory) override {
    for (auto &[given, bytes] : given)
      if (given == memory)
        bytes = 0; // freed with the device
  }

  /// At each finish: the first value of the input buffer the step did not
  /// read.
  std::vector<float> otherInput;
  int failFinish = -1;
  int finishes = 0;
  int prefetches = 0;      // prefetch calls
  int prefetchedSteps = 0; // steps that read prefetched copies

private:
  /// A prefetched host buffer and the device's copy of it.
  struct Copy {
    const void *host;
    std::vector<uint8_t> data;
  };
  /// The number of buffers an entry reads up to its targets (kiln/model.h:
  /// parameters, a train step's slots, inputs, targets).
  static size_t bufferCount(const kiln_model_desc_t *desc,
                            kiln::EntryKind kind) {
    const kiln_train_desc_t *train = desc->training;
    int64_t count = desc->num_params + desc->num_inputs + train->num_targets;
    if (kind == kiln::EntryKind::TrainStep)
      count += train->num_slots;
    return static_cast<size_t>(count);
  }
  std::vector<Copy> copies, copiesRead;
  size_t inputBytes;
  std::vector<std::pair<void *, size_t>> given;
  bool queued = false;
  kiln::EntryKind queuedKind = kiln::EntryKind::TrainStep;
  const kiln_model_desc_t *queuedDesc = nullptr;
  int64_t queuedBatch = 0;
  void *const *queuedBuffers = nullptr;
  const void *queuedInput = nullptr;
};

/// Gives `model` a DeferredDevice for the linear fake's batches of 4
/// samples of 2 features, and returns it.
inline DeferredDevice *deferSteps(kiln_model_t *model) {
  auto device = std::make_unique<DeferredDevice>(4 * 2 * sizeof(float));
  DeferredDevice *raw = device.get();
  model->device = std::move(device);
  return raw;
}

} // namespace kiln::test

#endif // KILN_TEST_RUNTIME_TRAINUTIL_H
