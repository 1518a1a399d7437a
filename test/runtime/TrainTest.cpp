//===- TrainTest.cpp - Tests of kiln_model_fit and evaluate -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Runs the fit loop on the fake linear model of TrainUtil.h and compares
// every epoch's loss and metric with a reference loop written here: no
// shuffle, partial last batch, seeded shuffles (permutations, deterministic),
// steps_per_epoch crossing passes, initial_epoch, learning-rate override,
// resume from a checkpoint versus an uninterrupted run, validation logs,
// the history JSON, evaluate, the console format, and the metrics of the
// fake classifier against hand-computed values. Models with non-float
// outputs or targets are refused with a message naming them; a bool input
// reaches the steps as bytes 0 and 1 (the masked fake).
//
//===----------------------------------------------------------------------===//
#include "TrainUtil.h"
#include "base/Status.h"
#include "model/Model.h"

#include <algorithm>
#include <regex>

using namespace kiln::test;

namespace {

/// The recorded calls' sample ids, grouped into epochs of `steps` batches.
std::vector<std::vector<std::vector<int64_t>>> recordedEpochs(int64_t steps) {
  std::vector<std::vector<std::vector<int64_t>>> epochs;
  for (size_t i = 0; i < linearCalls().size(); ++i) {
    if (i % static_cast<size_t>(steps) == 0)
      epochs.emplace_back();
    epochs.back().push_back(linearCalls()[i].ids);
  }
  return epochs;
}

void expectParams(kiln_model_t *model, const LinearState &state) {
  float *w = kiln_model_param_data(model, 0);
  float *b = kiln_model_param_data(model, 1);
  EXPECT_EQ(w[0], state.w[0]);
  EXPECT_EQ(w[1], state.w[1]);
  EXPECT_EQ(b[0], state.b);
  EXPECT_EQ(kiln_model_slot_data(model, 0)[0], state.vw[0]);
  EXPECT_EQ(kiln_model_slot_data(model, 1)[0], state.vb);
}

TEST(TrainTest, DefaultOptions) {
  kiln_fit_options_t options;
  kiln_fit_options_initialize(&options);
  EXPECT_EQ(options.struct_size, sizeof(options));
  EXPECT_EQ(options.epochs, 1);
  EXPECT_EQ(options.batch_size, 32);
  EXPECT_EQ(options.shuffle, 1);
  EXPECT_EQ(options.verbose, 1);
  EXPECT_EQ(options.seed, -1);
  EXPECT_EQ(options.steps_per_epoch, 0);
  EXPECT_EQ(options.initial_epoch, -1); // 0, or the resumed epoch
  EXPECT_LT(options.learning_rate, 0);
  EXPECT_EQ(options.validation_data, nullptr);
  kiln_evaluate_options_t evaluate;
  kiln_evaluate_options_initialize(&evaluate);
  EXPECT_EQ(evaluate.struct_size, sizeof(evaluate));
  EXPECT_EQ(evaluate.batch_size, 32);
}

TEST(TrainTest, NoShuffleMatchesReference) {
  LinearFake fake;
  ModelPtr model = createModel(fake.desc);
  DatasetPtr data = linearDataset(fake.desc, 10);
  ASSERT_EQ(kiln_model_num_logs(model.get()), 2);
  EXPECT_STREQ(kiln_model_log_name(model.get(), 0), "loss");
  EXPECT_STREQ(kiln_model_log_name(model.get(), 1), "mae");
  EXPECT_EQ(kiln_model_log_name(model.get(), 2), nullptr);

  std::vector<EpochLog> logs;
  kiln_fit_options_t options = quietOptions(&logs);
  options.epochs = 3;
  options.batch_size = 4; // 4, 4, 2: the last batch is partial
  options.shuffle = 0;
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));

  ASSERT_EQ(logs.size(), 3u);
  ASSERT_EQ(linearCalls().size(), 9u);
  LinearState state = LinearFake::initialState();
  int64_t iteration = 0;
  for (int epoch = 0; epoch < 3; ++epoch) {
    auto [loss, mae] =
        referenceEpoch(state, sequentialBatches(10, 4), 0.05f, iteration);
    EXPECT_EQ(logs[epoch].epoch, epoch + 1);
    EXPECT_EQ(logs[epoch].names, (std::vector<std::string>{"loss", "mae"}));
    EXPECT_EQ(logs[epoch].values[0], loss) << "epoch " << epoch;
    EXPECT_EQ(logs[epoch].values[1], mae) << "epoch " << epoch;
  }
  for (size_t i = 0; i < linearCalls().size(); ++i) {
    EXPECT_EQ(linearCalls()[i].iteration, static_cast<float>(i + 1));
    EXPECT_EQ(linearCalls()[i].learningRate, 0.05f);
    EXPECT_EQ(linearCalls()[i].ids, sequentialBatches(10, 4)[i % 3]);
  }
  expectParams(model.get(), state);
  EXPECT_EQ(kiln_model_iterations(model.get()), 9);
  EXPECT_EQ(kiln_model_epoch(model.get()), 3);
}

