//===- EventsTest.cpp - Tests of the TensorBoard event files ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The runtime's Event decoder against an event file written by TensorFlow's
// tf.summary (test/e2e/Inputs/conformance/tfevents and its expected JSON);
// the writer's output read back by the decoder (scalars, histograms, file
// naming and framing); and fit with a logdir on the fake linear model: the
// train/validation files, tags, steps and values equal the epoch logs.
//
//===----------------------------------------------------------------------===//
#include "formats/Events.h"
#include "TrainUtil.h"

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <csignal>
#include <cstring>
#include <ftw.h>
#include <map>
#include <regex>
#include <sys/resource.h>
#include <sys/stat.h>

using namespace kiln::test;

namespace {

/// Reads every event of the TFRecord file `path`.
std::vector<kiln::Event> readEvents(const std::string &path) {
  std::vector<kiln::Event> events;
  kiln_tfrecord_reader_t *reader = nullptr;
  StatusPtr status(kiln_tfrecord_reader_open(path.c_str(), nullptr, &reader));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  if (!reader)
    return events;
  while (true) {
    const uint8_t *data = nullptr;
    size_t size = 0;
    StatusPtr next(kiln_tfrecord_reader_next(reader, &data, &size));
    if (next) {
      EXPECT_EQ(kiln_status_code(next.get()), KILN_STATUS_OUT_OF_RANGE)
          << kiln_status_message(next.get());
      break;
    }
    events.emplace_back();
    StatusPtr decoded(kiln::decodeEvent(data, size, events.back()));
    EXPECT_EQ(decoded, nullptr) << kiln_status_message(decoded.get());
  }
  kiln_tfrecord_reader_release(reader);
  return events;
}

/// The names in directory `path`.
std::vector<std::string> listDir(const std::string &path) {
  std::vector<std::string> names;
  if (DIR *dir = opendir(path.c_str())) {
    while (dirent *entry = readdir(dir))
      if (std::strcmp(entry->d_name, ".") && std::strcmp(entry->d_name, ".."))
        names.emplace_back(entry->d_name);
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

int removeEntry(const char *path, const struct stat *, int, struct FTW *) {
  return std::remove(path);
}

/// Removes `path` and everything below it.
void removeTree(const std::string &path) {
  nftw(path.c_str(), removeEntry, 16, FTW_DEPTH | FTW_PHYS);
}

/// The only event file in `dir`, read.
std::vector<kiln::Event> readOnlyEventFile(const std::string &dir) {
  std::vector<std::string> names = listDir(dir);
  EXPECT_EQ(names.size(), 1u) << dir;
  if (names.size() != 1)
    return {};
  EXPECT_EQ(names[0].rfind("events.out.tfevents.", 0), 0u) << names[0];
  EXPECT_EQ(names[0].substr(names[0].size() - 3), ".v2") << names[0];
  return readEvents(dir + "/" + names[0]);
}

TEST(EventsTest, ReadsTensorFlowEventFile) {
  std::string dir = std::string(KILN_RUNTIME_TEST_INPUTS) +
                    "/../../e2e/Inputs/conformance/"
                    "tfevents/";
  std::string name =
      "events.out.tfevents.1585499054.Jaakkos-Mac-mini.local.11684.5.v2";
  std::vector<kiln::Event> events = readEvents(dir + name);
  std::vector<uint8_t> bytes = readBytes(dir + name + ".expected.json");
  ASSERT_FALSE(bytes.empty());
  std::string json(bytes.begin(), bytes.end());
  ASSERT_NE(json.find("\"num_events\": 101"), std::string::npos);
  ASSERT_EQ(events.size(), 101u);

  // The expected events in order: each starts at its "wall_time".
  std::regex wall("\"wall_time\": ([-0-9.e+]+)");
  std::regex step("\"step\": ([0-9]+)");
  std::regex content("\"tensor_content_f32\": \\[\\s*([-0-9.e+]+)\\s*\\]");
  std::vector<std::pair<size_t, double>> starts;
  for (std::sregex_iterator it(json.begin(), json.end(), wall), end; it != end;
       ++it)
    starts.emplace_back(it->position(),
                        std::strtod(it->str(1).c_str(), nullptr));
  ASSERT_EQ(starts.size(), 101u);
  for (size_t i = 0; i < starts.size(); ++i) {
    size_t from = starts[i].first;
    size_t to = i + 1 < starts.size() ? starts[i + 1].first : json.size();
    std::string block = json.substr(from, to - from);
    const kiln::Event &event = events[i];
    EXPECT_EQ(event.wallTime, starts[i].second) << i;
    std::smatch match;
    ASSERT_TRUE(std::regex_search(block, match, step)) << block;
    EXPECT_EQ(event.step, std::strtoll(match[1].str().c_str(), nullptr, 10));
    if (i == 0) {
      EXPECT_EQ(event.fileVersion, "brain.Event:2");
      EXPECT_TRUE(event.values.empty());
      continue;
    }
    ASSERT_TRUE(std::regex_search(block, match, content)) << block;
    double expected = std::strtod(match[1].str().c_str(), nullptr);
    ASSERT_EQ(event.values.size(), 1u);
    const kiln::EventValue &value = event.values[0];
    EXPECT_EQ(value.tag, "my_metric");
    EXPECT_EQ(value.pluginName, "scalars");
    EXPECT_EQ(value.tensorDtype, 1);
    EXPECT_TRUE(value.tensorShape.empty());
    double scalar = 0;
    ASSERT_TRUE(kiln::eventScalar(value, scalar));
    EXPECT_EQ(scalar, expected);
    EXPECT_EQ(scalar, 0.5 * static_cast<double>(event.step));
  }
}

TEST(EventsTest, WriterOutputReadsBack) {
  ScratchDir scratch;
  std::string dir = scratch.file("logs/sub");
  std::string path;
  {
    kiln::EventWriter writer;
    KILN_ASSERT_OK(writer.open(dir));
    path = writer.path();
    KILN_ASSERT_OK(writer.writeScalar("loss", 0, 1.25));
    KILN_ASSERT_OK(writer.writeScalar("loss", 7, -3.5e-8));
    const float values[6] = {-1, 0, 0.5f, 2, 2, NAN};
    KILN_ASSERT_OK(writer.writeHistogram("dense/kernel", 3, values, 6));
    const float same[3] = {4, 4, 4};
    KILN_ASSERT_OK(writer.writeHistogram("dense/bias", 3, same, 3));
    KILN_ASSERT_OK(writer.close());
  }
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::string name = path.substr(dir.size() + 1);
  std::regex pattern("events\\.out\\.tfevents\\.[0-9]+\\." +
                     std::regex_replace(std::string(host),
                                        std::regex("[.^$|()\\[\\]{}*+?\\\\]"),
                                        "\\$&") +
                     "\\." + std::to_string(getpid()) + "\\.v2");
  EXPECT_TRUE(std::regex_match(name, pattern)) << name;

  std::vector<kiln::Event> events = readOnlyEventFile(dir);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].fileVersion, "brain.Event:2");
  EXPECT_GT(events[0].wallTime, 1.5e9);
  EXPECT_EQ(events[1].step, 0);
  EXPECT_EQ(events[2].step, 7);
  double scalar = 0;
  ASSERT_EQ(events[2].values.size(), 1u);
  EXPECT_EQ(events[2].values[0].tag, "loss");
  EXPECT_EQ(events[2].values[0].pluginName, "scalars");
  EXPECT_EQ(events[2].values[0].tensorContent.size(), 4u);
  ASSERT_TRUE(kiln::eventScalar(events[2].values[0], scalar));
  EXPECT_EQ(scalar, static_cast<double>(-3.5e-8f));
  ASSERT_TRUE(kiln::eventScalar(events[1].values[0], scalar));
  EXPECT_EQ(scalar, 1.25);

  // TF2 histograms: [30, 3] DT_DOUBLE rows (left, right, count) over
  // [-1, 2], width 0.1; the NaN is left out.
  const kiln::EventValue &histo = events[3].values.at(0);
  EXPECT_EQ(histo.tag, "dense/kernel");
  EXPECT_EQ(events[3].step, 3);
  EXPECT_FALSE(histo.hasHisto);
  ASSERT_TRUE(histo.hasTensor);
  EXPECT_EQ(histo.pluginName, "histograms");
  EXPECT_EQ(histo.tensorDtype, 2);
  EXPECT_EQ(histo.tensorShape, (std::vector<int64_t>{30, 3}));
  ASSERT_EQ(histo.tensorContent.size(), 90 * sizeof(double));
  double rows[30][3];
  std::memcpy(rows, histo.tensorContent.data(), sizeof(rows));
  EXPECT_EQ(rows[0][0], -1);
  EXPECT_EQ(rows[29][1], 2);
  double total = 0;
  for (int b = 0; b < 30; ++b) {
    EXPECT_NEAR(rows[b][0], -1 + 0.1 * b, 1e-12) << b;
    EXPECT_NEAR(rows[b][1], -1 + 0.1 * (b + 1), 1e-12) << b;
    if (b) {
      EXPECT_EQ(rows[b][0], rows[b - 1][1]) << b;
    }
    total += rows[b][2];
  }
  EXPECT_EQ(total, 5);
  EXPECT_EQ(rows[0][2], 1);  // -1
  EXPECT_EQ(rows[10][2], 1); // 0 in [0, 0.1)
  EXPECT_EQ(rows[15][2], 1); // 0.5 in [0.5, 0.6)
  EXPECT_EQ(rows[29][2], 2); // 2, the maximum, clamped into the last

  // All values equal: edges at the value, the count in the last bucket.
  const kiln::EventValue &flat = events[4].values.at(0);
  ASSERT_EQ(flat.tensorContent.size(), 90 * sizeof(double));
  std::memcpy(rows, flat.tensorContent.data(), sizeof(rows));
  for (int b = 0; b < 30; ++b) {
    EXPECT_EQ(rows[b][0], 4);
    EXPECT_EQ(rows[b][1], 4);
    EXPECT_EQ(rows[b][2], b == 29 ? 3 : 0);
  }
  // No values: all zeros, as TensorBoard writes them.
  std::vector<double> none = kiln::histogramBuckets(nullptr, 0);
  EXPECT_EQ(none, std::vector<double>(90, 0.0));

  // A second writer in the same second gets its own file.
  kiln::EventWriter again;
  KILN_ASSERT_OK(again.open(dir));
  EXPECT_NE(again.path(), path);
  KILN_ASSERT_OK(again.close());
  EXPECT_EQ(listDir(dir).size(), 2u);

  // Malformed bytes are DATA_LOSS.
  const uint8_t bad[] = {0x0a, 0x05, 0x01};
  kiln::Event event;
  StatusPtr status(kiln::decodeEvent(bad, sizeof(bad), event));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_DATA_LOSS);
  removeTree(scratch.file("logs"));
}

