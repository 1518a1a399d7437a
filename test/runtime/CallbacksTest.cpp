//===- CallbacksTest.cpp - Keras's callbacks in fit -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// EarlyStopping, ReduceLROnPlateau, ModelCheckpoint(save_best_only),
// CSVLogger and TerminateOnNaN against hand-computed Keras 3.15 behaviour
// (keras/src/callbacks/*.py), on a scripted fake model: one step per epoch,
// the parameter `w` counts train steps, the train loss of iteration i is
// trainLosses[i-1] and the validation loss after epoch e (0-based) is
// valLosses[w-1] = valLosses[e] (so restoring weights is visible in `w`).
// Every step's learning rate is recorded.
//
//===----------------------------------------------------------------------===//
#include "TrainUtil.h"
#include "train/callbacks/Callback.h"

#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <sstream>

using namespace kiln::test;

namespace {

struct Script {
  std::vector<float> trainLosses, valLosses, rates;
};

Script &script() {
  static Script value;
  return value;
}

extern "C" int32_t scriptedTrainStep(int64_t batch, void *const *buffers,
                                     void *) {
  // params w; x; t; lr; iteration; rng; loss; pred; new w.
  auto f = [&](int i) { return static_cast<float *>(buffers[i]); };
  Script &s = script();
  s.rates.push_back(f(3)[0]);
  auto iteration = static_cast<size_t>(f(4)[0]);
  f(6)[0] = iteration - 1 < s.trainLosses.size() ? s.trainLosses[iteration - 1]
                                                 : 1.0f;
  for (int64_t i = 0; i < batch; ++i)
    f(7)[i] = f(1)[i];
  f(8)[0] = f(0)[0] + 1;
  return 0;
}

extern "C" int32_t scriptedEvalStep(int64_t batch, void *const *buffers,
                                    void *) {
  // params w; x; t; loss; pred.
  auto f = [&](int i) { return static_cast<float *>(buffers[i]); };
  auto index = static_cast<size_t>(f(0)[0]) - 1;
  const std::vector<float> &val = script().valLosses;
  f(3)[0] = index < val.size() ? val[index] : 1.0f;
  for (int64_t i = 0; i < batch; ++i)
    f(4)[i] = f(1)[i];
  return 0;
}

struct ScriptedFake {
  ScriptedFake() {
    inputs[0] = {"x", KILN_DTYPE_F32, 2, dims, 0};
    outputs[0] = {"y", KILN_DTYPE_F32, 2, dims, 0};
    targets[0] = {"y_true", KILN_DTYPE_F32, 2, dims, 0};
    params[0] = {"w", KILN_DTYPE_F32, 1, wDims, 0};
    hyper[0] = {"learning_rate", 0.5};
    train.loss = "mean_squared_error";
    train.optimizer = "sgd";
    train.num_hyper = 1;
    train.hyper = hyper;
    train.num_targets = 1;
    train.targets = targets;
    train.train_step = scriptedTrainStep;
    train.eval_step = scriptedEvalStep;
    desc.abi_version = KILN_MODEL_ABI_VERSION;
    desc.name = "scripted";
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
    script() = Script();
  }
  int64_t dims[2] = {-1, 1};
  int64_t wDims[1] = {1};
  uint8_t storage[4] = {};
  kiln_tensor_desc_t inputs[1], outputs[1], targets[1], params[1];
  kiln_hyper_desc_t hyper[1];
  kiln_train_desc_t train = {};
  kiln_model_desc_t desc = {};
};

/// `n` samples x = t = i.
DatasetPtr scriptedData(const kiln_model_desc_t &desc, int64_t n) {
  int64_t dims[2] = {n, 1};
  kiln_array_t *x = nullptr, *t = nullptr;
  EXPECT_EQ(kiln_array_create(KILN_DTYPE_F32, 2, dims, &x), nullptr);
  EXPECT_EQ(kiln_array_create(KILN_DTYPE_F32, 2, dims, &t), nullptr);
  ArrayPtr xa(x), ta(t);
  for (int64_t i = 0; i < n; ++i) {
    static_cast<float *>(kiln_array_data(x))[i] = static_cast<float>(i);
    static_cast<float *>(kiln_array_data(t))[i] = static_cast<float>(i);
  }
  const kiln_array_t *in[1] = {x}, *tg[1] = {t};
  kiln_dataset_t *dataset = nullptr;
  StatusPtr status(kiln_dataset_create(&desc, in, tg, &dataset));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  return DatasetPtr(dataset);
}

/// A fit of `epochs` one-step epochs (4 samples, batch 4, no shuffle).
struct FitRun {
  explicit FitRun(ScriptedFake &fake, bool withValidation = true)
      : model(createModel(fake.desc)), data(scriptedData(fake.desc, 4)),
        validation(scriptedData(fake.desc, 4)) {
    options = quietOptions(&logs);
    options.batch_size = 4;
    options.shuffle = 0;
    if (withValidation)
      options.validation_data = validation.get();
  }
  kiln_status_t fit(int64_t epochs) {
    options.epochs = epochs;
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    kiln_status_t status =
        kiln_model_fit(model.get(), data.get(), &options, nullptr);
    out = testing::internal::GetCapturedStdout();
    err = testing::internal::GetCapturedStderr();
    return status;
  }
  float w() { return kiln_model_param_data(model.get(), 0)[0]; }
  /// Log `name` of every epoch.
  std::vector<double> history(const std::string &name) const {
    std::vector<double> values;
    for (const EpochLog &log : logs)
      for (size_t k = 0; k < log.names.size(); ++k)
        if (log.names[k] == name)
          values.push_back(log.values[k]);
    return values;
  }
  ModelPtr model;
  DatasetPtr data, validation;
  kiln_fit_options_t options;
  std::vector<EpochLog> logs;
  std::string out, err;
};

std::string readText(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

kiln_early_stopping_options_t earlyStopping(int64_t patience) {
  kiln_early_stopping_options_t options;
  kiln_early_stopping_options_initialize(&options);
  options.patience = patience;
  return options;
}

} // namespace

TEST(EarlyStoppingTest, Defaults) {
  kiln_early_stopping_options_t options;
  kiln_early_stopping_options_initialize(&options);
  EXPECT_STREQ(options.monitor, "val_loss");
  EXPECT_EQ(options.patience, 0);
  EXPECT_EQ(options.min_delta, 0);
  EXPECT_EQ(options.mode, KILN_MONITOR_AUTO);
  EXPECT_EQ(options.has_baseline, 0);
  EXPECT_EQ(options.restore_best_weights, 0);
  EXPECT_EQ(options.start_from_epoch, 0);
}

TEST(EarlyStoppingTest, PatienceCountsEpochsWithoutImprovement) {
  // best 1.0, 0.9; then 0.95 (wait 1), 0.92 (wait 2 >= 2): stop in epoch 4.
  ScriptedFake fake;
  script().valLosses = {1.0f, 0.9f, 0.95f, 0.92f, 0.5f, 0.4f};
  FitRun run(fake);
  kiln_early_stopping_options_t es = earlyStopping(2);
  run.options.early_stopping = &es;
  KILN_ASSERT_OK(run.fit(6));
  EXPECT_EQ(run.logs.size(), 4u);
  EXPECT_EQ(kiln_model_epoch(run.model.get()), 4);
  EXPECT_EQ(run.w(), 4); // no restore
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "");
}

