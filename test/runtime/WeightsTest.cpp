//===- WeightsTest.cpp - Tests of kiln weights files ------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Save/load round trips of the fake linear model's parameters, optimizer
// slots and counters; every truncation and every bit flip of a file is an
// error that leaves the model unchanged; files of other models are refused
// with a message naming the difference; predict-only models load the
// parameters only. A device is told when the model's parameters change
// (it keeps its copy while they do not).
//
//===----------------------------------------------------------------------===//
#include "TrainUtil.h"
#include "base/Crc32.h"
#include "model/Model.h"

#include <algorithm>

using namespace kiln::test;

namespace {

/// A linear model after two epochs of training, saved to `path`.
ModelPtr trainedModel(const LinearFake &fake, const std::string &path) {
  ModelPtr model = createModel(fake.desc);
  DatasetPtr data = linearDataset(fake.desc, 6);
  kiln_fit_options_t options = quietOptions();
  options.epochs = 2;
  options.batch_size = 4;
  options.seed = 99;
  EXPECT_EQ(kiln_model_fit(model.get(), data.get(), &options, nullptr),
            nullptr);
  EXPECT_EQ(kiln_model_save_weights(model.get(), path.c_str()), nullptr);
  return model;
}

std::vector<float> state(kiln_model_t *model) {
  std::vector<float> values;
  float *w = kiln_model_param_data(model, 0);
  values.insert(values.end(), w, w + 2);
  values.push_back(kiln_model_param_data(model, 1)[0]);
  if (float *vw = kiln_model_slot_data(model, 0)) {
    values.insert(values.end(), vw, vw + 2);
    values.push_back(kiln_model_slot_data(model, 1)[0]);
  }
  return values;
}

std::string loadError(kiln_model_t *model, const std::string &path,
                      kiln_status_code_t code) {
  StatusPtr status(kiln_model_load_weights(model, path.c_str()));
  EXPECT_EQ(kiln_status_code(status.get()), code)
      << kiln_status_message(status.get());
  return kiln_status_message(status.get());
}

/// A device that records the parameters' version each predict call gives
/// it, and runs nothing.
class VersionRecorder final : public kiln::DeviceExecutor {
public:
  explicit VersionRecorder(std::vector<uint64_t> &seen) : seen(seen) {}
  const char *name() const override { return "recorder"; }
  kiln_status_t run(const kiln_model_desc_t *, kiln::EntryKind kind, int64_t,
                    void *const *, uint64_t paramsVersion) override {
    if (kind == kiln::EntryKind::Predict)
      seen.push_back(paramsVersion);
    return nullptr;
  }

private:
  std::vector<uint64_t> &seen;
};

TEST(WeightsTest, DevicesAreToldWhenParametersChange) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("w.kw");
  trainedModel(fake, path);
  ModelPtr model = createModel(fake.desc);
  std::vector<uint64_t> seen;
  model->device = std::make_unique<VersionRecorder>(seen);
  float x[2] = {1, 2}, y[1] = {};
  const float *inputs[1] = {x};
  float *outputs[1] = {y};
  auto predict = [&] {
    KILN_ASSERT_OK(kiln_model_predict(model.get(), 1, inputs, outputs));
  };
  predict();
  predict();
  KILN_ASSERT_OK(kiln_model_load_weights(model.get(), path.c_str()));
  predict();
  DatasetPtr data = linearDataset(fake.desc, 6);
  kiln_fit_options_t options = quietOptions();
  options.batch_size = 4;
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  predict();
  ASSERT_NE(kiln_model_param_data(model.get(), 0), nullptr);
  predict();
  KILN_ASSERT_OK(kiln_model_load_weights(model.get(), path.c_str()));
  predict();
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_NE(seen[0], 0u);
  EXPECT_EQ(seen[1], seen[0]); // unchanged: a device may keep its copy
  EXPECT_NE(seen[2], seen[1]); // loaded
  EXPECT_NE(seen[3], seen[2]); // trained
  EXPECT_NE(seen[3], 0u);
  EXPECT_EQ(seen[4], 0u); // a writable pointer went out: no copy kept
  EXPECT_EQ(seen[5], 0u); // for good
}