// With a device, the fit loop loads the next batch of the epoch while the
// step runs, into the other of two sets of page-locked batch buffers, and
// the numbers are the host's: same losses, same parameters.
TEST(TrainTest, DeviceStepsOverlapTheNextBatch) {
  LinearFake fake;
  ModelPtr model = createModel(fake.desc);
  DeferredDevice *device = deferSteps(model.get());
  DatasetPtr data = linearDataset(fake.desc, 10);
  std::vector<EpochLog> logs;
  kiln_fit_options_t options = quietOptions(&logs);
  options.epochs = 2;
  options.batch_size = 4; // 4, 4, 2
  options.shuffle = 0;
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));

  LinearState state = LinearFake::initialState();
  int64_t iteration = 0;
  ASSERT_EQ(logs.size(), 2u);
  for (int epoch = 0; epoch < 2; ++epoch) {
    auto [loss, mae] =
        referenceEpoch(state, sequentialBatches(10, 4), 0.05f, iteration);
    EXPECT_EQ(logs[epoch].values[0], loss) << "epoch " << epoch;
    EXPECT_EQ(logs[epoch].values[1], mae) << "epoch " << epoch;
  }
  ASSERT_EQ(linearCalls().size(), 6u);
  for (size_t i = 0; i < linearCalls().size(); ++i)
    EXPECT_EQ(linearCalls()[i].ids, sequentialBatches(10, 4)[i % 3]);
  expectParams(model.get(), state);
  // When step 0 finishes, the other buffers hold batch 1 (its first sample
  // is 4), when step 1 finishes, batch 2 (sample 8); during the epoch's
  // last step nothing loads (they still hold batch 1). Each epoch alike.
  std::vector<float> ahead = {linearX(4, 0), linearX(8, 0), linearX(4, 0),
                              linearX(4, 0), linearX(8, 0), linearX(4, 0)};
  EXPECT_EQ(device->otherInput, ahead);
  // Batches 1 and 2 of each epoch were copied in while the step before
  // ran, and their steps read those copies.
  EXPECT_EQ(device->prefetches, 4);
  EXPECT_EQ(device->prefetchedSteps, 4);

  // Evaluate alike, with the host's numbers.
  device->otherInput.clear();
  kiln_evaluate_options_t evaluate;
  kiln_evaluate_options_initialize(&evaluate);
  evaluate.batch_size = 4;
  evaluate.verbose = 0;
  double values[2] = {}, expected[2] = {};
  KILN_ASSERT_OK(
      kiln_model_evaluate(model.get(), data.get(), &evaluate, values));
  EXPECT_EQ(device->otherInput,
            std::vector<float>(ahead.begin(), ahead.begin() + 3));
  EXPECT_EQ(device->prefetches, 6);
  EXPECT_EQ(device->prefetchedSteps, 6);
  model->device.reset();
  KILN_ASSERT_OK(
      kiln_model_evaluate(model.get(), data.get(), &evaluate, expected));
  EXPECT_EQ(values[0], expected[0]);
  EXPECT_EQ(values[1], expected[1]);
}

// A device step that fails is undone: fit stops with the device's error,
// and the model holds the parameters, slots and iteration count of the
// steps before it (the failed step's set stays the next one; the stepper's
// end syncs the rest back). Evaluate stops the same way.
TEST(TrainTest, FailedDeviceStepIsUndone) {
  LinearFake fake;
  ModelPtr model = createModel(fake.desc);
  DeferredDevice *device = deferSteps(model.get());
  device->failFinish = 4; // epoch 1's second step
  DatasetPtr data = linearDataset(fake.desc, 10);
  std::vector<EpochLog> logs;
  kiln_fit_options_t options = quietOptions(&logs);
  options.epochs = 3;
  options.batch_size = 4; // 4, 4, 2
  options.shuffle = 0;
  StatusPtr status(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INTERNAL);
  EXPECT_STREQ(kiln_status_message(status.get()), "the device failed step 4");
  EXPECT_EQ(logs.size(), 1u);
  EXPECT_EQ(kiln_model_iterations(model.get()), 4);
  EXPECT_EQ(kiln_model_epoch(model.get()), 1);
  LinearState state = LinearFake::initialState();
  int64_t iteration = 0;
  std::vector<std::vector<int64_t>> batches = sequentialBatches(10, 4);
  batches.push_back(batches[0]); // epoch 1's first step
  referenceEpoch(state, batches, 0.05f, iteration);
  expectParams(model.get(), state);

  // Training on continues from there, as if the step had not been tried.
  device->failFinish = -1;
  options.epochs = 1; // one more epoch
  logs.clear();
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  referenceEpoch(state, sequentialBatches(10, 4), 0.05f, iteration);
  expectParams(model.get(), state);

  kiln_evaluate_options_t evaluate;
  kiln_evaluate_options_initialize(&evaluate);
  evaluate.batch_size = 4;
  evaluate.verbose = 0;
  double values[2] = {};
  device->failFinish = device->finishes + 1;
  status.reset(kiln_model_evaluate(model.get(), data.get(), &evaluate, values));
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INTERNAL);
}

TEST(TrainTest, SeededShuffleIsDeterministicPermutation) {
  LinearFake fake;
  DatasetPtr data = linearDataset(fake.desc, 10);
  auto run = [&](int64_t seed, std::vector<EpochLog> &logs) {
    ModelPtr model = createModel(fake.desc);
    linearCalls().clear();
    kiln_fit_options_t options = quietOptions(&logs);
    options.epochs = 3;
    options.batch_size = 3;
    options.seed = seed;
    KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  };
  std::vector<EpochLog> first, second, other;
  run(42, first);
  auto epochs = recordedEpochs(4);
  run(42, second);
  EXPECT_EQ(recordedEpochs(4), epochs);
  ASSERT_EQ(first.size(), 3u);
  for (size_t e = 0; e < 3; ++e)
    EXPECT_EQ(first[e].values, second[e].values);

  // Each epoch is a permutation, batched 3, 3, 3, 1; epochs differ.
  LinearState state = LinearFake::initialState();
  int64_t iteration = 0;
  ASSERT_EQ(epochs.size(), 3u);
  for (size_t e = 0; e < 3; ++e) {
    std::vector<int64_t> all;
    for (const auto &batch : epochs[e])
      all.insert(all.end(), batch.begin(), batch.end());
    EXPECT_EQ(epochs[e].back().size(), 1u);
    std::vector<int64_t> sorted = all;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 10; ++i)
      EXPECT_EQ(sorted[static_cast<size_t>(i)], i);
    if (e) {
      EXPECT_NE(epochs[e], epochs[e - 1]);
    }
    // The losses follow that order exactly.
    auto [loss, mae] = referenceEpoch(state, epochs[e], 0.05f, iteration);
    EXPECT_EQ(first[e].values[0], loss);
    EXPECT_EQ(first[e].values[1], mae);
  }
  run(7, other);
  EXPECT_NE(recordedEpochs(4), epochs);
}