TEST(EarlyStoppingTest, MinDelta) {
  // 0.97 + 0.05 and 0.96 + 0.05 do not beat 1.0: wait 1, 2 -> stop after 3.
  ScriptedFake fake;
  script().valLosses = {1.0f, 0.97f, 0.96f, 0.5f};
  FitRun run(fake);
  kiln_early_stopping_options_t es = earlyStopping(2);
  es.min_delta = -0.05; // its absolute value
  run.options.early_stopping = &es;
  KILN_ASSERT_OK(run.fit(4));
  EXPECT_EQ(run.logs.size(), 3u);
  es.min_delta = 0; // every epoch improves
  ScriptedFake again;
  script().valLosses = {1.0f, 0.97f, 0.96f, 0.5f};
  FitRun all(again);
  all.options.early_stopping = &es;
  KILN_ASSERT_OK(all.fit(4));
  EXPECT_EQ(all.logs.size(), 4u);
}

TEST(EarlyStoppingTest, RestoreBestWeightsAndVerbose) {
  ScriptedFake fake;
  script().valLosses = {1.0f, 0.5f, 0.7f, 0.8f, 0.1f};
  FitRun run(fake);
  kiln_early_stopping_options_t es = earlyStopping(2);
  es.restore_best_weights = 1;
  es.verbose = 1;
  run.options.early_stopping = &es;
  KILN_ASSERT_OK(run.fit(5));
  EXPECT_EQ(run.logs.size(), 4u);
  EXPECT_EQ(run.w(), 2); // the parameters after epoch 2 (1-based)
  EXPECT_EQ(kiln_model_epoch(run.model.get()), 4);
  EXPECT_EQ(run.out, "Epoch 4: early stopping\n"
                     "Restoring model weights from the end of the best "
                     "epoch: 2.\n");
}