TEST(EventsTest, FitWritesTensorBoardLogs) {
  LinearFake fake;
  ScratchDir scratch;
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  DatasetPtr data = linearDataset(fake.desc, 8);
  DatasetPtr validation = linearDataset(fake.desc, 5);
  std::vector<EpochLog> logs;
  kiln_fit_options_t options;
  kiln_fit_options_initialize(&options);
  EXPECT_EQ(options.logdir, nullptr);
  EXPECT_EQ(options.log_every, 0);
  EXPECT_EQ(options.histogram_freq, 0);
  options.verbose = 0;
  options.on_epoch_end = recordEpoch;
  options.user_data = &logs;
  options.epochs = 3;
  options.batch_size = 4;
  options.shuffle = 0;
  options.validation_data = validation.get();
  std::string logdir = scratch.file("tb");
  options.logdir = logdir.c_str();
  options.log_every = 3;
  options.histogram_freq = 2;
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(listDir(logdir), (std::vector<std::string>{"train", "validation"}));

  // tag -> step -> value
  using Series = std::map<std::string, std::map<int64_t, double>>;
  auto collect = [](const std::vector<kiln::Event> &events, Series &scalars,
                    std::vector<std::pair<std::string, int64_t>> &histos) {
    for (size_t i = 1; i < events.size(); ++i) {
      ASSERT_EQ(events[i].values.size(), 1u);
      const kiln::EventValue &value = events[i].values[0];
      double scalar = 0;
      if (value.pluginName == "histograms")
        histos.emplace_back(value.tag, events[i].step);
      else if (kiln::eventScalar(value, scalar))
        scalars[value.tag][events[i].step] = scalar;
      else
        ADD_FAILURE() << value.tag;
    }
  };
  Series train, valid;
  std::vector<std::pair<std::string, int64_t>> trainHistos, validHistos;
  std::vector<kiln::Event> trainEvents = readOnlyEventFile(logdir + "/train");
  std::vector<kiln::Event> validEvents =
      readOnlyEventFile(logdir + "/validation");
  ASSERT_FALSE(trainEvents.empty());
  ASSERT_FALSE(validEvents.empty());
  EXPECT_EQ(trainEvents[0].fileVersion, "brain.Event:2");
  EXPECT_EQ(validEvents[0].fileVersion, "brain.Event:2");
  collect(trainEvents, train, trainHistos);
  collect(validEvents, valid, validHistos);

  for (int64_t e = 0; e < 3; ++e) {
    const EpochLog &log = logs[static_cast<size_t>(e)];
    EXPECT_EQ(train["epoch_loss"][e], double(float(log.values[0])));
    EXPECT_EQ(train["epoch_mae"][e], double(float(log.values[1])));
    EXPECT_EQ(valid["epoch_loss"][e], double(float(log.values[2])));
    EXPECT_EQ(valid["epoch_mae"][e], double(float(log.values[3])));
    EXPECT_EQ(train["epoch_learning_rate"][e], double(0.05f));
  }
  EXPECT_EQ(train.size(), 5u); // epoch_{loss,mae,learning_rate}, batch_*
  EXPECT_EQ(valid.size(), 2u);
  // 2 steps per epoch, 6 in all: batch logs after iterations 3 and 6, the
  // latter being epoch 3's mean.
  std::map<int64_t, double> batchLoss = train["batch_loss"];
  ASSERT_EQ(batchLoss.size(), 2u);
  EXPECT_EQ(batchLoss.begin()->first, 3);
  EXPECT_EQ(batchLoss.rbegin()->first, 6);
  EXPECT_EQ(batchLoss[6], double(float(logs[2].values[0])));
  EXPECT_EQ(train["batch_mae"].size(), 2u);
  // Histograms of both parameters after epochs 0 and 2.
  EXPECT_EQ(trainHistos,
            (std::vector<std::pair<std::string, int64_t>>{{"dense/kernel", 0},
                                                          {"dense/bias", 0},
                                                          {"dense/kernel", 2},
                                                          {"dense/bias", 2}}));
  EXPECT_TRUE(validHistos.empty());
  // The bias is one value: every edge at it, counted in the last bucket.
  const std::string &last = trainEvents.back().values[0].tensorContent;
  ASSERT_EQ(last.size(), 90 * sizeof(double));
  double rows[30][3];
  std::memcpy(rows, last.data(), sizeof(rows));
  double bias = kiln_model_param_data(model.get(), 1)[0];
  EXPECT_EQ(rows[0][0], bias);
  EXPECT_EQ(rows[29][1], bias);
  EXPECT_EQ(rows[29][2], 1);
  removeTree(logdir);

  // No logdir, no files; a negative frequency is refused.
  options.logdir = nullptr;
  options.log_every = -1;
  StatusPtr status(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(scratch.list().empty());
}

} // namespace