/// Runs `options` from a fresh model and checks that its epochs saw the
/// batches `expected` and logged what the reference loop computes on them.
void expectEpochs(
    const kiln_fit_options_t &options, std::vector<EpochLog> &logs,
    const std::vector<std::vector<std::vector<int64_t>>> &expected) {
  LinearFake fake;
  ModelPtr model = createModel(fake.desc);
  DatasetPtr data = linearDataset(fake.desc, 10);
  linearCalls().clear();
  logs.clear();
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  std::vector<std::vector<std::vector<int64_t>>> epochs;
  size_t call = 0;
  for (const auto &epoch : expected) {
    epochs.emplace_back();
    for (size_t i = 0; i < epoch.size() && call < linearCalls().size(); ++i)
      epochs.back().push_back(linearCalls()[call++].ids);
  }
  EXPECT_EQ(call, linearCalls().size());
  EXPECT_EQ(epochs, expected);
  LinearState state = LinearFake::initialState();
  int64_t iteration = 0;
  ASSERT_EQ(logs.size(), expected.size());
  for (size_t e = 0; e < expected.size(); ++e) {
    auto [loss, mae] = referenceEpoch(state, expected[e], 0.05f, iteration);
    EXPECT_EQ(logs[e].values[0], loss) << "epoch " << e;
    EXPECT_EQ(logs[e].values[1], mae) << "epoch " << e;
  }
}

TEST(TrainTest, StepsPerEpochEndsWithThePassLikeKeras) {
  // 10 samples in batches of 4: a pass is [0-3] [4-7] [8,9]. Keras 3's fit
  // over arrays ends an epoch when its pass runs out and starts the next
  // epoch on a new pass.
  std::vector<EpochLog> logs;
  kiln_fit_options_t options = quietOptions(&logs);
  options.epochs = 4;
  options.batch_size = 4;
  options.shuffle = 0;
  options.steps_per_epoch = 2;
  auto pass = sequentialBatches(10, 4);
  expectEpochs(options, logs,
               {{pass[0], pass[1]}, {pass[2]}, {pass[0], pass[1]}, {pass[2]}});
  // More steps than a pass: every epoch is one pass.
  options.epochs = 2;
  options.steps_per_epoch = 5;
  expectEpochs(options, logs, {pass, pass});
  // A divisor of the pass: whole epochs, as before.
  options.epochs = 2;
  options.steps_per_epoch = 3;
  expectEpochs(options, logs, {pass, pass});
}

TEST(TrainTest, StepsPerEpochWithRepeatContinuesAcrossPasses) {
  std::vector<EpochLog> logs;
  kiln_fit_options_t options = quietOptions(&logs);
  options.epochs = 3;
  options.batch_size = 4;
  options.shuffle = 0;
  options.steps_per_epoch = 2;
  options.repeat = 1;
  // Batches of the endless pass stream: [0-3] [4-7] | [8,9] [0-3] | [4-7]
  // [8,9].
  auto pass = sequentialBatches(10, 4);
  expectEpochs(options, logs,
               {{pass[0], pass[1]}, {pass[2], pass[0]}, {pass[1], pass[2]}});
  options.steps_per_epoch = 5;
  options.epochs = 2;
  expectEpochs(options, logs,
               {{pass[0], pass[1], pass[2], pass[0], pass[1]},
                {pass[2], pass[0], pass[1], pass[2], pass[0]}});
}

TEST(TrainTest, InitialEpochAndLearningRateOverride) {
  LinearFake fake;
  ModelPtr model = createModel(fake.desc);
  DatasetPtr data = linearDataset(fake.desc, 6);
  std::vector<EpochLog> logs;
  kiln_fit_options_t options = quietOptions(&logs);
  options.epochs = 5;
  options.initial_epoch = 3;
  options.batch_size = 32; // one batch of 6
  options.shuffle = 0;
  options.learning_rate = 0.01;
  char *json = nullptr;
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, &json));
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_EQ(logs[0].epoch, 4);
  EXPECT_EQ(logs[1].epoch, 5);
  ASSERT_EQ(linearCalls().size(), 2u);
  EXPECT_EQ(linearCalls()[0].learningRate, 0.01f);
  EXPECT_EQ(linearCalls()[0].iteration, 1.0f);
  LinearState state = LinearFake::initialState();
  int64_t iteration = 0;
  for (size_t e = 0; e < 2; ++e) {
    auto [loss, mae] =
        referenceEpoch(state, sequentialBatches(6, 32), 0.01f, iteration);
    EXPECT_EQ(logs[e].values[0], loss);
  }
  EXPECT_EQ(kiln_model_epoch(model.get()), 5);
  ASSERT_NE(json, nullptr);
  EXPECT_EQ(std::string(json).rfind("{\"loss\": [", 0), 0u) << json;
  kiln_free(json);

  // initial_epoch >= epochs runs nothing, like Keras.
  logs.clear();
  options.initial_epoch = 5;
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, &json));
  EXPECT_TRUE(logs.empty());
  EXPECT_STREQ(json, "{}\n");
  kiln_free(json);
}