TEST(EarlyStoppingTest, RestoresBestWeightsWithoutStopping) {
  // Keras 3 restores at the end of training even when it did not stop.
  ScriptedFake fake;
  script().valLosses = {1.0f, 0.5f, 0.7f};
  FitRun run(fake);
  kiln_early_stopping_options_t es = earlyStopping(5);
  es.restore_best_weights = 1;
  run.options.early_stopping = &es;
  KILN_ASSERT_OK(run.fit(3));
  EXPECT_EQ(run.logs.size(), 3u);
  EXPECT_EQ(run.w(), 2);
}

TEST(EarlyStoppingTest, BaselineKeepsWaitingUnlessBeaten) {
  // Epoch 1 is the best (first) but not below the baseline 0.5: wait stays
  // 1; 0.95 and 0.96 make it 2 and 3 >= 3: stop after 3 epochs.
  ScriptedFake fake;
  script().valLosses = {0.9f, 0.95f, 0.96f, 0.97f, 0.98f};
  FitRun run(fake);
  kiln_early_stopping_options_t es = earlyStopping(3);
  es.has_baseline = 1;
  es.baseline = 0.5;
  run.options.early_stopping = &es;
  KILN_ASSERT_OK(run.fit(5));
  EXPECT_EQ(run.logs.size(), 3u);
  // Without a baseline the first epoch resets wait: stop after 4.
  ScriptedFake again;
  script().valLosses = {0.9f, 0.95f, 0.96f, 0.97f, 0.98f};
  FitRun plain(again);
  es.has_baseline = 0;
  plain.options.early_stopping = &es;
  KILN_ASSERT_OK(plain.fit(5));
  EXPECT_EQ(plain.logs.size(), 4u);
}

TEST(EarlyStoppingTest, StartFromEpochAndMode) {
  // patience 0: the first epoch without improvement stops.
  ScriptedFake fake;
  script().valLosses = {1.0f, 2.0f, 1.5f, 1.6f, 1.0f};
  FitRun run(fake);
  kiln_early_stopping_options_t es = earlyStopping(0);
  run.options.early_stopping = &es;
  KILN_ASSERT_OK(run.fit(5));
  EXPECT_EQ(run.logs.size(), 2u);

  ScriptedFake second;
  script().valLosses = {1.0f, 2.0f, 1.5f, 1.6f, 1.0f};
  FitRun late(second);
  es.start_from_epoch = 1; // epoch 0 ignored: best 2.0, 1.5, then 1.6 stops
  late.options.early_stopping = &es;
  KILN_ASSERT_OK(late.fit(5));
  EXPECT_EQ(late.logs.size(), 4u);

  ScriptedFake third;
  script().valLosses = {1.0f, 2.0f, 1.5f, 1.6f, 1.0f};
  FitRun max(third);
  es.start_from_epoch = 0;
  es.mode = KILN_MONITOR_MAX; // 1.0, 2.0 improve, 1.5 stops
  max.options.early_stopping = &es;
  KILN_ASSERT_OK(max.fit(5));
  EXPECT_EQ(max.logs.size(), 3u);
}

TEST(EarlyStoppingTest, MissingMonitorWarnsOnceAndNeverStops) {
  ScriptedFake fake;
  FitRun run(fake, /*withValidation=*/false);
  kiln_early_stopping_options_t es = earlyStopping(0);
  run.options.early_stopping = &es;
  KILN_ASSERT_OK(run.fit(4));
  EXPECT_EQ(run.logs.size(), 4u);
  EXPECT_EQ(run.err, "warning: Early stopping conditioned on metric "
                     "`val_loss` which is not available. Available metrics "
                     "are: loss\n");
}

TEST(EarlyStoppingTest, AutoModeNeedsAKnownLog) {
  ScriptedFake fake;
  FitRun run(fake);
  kiln_early_stopping_options_t es = earlyStopping(0);
  es.monitor = "val_f1";
  run.options.early_stopping = &es;
  StatusPtr status(run.fit(2));
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  // Not a log of this model at all (Keras's wording, "isn't able to
  // determine whether that metric should be maximized", would mislead).
  EXPECT_NE(std::string(kiln_status_message(status.get()))
                .find("EarlyStopping callback received monitor=val_f1, but "
                      "this model logs no 'f1' (it logs loss"),
            std::string::npos);
  es.mode = KILN_MONITOR_MIN; // then a missing log only warns
  KILN_ASSERT_OK(run.fit(2));
}

