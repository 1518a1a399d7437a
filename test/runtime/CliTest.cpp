//===- CliTest.cpp - Tests of the compiled-model command line ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Drives kiln_cli_main with the fake model of TestUtil.h, capturing stdout
// and stderr: help and usage errors (exit 2), summary and info output,
// predict end to end through .npy files, and the runtime errors (exit 1)
// that must leave existing outputs untouched and no temporary files behind.
// train/evaluate/predict --weights run end to end on the fake linear model
// of TrainUtil.h. The mixed fake of TestUtil.h checks info and predict with
// int64/int32/bool outputs and a bool input.
//
//===----------------------------------------------------------------------===//
#include "TrainUtil.h"

#include <algorithm>
#include <regex>

using namespace kiln::test;

namespace {

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

CliResult runCli(const kiln_model_desc_t &desc, std::vector<std::string> args) {
  args.insert(args.begin(), "/opt/models/model");
  std::vector<char *> argv;
  for (std::string &arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  int code = kiln_cli_main(&desc, static_cast<int>(args.size()), argv.data());
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  return {code, out, err};
}

std::string usageHint(const std::string &message) {
  return "error: " + message + "\nrun 'model --help' for usage\n";
}

/// Writes an (n, features) float32 iota array to `path`.
void writeIota(const std::string &path, int64_t n, int64_t features = 4) {
  ArrayPtr array = makeIota(n, features);
  KILN_ASSERT_OK(kiln_npy_write(path.c_str(), array.get()));
}

TEST(CliTest, Help) {
  FakeModel fake;
  for (const char *flag : {"--help", "-h"}) {
    CliResult result = runCli(fake.desc, {flag});
    EXPECT_EQ(result.code, 0);
    EXPECT_EQ(result.err, "");
    EXPECT_EQ(result.out.rfind("usage: model <command> [options]\n", 0), 0u);
    for (const char *word : {"summary", "info", "predict", "--input FILE",
                             "--output FILE", "--batch-size N", "(default 32)",
                             "\"fake\" (1 input(s), 1 output(s))"})
      EXPECT_NE(result.out.find(word), std::string::npos) << word;
  }
  CliResult result = runCli(fake.desc, {"predict", "--help"});
  EXPECT_EQ(result.code, 0);
  EXPECT_NE(result.out.find("usage:"), std::string::npos);
}

TEST(CliTest, UsageErrors) {
  FakeModel fake;
  CliResult result = runCli(fake.desc, {});
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err.rfind("usage: model", 0), 0u);

  result = runCli(fake.desc, {"frobnicate"});
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.err, usageHint("unknown command 'frobnicate'"));
  result = runCli(fake.desc, {"--verbose"});
  EXPECT_EQ(result.err, usageHint("unknown option '--verbose'"));
  result = runCli(fake.desc, {"summary", "extra"});
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.err, usageHint("summary: unexpected argument 'extra'"));

  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"predict", "--input", "x.npy"},
       "predict: the model produces 1 output(s) ('y'), got 0 --output"},
      {{"predict", "--output", "y.npy"},
       "predict: the model takes 1 input(s) ('x'), got 0 --input"},
      {{"predict", "--input", "a.npy", "--input", "b.npy", "--output", "y"},
       "predict: the model takes 1 input(s) ('x'), got 2 --input"},
      {{"predict", "--input"}, "predict: --input needs a value"},
      {{"predict", "--input="}, "predict: --input needs a non-empty value"},
      {{"predict", "--batch-size", "0"},
       "predict: --batch-size needs a positive integer, got '0'"},
      {{"predict", "--batch-size=12x"},
       "predict: --batch-size needs a positive integer, got '12x'"},
      {{"predict", "--fast"}, "predict: unknown option '--fast'"},
      {{"predict", "x.npy"}, "predict: unexpected argument 'x.npy'"},
  };
  for (const auto &[args, message] : cases) {
    result = runCli(fake.desc, args);
    EXPECT_EQ(result.code, 2) << message;
    EXPECT_EQ(result.err, usageHint(message));
  }
}