TEST(TrainTest, ResumeContinuesLikeAnUninterruptedRun) {
  LinearFake fake;
  ScratchDir dir;
  DatasetPtr data = linearDataset(fake.desc, 10);
  // Uninterrupted: 4 epochs with a seeded shuffle.
  std::vector<EpochLog> full;
  {
    ModelPtr model = createModel(fake.desc);
    kiln_fit_options_t options = quietOptions(&full);
    options.epochs = 4;
    options.batch_size = 3;
    options.seed = 1234;
    KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));
    KILN_ASSERT_OK(
        kiln_model_save_weights(model.get(), dir.file("full.kw").c_str()));
  }
  // Interrupted after epoch 2 (the checkpoint of every epoch), resumed in a
  // fresh model without repeating the seed or the initial epoch.
  std::vector<EpochLog> part1, part2;
  std::string checkpoint = dir.file("ckpt.kw");
  {
    ModelPtr model = createModel(fake.desc);
    kiln_fit_options_t options = quietOptions(&part1);
    options.epochs = 2;
    options.batch_size = 3;
    options.seed = 1234;
    options.checkpoint_path = checkpoint.c_str();
    KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  }
  {
    ModelPtr model = createModel(fake.desc);
    kiln_fit_options_t options = quietOptions(&part2);
    options.epochs = 4;
    options.batch_size = 3;
    options.resume_path = checkpoint.c_str();
    std::string final = dir.file("resumed.kw");
    options.save_weights_path = final.c_str();
    KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));
    EXPECT_EQ(kiln_model_iterations(model.get()), 16);
    EXPECT_EQ(linearCalls()[8].iteration, 9.0f); // first resumed step
  }
  ASSERT_EQ(full.size(), 4u);
  ASSERT_EQ(part1.size(), 2u);
  ASSERT_EQ(part2.size(), 2u);
  EXPECT_EQ(part1[0].values, full[0].values);
  EXPECT_EQ(part1[1].values, full[1].values);
  EXPECT_EQ(part2[0].epoch, 3);
  EXPECT_EQ(part2[0].values, full[2].values);
  EXPECT_EQ(part2[1].values, full[3].values);
  EXPECT_EQ(readBytes(dir.file("resumed.kw")), readBytes(dir.file("full.kw")));
}

TEST(TrainTest, ResumeMidPassReplaysShortEpochs) {
  // Shuffled, 2 steps per epoch over passes of 3 batches: epochs of 2, 1,
  // 2, 1, 2 steps. Resuming after epoch 4 (a pass boundary) and after
  // epoch 3 (mid-pass) replays what the uninterrupted run did, bit for bit.
  LinearFake fake;
  ScratchDir dir;
  DatasetPtr data = linearDataset(fake.desc, 10);
  for (bool repeat : {false, true}) {
    for (int64_t stop : {3, 4}) {
      SCOPED_TRACE("repeat=" + std::to_string(repeat) +
                   " stop=" + std::to_string(stop));
      auto options = [&](std::vector<EpochLog> &logs, int64_t epochs) {
        kiln_fit_options_t o = quietOptions(&logs);
        o.epochs = epochs;
        o.batch_size = 4;
        o.seed = 77;
        o.steps_per_epoch = 2;
        o.repeat = repeat;
        return o;
      };
      std::vector<EpochLog> full, part1, part2;
      std::string fullWeights = dir.file("full.kw"),
                  checkpoint = dir.file("ckpt.kw"),
                  resumed = dir.file("resumed.kw");
      linearCalls().clear();
      {
        ModelPtr model = createModel(fake.desc);
        kiln_fit_options_t o = options(full, 5);
        o.save_weights_path = fullWeights.c_str();
        KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &o, nullptr));
        EXPECT_EQ(kiln_model_iterations(model.get()), repeat ? 10 : 8);
      }
      std::vector<LinearCall> fullCalls = linearCalls();
      linearCalls().clear();
      {
        ModelPtr model = createModel(fake.desc);
        kiln_fit_options_t o = options(part1, stop);
        o.checkpoint_path = checkpoint.c_str();
        KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &o, nullptr));
      }
      {
        ModelPtr model = createModel(fake.desc);
        kiln_fit_options_t o = options(part2, 5);
        o.resume_path = checkpoint.c_str();
        o.save_weights_path = resumed.c_str();
        KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &o, nullptr));
      }
      ASSERT_EQ(linearCalls().size(), fullCalls.size());
      for (size_t i = 0; i < fullCalls.size(); ++i)
        EXPECT_EQ(linearCalls()[i].ids, fullCalls[i].ids) << "step " << i;
      ASSERT_EQ(full.size(), 5u);
      ASSERT_EQ(part2.size(), size_t(5 - stop));
      for (size_t e = 0; e < part2.size(); ++e)
        EXPECT_EQ(part2[e].values, full[stop + e].values);
      EXPECT_EQ(readBytes(resumed), readBytes(fullWeights));
    }
  }
}