TEST(MonitorTest, AutoModeDirections) {
  // Auto mode follows the descriptor's kind of each log: an output's loss
  // and the error metrics go down, accuracies and the cosine similarity up.
  ClassifierFake fake(/*sparse=*/false);
  fake.setMetrics({{"probs_loss", "loss", 0},
                   {"acc", "categorical_accuracy", 0},
                   {"cos", "cosine_similarity", 0},
                   {"hinge", "hinge", 0}});
  ModelPtr model = createModel(fake.desc);
  for (auto [name, up] :
       {std::pair<const char *, bool>{"val_probs_loss", false},
        {"acc", true},
        {"val_cos", true},
        {"hinge", false}}) {
    kiln::Monitor monitor(name, KILN_MONITOR_AUTO, 0);
    KILN_ASSERT_OK(monitor.resolve(model.get(), "EarlyStopping"));
    EXPECT_EQ(monitor.isImprovement(2.0, true, 1.0), up) << name;
    EXPECT_EQ(monitor.isImprovement(0.5, true, 1.0), !up) << name;
  }
}

TEST(ReduceLROnPlateauTest, Defaults) {
  kiln_reduce_lr_on_plateau_options_t options;
  kiln_reduce_lr_on_plateau_options_initialize(&options);
  EXPECT_STREQ(options.monitor, "val_loss");
  EXPECT_EQ(options.factor, 0.1);
  EXPECT_EQ(options.patience, 10);
  EXPECT_EQ(options.min_delta, 1e-4);
  EXPECT_EQ(options.cooldown, 0);
  EXPECT_EQ(options.min_lr, 0);
}

TEST(ReduceLROnPlateauTest, PatienceCooldownAndMinLr) {
  // A flat val_loss: e0 best; e1 wait 1; e2 wait 2 -> 0.25, cooldown 1;
  // e3 cooldown -> 0, then wait 1; e4 wait 2 -> 0.125; ...
  ScriptedFake fake;
  script().valLosses = std::vector<float>(7, 1.0f);
  FitRun run(fake);
  kiln_reduce_lr_on_plateau_options_t rl;
  kiln_reduce_lr_on_plateau_options_initialize(&rl);
  rl.patience = 2;
  rl.factor = 0.5;
  rl.cooldown = 1;
  rl.verbose = 1;
  run.options.reduce_lr_on_plateau = &rl;
  KILN_ASSERT_OK(run.fit(7));
  EXPECT_EQ(script().rates, (std::vector<float>{0.5f, 0.5f, 0.5f, 0.25f, 0.25f,
                                                0.125f, 0.125f}));
  EXPECT_EQ(run.history("learning_rate"),
            (std::vector<double>{0.5, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125}));
  EXPECT_EQ(run.logs[0].names,
            (std::vector<std::string>{"loss", "val_loss", "learning_rate"}));
  EXPECT_EQ(run.out,
            "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.25.\n"
            "\nEpoch 5: ReduceLROnPlateau reducing learning rate to 0.125.\n"
            "\nEpoch 7: ReduceLROnPlateau reducing learning rate to 0.0625.\n");

  ScriptedFake bounded;
  script().valLosses = std::vector<float>(7, 1.0f);
  FitRun low(bounded);
  rl.min_lr = 0.2;
  rl.verbose = 0;
  low.options.reduce_lr_on_plateau = &rl;
  KILN_ASSERT_OK(low.fit(7));
  // max(0.125, 0.2); then 0.2 is not above float32(0.2): no more changes.
  EXPECT_EQ(script().rates,
            (std::vector<float>{0.5f, 0.5f, 0.5f, 0.25f, 0.25f, 0.2f, 0.2f}));
}

TEST(ReduceLROnPlateauTest, MinDeltaAndFactorCheck) {
  // Improvements smaller than min_delta 1e-4 count as none.
  ScriptedFake fake;
  script().valLosses = {1.0f, 0.99995f, 0.99992f, 0.5f};
  FitRun run(fake);
  kiln_reduce_lr_on_plateau_options_t rl;
  kiln_reduce_lr_on_plateau_options_initialize(&rl);
  rl.patience = 2;
  run.options.reduce_lr_on_plateau = &rl;
  KILN_ASSERT_OK(run.fit(4));
  EXPECT_EQ(script().rates, (std::vector<float>{0.5f, 0.5f, 0.5f, 0.05f}));
  rl.factor = 1.0;
  StatusPtr status(run.fit(1));
  ASSERT_NE(status, nullptr);
  EXPECT_STREQ(kiln_status_message(status.get()),
               "ReduceLROnPlateau does not support a factor >= 1.0. Received "
               "factor=1.0");
}