TEST(CliTest, Summary) {
  FakeModel fake;
  CliResult result = runCli(fake.desc, {"summary"});
  EXPECT_EQ(result.code, 0);
  char *text = nullptr;
  KILN_ASSERT_OK(kiln_model_format_summary(&fake.desc, &text));
  EXPECT_EQ(result.out, text);
  kiln_free(text);
}

TEST(CliTest, Info) {
  FakeModel fake;
  CliResult result = runCli(fake.desc, {"info"});
  EXPECT_EQ(result.code, 0);
  EXPECT_EQ(result.out, "model: fake (Sequential)\n"
                        "input 0: x float32 (None, 4)\n"
                        "output 0: y float32 (None, 4)\n"
                        "param 0: dense/kernel float32 (4,)\n"
                        "param 1: dense/bias float32 (4,)\n");
  fake.desc.abi_version = 99;
  result = runCli(fake.desc, {"info"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err.rfind("error: model ABI version 99", 0), 0u);
}

TEST(CliTest, PredictWritesOutputs) {
  FakeModel fake;
  ScratchDir dir;
  writeIota(dir.file("x.npy"), 10);
  CliResult result =
      runCli(fake.desc, {"predict", "--input", dir.file("x.npy"),
                         "--output=" + dir.file("y.npy"), "--batch-size", "4"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(fakeBatches(), (std::vector<int64_t>{4, 4, 2}));
  kiln_array_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_npy_read(dir.file("y.npy").c_str(), &raw));
  ArrayPtr y(raw);
  ASSERT_EQ(kiln_array_num_elements(y.get()), 40);
  EXPECT_EQ(kiln_array_dims(y.get())[0], 10);
  auto *data = static_cast<float *>(kiln_array_data(y.get()));
  for (int i = 0; i < 40; ++i)
    EXPECT_EQ(data[i], FakeModel::expected(static_cast<float>(i), i % 4));
  std::vector<std::string> files = dir.list();
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"x.npy", "y.npy"}));
}

TEST(CliTest, PredictConvertsFloat64Inputs) {
  FakeModel fake;
  ScratchDir dir;
  ArrayPtr x = makeIota(3);
  kiln_array_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_array_convert(x.get(), KILN_DTYPE_F64, &raw));
  ArrayPtr x64(raw);
  KILN_ASSERT_OK(kiln_npy_write(dir.file("x.npy").c_str(), x64.get()));
  CliResult result = runCli(fake.desc, {"predict", "--input", dir.file("x.npy"),
                                        "--output", dir.file("y.npy")});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(fakeBatches(), std::vector<int64_t>{3}); // default batch 32
  KILN_ASSERT_OK(kiln_npy_read(dir.file("y.npy").c_str(), &raw));
  ArrayPtr y(raw);
  EXPECT_EQ(kiln_array_dtype(y.get()), KILN_DTYPE_F32);
}

TEST(CliTest, PredictErrorsLeaveOutputsAlone) {
  FakeModel fake;
  ScratchDir dir;
  writeIota(dir.file("x.npy"), 10, 5);
  std::vector<uint8_t> previous = {'o', 'l', 'd'};
  writeBytes(dir.file("y.npy"), previous);

  CliResult result = runCli(fake.desc, {"predict", "--input", dir.file("x.npy"),
                                        "--output", dir.file("y.npy")});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err,
            "error: input 'x': expected shape (None, 4), got (10, 5)\n");
  EXPECT_EQ(readBytes(dir.file("y.npy")), previous);

  result = runCli(fake.desc, {"predict", "--input", dir.file("nope.npy"),
                              "--output", dir.file("y.npy")});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "error: cannot open '" + dir.file("nope.npy") +
                            "': No such file or directory\n");
  EXPECT_EQ(readBytes(dir.file("y.npy")), previous);

  writeIota(dir.file("x.npy"), 2);
  result = runCli(fake.desc, {"predict", "--input", dir.file("x.npy"),
                              "--output", dir.file("no/such/dir/y.npy")});
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.err,
            usageHint("predict: --output " + dir.file("no/such/dir/y.npy") +
                      ": the folder '" + dir.file("no/such/dir") +
                      "' does not exist"));
  std::vector<std::string> files = dir.list();
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"x.npy", "y.npy"}));
}