TEST(TrainTest, ValidationHistoryAndCheckpointFiles) {
  LinearFake fake;
  ScratchDir dir;
  ModelPtr model = createModel(fake.desc);
  DatasetPtr data = linearDataset(fake.desc, 8);
  DatasetPtr validation = linearDataset(fake.desc, 5);
  std::vector<EpochLog> logs;
  kiln_fit_options_t options = quietOptions(&logs);
  options.epochs = 2;
  options.batch_size = 4;
  options.shuffle = 0;
  options.validation_data = validation.get();
  std::string history = dir.file("history.json");
  std::string checkpoint = dir.file("ckpt.kw");
  options.history_path = history.c_str();
  options.checkpoint_path = checkpoint.c_str();
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));

  LinearState state = LinearFake::initialState();
  int64_t iteration = 0;
  std::string expected = "{\"loss\": [";
  std::vector<double> loss, mae, valLoss, valMae;
  for (int e = 0; e < 2; ++e) {
    auto [l, m] =
        referenceEpoch(state, sequentialBatches(8, 4), 0.05f, iteration);
    LinearState frozen = state;
    // Validation: eval_step (no update) over batches 4, 1.
    double total = 0, maeTotal = 0;
    for (const auto &ids : sequentialBatches(5, 4)) {
      std::vector<float> x, t, pred(ids.size());
      for (int64_t id : ids) {
        x.push_back(linearX(id, 0));
        x.push_back(linearX(id, 1));
        t.push_back(linearT(id));
      }
      auto batch = static_cast<int64_t>(ids.size());
      float batchLoss =
          linearStep(frozen, x.data(), t.data(), batch, -1, 1, pred.data());
      total += double(batchLoss) * double(batch);
      maeTotal +=
          double(linearMae(pred.data(), t.data(), batch)) * double(batch);
    }
    loss.push_back(l);
    mae.push_back(m);
    valLoss.push_back(total / 5);
    valMae.push_back(maeTotal / 5);
    EXPECT_EQ(logs[e].names,
              (std::vector<std::string>{"loss", "mae", "val_loss", "val_mae"}));
    EXPECT_EQ(logs[e].values,
              (std::vector<double>{l, m, total / 5, maeTotal / 5}));
  }
  // The JSON holds round-trippable values in Keras's key order.
  std::vector<uint8_t> bytes = readBytes(history);
  std::string json(bytes.begin(), bytes.end());
  std::regex number("-?[0-9.]+(e[-+][0-9]+)?");
  std::vector<double> parsed;
  for (std::sregex_iterator it(json.begin(), json.end(), number), end;
       it != end; ++it)
    parsed.push_back(std::strtod(it->str().c_str(), nullptr));
  std::vector<double> all = {loss[0],    loss[1],    mae[0],    mae[1],
                             valLoss[0], valLoss[1], valMae[0], valMae[1]};
  EXPECT_EQ(parsed, all) << json;
  EXPECT_EQ(json.rfind("{\"loss\": [", 0), 0u);
  EXPECT_NE(json.find("], \"mae\": ["), std::string::npos);
  EXPECT_NE(json.find("], \"val_loss\": ["), std::string::npos);
  EXPECT_NE(json.find("], \"val_mae\": ["), std::string::npos);
  EXPECT_EQ(json.substr(json.size() - 3), "]}\n");

  // The checkpoint holds the final state; no temporary files remain.
  ModelPtr loaded = createModel(fake.desc);
  KILN_ASSERT_OK(kiln_model_load_weights(loaded.get(), checkpoint.c_str()));
  expectParams(loaded.get(), state);
  EXPECT_EQ(kiln_model_epoch(loaded.get()), 2);
  EXPECT_EQ(kiln_model_iterations(loaded.get()), 4);
  std::vector<std::string> files = dir.list();
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"ckpt.kw", "history.json"}));
}

TEST(TrainTest, EvaluateMatchesReference) {
  LinearFake fake;
  ModelPtr model = createModel(fake.desc);
  DatasetPtr data = linearDataset(fake.desc, 7);
  kiln_evaluate_options_t options;
  kiln_evaluate_options_initialize(&options);
  options.batch_size = 3;
  options.verbose = 0;
  double values[2] = {};
  KILN_ASSERT_OK(
      kiln_model_evaluate(model.get(), data.get(), &options, values));
  LinearState state = LinearFake::initialState();
  double total = 0, maeTotal = 0;
  for (const auto &ids : sequentialBatches(7, 3)) {
    std::vector<float> x, t, pred(ids.size());
    for (int64_t id : ids) {
      x.push_back(linearX(id, 0));
      x.push_back(linearX(id, 1));
      t.push_back(linearT(id));
    }
    auto batch = static_cast<int64_t>(ids.size());
    float loss =
        linearStep(state, x.data(), t.data(), batch, -1, 1, pred.data());
    total += double(loss) * double(batch);
    maeTotal += double(linearMae(pred.data(), t.data(), batch)) * double(batch);
  }
  EXPECT_EQ(values[0], total / 7);
  EXPECT_EQ(values[1], maeTotal / 7);
  EXPECT_TRUE(linearCalls().empty()); // no training step
  EXPECT_EQ(kiln_model_iterations(model.get()), 0);
}

