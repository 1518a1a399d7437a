//===- TFRecordTest.cpp - TFRecord files and tf.train.Example ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// CRC-32C vectors (hardware and table implementations agree), files written
// by TensorFlow decoded against their expected JSON, random round trips
// through every compression and both list encodings, detection of every
// single-bit flip and truncation of a small file, and malformed Example
// bytes (every truncation, random mutations, hand-built wire-format cases).
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

#include "formats/Crc32c.h"

#include <cmath>
#include <map>
#include <random>

using namespace kiln::test;

namespace {

struct ReaderDeleter {
  void operator()(kiln_tfrecord_reader_t *reader) const {
    kiln_tfrecord_reader_release(reader);
  }
};
using ReaderPtr = std::unique_ptr<kiln_tfrecord_reader_t, ReaderDeleter>;

struct WriterDeleter {
  void operator()(kiln_tfrecord_writer_t *writer) const {
    kiln_tfrecord_writer_release(writer);
  }
};
using WriterPtr = std::unique_ptr<kiln_tfrecord_writer_t, WriterDeleter>;

struct ExampleDeleter {
  void operator()(kiln_example_t *example) const {
    kiln_example_release(example);
  }
};
using ExamplePtr = std::unique_ptr<kiln_example_t, ExampleDeleter>;

kiln_tfrecord_options_t makeOptions(int32_t compression, bool skip = false) {
  kiln_tfrecord_options_t options;
  kiln_tfrecord_options_initialize(&options);
  options.compression = compression;
  options.skip_corrupt = skip ? 1 : 0;
  return options;
}

/// The outcome of reading a whole file.
struct ReadResult {
  std::vector<std::string> records;
  kiln_status_code_t code = KILN_STATUS_OK; // of the first failure
  std::string message;
  int64_t skipped = 0;
};

ReadResult readAll(const std::string &path,
                   const kiln_tfrecord_options_t &options) {
  ReadResult result;
  kiln_tfrecord_reader_t *raw = nullptr;
  StatusPtr status(kiln_tfrecord_reader_open(path.c_str(), &options, &raw));
  if (status) {
    result.code = kiln_status_code(status.get());
    result.message = kiln_status_message(status.get());
    return result;
  }
  ReaderPtr reader(raw);
  for (;;) {
    const uint8_t *data = nullptr;
    size_t size = 0;
    StatusPtr next(kiln_tfrecord_reader_next(reader.get(), &data, &size));
    if (next) {
      if (kiln_status_code(next.get()) != KILN_STATUS_OUT_OF_RANGE) {
        result.code = kiln_status_code(next.get());
        result.message = kiln_status_message(next.get());
      }
      break;
    }
    result.records.emplace_back(reinterpret_cast<const char *>(data), size);
  }
  result.skipped = kiln_tfrecord_reader_num_skipped(reader.get());
  EXPECT_EQ(kiln_tfrecord_reader_num_records(reader.get()),
            static_cast<int64_t>(result.records.size()));
  return result;
}

void writeAll(const std::string &path, const std::vector<std::string> &records,
              const kiln_tfrecord_options_t &options) {
  kiln_tfrecord_writer_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_tfrecord_writer_open(path.c_str(), &options, &raw));
  WriterPtr writer(raw);
  for (const std::string &record : records)
    KILN_ASSERT_OK(
        kiln_tfrecord_writer_write(writer.get(), record.data(), record.size()));
  KILN_ASSERT_OK(kiln_tfrecord_writer_close(writer.get()));
}

ExamplePtr decode(const std::string &bytes) {
  kiln_example_t *raw = nullptr;
  StatusPtr status(kiln_example_decode(bytes.data(), bytes.size(), &raw));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  return ExamplePtr(raw);
}

std::string encode(const kiln_example_t *example, bool packed) {
  uint8_t *data = nullptr;
  size_t size = 0;
  StatusPtr status(kiln_example_encode(example, packed ? 1 : 0, &data, &size));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  std::string bytes(reinterpret_cast<const char *>(data), size);
  kiln_free(data);
  return bytes;
}

std::string toJson(const kiln_example_t *example) {
  char *json = nullptr;
  StatusPtr status(kiln_example_to_json(example, &json));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  std::string text = json ? json : "";
  kiln_free(json);
  return text;
}

/// The decode status code of `bytes` (OK or DATA_LOSS).
kiln_status_code_t decodeCode(const std::string &bytes) {
  kiln_example_t *raw = nullptr;
  StatusPtr status(kiln_example_decode(bytes.data(), bytes.size(), &raw));
  ExamplePtr example(raw);
  return kiln_status_code(status.get());
}

/// Example contents compared bit for bit (floats by their bits).
std::string describe(const kiln_example_t *example) {
  std::string out;
  for (int64_t i = 0; i < kiln_example_num_features(example); ++i) {
    size_t nameSize = 0;
    const char *name = kiln_example_feature_name(example, i, &nameSize);
    out += std::string(name, nameSize) + ":" +
           std::to_string(kiln_example_feature_kind(example, i)) + "[";
    int64_t size = kiln_example_feature_size(example, i);
    for (int64_t j = 0; j < size; ++j) {
      switch (kiln_example_feature_kind(example, i)) {
      case KILN_FEATURE_INT64:
        out += std::to_string(kiln_example_feature_int64s(example, i)[j]);
        break;
      case KILN_FEATURE_FLOAT: {
        uint32_t bits;
        std::memcpy(&bits, kiln_example_feature_floats(example, i) + j, 4);
        out += std::to_string(bits);
        break;
      }
      default: {
        size_t n = 0;
        const uint8_t *bytes = kiln_example_feature_bytes(example, i, j, &n);
        out += std::to_string(n) + "'" +
               std::string(reinterpret_cast<const char *>(bytes), n) + "'";
      }
      }
      out += ",";
    }
    out += "];";
  }
  return out;
}