//===----------------------------------------------------------------------===//
// Two outputs: y = x * w + b and z = 2 * y.
//===----------------------------------------------------------------------===//

extern "C" int32_t twoOutputPredict(int64_t batch, void *const *buffers,
                                    void *workspace) {
  fakePredict(batch, buffers, workspace);
  const auto *y = static_cast<const float *>(buffers[3]);
  auto *z = static_cast<float *>(buffers[4]);
  for (int64_t i = 0; i < batch * 4; ++i)
    z[i] = 2 * y[i];
  return 0;
}

TEST(CliTest, PredictTwoOutputs) {
  FakeModel fake;
  kiln_tensor_desc_t outputs[2] = {fake.outputs[0], fake.outputs[0]};
  outputs[1].name = "z";
  fake.desc.num_outputs = 2;
  fake.desc.outputs = outputs;
  fake.desc.predict = twoOutputPredict;
  ScratchDir dir;
  writeIota(dir.file("x.npy"), 5);

  CliResult result = runCli(fake.desc, {"predict", "--input", dir.file("x.npy"),
                                        "--output", dir.file("y.npy")});
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.err, usageHint("predict: the model produces 2 output(s) "
                                  "('y', 'z'), got 1 --output"));
  result =
      runCli(fake.desc, {"predict", "--input", dir.file("x.npy"), "--output",
                         dir.file("y.npy"), "--output", dir.file("y.npy")});
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.err, usageHint("predict: --output " + dir.file("y.npy") +
                                  " is named for two outputs of this run"));
  // Two names of one new file (a dangling link to the other) are caught too.
  ASSERT_EQ(symlink("y.npy", dir.file("ylink.npy").c_str()), 0);
  result =
      runCli(fake.desc, {"predict", "--input", dir.file("x.npy"), "--output",
                         dir.file("y.npy"), "--output", dir.file("ylink.npy")});
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.err,
            usageHint("predict: --output " + dir.file("y.npy") +
                      " is also the output '" + dir.file("ylink.npy") + "'"));
  ASSERT_EQ(unlink(dir.file("ylink.npy").c_str()), 0);

  result = runCli(fake.desc, {"predict", "--input", dir.file("x.npy"),
                              "--output", dir.file("y.npy"), "--output",
                              dir.file("z.npy"), "--batch-size=2"});
  ASSERT_EQ(result.code, 0) << result.err;
  kiln_array_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_npy_read(dir.file("z.npy").c_str(), &raw));
  ArrayPtr z(raw);
  auto *data = static_cast<float *>(kiln_array_data(z.get()));
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(data[i], 2 * FakeModel::expected(static_cast<float>(i), i % 4));
}

//===----------------------------------------------------------------------===//
// train / evaluate
//===----------------------------------------------------------------------===//

/// Writes the linear data set with `n` samples as x.npy and y.npy in `dir`
/// and returns the SPEC.
std::string writeLinearData(const ScratchDir &dir, int64_t n) {
  auto [x, t] = linearArrays(n);
  EXPECT_EQ(kiln_npy_write(dir.file("x.npy").c_str(), x.get()), nullptr);
  EXPECT_EQ(kiln_npy_write(dir.file("y.npy").c_str(), t.get()), nullptr);
  return dir.file("x.npy") + "," + dir.file("y.npy");
}