TEST(TrainTest, ConsoleOutputLikeKeras) {
  LinearFake fake;
  ModelPtr model = createModel(fake.desc);
  DatasetPtr data = linearDataset(fake.desc, 10);
  DatasetPtr validation = linearDataset(fake.desc, 4);
  kiln_fit_options_t options;
  kiln_fit_options_initialize(&options);
  options.epochs = 2;
  options.batch_size = 4;
  options.validation_data = validation.get();
  testing::internal::CaptureStdout();
  StatusPtr status(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  std::string out = testing::internal::GetCapturedStdout();
  ASSERT_EQ(status, nullptr) << kiln_status_message(status.get());
  // stdout is not a terminal here: no live updates, only the final lines.
  std::regex verbose1("Epoch 1/2\n"
                      "3/3 \\[==============================\\] - [0-9]+s "
                      "[0-9]+[mu]?s/step - loss: [0-9]+\\.[0-9]{4} - mae: "
                      "[0-9]+\\.[0-9]{4} - val_loss: [0-9]+\\.[0-9]{4} - "
                      "val_mae: [0-9]+\\.[0-9]{4}\n"
                      "Epoch 2/2\n3/3 \\[=+\\] .*\n");
  EXPECT_TRUE(std::regex_match(out, verbose1)) << out;

  options.verbose = 2;
  options.validation_data = nullptr;
  testing::internal::CaptureStdout();
  status.reset(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  out = testing::internal::GetCapturedStdout();
  std::regex verbose2("Epoch 1/2\n3/3 - [0-9]+s - [0-9]+[mu]?s/step - loss: "
                      "[0-9]+\\.[0-9]{4} - mae: [0-9]+\\.[0-9]{4}\n"
                      "Epoch 2/2\n3/3 - .*\n");
  EXPECT_TRUE(std::regex_match(out, verbose2)) << out;

  options.verbose = 0;
  testing::internal::CaptureStdout();
  status.reset(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");

  kiln_evaluate_options_t evaluate;
  kiln_evaluate_options_initialize(&evaluate);
  evaluate.batch_size = 3;
  double values[2];
  testing::internal::CaptureStdout();
  status.reset(kiln_model_evaluate(model.get(), data.get(), &evaluate, values));
  out = testing::internal::GetCapturedStdout();
  EXPECT_TRUE(std::regex_match(
      out, std::regex("4/4 \\[=+\\] - [0-9]+s [0-9]+[mu]?s/step - loss: "
                      "[0-9.]+ - mae: [0-9.]+\n")))
      << out;
}

TEST(TrainTest, Errors) {
  LinearFake fake;
  ModelPtr model = createModel(fake.desc);
  DatasetPtr data = linearDataset(fake.desc, 4);
  kiln_fit_options_t options = quietOptions(nullptr);
  options.on_epoch_end = nullptr;
  options.verbose = 3;
  StatusPtr status(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_status_message(status.get()),
               "verbose must be 0, 1 or 2, got 3");
  options.verbose = 0;
  options.epochs = -1;
  status.reset(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  options.epochs = 1;
  options.resume_path = "/nonexistent/ckpt.kw";
  status.reset(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_NOT_FOUND);
  options.resume_path = nullptr;
  options.history_path = "/nonexistent/dir/history.json";
  status.reset(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_IO_ERROR);
  options.history_path = nullptr;
  options.struct_size = 0;
  status.reset(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);

  // No compiled learning rate and no override.
  fake.train.num_hyper = 0;
  ModelPtr noRate = createModel(fake.desc);
  kiln_fit_options_initialize(&options);
  options.verbose = 0;
  status.reset(kiln_model_fit(noRate.get(), data.get(), &options, nullptr));
  EXPECT_STREQ(kiln_status_message(status.get()),
               "model 'linear' has no compiled learning_rate; pass one");
  options.learning_rate = 0.1;
  status.reset(kiln_model_fit(noRate.get(), data.get(), &options, nullptr));
  EXPECT_EQ(status, nullptr);

  // Unknown metric kinds are refused before any step.
  fake.metrics[0] = {"f1", "f1_score"};
  ModelPtr badMetric = createModel(fake.desc);
  linearCalls().clear();
  status.reset(kiln_model_fit(badMetric.get(), data.get(), &options, nullptr));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_UNIMPLEMENTED);
  EXPECT_STREQ(kiln_status_message(status.get()),
               "metric 'f1' of kind 'f1_score' is not supported");
  EXPECT_TRUE(linearCalls().empty());

  // A predict-only model cannot train.
  FakeModel plain;
  ModelPtr predictOnly = createModel(plain.desc);
  status.reset(
      kiln_model_fit(predictOnly.get(), data.get(), &options, nullptr));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_UNIMPLEMENTED);
  EXPECT_EQ(kiln_model_num_logs(predictOnly.get()), 0);
  EXPECT_EQ(kiln_model_slot_data(predictOnly.get(), 0), nullptr);
}

TEST(TrainTest, NonFloatOutputsAndTargetsAreRefused) {
  LinearFake fake;
  DatasetPtr data = linearDataset(fake.desc, 4);
  ASSERT_TRUE(data);
  kiln_fit_options_t options = quietOptions();
  kiln_evaluate_options_t evaluate;
  kiln_evaluate_options_initialize(&evaluate);
  evaluate.verbose = 0;
  double values[2] = {};
  auto [x, t] = linearArrays(4);
  const kiln_array_t *inputs[1] = {x.get()}, *targets[1] = {t.get()};
  struct Case {
    kiln_tensor_desc_t *tensor;
    int32_t dtype;
    std::string message;
  };
  const Case cases[] = {
      {&fake.outputs[0], KILN_DTYPE_I64,
       "output 'y' has dtype int64; fit and evaluate need float32 outputs "
       "and targets"},
      {&fake.outputs[0], KILN_DTYPE_BOOL,
       "output 'y' has dtype bool; fit and evaluate need float32 outputs "
       "and targets"},
      {&fake.outputs[0], KILN_DTYPE_I32,
       "output 'y' has dtype int32; fit and evaluate need float32 outputs "
       "and targets"},
      {&fake.targets[0], KILN_DTYPE_I64,
       "target 'y_true' has dtype int64; fit and evaluate need float32 "
       "outputs and targets"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.message);
    c.tensor->dtype = c.dtype;
    ModelPtr model = createModel(fake.desc); // predict works
    ASSERT_TRUE(model);
    StatusPtr status(
        kiln_model_fit(model.get(), data.get(), &options, nullptr));
    EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_UNIMPLEMENTED);
    EXPECT_EQ(kiln_status_message(status.get()), c.message);
    status.reset(
        kiln_model_evaluate(model.get(), data.get(), &evaluate, values));
    EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_UNIMPLEMENTED);
    EXPECT_EQ(kiln_status_message(status.get()), c.message);
    kiln_dataset_t *raw = nullptr;
    status.reset(kiln_dataset_create(&fake.desc, inputs, targets, &raw));
    EXPECT_EQ(raw, nullptr);
    EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_UNIMPLEMENTED);
    EXPECT_EQ(kiln_status_message(status.get()), c.message);
    c.tensor->dtype = KILN_DTYPE_F32;
  }
  EXPECT_TRUE(linearCalls().empty());
}

/// The masked fake's arrays for `n` samples, the mask as `maskDtype`.
struct MaskedData {
  ArrayPtr x, mask, t;
};