//===----------------------------------------------------------------------===//
// A small JSON reader for the expected files
//===----------------------------------------------------------------------===//

struct Json {
  enum Kind { Null, Number, String, Array, Object } kind = Null;
  std::string text; // string contents or number token
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;
  const Json *get(const std::string &key) const {
    for (const auto &member : members)
      if (member.first == key)
        return &member.second;
    return nullptr;
  }
};

class JsonParser {
public:
  explicit JsonParser(const std::string &text) : s(text) {}
  bool parse(Json &out) { return value(out) && (ws(), pos == s.size()); }

private:
  void ws() {
    while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos])))
      ++pos;
  }
  bool string(std::string &out) {
    if (s[pos] != '"')
      return false;
    for (++pos; pos < s.size() && s[pos] != '"'; ++pos) {
      if (s[pos] != '\\') {
        out += s[pos];
        continue;
      }
      char c = s[++pos];
      if (c == 'u') {
        unsigned code = std::stoul(s.substr(pos + 1, 4), nullptr, 16);
        pos += 4;
        if (code < 0x80) {
          out += static_cast<char>(code);
        } else if (code < 0x800) {
          out += static_cast<char>(0xc0 | code >> 6);
          out += static_cast<char>(0x80 | (code & 0x3f));
        } else {
          out += static_cast<char>(0xe0 | code >> 12);
          out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
          out += static_cast<char>(0x80 | (code & 0x3f));
        }
      } else {
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *hit = std::strchr(from, c);
        if (!hit)
          return false;
        out += to[hit - from];
      }
    }
    return pos++ < s.size();
  }
  bool value(Json &out) {
    ws();
    if (pos >= s.size())
      return false;
    char c = s[pos];
    if (c == '"') {
      out.kind = Json::String;
      return string(out.text);
    }
    if (c == '[' || c == '{') {
      bool object = c == '{';
      out.kind = object ? Json::Object : Json::Array;
      ++pos;
      ws();
      if (s[pos] == (object ? '}' : ']')) {
        ++pos;
        return true;
      }
      for (;;) {
        ws();
        if (object) {
          std::string key;
          if (!string(key))
            return false;
          ws();
          if (s[pos++] != ':')
            return false;
          out.members.emplace_back(key, Json());
          if (!value(out.members.back().second))
            return false;
        } else {
          out.items.emplace_back();
          if (!value(out.items.back()))
            return false;
        }
        ws();
        char next = s[pos++];
        if (next == (object ? '}' : ']'))
          return true;
        if (next != ',')
          return false;
      }
    }
    size_t start = pos;
    while (pos < s.size() && std::strchr("+-0123456789.eEaInfityN", s[pos]))
      ++pos;
    if (start == pos)
      return false;
    out.kind = Json::Number;
    out.text = s.substr(start, pos - start);
    return true;
  }

  const std::string &s;
  size_t pos = 0;
};

/// Checks the records of `file` against "`file`.expected.json".
void checkConformance(const std::string &file) {
  std::vector<uint8_t> jsonBytes =
      readBytes(inputPath("tfrecord/" + file + ".expected.json"));
  std::string jsonText(jsonBytes.begin(), jsonBytes.end());
  Json expected;
  ASSERT_TRUE(JsonParser(jsonText).parse(expected));
  const Json *records = expected.get("records");
  ASSERT_NE(records, nullptr);
  ASSERT_NE(expected.get("num_records"), nullptr);
  ASSERT_EQ(records->items.size(),
            std::stoul(expected.get("num_records")->text));

  ReadResult read =
      readAll(inputPath("tfrecord/" + file), makeOptions(KILN_TFRECORD_NONE));
  ASSERT_EQ(read.code, KILN_STATUS_OK) << read.message;
  ASSERT_EQ(read.records.size(), records->items.size());
  // AUTO detects the uncompressed file too.
  ReadResult automatic =
      readAll(inputPath("tfrecord/" + file), makeOptions(KILN_TFRECORD_AUTO));
  EXPECT_EQ(automatic.records, read.records);

  for (size_t r = 0; r < read.records.size(); ++r) {
    SCOPED_TRACE("record " + std::to_string(r));
    ExamplePtr example = decode(read.records[r]);
    ASSERT_NE(example, nullptr);
    const Json &want = records->items[r];
    ASSERT_EQ(kiln_example_num_features(example.get()),
              static_cast<int64_t>(want.members.size()));
    for (const auto &member : want.members) {
      SCOPED_TRACE("feature " + member.first);
      int64_t index =
          kiln_example_find_feature(example.get(), member.first.c_str());
      ASSERT_GE(index, 0);
      ASSERT_EQ(member.second.members.size(), 1u);
      const std::string &kind = member.second.members[0].first;
      const std::vector<Json> &values = member.second.members[0].second.items;
      ASSERT_EQ(kiln_example_feature_size(example.get(), index),
                static_cast<int64_t>(values.size()));
      for (size_t j = 0; j < values.size(); ++j) {
        if (kind == "int64_list") {
          ASSERT_EQ(kiln_example_feature_kind(example.get(), index),
                    KILN_FEATURE_INT64);
          EXPECT_EQ(kiln_example_feature_int64s(example.get(), index)[j],
                    std::stoll(values[j].text));
        } else if (kind == "float_list") {
          ASSERT_EQ(kiln_example_feature_kind(example.get(), index),
                    KILN_FEATURE_FLOAT);
          float want =
              static_cast<float>(std::strtod(values[j].text.c_str(), nullptr));
          float got = kiln_example_feature_floats(example.get(), index)[j];
          EXPECT_EQ(std::memcmp(&got, &want, 4), 0) << got << " vs " << want;
        } else {
          ASSERT_EQ(kind, "bytes_list");
          ASSERT_EQ(kiln_example_feature_kind(example.get(), index),
                    KILN_FEATURE_BYTES);
          size_t size = 0;
          const uint8_t *bytes =
              kiln_example_feature_bytes(example.get(), index, j, &size);
          std::string got(reinterpret_cast<const char *>(bytes), size);
          if (const Json *utf8 = values[j].get("utf8")) {
            EXPECT_EQ(got, utf8->text);
          } else if (const Json *hex = values[j].get("hex")) {
            std::string bytes;
            for (size_t k = 0; k + 1 < hex->text.size(); k += 2)
              bytes += static_cast<char>(
                  std::stoi(hex->text.substr(k, 2), nullptr, 16));
            EXPECT_EQ(got, bytes);
          } else {
            // {"len": N, "sha256": ...}: the fixtures have none; check the
            // length.
            const Json *len = values[j].get("len");
            ASSERT_NE(len, nullptr);
            EXPECT_EQ(size, std::stoul(len->text));
          }
        }
      }
    }
    // Re-encoding (packed, as TensorFlow writes) reproduces the decoding.
    ExamplePtr again = decode(encode(example.get(), true));
    EXPECT_EQ(describe(again.get()), describe(example.get()));
  }
}