TEST(CliTest, TrainEvaluatePredictEndToEnd) {
  LinearFake fake;
  ScratchDir dir;
  std::string spec = writeLinearData(dir, 10);
  CliResult result = runCli(
      fake.desc, {"train", "--data", spec, "--epochs", "3", "--batch-size=4",
                  "--no-shuffle", "--verbose", "2", "--history",
                  dir.file("h.json"), "--save-weights", dir.file("w.kw"),
                  "--checkpoint", dir.file("c.kw"), "--validation-data", spec});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  std::regex lines("Epoch 1/3\n3/3 - [0-9]+s - [0-9]+[mu]?s/step - loss: "
                   "[0-9.]+ - mae: [0-9.]+ - val_loss: [0-9.]+ - val_mae: "
                   "[0-9.]+\nEpoch 2/3\n.*\nEpoch 3/3\n.*\n");
  EXPECT_TRUE(std::regex_match(result.out, lines)) << result.out;

  // The reference run.
  LinearState state = LinearFake::initialState();
  int64_t iteration = 0;
  std::vector<double> losses;
  for (int e = 0; e < 3; ++e)
    losses.push_back(
        referenceEpoch(state, sequentialBatches(10, 4), 0.05f, iteration)
            .first);
  std::vector<uint8_t> bytes = readBytes(dir.file("h.json"));
  std::string json(bytes.begin(), bytes.end());
  char prefix[256];
  std::snprintf(prefix, sizeof(prefix), "{\"loss\": [%.17g, %.17g, %.17g]",
                losses[0], losses[1], losses[2]);
  // The history prints the shortest round-tripping form; compare parsed.
  double parsed[3];
  ASSERT_EQ(std::sscanf(json.c_str(), "{\"loss\": [%lf, %lf, %lf]", &parsed[0],
                        &parsed[1], &parsed[2]),
            3)
      << json;
  for (int e = 0; e < 3; ++e)
    EXPECT_EQ(parsed[e], losses[e]) << prefix;
  // The last checkpoint is the saved weights plus the training state (the
  // history so far: format version 2), byte for byte otherwise.
  {
    std::vector<uint8_t> saved = readBytes(dir.file("w.kw"));
    std::vector<uint8_t> checkpoint = readBytes(dir.file("c.kw"));
    ASSERT_GT(saved.size(), 76u);
    ASSERT_GT(checkpoint.size(), saved.size());
    EXPECT_EQ(saved[8], 1);
    EXPECT_EQ(checkpoint[8], 2);
    auto same = [&](size_t from, size_t to) {
      return std::equal(saved.begin() + from, saved.begin() + to,
                        checkpoint.begin() + from);
    };
    EXPECT_TRUE(same(0, 8) && same(12, 64) && same(72, saved.size() - 4));
  }

  // evaluate --weights with the trained weights; verbose 0 prints values.
  double loss = 0, mae = 0;
  {
    LinearState frozen = state;
    std::vector<float> x, t, pred(10);
    for (int64_t i = 0; i < 10; ++i) {
      x.push_back(linearX(i, 0));
      x.push_back(linearX(i, 1));
      t.push_back(linearT(i));
    }
    // Batches of 32: one batch of 10.
    loss = linearStep(frozen, x.data(), t.data(), 10, -1, 1, pred.data());
    mae = linearMae(pred.data(), t.data(), 10);
  }
  result = runCli(fake.desc, {"evaluate", "--data", spec, "--weights",
                              dir.file("w.kw"), "--verbose", "0"});
  ASSERT_EQ(result.code, 0) << result.err;
  char expected[128];
  std::snprintf(expected, sizeof(expected), "loss: %.9g\nmae: %.9g\n", loss,
                mae);
  EXPECT_EQ(result.out, expected);
  result = runCli(fake.desc, {"evaluate", "--data", spec});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(std::regex_match(
      result.out, std::regex("1/1 \\[=+\\] - [0-9]+s [0-9]+[mu]?s/step - "
                             "loss: [0-9.]+ - mae: [0-9.]+\n")))
      << result.out;

  // predict --weights uses the trained parameters.
  result =
      runCli(fake.desc, {"predict", "--weights", dir.file("w.kw"), "--input",
                         dir.file("x.npy"), "--output", dir.file("p.npy")});
  ASSERT_EQ(result.code, 0) << result.err;
  kiln_array_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_npy_read(dir.file("p.npy").c_str(), &raw));
  ArrayPtr p(raw);
  auto *pred = static_cast<float *>(kiln_array_data(p.get()));
  for (int64_t i = 0; i < 10; ++i)
    EXPECT_EQ(pred[i], linearX(i, 0) * state.w[0] + linearX(i, 1) * state.w[1] +
                           state.b);

  // Resume from the checkpoint for two more epochs.
  result = runCli(fake.desc,
                  {"train", "--data", spec, "--epochs", "5", "--batch-size",
                   "4", "--no-shuffle", "--resume", dir.file("c.kw"),
                   "--verbose=1", "--history", dir.file("h2.json")});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out.rfind("Epoch 4/5\n3/3 [", 0), 0u) << result.out;
  EXPECT_NE(result.out.find("\nEpoch 5/5\n"), std::string::npos);
  std::vector<std::string> files = dir.list();
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files,
            (std::vector<std::string>{"c.kw", "h.json", "h2.json", "p.npy",
                                      "w.kw", "x.npy", "y.npy"}));
}