MaskedData maskedArrays(int64_t n, int32_t maskDtype) {
  int64_t xDims[2] = {n, 2}, tDims[2] = {n, 1};
  kiln_array_t *x = nullptr, *mask = nullptr, *t = nullptr;
  EXPECT_EQ(kiln_array_create(KILN_DTYPE_F32, 2, xDims, &x), nullptr);
  EXPECT_EQ(kiln_array_create(KILN_DTYPE_F32, 2, xDims, &mask), nullptr);
  EXPECT_EQ(kiln_array_create(KILN_DTYPE_F32, 2, tDims, &t), nullptr);
  ArrayPtr floatMask(mask);
  for (int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < 2; ++k) {
      static_cast<float *>(kiln_array_data(x))[2 * i + k] = MaskedFake::x(i, k);
      static_cast<float *>(kiln_array_data(mask))[2 * i + k] =
          MaskedFake::mask(i, k);
    }
    static_cast<float *>(kiln_array_data(t))[i] = MaskedFake::t(i);
  }
  kiln_array_t *converted = nullptr;
  EXPECT_EQ(kiln_array_convert(mask, maskDtype, &converted), nullptr);
  return {ArrayPtr(x), ArrayPtr(converted), ArrayPtr(t)};
}

/// The mask bytes of samples [0, n) in order.
std::vector<uint8_t> maskBytes(int64_t n) {
  std::vector<uint8_t> bytes;
  for (int64_t i = 0; i < n; ++i)
    for (int k = 0; k < 2; ++k)
      bytes.push_back(MaskedFake::mask(i, k));
  return bytes;
}

TEST(TrainTest, BoolInputsReachTheStepsAsBytes) {
  const int64_t n = 7;
  // A bool mask, or 0s and 1s of another dtype: the same dataset.
  for (int32_t dtype :
       {KILN_DTYPE_BOOL, KILN_DTYPE_F32, KILN_DTYPE_I64, KILN_DTYPE_U8}) {
    SCOPED_TRACE(kiln_dtype_name(dtype));
    MaskedFake fake;
    MaskedData arrays = maskedArrays(n, dtype);
    const kiln_array_t *inputs[2] = {arrays.x.get(), arrays.mask.get()};
    const kiln_array_t *targets[1] = {arrays.t.get()};
    kiln_dataset_t *raw = nullptr;
    KILN_ASSERT_OK(kiln_dataset_create(&fake.desc, inputs, targets, &raw));
    DatasetPtr data(raw);
    ModelPtr model = createModel(fake.desc);
    ASSERT_TRUE(model);

    // evaluate: batches of 3, 3, 1 in order; the loss as computed here.
    kiln_evaluate_options_t evaluate;
    kiln_evaluate_options_initialize(&evaluate);
    evaluate.batch_size = 3;
    evaluate.verbose = 0;
    double loss = 0;
    KILN_ASSERT_OK(
        kiln_model_evaluate(model.get(), data.get(), &evaluate, &loss));
    EXPECT_EQ(maskedBytes(), maskBytes(n));
    float w[2] = {0.5f, -2};
    double total = 0;
    for (int64_t start = 0; start < n; start += 3) {
      int64_t batch = std::min<int64_t>(3, n - start);
      std::vector<float> x, t, pred(static_cast<size_t>(batch));
      std::vector<uint8_t> mask;
      for (int64_t i = start; i < start + batch; ++i) {
        for (int k = 0; k < 2; ++k) {
          x.push_back(MaskedFake::x(i, k));
          mask.push_back(MaskedFake::mask(i, k));
        }
        t.push_back(MaskedFake::t(i));
      }
      total += double(maskedStep(w, x.data(), mask.data(), t.data(), batch, -1,
                                 pred.data())) *
               double(batch);
    }
    EXPECT_EQ(loss, total / n);

    // fit: one unshuffled epoch of 4 + 3 samples sees the same bytes.
    maskedBytes().clear();
    kiln_fit_options_t options = quietOptions();
    options.batch_size = 4;
    options.shuffle = 0;
    KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));
    EXPECT_EQ(maskedBytes(), maskBytes(n));
    EXPECT_EQ(kiln_model_iterations(model.get()), 2);
  }
}

TEST(TrainTest, BoolInputsTakeOnlyZeroAndOne) {
  MaskedFake fake;
  MaskedData arrays = maskedArrays(4, KILN_DTYPE_F32);
  static_cast<float *>(kiln_array_data(arrays.mask.get()))[3] = 0.5f;
  const kiln_array_t *inputs[2] = {arrays.x.get(), arrays.mask.get()};
  const kiln_array_t *targets[1] = {arrays.t.get()};
  kiln_dataset_t *raw = nullptr;
  StatusPtr status(kiln_dataset_create(&fake.desc, inputs, targets, &raw));
  EXPECT_EQ(raw, nullptr);
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_status_message(status.get()),
               "input 'mask': input 'mask' takes bool (0 or 1): cannot "
               "convert element 3 (0.5) from float32 to bool exactly");
  MaskedData ints = maskedArrays(4, KILN_DTYPE_I32);
  static_cast<int32_t *>(kiln_array_data(ints.mask.get()))[6] = -1;
  inputs[1] = ints.mask.get();
  status.reset(kiln_dataset_create(&fake.desc, inputs, targets, &raw));
  EXPECT_STREQ(kiln_status_message(status.get()),
               "input 'mask': input 'mask' takes bool (0 or 1): cannot "
               "convert element 6 (-1) from int32 to bool exactly");
  EXPECT_TRUE(maskedBytes().empty());
}

//===----------------------------------------------------------------------===//
// Metrics
//===----------------------------------------------------------------------===//