//===----------------------------------------------------------------------===//
// Random examples
//===----------------------------------------------------------------------===//

ExamplePtr randomExample(std::mt19937_64 &rng) {
  kiln_example_t *raw = nullptr;
  StatusPtr status(kiln_example_create(&raw));
  ExamplePtr example(raw);
  int numFeatures = static_cast<int>(rng() % 6);
  for (int f = 0; f < numFeatures; ++f) {
    std::string name = "f" + std::to_string(rng() % 1000);
    if (rng() % 8 == 0)
      name += "\xc3\xa9\"\\\n"; // UTF-8 and characters JSON escapes
    size_t count = rng() % 9;
    switch (rng() % 3) {
    case 0: {
      std::vector<int64_t> values(count);
      for (int64_t &value : values) {
        switch (rng() % 4) {
        case 0:
          value = static_cast<int64_t>(rng());
          break;
        case 1:
          value = -static_cast<int64_t>(rng() % 1000);
          break;
        case 2:
          value = rng() % 2 ? INT64_MIN : INT64_MAX;
          break;
        default:
          value = static_cast<int64_t>(rng() % 300);
        }
      }
      StatusPtr set(kiln_example_set_int64(example.get(), name.c_str(),
                                           values.data(), values.size()));
      EXPECT_EQ(set, nullptr);
      break;
    }
    case 1: {
      std::vector<float> values(count);
      for (float &value : values) {
        uint32_t bits = static_cast<uint32_t>(rng());
        std::memcpy(&value, &bits, 4);
      }
      StatusPtr set(kiln_example_set_float(example.get(), name.c_str(),
                                           values.data(), values.size()));
      EXPECT_EQ(set, nullptr);
      break;
    }
    default: {
      std::vector<std::string> values(count);
      std::vector<const uint8_t *> pointers;
      std::vector<size_t> sizes;
      for (std::string &value : values) {
        value.resize(rng() % 40);
        for (char &c : value)
          c = static_cast<char>(rng());
        pointers.push_back(reinterpret_cast<const uint8_t *>(value.data()));
        sizes.push_back(value.size());
      }
      StatusPtr set(kiln_example_set_bytes(example.get(), name.c_str(),
                                           pointers.data(), sizes.data(),
                                           values.size()));
      EXPECT_EQ(set, nullptr);
    }
    }
  }
  return example;
}

} // namespace

//===----------------------------------------------------------------------===//
// CRC-32C
//===----------------------------------------------------------------------===//