TEST(WeightsTest, RoundTrip) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("w.kw");
  ModelPtr trained = trainedModel(fake, path);
  ModelPtr fresh = createModel(fake.desc);
  EXPECT_NE(state(fresh.get()), state(trained.get()));
  KILN_ASSERT_OK(kiln_model_load_weights(fresh.get(), path.c_str()));
  EXPECT_EQ(state(fresh.get()), state(trained.get()));
  EXPECT_EQ(kiln_model_iterations(fresh.get()), 4);
  EXPECT_EQ(kiln_model_epoch(fresh.get()), 2);
  // Saving the loaded model reproduces the file byte for byte.
  KILN_ASSERT_OK(
      kiln_model_save_weights(fresh.get(), dir.file("again.kw").c_str()));
  EXPECT_EQ(readBytes(dir.file("again.kw")), readBytes(path));
  std::vector<std::string> files = dir.list();
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"again.kw", "w.kw"}));

  // The header layout documented in Weights.cpp.
  std::vector<uint8_t> bytes = readBytes(path);
  ASSERT_GT(bytes.size(), 76u);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8),
            std::string("KILNWTS\0", 8));
  EXPECT_EQ(bytes[8], 1);   // version
  EXPECT_EQ(bytes[32], 4);  // iterations
  EXPECT_EQ(bytes[40], 2);  // epoch
  EXPECT_EQ(bytes[48], 99); // seed
  EXPECT_EQ(bytes[56], 2);  // parameters
  EXPECT_EQ(bytes[60], 2);  // slots
}

TEST(WeightsTest, TruncationsAndBitFlipsAreErrors) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("w.kw");
  ModelPtr trained = trainedModel(fake, path);
  std::vector<uint8_t> bytes = readBytes(path);
  ModelPtr model = createModel(fake.desc);
  std::vector<float> before = state(model.get());
  std::string bad = dir.file("bad.kw");
  for (size_t size = 0; size < bytes.size(); ++size) {
    writeBytes(bad, std::vector<uint8_t>(bytes.begin(), bytes.begin() + size));
    StatusPtr status(kiln_model_load_weights(model.get(), bad.c_str()));
    EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_DATA_LOSS)
        << "size " << size << ": " << kiln_status_message(status.get());
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t bit : {0x01, 0x80}) {
      std::vector<uint8_t> flipped = bytes;
      flipped[i] ^= bit;
      writeBytes(bad, flipped);
      StatusPtr status(kiln_model_load_weights(model.get(), bad.c_str()));
      EXPECT_NE(status, nullptr) << "byte " << i;
    }
  }
  EXPECT_EQ(state(model.get()), before);
  EXPECT_EQ(kiln_model_iterations(model.get()), 0);

  size_t payload = bytes.size() - 76; // 72-byte header, 4-byte CRC
  bytes.pop_back();
  writeBytes(bad, bytes);
  EXPECT_EQ(loadError(model.get(), bad, KILN_STATUS_DATA_LOSS),
            bad + ": truncated or corrupt weights file: the header announces " +
                std::to_string(payload) + " payload bytes, the file has " +
                std::to_string(payload - 1));
  writeBytes(bad, {'P', 'K', 3, 4});
  EXPECT_EQ(loadError(model.get(), bad, KILN_STATUS_DATA_LOSS),
            bad + ": not a kiln weights file (bad magic bytes)");
  EXPECT_EQ(loadError(model.get(), dir.file("none.kw"), KILN_STATUS_NOT_FOUND),
            "cannot open '" + dir.file("none.kw") +
                "': No such file or directory");
}