TEST(CliTest, TrainShuffleBuffer) {
  LinearFake fake;
  ScratchDir dir;
  std::string spec = writeLinearData(dir, 10);
  CliResult result = runCli(
      fake.desc, {"train", "--data", spec, "--epochs", "3", "--batch-size", "3",
                  "--seed", "5", "--shuffle-buffer", "4", "--prefetch", "1",
                  "--verbose", "0", "--history", dir.file("h.json")});
  ASSERT_EQ(result.code, 0) << result.err;
  std::vector<uint8_t> bytes = readBytes(dir.file("h.json"));
  // The same fit through the API.
  DatasetPtr data = linearDataset(fake.desc, 10);
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  kiln_fit_options_t options = quietOptions();
  options.epochs = 3;
  options.batch_size = 3;
  options.seed = 5;
  options.shuffle_buffer = 4;
  char *json = nullptr;
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, &json));
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), json);
  kiln_free(json);
  result =
      runCli(fake.desc, {"train", "--data", spec, "--shuffle-buffer", "0"});
  EXPECT_EQ(result.code, 2);
  EXPECT_NE(result.err.find("--shuffle-buffer needs a positive"),
            std::string::npos)
      << result.err;
  // The allowed range, for 0 and for what strtoll would read as 1.
  for (const char *value : {"0", "1e9", "1048577"}) {
    result = runCli(fake.desc, {"train", "--data", spec, "--prefetch", value});
    EXPECT_EQ(result.code, 2) << value;
    EXPECT_NE(result.err.find(std::string("--prefetch needs a whole number of "
                                          "batches from 1 to 1048576, got '") +
                              value + "'"),
              std::string::npos)
        << result.err;
  }
}