TEST(Crc32cTest, KnownVectors) {
  const auto *digits = reinterpret_cast<const uint8_t *>("123456789");
  uint8_t zeros[32] = {}, ones[32];
  std::memset(ones, 0xff, sizeof(ones));
  EXPECT_EQ(kiln::crc32c(digits, 9), 0xE3069283u);
  EXPECT_EQ(kiln::crc32c(zeros, 32), 0x8A9136AAu);
  EXPECT_EQ(kiln::crc32c(ones, 32), 0x62A8AB43u);
  EXPECT_EQ(kiln::crc32c(nullptr, 0), 0u);
  EXPECT_EQ(kiln::crc32cExtendPortable(0, digits, 9), 0xE3069283u);
  EXPECT_EQ(kiln::crc32cExtend(kiln::crc32c(digits, 4), digits + 4, 5),
            0xE3069283u);
  // Masking round-trips and matches TensorFlow's formula.
  uint32_t crc = 0xE3069283u;
  EXPECT_EQ(kiln::maskCrc32c(crc), ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
  EXPECT_EQ(kiln::unmaskCrc32c(kiln::maskCrc32c(crc)), crc);
}

TEST(Crc32cTest, HardwareAndTableAgree) {
  if (!kiln::crc32cHasHardware())
    GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::mt19937_64 rng(7);
  std::vector<uint8_t> data(4099);
  for (uint8_t &byte : data)
    byte = static_cast<uint8_t>(rng());
  for (int trial = 0; trial < 500; ++trial) {
    size_t begin = rng() % data.size();
    size_t size = rng() % (data.size() - begin + 1);
    uint32_t seed = trial % 2 ? static_cast<uint32_t>(rng()) : 0;
    ASSERT_EQ(kiln::crc32cExtendHardware(seed, data.data() + begin, size),
              kiln::crc32cExtendPortable(seed, data.data() + begin, size))
        << begin << "+" << size;
  }
}

//===----------------------------------------------------------------------===//
// Files written by TensorFlow
//===----------------------------------------------------------------------===//

TEST(TFRecordTest, PwnallSingles) {
  checkConformance("pwnall_singles.tfrecords");
}

TEST(TFRecordTest, JongwookTest) { checkConformance("jongwook_test.tfrecord"); }

// Written by gen_examples.py with Python protobuf and a pure-Python CRC-32C
// (packed and unpacked lists, unknown fields, GZIP and ZLIB copies).
TEST(TFRecordTest, IndependentEncoder) {
  checkConformance("examples.tfrecord");
  ReadResult plain = readAll(inputPath("tfrecord/examples.tfrecord"),
                             makeOptions(KILN_TFRECORD_NONE));
  ASSERT_EQ(plain.code, KILN_STATUS_OK) << plain.message;
  const std::pair<const char *, int32_t> copies[] = {
      {"examples.tfrecord.gz", KILN_TFRECORD_GZIP},
      {"examples.tfrecord.zz", KILN_TFRECORD_ZLIB}};
  for (const auto &[name, compression] : copies) {
    for (int32_t readAs : {compression, int32_t(KILN_TFRECORD_AUTO)}) {
      ReadResult read = readAll(inputPath(std::string("tfrecord/") + name),
                                makeOptions(readAs));
      EXPECT_EQ(read.code, KILN_STATUS_OK) << name << ": " << read.message;
      EXPECT_EQ(read.records, plain.records) << name;
    }
  }
  // kiln_example_to_json matches the Python rendering line for line.
  std::vector<uint8_t> jsonl =
      readBytes(inputPath("tfrecord/examples.tfrecord.expected.jsonl"));
  std::string text(jsonl.begin(), jsonl.end());
  size_t begin = 0;
  for (size_t r = 0; r < plain.records.size(); ++r) {
    size_t end = text.find('\n', begin);
    ASSERT_NE(end, std::string::npos);
    EXPECT_EQ(toJson(decode(plain.records[r]).get()),
              text.substr(begin, end - begin))
        << "record " << r;
    begin = end + 1;
  }
  EXPECT_EQ(begin, text.size());
}

TEST(TFRecordTest, JsonLine) {
  ReadResult read = readAll(inputPath("tfrecord/pwnall_singles.tfrecords"),
                            makeOptions(KILN_TFRECORD_AUTO));
  ASSERT_EQ(read.records.size(), 3u);
  EXPECT_EQ(toJson(decode(read.records[0]).get()),
            "{\"int_feature\": {\"int64\": [42]}}");
  EXPECT_EQ(toJson(decode(read.records[1]).get()),
            "{\"float_feature\": {\"float\": [3.1400001]}}");
  EXPECT_EQ(toJson(decode(read.records[2]).get()),
            "{\"byte_feature\": {\"bytes\": [\"QEFCQ0Q=\"]}}");

  kiln_example_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_example_create(&raw));
  ExamplePtr example(raw);
  const float floats[] = {0.1f, -0.0f, 1e30f, INFINITY, -INFINITY, NAN};
  const int64_t ints[] = {INT64_MIN, -1, 0, INT64_MAX};
  const uint8_t a[] = {'a'}, ab[] = {'a', 'b'}, abc[] = {'a', 'b', 'c'};
  const uint8_t *bytes[] = {a, ab, abc, nullptr};
  const size_t sizes[] = {1, 2, 3, 0};
  KILN_ASSERT_OK(kiln_example_set_float(example.get(), "z", floats, 6));
  KILN_ASSERT_OK(kiln_example_set_int64(example.get(), "b", ints, 4));
  KILN_ASSERT_OK(
      kiln_example_set_bytes(example.get(), "a\"\x01\xff", bytes, sizes, 4));
  KILN_ASSERT_OK(kiln_example_set_int64(example.get(), "empty", nullptr, 0));
  EXPECT_EQ(toJson(example.get()),
            "{\"a\\\"\\u0001\\ufffd\": {\"bytes\": [\"YQ==\", \"YWI=\", "
            "\"YWJj\", \"\"]}, "
            "\"b\": {\"int64\": [-9223372036854775808, -1, 0, "
            "9223372036854775807]}, "
            "\"empty\": {\"int64\": []}, "
            "\"z\": {\"float\": [0.100000001, -0, 1.00000002e+30, Infinity, "
            "-Infinity, NaN]}}");
  EXPECT_EQ(kiln_example_find_feature(example.get(), "empty"), 2);
  EXPECT_EQ(kiln_example_find_feature(example.get(), "missing"), -1);
  EXPECT_EQ(kiln_example_feature_name(example.get(), 9, nullptr), nullptr);
  EXPECT_EQ(kiln_example_feature_kind(example.get(), -1), KILN_FEATURE_NONE);
}

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