/// Evaluates the classifier fake (predictions = x) on `x` and `y`.
std::vector<double> evaluateClassifier(ClassifierFake &fake,
                                       const std::vector<float> &x,
                                       const std::vector<float> &y,
                                       int64_t batchSize) {
  int64_t n = static_cast<int64_t>(x.size() / 3);
  int64_t xDims[2] = {n, 3};
  int64_t yDims[2] = {n, 3};
  int32_t yRank = fake.targets[0].rank;
  kiln_array_t *xa = nullptr, *ya = nullptr;
  EXPECT_EQ(kiln_array_create(KILN_DTYPE_F32, 2, xDims, &xa), nullptr);
  EXPECT_EQ(kiln_array_create(KILN_DTYPE_F32, yRank, yDims, &ya), nullptr);
  ArrayPtr xp(xa), yp(ya);
  std::memcpy(kiln_array_data(xa), x.data(), x.size() * 4);
  std::memcpy(kiln_array_data(ya), y.data(), y.size() * 4);
  const kiln_array_t *inputs[1] = {xa}, *targets[1] = {ya};
  kiln_dataset_t *raw = nullptr;
  StatusPtr status(kiln_dataset_create(&fake.desc, inputs, targets, &raw));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  DatasetPtr data(raw);
  ModelPtr model = createModel(fake.desc);
  kiln_evaluate_options_t options;
  kiln_evaluate_options_initialize(&options);
  options.batch_size = batchSize;
  options.verbose = 0;
  std::vector<double> values(
      static_cast<size_t>(kiln_model_num_logs(model.get())));
  status.reset(
      kiln_model_evaluate(model.get(), data.get(), &options, values.data()));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  return values;
}

TEST(MetricsTest, BatchMeansWeightedByRows) {
  // The steps compute the metrics (their formulas are checked against Keras
  // end to end); the runtime averages their batch means over the rows: here
  // metric k of a batch is (k + 1) * its first input, over batches of 2, 2
  // and 1.
  ClassifierFake fake(/*sparse=*/true);
  fake.setMetrics({{"accuracy", "sparse_categorical_accuracy"},
                   {"sce", "sparse_categorical_crossentropy"}});
  std::vector<float> x = {0.7f, 0.2f, 0.1f, //
                          0.1f, 0.1f, 0.8f, //
                          0.3f, 0.4f, 0.3f, //
                          0.0f, 1.0f, 0.0f, //
                          0.5f, 0.5f, 0.0f};
  std::vector<float> y = {0, 1, 1, 1, 1};
  std::vector<double> values = evaluateClassifier(fake, x, y, 2);
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[0], 1.5);
  for (int k = 0; k < 2; ++k) {
    double first[3] = {x[0], x[6], x[12]};
    double expected = 0;
    for (int b = 0; b < 3; ++b)
      expected += double(float(k + 1) * float(first[b])) * (b < 2 ? 2 : 1);
    EXPECT_DOUBLE_EQ(values[1 + k], expected / 5) << "metric " << k;
  }
}

TEST(MetricsTest, SparseKindNeedsIndexTargets) {
  // A sparse metric on one-hot targets is refused before any step.
  ClassifierFake fake(/*sparse=*/false);
  fake.setMetrics({{"accuracy", "sparse_categorical_accuracy"}});
  std::vector<float> x(9, 0.5f), y(9, 0.0f);
  int64_t dims[2] = {3, 3};
  kiln_array_t *xa = nullptr, *ya = nullptr;
  ASSERT_EQ(kiln_array_create(KILN_DTYPE_F32, 2, dims, &xa), nullptr);
  ASSERT_EQ(kiln_array_create(KILN_DTYPE_F32, 2, dims, &ya), nullptr);
  ArrayPtr xp(xa), yp(ya);
  const kiln_array_t *inputs[1] = {xa}, *targets[1] = {ya};
  kiln_dataset_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_dataset_create(&fake.desc, inputs, targets, &raw));
  DatasetPtr data(raw);
  ModelPtr model = createModel(fake.desc);
  kiln_evaluate_options_t options;
  kiln_evaluate_options_initialize(&options);
  options.verbose = 0;
  double values[2] = {};
  StatusPtr status(
      kiln_model_evaluate(model.get(), data.get(), &options, values));
  ASSERT_NE(status, nullptr);
  EXPECT_STREQ(kiln_status_message(status.get()),
               "metric 'accuracy' (sparse_categorical_accuracy): target "
               "'labels' does not fit output 'probs'");
}

TEST(MetricsTest, MultiOutputLogNames) {
  // The logs are the descriptor's, in its order: each output's loss and
  // the metrics given for it (here none for "probs").
  ClassifierFake fake(/*sparse=*/false);
  fake.setMetrics({{"probs_loss", "loss", 0},
                   {"aux_loss", "loss", 1},
                   {"aux_acc", "categorical_accuracy", 1}});
  kiln_tensor_desc_t outputs[2] = {fake.outputs[0], fake.outputs[0]};
  outputs[1].name = "aux";
  kiln_tensor_desc_t targets[2] = {fake.targets[0], fake.targets[0]};
  fake.desc.num_outputs = 2;
  fake.desc.outputs = outputs;
  fake.train.num_targets = 2;
  fake.train.targets = targets;
  ModelPtr model = createModel(fake.desc);
  ASSERT_EQ(kiln_model_num_logs(model.get()), 4);
  EXPECT_STREQ(kiln_model_log_name(model.get(), 1), "probs_loss");
  EXPECT_STREQ(kiln_model_log_name(model.get(), 2), "aux_loss");
  EXPECT_STREQ(kiln_model_log_name(model.get(), 3), "aux_acc");

  // A metric of an output the model does not have is a bad descriptor.
  fake.metrics[2].output = 2;
  kiln_model_t *bad = nullptr;
  StatusPtr status(kiln_model_create(&fake.desc, &bad));
  EXPECT_EQ(bad, nullptr);
  EXPECT_STREQ(kiln_status_message(status.get()),
               "descriptor: metric 'aux_acc' is of output 2, which does not "
               "exist");
}

} // namespace