namespace {

/// Limits the size of files this process writes to `bytes` (writes past it
/// fail with EFBIG, as on a full disk, after writing what fits) for its
/// lifetime.
class FileSizeLimit {
public:
  explicit FileSizeLimit(rlim_t bytes) {
    previousHandler = std::signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &previous);
    rlimit limit = previous;
    limit.rlim_cur = bytes;
    ok = setrlimit(RLIMIT_FSIZE, &limit) == 0;
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &previous);
    std::signal(SIGXFSZ, previousHandler);
  }
  bool ok = false;

private:
  rlimit previous;
  void (*previousHandler)(int);
};

int64_t fileSize(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 ? info.st_size : -1;
}

} // namespace

TEST(EventsTest, FailedWriteLeavesNoTornRecord) {
  ScratchDir scratch;
  kiln::EventWriter writer;
  KILN_ASSERT_OK(writer.open(scratch.file("logs")));
  KILN_ASSERT_OK(writer.writeScalar("loss", 0, 1.5));
  KILN_ASSERT_OK(writer.writeScalar("loss", 1, 0.5));
  std::string path = writer.path();
  int64_t complete = fileSize(path);
  std::vector<float> values(64, 1.0f);
  StatusPtr status, again;
  {
    // Room for 10 more bytes: the histogram record is written in part.
    FileSizeLimit limit(static_cast<rlim_t>(complete + 10));
    ASSERT_TRUE(limit.ok);
    status.reset(writer.writeHistogram("w", 1, values.data(), 64));
    again.reset(writer.writeScalar("loss", 2, 0.25));
  }
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_IO_ERROR);
  EXPECT_EQ(kiln_status_message(status.get()),
            "cannot write '" + path + "': " + std::strerror(EFBIG) +
                " (the file keeps its 3 complete record(s))");
  EXPECT_STREQ(kiln_status_message(again.get()),
               kiln_status_message(status.get()));
  EXPECT_EQ(fileSize(path), complete);
  // Later writes fail too (nothing appended after the cut).
  StatusPtr later(writer.writeScalar("loss", 3, 0.125));
  EXPECT_NE(later, nullptr);
  KILN_ASSERT_OK(writer.close());
  std::vector<kiln::Event> events = readEvents(path);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].step, 1);
  removeTree(scratch.file("logs"));
}