TEST(TFRecordTest, RoundTrips) {
  ScratchDir dir;
  std::mt19937_64 rng(1234);
  const int32_t compressions[] = {KILN_TFRECORD_NONE, KILN_TFRECORD_GZIP,
                                  KILN_TFRECORD_ZLIB};
  for (int32_t compression : compressions) {
    for (bool packed : {true, false}) {
      SCOPED_TRACE("compression " + std::to_string(compression) +
                   (packed ? " packed" : " unpacked"));
      std::vector<std::string> records, expected;
      for (int n = 0; n < 60; ++n) {
        ExamplePtr example = randomExample(rng);
        records.push_back(encode(example.get(), packed));
        expected.push_back(describe(example.get()));
      }
      std::string path = dir.file("data.tfrecord");
      writeAll(path, records, makeOptions(compression));
      EXPECT_EQ(dir.list().size(), 1u) << "temporary file left behind";
      for (int32_t readAs : {compression, int32_t(KILN_TFRECORD_AUTO)}) {
        ReadResult read = readAll(path, makeOptions(readAs));
        ASSERT_EQ(read.code, KILN_STATUS_OK) << read.message;
        ASSERT_EQ(read.records, records);
        for (size_t i = 0; i < records.size(); ++i) {
          ExamplePtr example = decode(read.records[i]);
          ASSERT_NE(example, nullptr);
          EXPECT_EQ(describe(example.get()), expected[i]);
          // JSON is stable across a re-encoding in the other layout.
          ExamplePtr other = decode(encode(example.get(), !packed));
          EXPECT_EQ(toJson(other.get()), toJson(example.get()));
        }
      }
    }
  }
}

TEST(TFRecordTest, EmptyFileAndLargeRecord) {
  ScratchDir dir;
  std::string path = dir.file("x.tfrecord");
  writeAll(path, {}, makeOptions(KILN_TFRECORD_NONE));
  EXPECT_TRUE(readAll(path, makeOptions(KILN_TFRECORD_AUTO)).records.empty());
  // Larger than the reader's initial buffer, so it grows.
  std::string big(300000, 'x');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 7);
  for (int32_t compression : {KILN_TFRECORD_NONE, KILN_TFRECORD_GZIP}) {
    writeAll(path, {big, "", big}, makeOptions(compression));
    ReadResult read = readAll(path, makeOptions(KILN_TFRECORD_AUTO));
    ASSERT_EQ(read.code, KILN_STATUS_OK) << read.message;
    EXPECT_EQ(read.records, (std::vector<std::string>{big, "", big}));
  }
  // A writer released without close leaves nothing behind.
  kiln_tfrecord_writer_t *raw = nullptr;
  kiln_tfrecord_options_t options = makeOptions(KILN_TFRECORD_NONE);
  KILN_ASSERT_OK(kiln_tfrecord_writer_open(dir.file("y.tfrecord").c_str(),
                                           &options, &raw));
  KILN_ASSERT_OK(kiln_tfrecord_writer_write(raw, "abc", 3));
  kiln_tfrecord_writer_release(raw);
  EXPECT_EQ(dir.list(), std::vector<std::string>{"x.tfrecord"});

  kiln_tfrecord_reader_t *reader = nullptr;
  StatusPtr missing(
      kiln_tfrecord_reader_open(dir.file("nope").c_str(), nullptr, &reader));
  EXPECT_EQ(kiln_status_code(missing.get()), KILN_STATUS_NOT_FOUND);
  EXPECT_EQ(reader, nullptr);
}

//===----------------------------------------------------------------------===//
// Corruption
//===----------------------------------------------------------------------===//

TEST(TFRecordTest, EveryBitFlipIsDetected) {
  ScratchDir dir;
  std::string path = dir.file("small.tfrecord");
  std::vector<std::string> records = {"", "hello", "0123456789"};
  writeAll(path, records, makeOptions(KILN_TFRECORD_NONE));
  std::vector<uint8_t> bytes = readBytes(path);
  ASSERT_EQ(bytes.size(), 3 * 16 + 15u);
  // Record r starts at starts[r]; its header is 12 bytes.
  const size_t starts[] = {0, 16, 37, 63};
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    SCOPED_TRACE("bit " + std::to_string(bit));
    std::vector<uint8_t> flipped = bytes;
    flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    writeBytes(path, flipped);
    size_t record = 0;
    while (bit / 8 >= starts[record + 1])
      ++record;
    bool inHeader = bit / 8 < starts[record] + 12;

    ReadResult strict = readAll(path, makeOptions(KILN_TFRECORD_NONE));
    ASSERT_EQ(strict.code, KILN_STATUS_DATA_LOSS);
    EXPECT_EQ(strict.records.size(), record);
    EXPECT_NE(strict.message.find(path), std::string::npos);
    EXPECT_NE(strict.message.find("record " + std::to_string(record) +
                                  " at byte offset " +
                                  std::to_string(starts[record])),
              std::string::npos)
        << strict.message;

    ReadResult skipping = readAll(path, makeOptions(KILN_TFRECORD_NONE, true));
    ASSERT_EQ(skipping.code, KILN_STATUS_OK) << skipping.message;
    EXPECT_EQ(skipping.skipped, 1);
    std::vector<std::string> expected;
    for (size_t r = 0; r < records.size(); ++r)
      if (r < record || (!inHeader && r > record))
        expected.push_back(records[r]);
    EXPECT_EQ(skipping.records, expected);
  }
}