TEST(WeightsTest, OtherModelsAreRefused) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("w.kw");
  trainedModel(fake, path);

  LinearFake renamed;
  renamed.desc.name = "other";
  ModelPtr model = createModel(renamed.desc);
  EXPECT_EQ(loadError(model.get(), path, KILN_STATUS_INVALID_ARGUMENT),
            path + ": the weights were saved from model 'linear', this is "
                   "model 'other'");

  LinearFake reshaped;
  int64_t dims[2] = {1, 2};
  reshaped.params[0].dims = dims;
  reshaped.slots[0].dims = dims;
  model = createModel(reshaped.desc);
  EXPECT_EQ(loadError(model.get(), path, KILN_STATUS_INVALID_ARGUMENT),
            path + ": parameter 'dense/kernel' has shape (2, 1) in the file "
                   "but (1, 2) in the model");

  LinearFake param;
  param.params[1].name = "dense/offset";
  model = createModel(param.desc);
  EXPECT_EQ(loadError(model.get(), path, KILN_STATUS_INVALID_ARGUMENT),
            path + ": parameter 1 is 'dense/bias' in the file but "
                   "'dense/offset' in the model");

  LinearFake fewer;
  fewer.desc.num_params = 1;
  model = createModel(fewer.desc);
  EXPECT_EQ(loadError(model.get(), path, KILN_STATUS_INVALID_ARGUMENT),
            path + ": the file has 2 parameter(s), the model 1; "
                   "'dense/bias' is extra");

  LinearFake adam;
  adam.slots[1].name = "dense/bias/m";
  model = createModel(adam.desc);
  EXPECT_EQ(loadError(model.get(), path, KILN_STATUS_INVALID_ARGUMENT),
            path + ": optimizer state mismatch: the file was trained with sgd "
                   "with momentum (slots: momentum), this model trains with "
                   "sgd with momentum (slots: momentum, m); continue with the "
                   "optimizer that wrote it (optimizer slot 1 is "
                   "'dense/bias/momentum' in the file but 'dense/bias/m' in "
                   "the model)");
  EXPECT_EQ(kiln_model_param_data(model.get(), 0)[0], 0.5f); // unchanged
}