TEST(EventsTest, FitWarnsOnceWhenTheLogCannotBeWritten) {
  LinearFake fake;
  ScratchDir scratch;
  ModelPtr model = createModel(fake.desc);
  DatasetPtr data = linearDataset(fake.desc, 8);
  std::vector<EpochLog> logs;
  kiln_fit_options_t options = quietOptions(&logs);
  options.epochs = 6;
  options.batch_size = 4;
  std::string logdir = scratch.file("tb");
  options.logdir = logdir.c_str();
  options.log_every = 1;
  kiln_status_t status = nullptr;
  std::string err;
  {
    // The file version and a few scalars fit, then the "disk" is full.
    FileSizeLimit limit(300);
    ASSERT_TRUE(limit.ok);
    testing::internal::CaptureStderr();
    status = kiln_model_fit(model.get(), data.get(), &options, nullptr);
    err = testing::internal::GetCapturedStderr();
  }
  StatusPtr owned(status);
  KILN_ASSERT_OK(owned.release()); // training went on
  EXPECT_EQ(logs.size(), 6u);
  std::vector<std::string> names = listDir(logdir + "/train");
  ASSERT_EQ(names.size(), 1u);
  std::string path = logdir + "/train/" + names[0];
  EXPECT_EQ(err, "warning: cannot write '" + path +
                     "': " + std::strerror(EFBIG) + " (the file keeps its " +
                     std::to_string(readEvents(path).size()) +
                     " complete record(s)); TensorBoard logging to it stops, "
                     "training continues\n");
  EXPECT_LE(fileSize(path), 300);
  EXPECT_GT(readEvents(path).size(), 1u);
  removeTree(logdir);
}