TEST(TFRecordTest, EveryTruncationIsDetected) {
  ScratchDir dir;
  std::string path = dir.file("small.tfrecord");
  std::vector<std::string> records = {"", "hello", "0123456789"};
  for (int32_t compression :
       {KILN_TFRECORD_NONE, KILN_TFRECORD_GZIP, KILN_TFRECORD_ZLIB}) {
    SCOPED_TRACE("compression " + std::to_string(compression));
    writeAll(path, records, makeOptions(compression));
    std::vector<uint8_t> bytes = readBytes(path);
    for (size_t size = 0; size < bytes.size(); ++size) {
      SCOPED_TRACE("size " + std::to_string(size));
      writeBytes(path,
                 std::vector<uint8_t>(bytes.begin(), bytes.begin() + size));
      ReadResult strict = readAll(path, makeOptions(compression));
      ReadResult skipping = readAll(path, makeOptions(compression, true));
      ASSERT_EQ(skipping.code, KILN_STATUS_OK) << skipping.message;
      // An uncompressed file cut at a record boundary is a valid, shorter
      // file; every other cut is an error (so is an empty file for no
      // format but NONE: 0 bytes hold no records).
      bool boundary = compression == KILN_TFRECORD_NONE
                          ? size == 0 || size == 16 || size == 37
                          : size == 0;
      if (boundary) {
        EXPECT_EQ(strict.code, KILN_STATUS_OK) << strict.message;
        EXPECT_EQ(skipping.skipped, 0);
        EXPECT_EQ(skipping.records, strict.records);
      } else {
        EXPECT_EQ(strict.code, KILN_STATUS_DATA_LOSS);
        EXPECT_NE(strict.message.find("record "), std::string::npos)
            << strict.message;
        EXPECT_EQ(skipping.skipped, 1);
        EXPECT_EQ(skipping.records, strict.records);
      }
      EXPECT_LE(strict.records.size(), records.size());
      for (size_t r = 0; r < strict.records.size(); ++r)
        EXPECT_EQ(strict.records[r], records[r]);
    }
  }
}

TEST(TFRecordTest, CorruptDataIsSkippedAndReadingContinues) {
  ScratchDir dir;
  std::string path = dir.file("x.tfrecord");
  writeAll(path, {"aaaa", "bbbb", "cccc", "dddd"},
           makeOptions(KILN_TFRECORD_NONE));
  std::vector<uint8_t> bytes = readBytes(path);
  bytes[20 + 12] ^= 1; // data of record 1
  bytes[60 + 12] ^= 1; // data of record 3
  writeBytes(path, bytes);
  ReadResult read = readAll(path, makeOptions(KILN_TFRECORD_NONE, true));
  EXPECT_EQ(read.code, KILN_STATUS_OK);
  EXPECT_EQ(read.skipped, 2);
  EXPECT_EQ(read.records, (std::vector<std::string>{"aaaa", "cccc"}));
  ReadResult strict = readAll(path, makeOptions(KILN_TFRECORD_NONE));
  EXPECT_EQ(strict.code, KILN_STATUS_DATA_LOSS);
  EXPECT_NE(strict.message.find("record 1 at byte offset 20: corrupt record "
                                "data (CRC mismatch)"),
            std::string::npos)
      << strict.message;
}

/// The skip report of reading all of `path` with skip_corrupt.
std::string skipReport(const std::string &path, int32_t compression) {
  kiln_tfrecord_options_t options = makeOptions(compression, true);
  kiln_tfrecord_reader_t *raw = nullptr;
  StatusPtr status(kiln_tfrecord_reader_open(path.c_str(), &options, &raw));
  EXPECT_EQ(status, nullptr);
  ReaderPtr reader(raw);
  const uint8_t *data = nullptr;
  size_t size = 0;
  while (true) {
    StatusPtr next(kiln_tfrecord_reader_next(reader.get(), &data, &size));
    if (next)
      break;
  }
  return kiln_tfrecord_reader_skip_report(reader.get());
}

TEST(TFRecordTest, SkipReportCountsRecordsAndBytes) {
  // Four 20-byte records (12 header + 4 data + 4 CRC).
  ScratchDir dir;
  std::string path = dir.file("x.tfrecord");
  writeAll(path, {"aaaa", "bbbb", "cccc", "dddd"},
           makeOptions(KILN_TFRECORD_NONE));
  EXPECT_EQ(skipReport(path, KILN_TFRECORD_NONE), "");
  std::vector<uint8_t> bytes = readBytes(path);
  std::vector<uint8_t> data = bytes;
  data[20 + 12] ^= 1; // data of record 1: that record only
  writeBytes(path, data);
  EXPECT_EQ(skipReport(path, KILN_TFRECORD_NONE),
            "skipped 1 corrupt or undecodable record(s) (20 bytes)");
  // A corrupt length of record 1 drops records 1..3: 60 bytes, not "1
  // record".
  std::vector<uint8_t> length = bytes;
  length[20] ^= 1;
  writeBytes(path, length);
  EXPECT_EQ(skipReport(path, KILN_TFRECORD_NONE),
            "dropped the rest of the file from byte offset 20 (60 bytes) "
            "after corrupt record length (CRC mismatch): its records cannot "
            "be framed or counted");
  // Both.
  data[40] ^= 1;
  writeBytes(path, data);
  EXPECT_EQ(skipReport(path, KILN_TFRECORD_NONE),
            "skipped 1 corrupt or undecodable record(s) (20 bytes); dropped "
            "the rest of the file from byte offset 40 (40 bytes) after "
            "corrupt record length (CRC mismatch): its records cannot be "
            "framed or counted");
  // Truncated inside record 3.
  writeBytes(path, std::vector<uint8_t>(bytes.begin(), bytes.end() - 5));
  EXPECT_EQ(skipReport(path, KILN_TFRECORD_NONE),
            "dropped the rest of the file from byte offset 60 (15 bytes) "
            "after truncated record data (3 of 4 bytes): its records cannot "
            "be framed or counted");
}