TEST(CliTest, TrainUsageAndRuntimeErrors) {
  LinearFake fake;
  ScratchDir dir;
  std::string spec = writeLinearData(dir, 4);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"train"}, "train: --data SPEC is required"},
      {{"train", "--data", spec, "--verbose", "3"},
       "train: --verbose needs 0, 1 or 2, got '3'"},
      {{"train", "--data", spec, "--epochs", "x"},
       "train: --epochs needs a non-negative integer, got 'x'"},
      {{"train", "--data", spec, "--batch-size", "0"},
       "train: --batch-size needs a positive integer, got '0'"},
      {{"train", "--data", spec, "--steps-per-epoch", "-2"},
       "train: --steps-per-epoch needs a positive integer, got '-2'"},
      {{"train", "--data", spec, "--repeat"},
       "train: --repeat needs --steps-per-epoch K (an epoch over endlessly "
       "repeated data has no end)"},
      {{"train", "--data", spec, "--learning-rate", "-1"},
       "train: --learning-rate needs a non-negative number, got '-1'"},
      {{"train", "--data", spec, "--shuffle=1"},
       "train: --shuffle takes no value"},
      {{"train", "--data"}, "train: --data needs a value"},
      {{"train", "--data", spec, "--input", "x"},
       "train: unknown option '--input'"},
      {{"evaluate"}, "evaluate: --data SPEC is required"},
      {{"evaluate", "--data", spec, "--epochs", "2"},
       "evaluate: unknown option '--epochs'"},
      {{"evaluate", "--data", spec, "extra"},
       "evaluate: unexpected argument 'extra'"},
  };
  for (const auto &[args, message] : cases) {
    CliResult result = runCli(fake.desc, args);
    EXPECT_EQ(result.code, 2) << message;
    EXPECT_EQ(result.err, usageHint(message));
    EXPECT_EQ(result.out, "");
  }

  // Runtime errors: exit 1, no output file.
  CliResult result = runCli(fake.desc, {"train", "--data", dir.file("x.npy"),
                                        "--history", dir.file("h.json")});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "error: dataset '" + dir.file("x.npy") +
                            "' has 1 file(s); the model needs 1 input(s) then "
                            "1 target(s)\n");
  result = runCli(fake.desc,
                  {"evaluate", "--data", spec, "--weights", dir.file("x.npy")});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "error: " + dir.file("x.npy") +
                            ": not a kiln weights file (bad magic bytes)\n");
  // An output whose folder is missing is refused before the first step
  // (it used to fail only after training, losing the trained weights).
  result = runCli(fake.desc, {"train", "--data", spec, "--verbose", "0",
                              "--save-weights", dir.file("no/dir/w.kw")});
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.err.rfind("error: train: --save-weights " +
                                 dir.file("no/dir/w.kw") + ": the folder '" +
                                 dir.file("no/dir") + "' does not exist",
                             0),
            0u)
      << result.err;
  std::vector<std::string> files = dir.list();
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"x.npy", "y.npy"}));

  // A model compiled without a loss.
  FakeModel plain;
  for (const char *command : {"train", "evaluate"}) {
    result = runCli(plain.desc, {command, "--data", spec});
    EXPECT_EQ(result.code, 2);
    EXPECT_EQ(result.err,
              usageHint(std::string(command) +
                        ": model 'fake' was compiled without a loss, so it "
                        "cannot be trained or evaluated"));
  }
  result = runCli(plain.desc, {"--help"});
  EXPECT_NE(result.out.find("(this model was compiled without a loss: train "
                            "and evaluate are unavailable)"),
            std::string::npos);
  result = runCli(fake.desc, {"train", "--help"});
  EXPECT_EQ(result.code, 0);
  EXPECT_EQ(result.out.find("compiled without a loss"), std::string::npos);
  for (const char *word : {"--data SPEC",
                           "--validation-data SPEC",
                           "--epochs N",
                           "--shuffle",
                           "--no-shuffle",
                           "--seed S",
                           "--steps-per-epoch K",
                           "--repeat",
                           "--initial-epoch E",
                           "--learning-rate X",
                           "--history FILE",
                           "--save-weights FILE",
                           "--checkpoint FILE",
                           "--resume FILE",
                           "--verbose 0|1|2",
                           "--weights FILE",
                           "images-idx3-ubyte",
                           "data.npz",
                           "--shuffle-buffer N",
                           "--prefetch N",
                           "10000 for TFRecord"})
    EXPECT_NE(result.out.find(word), std::string::npos) << word;
}

//===----------------------------------------------------------------------===//
// Non-float inputs and outputs
//===----------------------------------------------------------------------===//