TEST(ModelCheckpointTest, SaveBestOnly) {
  ScriptedFake fake;
  script().valLosses = {1.0f, 0.5f, 0.7f, 0.8f};
  FitRun run(fake);
  ScratchDir dir;
  std::string path = dir.file("best.kw");
  run.options.checkpoint_path = path.c_str();
  run.options.checkpoint_best_only = 1;
  KILN_ASSERT_OK(run.fit(4));
  ModelPtr loaded = createModel(fake.desc);
  KILN_ASSERT_OK(kiln_model_load_weights(loaded.get(), path.c_str()));
  EXPECT_EQ(kiln_model_epoch(loaded.get()), 2);
  EXPECT_EQ(kiln_model_param_data(loaded.get(), 0)[0], 2);
  EXPECT_EQ(readBytes(path)[8], 2); // format 2: the best value is state

  // mode max on val_loss: 1.0 is the best.
  ScriptedFake again;
  script().valLosses = {1.0f, 0.5f, 0.7f, 0.8f};
  FitRun max(again);
  max.options.checkpoint_path = path.c_str();
  max.options.checkpoint_best_only = 1;
  max.options.checkpoint_mode = KILN_MONITOR_MAX;
  KILN_ASSERT_OK(max.fit(4));
  KILN_ASSERT_OK(kiln_model_load_weights(loaded.get(), path.c_str()));
  EXPECT_EQ(kiln_model_epoch(loaded.get()), 1);

  // A missing log: Keras 3 warns and saves every epoch.
  ScriptedFake third;
  FitRun missing(third, /*withValidation=*/false);
  missing.options.checkpoint_path = path.c_str();
  missing.options.checkpoint_best_only = 1;
  KILN_ASSERT_OK(missing.fit(3));
  EXPECT_EQ(missing.err,
            "warning: Can save best model only with val_loss available.\n");
  KILN_ASSERT_OK(kiln_model_load_weights(loaded.get(), path.c_str()));
  EXPECT_EQ(kiln_model_epoch(loaded.get()), 3);

  // Without save_best_only the file stays format 1.
  ScriptedFake fourth;
  FitRun every(fourth);
  every.options.checkpoint_path = path.c_str();
  KILN_ASSERT_OK(every.fit(2));
  EXPECT_EQ(readBytes(path)[8], 1);
}

TEST(CSVLoggerTest, KerasFormatAndAppend) {
  ScriptedFake fake;
  script().trainLosses = {1.5f, 0.25f, 0.125f};
  script().valLosses = {2.0f, 1.0f, 0.75f};
  FitRun run(fake);
  ScratchDir dir;
  std::string path = dir.file("log.csv");
  run.options.csv_log_path = path.c_str();
  kiln_reduce_lr_on_plateau_options_t rl;
  kiln_reduce_lr_on_plateau_options_initialize(&rl);
  run.options.reduce_lr_on_plateau = &rl;
  KILN_ASSERT_OK(run.fit(2));
  EXPECT_EQ(readText(path), "epoch,learning_rate,loss,val_loss\r\n"
                            "0,0.5,1.5,2.0\r\n"
                            "1,0.5,0.25,1.0\r\n");
  // append: no second header; epochs continue from the model's epoch.
  run.options.csv_append = 1;
  run.options.initial_epoch = 2;
  KILN_ASSERT_OK(run.fit(3));
  EXPECT_EQ(readText(path), "epoch,learning_rate,loss,val_loss\r\n"
                            "0,0.5,1.5,2.0\r\n"
                            "1,0.5,0.25,1.0\r\n"
                            "2,0.5,0.125,0.75\r\n");

  // Without validation data Keras adds val_ columns holding NA.
  ScriptedFake plain;
  script().trainLosses = {0.1f};
  FitRun noValidation(plain, /*withValidation=*/false);
  noValidation.options.csv_log_path = path.c_str();
  KILN_ASSERT_OK(noValidation.fit(1));
  EXPECT_EQ(readText(path), "epoch,loss,val_loss\r\n"
                            "0,0.10000000149011612,NA\r\n");
}