TEST(TFRecordTest, FileTruncatedWhileReadIsAnErrorNotACrash) {
  // Another process cuts the file while a reader is in it (a memory-mapped
  // reader died of SIGBUS here): the reader sees the shorter file.
  ScratchDir dir;
  std::string path = dir.file("big.tfrecord");
  std::vector<std::string> records;
  for (int r = 0; r < 8; ++r)
    records.push_back(std::string(size_t(1) << 18, static_cast<char>('a' + r)));
  writeAll(path, records, makeOptions(KILN_TFRECORD_NONE));
  kiln_tfrecord_options_t options = makeOptions(KILN_TFRECORD_NONE);
  kiln_tfrecord_reader_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_tfrecord_reader_open(path.c_str(), &options, &raw));
  ReaderPtr reader(raw);
  const uint8_t *data = nullptr;
  size_t size = 0;
  KILN_ASSERT_OK(kiln_tfrecord_reader_next(reader.get(), &data, &size));
  ASSERT_EQ(std::string(reinterpret_cast<const char *>(data), size),
            records[0]);
  ASSERT_EQ(::truncate(path.c_str(), 100000), 0); // inside record 1
  StatusPtr status;
  int64_t read = 1;
  for (; read < 8; ++read) {
    status.reset(kiln_tfrecord_reader_next(reader.get(), &data, &size));
    if (status)
      break;
    EXPECT_EQ(std::string(reinterpret_cast<const char *>(data), size),
              records[static_cast<size_t>(read)]);
  }
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_DATA_LOSS);
  EXPECT_NE(std::string(kiln_status_message(status.get())).find(path),
            std::string::npos);
  EXPECT_NE(std::string(kiln_status_message(status.get()))
                .find("truncated record data"),
            std::string::npos)
      << kiln_status_message(status.get());
  // Records in the block read before the cut (1 MiB) are still served.
  EXPECT_LE(read, 4);
}

//===----------------------------------------------------------------------===//
// Malformed Example bytes
//===----------------------------------------------------------------------===//

std::string richExample(bool packed) {
  kiln_example_t *raw = nullptr;
  StatusPtr status(kiln_example_create(&raw));
  ExamplePtr example(raw);
  const int64_t ints[] = {-1, 0, 300, INT64_MAX};
  const float floats[] = {1.5f, -2.25f};
  const uint8_t hello[] = {'h', 'i'};
  const uint8_t *bytes[] = {hello, hello};
  const size_t sizes[] = {2, 0};
  StatusPtr a(kiln_example_set_int64(example.get(), "i", ints, 4));
  StatusPtr b(kiln_example_set_float(example.get(), "f", floats, 2));
  StatusPtr c(kiln_example_set_bytes(example.get(), "b", bytes, sizes, 2));
  return encode(example.get(), packed);
}

TEST(ExampleTest, EveryTruncationFails) {
  for (bool packed : {true, false}) {
    std::string bytes = richExample(packed);
    EXPECT_EQ(decodeCode(bytes), KILN_STATUS_OK);
    EXPECT_EQ(decodeCode(""), KILN_STATUS_OK); // the empty Example
    // The Example is one length-delimited field, so every proper non-empty
    // prefix is malformed; copies keep ASan's bounds exact.
    for (size_t size = 1; size < bytes.size(); ++size)
      EXPECT_EQ(decodeCode(bytes.substr(0, size)), KILN_STATUS_DATA_LOSS)
          << size;
  }
}

TEST(ExampleTest, RandomMutationsNeverCrash) {
  std::mt19937_64 rng(99);
  int decoded = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::string bytes = richExample(trial % 2 == 0);
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      size_t at = rng() % bytes.size();
      switch (rng() % 4) {
      case 0:
        bytes[at] = static_cast<char>(rng());
        break;
      case 1:
        bytes[at] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 2:
        bytes.erase(at, 1);
        break;
      default:
        bytes.insert(at, 1, static_cast<char>(rng()));
      }
    }
    kiln_example_t *raw = nullptr;
    StatusPtr status(kiln_example_decode(bytes.data(), bytes.size(), &raw));
    ExamplePtr example(raw);
    if (status) {
      EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_DATA_LOSS);
      EXPECT_EQ(raw, nullptr);
      continue;
    }
    ++decoded;
    // Whatever decodes re-encodes to the same contents.
    ExamplePtr again = decode(encode(example.get(), true));
    EXPECT_EQ(describe(again.get()), describe(example.get()));
    EXPECT_FALSE(toJson(example.get()).empty());
  }
  EXPECT_GT(decoded, 0);
}

/// Wraps `feature` (Feature message bytes) as Example{features{key: ...}}.
std::string wrapFeature(const std::string &feature,
                        const std::string &key = "k") {
  auto delimited = [](char tag, const std::string &body) {
    EXPECT_LT(body.size(), 128u);
    return std::string(1, tag) + static_cast<char>(body.size()) + body;
  };
  std::string entry = delimited('\x0a', key) + delimited('\x12', feature);
  return delimited('\x0a', delimited('\x0a', entry));
}