TEST(CliTest, InfoShowsEveryDtype) {
  MixedFake fake;
  CliResult result = runCli(fake.desc, {"info"});
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "model: mixed (Functional)\n"
                        "input 0: x float32 (None, 3)\n"
                        "input 1: mask bool (None, 3)\n"
                        "output 0: argmax int64 (None,)\n"
                        "output 1: positive bool (None, 3)\n"
                        "output 2: masked float32 (None, 3)\n"
                        "output 3: count int32 (None,)\n"
                        "param 0: scale float32 (1,)\n");
}

/// Writes `values` as a (2, 3) array of `dtype` (converted from float32).
void writeRows(const std::string &path, int32_t dtype,
               const std::vector<float> &values) {
  int64_t dims[2] = {2, 3};
  kiln_array_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_array_create(KILN_DTYPE_F32, 2, dims, &raw));
  ArrayPtr floats(raw);
  std::copy(values.begin(), values.end(),
            static_cast<float *>(kiln_array_data(floats.get())));
  KILN_ASSERT_OK(kiln_array_convert(floats.get(), dtype, &raw));
  ArrayPtr converted(raw);
  KILN_ASSERT_OK(kiln_npy_write(path.c_str(), converted.get()));
}

TEST(CliTest, PredictWritesEachOutputInItsDtype) {
  MixedFake fake;
  ScratchDir dir;
  writeRows(dir.file("x.npy"), KILN_DTYPE_F32, {-1, 3, 2, 0.5f, -2, 0.25f});
  // The mask numpy wrote: [[True, False, True], [False, False, True]].
  std::string mask = inputPath("b1_2x3.npy");
  std::vector<std::string> outputs = {"argmax.npy", "positive.npy",
                                      "masked.npy", "count.npy"};
  std::vector<std::string> args = {"predict", "--input", dir.file("x.npy"),
                                   "--input", mask,      "--batch-size",
                                   "1"};
  for (const std::string &name : outputs) {
    args.push_back("--output");
    args.push_back(dir.file(name));
  }
  CliResult result = runCli(fake.desc, args);
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(fakeBatches(), (std::vector<int64_t>{1, 1}));

  auto read = [&](const std::string &name) {
    kiln_array_t *raw = nullptr;
    StatusPtr status(kiln_npy_read(dir.file(name).c_str(), &raw));
    EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
    return ArrayPtr(raw);
  };
  ArrayPtr argmax = read("argmax.npy");
  ASSERT_TRUE(argmax);
  ASSERT_EQ(kiln_array_dtype(argmax.get()), KILN_DTYPE_I64);
  ASSERT_EQ(kiln_array_rank(argmax.get()), 1);
  const auto *a = static_cast<const int64_t *>(kiln_array_data(argmax.get()));
  EXPECT_EQ(std::vector<int64_t>(a, a + 2), (std::vector<int64_t>{1, 0}));
  // numpy's '<i8' header.
  std::vector<uint8_t> argmaxBytes = readBytes(dir.file("argmax.npy"));
  EXPECT_NE(std::string(argmaxBytes.begin(), argmaxBytes.end())
                .find("{'descr': '<i8', 'fortran_order': False, "
                      "'shape': (2,), }"),
            std::string::npos);

  ArrayPtr positive = read("positive.npy");
  ASSERT_TRUE(positive);
  ASSERT_EQ(kiln_array_dtype(positive.get()), KILN_DTYPE_BOOL);
  const auto *p = static_cast<const uint8_t *>(kiln_array_data(positive.get()));
  EXPECT_EQ(std::vector<uint8_t>(p, p + 6),
            (std::vector<uint8_t>{0, 1, 1, 1, 0, 1}));
  // Laid out as numpy writes a (2, 3) bool array, header byte for byte.
  std::vector<uint8_t> written = readBytes(dir.file("positive.npy"));
  std::vector<uint8_t> numpy = readBytes(mask);
  ASSERT_EQ(written.size(), numpy.size());
  EXPECT_TRUE(std::equal(numpy.begin(), numpy.begin() + 128, written.begin()));

  ArrayPtr masked = read("masked.npy");
  ASSERT_TRUE(masked);
  ASSERT_EQ(kiln_array_dtype(masked.get()), KILN_DTYPE_F32);
  const auto *m = static_cast<const float *>(kiln_array_data(masked.get()));
  EXPECT_EQ(std::vector<float>(m, m + 6),
            (std::vector<float>{-2, 0, 4, 0, 0, 0.5f}));

  ArrayPtr count = read("count.npy");
  ASSERT_TRUE(count);
  ASSERT_EQ(kiln_array_dtype(count.get()), KILN_DTYPE_I32);
  const auto *c = static_cast<const int32_t *>(kiln_array_data(count.get()));
  EXPECT_EQ(std::vector<int32_t>(c, c + 2), (std::vector<int32_t>{2, 1}));
}