TEST(CSVLoggerTest, ResumeDropsTheEpochsItRunsAgain) {
  // A run checkpointed at epoch 2 went on to epoch 4 and died; resuming
  // from the checkpoint rewrites epochs 2 and 3 instead of adding them
  // twice.
  ScriptedFake fake;
  script().trainLosses = {1, 2, 3, 4};
  ScratchDir dir;
  std::string log = dir.file("log.csv"), checkpoint = dir.file("c.kw");
  FitRun run(fake);
  run.options.csv_log_path = log.c_str();
  run.options.checkpoint_path = checkpoint.c_str();
  KILN_ASSERT_OK(run.fit(2));
  std::vector<uint8_t> atEpoch2 = readBytes(checkpoint);
  run.options.csv_append = 1;
  run.options.initial_epoch = 2;
  KILN_ASSERT_OK(run.fit(4));
  std::string whole = readText(log);
  EXPECT_EQ(whole, "epoch,loss,val_loss\r\n"
                   "0,1.0,1.0\r\n"
                   "1,2.0,1.0\r\n"
                   "2,3.0,1.0\r\n"
                   "3,4.0,1.0\r\n");
  writeBytes(checkpoint, atEpoch2);
  FitRun resumed(fake);
  resumed.options.csv_log_path = log.c_str();
  resumed.options.csv_append = 1;
  resumed.options.resume_path = checkpoint.c_str();
  KILN_ASSERT_OK(resumed.fit(4));
  EXPECT_EQ(readText(log), whole);
}