TEST(WeightsTest, OptimizerStateMustMatchTheOptimizer) {
  // The linear fake trains with sgd (momentum slots); the same model with
  // other optimizers: adam (m, v), plain sgd (no slots).
  LinearFake fake;
  ScratchDir dir;
  std::string sgdMomentum = dir.file("momentum.kw");
  trainedModel(fake, sgdMomentum);

  LinearFake adam;
  kiln_tensor_desc_t adamSlots[4] = {adam.slots[0], adam.slots[0],
                                     adam.slots[1], adam.slots[1]};
  adamSlots[0].name = "dense/kernel/m";
  adamSlots[1].name = "dense/kernel/v";
  adamSlots[2].name = "dense/bias/m";
  adamSlots[3].name = "dense/bias/v";
  adam.train.optimizer = "adam";
  adam.train.num_slots = 4;
  adam.train.slots = adamSlots;
  ModelPtr model = createModel(adam.desc);
  EXPECT_EQ(loadError(model.get(), sgdMomentum, KILN_STATUS_INVALID_ARGUMENT),
            sgdMomentum +
                ": optimizer state mismatch: the file was trained with sgd "
                "with momentum (slots: momentum), this model trains with "
                "adam (slots: m, v); continue with the optimizer that wrote "
                "it (optimizer slot 0 is 'dense/kernel/momentum' in the file "
                "but 'dense/kernel/m' in the model)");

  // Plain SGD keeps no slots: its trained file has none, and loading it
  // into adam would silently restart adam's moments.
  // (The file of a plain-SGD run: an untrained one with iterations 2.)
  LinearFake plain;
  plain.train.num_slots = 0;
  ModelPtr sgd = createModel(plain.desc);
  std::string sgdFile = dir.file("sgd.kw");
  KILN_ASSERT_OK(kiln_model_save_weights(sgd.get(), sgdFile.c_str()));
  std::vector<uint8_t> bytes = readBytes(sgdFile);
  bytes[32] = 2; // iterations
  uint32_t crc = kiln::crc32Extend(0, bytes.data(), bytes.size() - 4);
  for (int i = 0; i < 4; ++i)
    bytes[bytes.size() - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
  writeBytes(sgdFile, bytes);
  KILN_ASSERT_OK(kiln_model_load_weights(sgd.get(), sgdFile.c_str()));
  EXPECT_EQ(kiln_model_iterations(sgd.get()), 2);
  std::string message =
      loadError(model.get(), sgdFile, KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(message,
            sgdFile + ": optimizer state mismatch: the file was trained with "
                      "sgd without momentum (no optimizer slots), this model "
                      "trains with adam (slots: m, v); continue with the "
                      "optimizer that wrote it (the file has no optimizer "
                      "slots after 2 training steps)");
  // And the other way round.
  EXPECT_NE(loadError(sgd.get(), sgdMomentum, KILN_STATUS_INVALID_ARGUMENT)
                .find("trained with sgd with momentum (slots: momentum), "
                      "this model trains with sgd without momentum (no "
                      "optimizer slots)"),
            std::string::npos);
  // An untrained file without slots starts adam fresh.
  LinearFake untrainedSgd;
  untrainedSgd.train.num_slots = 0;
  ModelPtr fresh = createModel(untrainedSgd.desc);
  std::string untrained = dir.file("untrained.kw");
  KILN_ASSERT_OK(kiln_model_save_weights(fresh.get(), untrained.c_str()));
  KILN_ASSERT_OK(kiln_model_load_weights(model.get(), untrained.c_str()));
}

TEST(WeightsTest, CorruptHeaderIsNotAVersion) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("w.kw");
  trainedModel(fake, path);
  std::vector<uint8_t> bytes = readBytes(path);
  bytes[10] ^= 1; // version 1 -> 65537
  std::string bad = dir.file("bad.kw");
  writeBytes(bad, bytes);
  ModelPtr model = createModel(fake.desc);
  EXPECT_EQ(loadError(model.get(), bad, KILN_STATUS_DATA_LOSS),
            bad + ": corrupt weights file header: it starts like a kiln "
                  "weights file but its format version field reads 65537 "
                  "(this runtime writes 1 and 2) and its CRC-32 does not "
                  "match");
}

TEST(WeightsTest, PredictOnlyModelsLoadParameters) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("w.kw");
  ModelPtr trained = trainedModel(fake, path);

  LinearFake plain;
  plain.desc.training = nullptr;
  ModelPtr model = createModel(plain.desc);
  KILN_ASSERT_OK(kiln_model_load_weights(model.get(), path.c_str()));
  std::vector<float> expected = state(trained.get());
  expected.resize(3);
  EXPECT_EQ(state(model.get()), expected);
  EXPECT_EQ(kiln_model_iterations(model.get()), 0);

  // A file without slots zeroes a training model's slots.
  std::string paramsOnly = dir.file("p.kw");
  KILN_ASSERT_OK(kiln_model_save_weights(model.get(), paramsOnly.c_str()));
  KILN_ASSERT_OK(kiln_model_load_weights(trained.get(), paramsOnly.c_str()));
  std::vector<float> loaded = state(trained.get());
  EXPECT_EQ(loaded, (std::vector<float>{expected[0], expected[1], expected[2],
                                        0, 0, 0}));
  EXPECT_EQ(kiln_model_iterations(trained.get()), 0);
}

TEST(WeightsTest, SaveErrorsLeaveNothingBehind) {
  LinearFake fake;
  ScratchDir dir;
  ModelPtr model = createModel(fake.desc);
  StatusPtr status(kiln_model_save_weights(
      model.get(), dir.file("no/such/dir/w.kw").c_str()));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_NOT_FOUND);
  EXPECT_TRUE(dir.list().empty());
  status.reset(kiln_model_save_weights(model.get(), ""));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
}

} // namespace