TEST(CliTest, PredictConvertsBoolInputsExactly) {
  MixedFake fake;
  ScratchDir dir;
  writeRows(dir.file("x.npy"), KILN_DTYPE_F32, {-1, 3, 2, 0.5f, -2, 0.25f});
  const std::vector<float> mask = {1, 0, 1, 0, 0, 1};
  auto predict = [&]() {
    return runCli(fake.desc,
                  {"predict", "--input", dir.file("x.npy"), "--input",
                   dir.file("mask.npy"), "--output", dir.file("a.npy"),
                   "--output", dir.file("p.npy"), "--output", dir.file("m.npy"),
                   "--output", dir.file("c.npy")});
  };
  // 0s and 1s of any dtype become the bools they are.
  for (int32_t dtype : {KILN_DTYPE_F32, KILN_DTYPE_F64, KILN_DTYPE_I64,
                        KILN_DTYPE_I32, KILN_DTYPE_U8}) {
    SCOPED_TRACE(kiln_dtype_name(dtype));
    writeRows(dir.file("mask.npy"), dtype, mask);
    CliResult result = predict();
    ASSERT_EQ(result.code, 0) << result.err;
    kiln_array_t *raw = nullptr;
    KILN_ASSERT_OK(kiln_npy_read(dir.file("c.npy").c_str(), &raw));
    ArrayPtr count(raw);
    const auto *c = static_cast<const int32_t *>(kiln_array_data(count.get()));
    EXPECT_EQ(std::vector<int32_t>(c, c + 2), (std::vector<int32_t>{2, 1}));
  }
  // Anything else is an error naming the file, the input and the element,
  // never a silent true.
  writeRows(dir.file("mask.npy"), KILN_DTYPE_F32, {1, 0, 0.5f, 0, 0, 1});
  CliResult result = predict();
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "error: " + dir.file("mask.npy") +
                            ": input 'mask' takes bool: cannot convert "
                            "element 2 (0.5) from float32 to bool exactly\n");
  writeRows(dir.file("mask.npy"), KILN_DTYPE_I64, {1, 0, 1, 0, 2, 1});
  result = predict();
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "error: " + dir.file("mask.npy") +
                            ": input 'mask' takes bool: cannot convert "
                            "element 4 (2) from int64 to bool exactly\n");
}

TEST(CliTest, TrainAndEvaluateRefuseNonFloatOutputs) {
  LinearFake fake;
  fake.outputs[0].dtype = KILN_DTYPE_I64;
  ScratchDir dir;
  std::string spec = writeLinearData(dir, 4);
  for (const char *command : {"train", "evaluate"}) {
    CliResult result =
        runCli(fake.desc, {command, "--data", spec, "--verbose", "0"});
    EXPECT_EQ(result.code, 1) << command;
    EXPECT_EQ(result.err, "error: output 'y' has dtype int64; fit and "
                          "evaluate need float32 outputs and targets\n")
        << command;
  }
  // The descriptor itself is fine: info describes it.
  CliResult result = runCli(fake.desc, {"info"});
  EXPECT_EQ(result.code, 0);
  EXPECT_NE(result.out.find("output 0: y int64 (None, 1)"), std::string::npos);
}

} // namespace