TEST(ExampleTest, WireFormatCases) {
  // Unknown fields of every wire type are skipped at every level.
  std::string unknown = std::string("\x28\x96\x01", 3) + // 5: varint
                        std::string("\x31") + std::string(8, '\x01') + // 6
                        std::string("\x3a\x02zz", 4) + // 7: bytes
                        std::string("\x45") + std::string(4, '\x02'); // 8
  std::string ints = "\x1a\x04\x08\x01\x08\x02"; // int64_list unpacked 1, 2
  ExamplePtr example = decode(unknown + wrapFeature(unknown + ints + unknown));
  ASSERT_NE(example, nullptr);
  EXPECT_EQ(toJson(example.get()), "{\"k\": {\"int64\": [1, 2]}}");
  // Packed and unpacked values of one list concatenate.
  example = decode(wrapFeature("\x1a\x06\x0a\x02\x03\x04\x08\x05"));
  EXPECT_EQ(toJson(example.get()), "{\"k\": {\"int64\": [3, 4, 5]}}");
  example = decode(wrapFeature(std::string("\x12\x05\x0d\x00\x00\xc0\x3f", 7)));
  EXPECT_EQ(toJson(example.get()), "{\"k\": {\"float\": [1.5]}}");
  // A oneof switching kind keeps the last kind only.
  example = decode(wrapFeature("\x1a\x02\x08\x01\x0a\x03\x0a\x01x"));
  EXPECT_EQ(toJson(example.get()), "{\"k\": {\"bytes\": [\"eA==\"]}}");
  // A repeated key replaces the earlier entry; an absent value is {}.
  std::string first = wrapFeature("\x1a\x02\x08\x01");
  std::string second = wrapFeature("");
  example = decode(first + second);
  EXPECT_EQ(toJson(example.get()), "{\"k\": {}}");
  EXPECT_EQ(kiln_example_feature_kind(example.get(), 0), KILN_FEATURE_NONE);
  // Out of order, the features come sorted by name, and a repeated key
  // still keeps its last entry.
  example = decode(wrapFeature("\x1a\x02\x08\x01", "b") +
                   wrapFeature("\x1a\x02\x08\x02", "a") +
                   wrapFeature("\x1a\x02\x08\x03", "b") +
                   wrapFeature("\x1a\x02\x08\x04", "a"));
  EXPECT_EQ(toJson(example.get()),
            "{\"a\": {\"int64\": [4]}, \"b\": {\"int64\": [3]}}");
  // A key with NUL bytes keeps its length.
  example = decode(std::string("\x0a\x07\x0a\x05\x0a\x03\x61\x00\x62", 9));
  size_t nameSize = 0;
  ASSERT_NE(kiln_example_feature_name(example.get(), 0, &nameSize), nullptr);
  EXPECT_EQ(nameSize, 3u);

  const std::pair<const char *, std::string> bad[] = {
      {"group", std::string("\x0b\x0c", 2)},
      {"end group", std::string("\x0c", 1)},
      {"wire type 6", std::string("\x0e", 1)},
      {"field 0", std::string("\x02\x00", 2)},
      {"truncated varint", std::string("\x28\x80", 2)},
      {"11-byte varint",
       std::string("\x28") + std::string(10, '\x80') + "\x01"},
      {"length past end", std::string("\x0a\x05\x0a", 3)},
      {"truncated fixed64", std::string("\x31\x01\x02", 3)},
      {"features as varint", std::string("\x08\x01", 2)},
      {"entry as fixed32", std::string("\x0a\x05\x0d\x00\x00\x00\x00", 7)},
      {"int64 as fixed32",
       wrapFeature(std::string("\x1a\x05\x0d\x00\x00\x00\x00", 7))},
      {"float as varint", wrapFeature("\x12\x02\x08\x01")},
      {"bytes as varint", wrapFeature("\x0a\x02\x08\x01")},
      {"list as varint", wrapFeature("\x18\x01")},
      {"packed floats % 4", wrapFeature("\x12\x05\x0a\x03\x00\x00\x00")},
      {"packed varint overrun", wrapFeature("\x1a\x03\x0a\x01\x80")},
      {"huge tag", std::string("\x80\x80\x80\x80\x80\x01", 6)},
  };
  for (const auto &[what, bytes] : bad) {
    kiln_example_t *raw = nullptr;
    StatusPtr status(kiln_example_decode(bytes.data(), bytes.size(), &raw));
    EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_DATA_LOSS) << what;
    EXPECT_NE(std::string(kiln_status_message(status.get()))
                  .find("malformed tf.train.Example"),
              std::string::npos)
        << what;
    EXPECT_EQ(raw, nullptr);
  }
}

TEST(ExampleTest, OutOfRangeCodeIsStable) {
  EXPECT_EQ(KILN_STATUS_OUT_OF_RANGE, 8);
  EXPECT_EQ(KILN_TFRECORD_NONE, 0);
  EXPECT_EQ(KILN_TFRECORD_ZLIB, 1);
  EXPECT_EQ(KILN_TFRECORD_GZIP, 2);
  EXPECT_EQ(KILN_FEATURE_BYTES, 1);
  EXPECT_EQ(KILN_FEATURE_FLOAT, 2);
  EXPECT_EQ(KILN_FEATURE_INT64, 3);
}