TEST(CSVLoggerTest, PythonFloatRepr) {
  using kiln::pythonFloat;
  EXPECT_EQ(pythonFloat(0.1), "0.1");
  EXPECT_EQ(pythonFloat(1.0), "1.0");
  EXPECT_EQ(pythonFloat(-2.5), "-2.5");
  EXPECT_EQ(pythonFloat(123456.0), "123456.0");
  EXPECT_EQ(pythonFloat(1e-5), "1e-05");
  EXPECT_EQ(pythonFloat(0.0001), "0.0001");
  EXPECT_EQ(pythonFloat(1.5e16), "1.5e+16");
  EXPECT_EQ(pythonFloat(1e15), "1000000000000000.0");
  EXPECT_EQ(pythonFloat(static_cast<double>(0.1f)), "0.10000000149011612");
  EXPECT_EQ(pythonFloat(std::numeric_limits<double>::quiet_NaN()), "nan");
  EXPECT_EQ(pythonFloat(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(pythonFloat(0.0), "0.0");
}

TEST(TerminateOnNaNTest, StopsAfterTheBatch) {
  // Two steps per epoch (8 samples, batch 4); iteration 4 (epoch 2, step
  // 1) is infinite: the epoch ends there, with its logs.
  ScriptedFake fake;
  const float inf = std::numeric_limits<float>::infinity();
  script().trainLosses = {1, 1, 1, inf, 1, 1};
  ModelPtr model = createModel(fake.desc);
  DatasetPtr data = scriptedData(fake.desc, 8);
  std::vector<EpochLog> logs;
  kiln_fit_options_t options = quietOptions(&logs);
  options.batch_size = 4;
  options.epochs = 3;
  options.terminate_on_nan = 1;
  testing::internal::CaptureStdout();
  StatusPtr status(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  std::string out = testing::internal::GetCapturedStdout();
  ASSERT_EQ(status, nullptr) << kiln_status_message(status.get());
  EXPECT_EQ(out, "Batch 1: Invalid loss, terminating training\n");
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_TRUE(std::isinf(logs[1].values[0]));
  EXPECT_EQ(kiln_model_iterations(model.get()), 4);
  EXPECT_EQ(kiln_model_epoch(model.get()), 2);

  // NaN in the first step of an epoch.
  ScriptedFake again;
  script().trainLosses = {1, 1, std::nanf(""), 1};
  ModelPtr second = createModel(again.desc);
  logs.clear();
  testing::internal::CaptureStdout();
  status.reset(kiln_model_fit(second.get(), data.get(), &options, nullptr));
  out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(out, "Batch 0: Invalid loss, terminating training\n");
  EXPECT_EQ(kiln_model_iterations(second.get()), 3);
}

TEST(CallbackResumeTest, ResumeContinuesCallbackState) {
  // EarlyStopping (patience 3, restore) and ReduceLROnPlateau (patience 1)
  // over 8 epochs, against the same run stopped after 3 and resumed.
  const std::vector<float> val = {1.0f,  0.8f,  0.9f,  0.85f, 0.7f,
                                  0.75f, 0.76f, 0.77f, 0.78f};
  kiln_early_stopping_options_t es = earlyStopping(3);
  es.restore_best_weights = 1;
  kiln_reduce_lr_on_plateau_options_t rl;
  kiln_reduce_lr_on_plateau_options_initialize(&rl);
  rl.patience = 1;
  rl.factor = 0.5;
  ScratchDir dir;
  std::string path = dir.file("ckpt.kw");

  ScriptedFake fake;
  script().valLosses = val;
  FitRun whole(fake);
  whole.options.early_stopping = &es;
  whole.options.reduce_lr_on_plateau = &rl;
  KILN_ASSERT_OK(whole.fit(9));
  std::vector<float> rates = script().rates;
  std::vector<double> history = whole.history("val_loss");
  float w = whole.w();
  // e2, e3 no improvement: 0.25 after e2 (patience 1), 0.125 after e3; e4
  // best; e5, e6 halve again; e5..e7: wait 3 -> stop after 8 epochs,
  // restore epoch 5.
  EXPECT_EQ(rates, (std::vector<float>{0.5f, 0.5f, 0.5f, 0.25f, 0.125f, 0.125f,
                                       0.0625f, 0.03125f}));
  EXPECT_EQ(history.size(), 8u);
  EXPECT_EQ(w, 5);

  ScriptedFake again;
  script().valLosses = val;
  FitRun first(again);
  first.options.early_stopping = &es;
  first.options.reduce_lr_on_plateau = &rl;
  first.options.checkpoint_path = path.c_str();
  KILN_ASSERT_OK(first.fit(3));
  EXPECT_EQ(readBytes(path)[8], 2);
  FitRun second(again);
  second.options.early_stopping = &es;
  second.options.reduce_lr_on_plateau = &rl;
  second.options.resume_path = path.c_str();
  KILN_ASSERT_OK(second.fit(9));
  EXPECT_EQ(script().rates, rates);
  std::vector<double> resumed = first.history("val_loss");
  for (double value : second.history("val_loss"))
    resumed.push_back(value);
  EXPECT_EQ(resumed, history);
  EXPECT_EQ(second.w(), w);
}

TEST(HistoryTest, NonFiniteValuesAreJsonNull) {
  // JSON has no NaN: NaN and infinite logs are null (Python's json.dumps
  // would write the invalid tokens NaN and Infinity).
  ScriptedFake fake;
  const float inf = std::numeric_limits<float>::infinity();
  script().trainLosses = {1, std::nanf(""), -inf};
  ScratchDir dir;
  std::string path = dir.file("h.json");
  FitRun run(fake);
  run.options.history_path = path.c_str();
  KILN_ASSERT_OK(run.fit(3));
  EXPECT_EQ(readText(path),
            "{\"loss\": [1, null, null], \"val_loss\": [1, 1, 1]}\n");
  std::vector<std::string> names;
  std::vector<std::vector<double>> values;
  ASSERT_TRUE(kiln::parseHistoryJson(readText(path), names, values));
  EXPECT_EQ(names, (std::vector<std::string>{"loss", "val_loss"}));
  EXPECT_TRUE(std::isnan(values[0][1]));
  EXPECT_FALSE(kiln::parseHistoryJson("{\"loss\": [1, NaNx]}", names, values));
}

namespace {

/// An on_epoch_end hook (History's, after the history file is written)
/// that records the epoch of the checkpoint on disk at that moment.
struct CheckpointEpochs {
  std::string path;
  std::vector<int64_t> epochs;
};

extern "C" void recordCheckpointEpoch(void *user, int64_t, int64_t,
                                      const char *const *, const double *) {
  auto *record = static_cast<CheckpointEpochs *>(user);
  std::vector<uint8_t> bytes = readBytes(record->path);
  record->epochs.push_back(bytes.size() > 48 ? bytes[40] : -1);
}

} // namespace

TEST(HistoryTest, WrittenAfterTheCheckpointOfItsEpoch) {
  ScriptedFake fake;
  ScratchDir dir;
  std::string checkpoint = dir.file("c.kw"), history = dir.file("h.json");
  FitRun run(fake);
  CheckpointEpochs record{checkpoint, {}};
  run.options.checkpoint_path = checkpoint.c_str();
  run.options.history_path = history.c_str();
  run.options.on_epoch_end = recordCheckpointEpoch;
  run.options.user_data = &record;
  KILN_ASSERT_OK(run.fit(3));
  EXPECT_EQ(record.epochs, (std::vector<int64_t>{1, 2, 3}));
}

TEST(HistoryTest, ResumeContinuesTheHistory) {
  // The uninterrupted run.
  const std::vector<float> losses = {1, 2, 3, 4, 5};
  const std::vector<float> val = {0.5f, 0.25f, 0.125f, 0.0625f, 0.03125f};
  ScratchDir dir;
  std::string whole = dir.file("whole.json");
  {
    ScriptedFake fake;
    script().trainLosses = losses;
    script().valLosses = val;
    FitRun run(fake);
    run.options.history_path = whole.c_str();
    KILN_ASSERT_OK(run.fit(5));
  }
  std::string expected = readText(whole);
  EXPECT_EQ(expected, "{\"loss\": [1, 2, 3, 4, 5], \"val_loss\": [0.5, 0.25, "
                      "0.125, 0.0625, 0.03125]}\n");

  // Stopped after 3 epochs, and the history file lost its last epoch (a
  // crash between the checkpoint and the history write): the checkpoint's
  // record has it.
  std::string checkpoint = dir.file("c.kw"), history = dir.file("h.json");
  ScriptedFake fake;
  script().trainLosses = losses;
  script().valLosses = val;
  FitRun first(fake);
  first.options.checkpoint_path = checkpoint.c_str();
  first.options.history_path = history.c_str();
  KILN_ASSERT_OK(first.fit(3));
  EXPECT_EQ(readBytes(checkpoint)[8], 2); // with the history record
  writeBytes(history, std::vector<uint8_t>({'{', '"', 'l', 'o', 's', 's', '"',
                                            ':', '[', '1', ']', '}'}));
  FitRun second(fake);
  second.options.resume_path = checkpoint.c_str();
  second.options.history_path = history.c_str();
  KILN_ASSERT_OK(second.fit(5));
  EXPECT_EQ(readText(history), expected);

  // A checkpoint without the record (written without a history file):
  // the existing file continues, cut to the epochs before the first one
  // run (a fourth epoch of an abandoned run is dropped).
  std::string plain = dir.file("plain.kw");
  ScriptedFake again;
  script().trainLosses = losses;
  script().valLosses = val;
  FitRun third(again);
  third.options.checkpoint_path = plain.c_str();
  KILN_ASSERT_OK(third.fit(3));
  EXPECT_EQ(readBytes(plain)[8], 1);
  std::string old = "{\"loss\": [1, 2, 3, 9], \"val_loss\": [0.5, 0.25, "
                    "0.125, 9]}\n";
  writeBytes(history, std::vector<uint8_t>(old.begin(), old.end()));
  FitRun fourth(again);
  fourth.options.resume_path = plain.c_str();
  fourth.options.history_path = history.c_str();
  KILN_ASSERT_OK(fourth.fit(5));
  EXPECT_EQ(readText(history), expected);

  // Nothing known of epochs 1..3: they are null, with a warning.
  std::remove(history.c_str());
  FitRun fifth(again);
  fifth.options.resume_path = plain.c_str();
  fifth.options.history_path = history.c_str();
  fifth.options.initial_epoch = 3;
  KILN_ASSERT_OK(fifth.fit(5));
  EXPECT_EQ(readText(history), "{\"loss\": [null, null, null, 4, 5], "
                               "\"val_loss\": [null, null, null, 0.0625, "
                               "0.03125]}\n");
  EXPECT_NE(fifth.err.find("epoch(s) 1..3"), std::string::npos) << fifth.err;

  // Without a history file, nothing is null and nothing is warned of.
  FitRun sixth(again);
  sixth.options.resume_path = plain.c_str();
  KILN_ASSERT_OK(sixth.fit(5));
  EXPECT_EQ(sixth.err, "");
}

TEST(HistoryTest, ExplicitInitialEpochZeroWinsOverTheCheckpoint) {
  ScriptedFake fake;
  ScratchDir dir;
  std::string checkpoint = dir.file("c.kw");
  FitRun first(fake);
  first.options.checkpoint_path = checkpoint.c_str();
  KILN_ASSERT_OK(first.fit(2));
  // Default (-1): continue after the checkpoint's epoch 2.
  FitRun resumed(fake);
  resumed.options.resume_path = checkpoint.c_str();
  KILN_ASSERT_OK(resumed.fit(3));
  ASSERT_EQ(resumed.logs.size(), 1u);
  EXPECT_EQ(resumed.logs[0].epoch, 3);
  // Explicit 0: epochs 1..3 again, from the checkpoint's weights.
  FitRun restarted(fake);
  restarted.options.resume_path = checkpoint.c_str();
  restarted.options.initial_epoch = 0;
  KILN_ASSERT_OK(restarted.fit(3));
  ASSERT_EQ(restarted.logs.size(), 3u);
  EXPECT_EQ(restarted.logs[0].epoch, 1);
  EXPECT_EQ(kiln_model_epoch(restarted.model.get()), 3);
  EXPECT_EQ(restarted.w(), 5); // 2 steps before, 3 now
}
