//===- NpyTest.cpp - Tests of .npy reading and writing ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Round trips, byte-exact agreement with files numpy wrote (Inputs/), bool
// arrays ('|b1', bytes 0 and 1 only), the unsupported variants (Fortran
// order, big-endian, float16), and the robustness promises: every truncation
// and every single-bit flip of the header yields a status, never a crash
// (run under ASan/UBSan), and a failed write leaves no file behind.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

#include <sys/stat.h>

using namespace kiln::test;

namespace {

/// Reads `path`, expecting failure with `code`; returns the message.
std::string readError(const std::string &path, kiln_status_code_t code) {
  kiln_array_t *array = nullptr;
  StatusPtr status(kiln_npy_read(path.c_str(), &array));
  EXPECT_EQ(array, nullptr);
  EXPECT_EQ(kiln_status_code(status.get()), code)
      << path << ": " << kiln_status_message(status.get());
  return kiln_status_message(status.get());
}

ArrayPtr readOk(const std::string &path) {
  kiln_array_t *array = nullptr;
  StatusPtr status(kiln_npy_read(path.c_str(), &array));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  return ArrayPtr(array);
}

std::vector<int64_t> dimsOf(const kiln_array_t *array) {
  const int64_t *dims = kiln_array_dims(array);
  return std::vector<int64_t>(dims, dims + kiln_array_rank(array));
}

/// A version 1.0 .npy file with header dict `dict` followed by `dataBytes`
/// zero bytes.
std::vector<uint8_t> makeNpy(const std::string &dict, size_t dataBytes,
                             uint8_t major = 1) {
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', major, 0};
  std::string header = dict + "\n";
  bytes.push_back(static_cast<uint8_t>(header.size()));
  bytes.push_back(static_cast<uint8_t>(header.size() >> 8));
  if (major != 1) {
    bytes.push_back(0);
    bytes.push_back(0);
  }
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.resize(bytes.size() + dataBytes, 0);
  return bytes;
}

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

struct RoundTripCase {
  int32_t dtype;
  std::vector<int64_t> dims;
};

void PrintTo(const RoundTripCase &c, std::ostream *os) {
  *os << kiln_dtype_name(c.dtype) << testing::PrintToString(c.dims);
}

class NpyRoundTripTest : public testing::TestWithParam<RoundTripCase> {};

TEST_P(NpyRoundTripTest, WriteThenRead) {
  const RoundTripCase &param = GetParam();
  kiln_array_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_array_create(param.dtype,
                                   static_cast<int32_t>(param.dims.size()),
                                   param.dims.data(), &raw));
  ArrayPtr array(raw);
  auto *bytes = static_cast<uint8_t *>(kiln_array_data(array.get()));
  for (size_t i = 0; i < kiln_array_byte_size(array.get()); ++i)
    bytes[i] = param.dtype == KILN_DTYPE_BOOL
                   ? static_cast<uint8_t>(i % 3 == 1) // bools are 0 or 1
                   : static_cast<uint8_t>(i * 37 + 11);

  ScratchDir dir;
  std::string path = dir.file("a.npy");
  KILN_ASSERT_OK(kiln_npy_write(path.c_str(), array.get()));
  EXPECT_EQ(readBytes(path).size() % 64, kiln_array_byte_size(array.get()) % 64)
      << "the data must start on a 64-byte boundary";
  ArrayPtr back = readOk(path);
  ASSERT_TRUE(back);
  EXPECT_EQ(kiln_array_dtype(back.get()), param.dtype);
  EXPECT_EQ(dimsOf(back.get()), param.dims);
  ASSERT_EQ(kiln_array_byte_size(back.get()),
            kiln_array_byte_size(array.get()));
  if (kiln_array_byte_size(array.get())) {
    EXPECT_EQ(std::memcmp(kiln_array_data(back.get()), bytes,
                          kiln_array_byte_size(array.get())),
              0);
  }
  EXPECT_EQ(dir.list(), std::vector<std::string>{"a.npy"});
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, NpyRoundTripTest,
    testing::Values(
        RoundTripCase{KILN_DTYPE_F32, {}}, RoundTripCase{KILN_DTYPE_F32, {0}},
        RoundTripCase{KILN_DTYPE_F32, {7}},
        RoundTripCase{KILN_DTYPE_F32, {2, 3}},
        RoundTripCase{KILN_DTYPE_F32, {0, 3}},
        RoundTripCase{KILN_DTYPE_F32, {3, 0}},
        RoundTripCase{KILN_DTYPE_F32, {2, 3, 4, 5}},
        RoundTripCase{KILN_DTYPE_F32, {1, 1, 1, 1, 1, 1, 1, 1}},
        RoundTripCase{KILN_DTYPE_F32, {1000, 17}},
        RoundTripCase{KILN_DTYPE_F64, {3, 2}},
        RoundTripCase{KILN_DTYPE_I32, {5}}, RoundTripCase{KILN_DTYPE_I64, {}},
        RoundTripCase{KILN_DTYPE_U8, {4, 4}},
        RoundTripCase{KILN_DTYPE_BOOL, {}}, RoundTripCase{KILN_DTYPE_BOOL, {0}},
        RoundTripCase{KILN_DTYPE_BOOL, {3, 5, 7}}),
    [](const testing::TestParamInfo<RoundTripCase> &info) {
      std::string name = kiln_dtype_name(info.param.dtype);
      name += "_rank" + std::to_string(info.param.dims.size());
      for (int64_t dim : info.param.dims)
        name += "_" + std::to_string(dim);
      return name;
    });

TEST(NpyTest, WriterMatchesNumpyByteForByte) {
  ScratchDir dir;
  for (const char *name :
       {"f4_2x3.npy", "f8_4.npy", "i8_2x2.npy", "i4_3.npy", "u1_5.npy",
        "b1_2x3.npy", "f4_scalar.npy", "f4_empty_0x3.npy"}) {
    SCOPED_TRACE(name);
    ArrayPtr array = readOk(inputPath(name));
    ASSERT_TRUE(array);
    std::string path = dir.file(name);
    KILN_ASSERT_OK(kiln_npy_write(path.c_str(), array.get()));
    EXPECT_EQ(readBytes(path), readBytes(inputPath(name)));
  }
}

TEST(NpyTest, ReadsNumpyFixtures) {
  ArrayPtr f4 = readOk(inputPath("f4_2x3.npy"));
  ASSERT_TRUE(f4);
  EXPECT_EQ(kiln_array_dtype(f4.get()), KILN_DTYPE_F32);
  EXPECT_EQ(dimsOf(f4.get()), (std::vector<int64_t>{2, 3}));
  auto *f = static_cast<float *>(kiln_array_data(f4.get()));
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(f[i], 0.5f * i);

  ArrayPtr f8 = readOk(inputPath("f8_4.npy"));
  ASSERT_TRUE(f8);
  EXPECT_EQ(kiln_array_dtype(f8.get()), KILN_DTYPE_F64);
  auto *d = static_cast<double *>(kiln_array_data(f8.get()));
  EXPECT_EQ(d[1], -2.25);
  EXPECT_EQ(d[2], 1e300);

  ArrayPtr i8 = readOk(inputPath("i8_2x2.npy"));
  ASSERT_TRUE(i8);
  EXPECT_EQ(kiln_array_dtype(i8.get()), KILN_DTYPE_I64);
  EXPECT_EQ(static_cast<int64_t *>(kiln_array_data(i8.get()))[3], int64_t(1)
                                                                      << 40);

  ArrayPtr i4 = readOk(inputPath("i4_3.npy"));
  ASSERT_TRUE(i4);
  EXPECT_EQ(kiln_array_dtype(i4.get()), KILN_DTYPE_I32);
  EXPECT_EQ(static_cast<int32_t *>(kiln_array_data(i4.get()))[1], -8);

  ArrayPtr u1 = readOk(inputPath("u1_5.npy"));
  ASSERT_TRUE(u1);
  EXPECT_EQ(kiln_array_dtype(u1.get()), KILN_DTYPE_U8);
  EXPECT_EQ(static_cast<uint8_t *>(kiln_array_data(u1.get()))[4], 255);

  // np.save('b1_2x3.npy', np.array([[True, False, True],
  //                                 [False, False, True]]))
  ArrayPtr b1 = readOk(inputPath("b1_2x3.npy"));
  ASSERT_TRUE(b1);
  EXPECT_EQ(kiln_array_dtype(b1.get()), KILN_DTYPE_BOOL);
  EXPECT_EQ(dimsOf(b1.get()), (std::vector<int64_t>{2, 3}));
  ASSERT_EQ(kiln_array_byte_size(b1.get()), 6u);
  const auto *b = static_cast<const uint8_t *>(kiln_array_data(b1.get()));
  EXPECT_EQ(std::vector<uint8_t>(b, b + 6),
            (std::vector<uint8_t>{1, 0, 1, 0, 0, 1}));

  ArrayPtr scalar = readOk(inputPath("f4_scalar.npy"));
  ASSERT_TRUE(scalar);
  EXPECT_EQ(kiln_array_rank(scalar.get()), 0);
  EXPECT_EQ(*static_cast<float *>(kiln_array_data(scalar.get())), 3.25f);

  ArrayPtr empty = readOk(inputPath("f4_empty_0x3.npy"));
  ASSERT_TRUE(empty);
  EXPECT_EQ(dimsOf(empty.get()), (std::vector<int64_t>{0, 3}));
}

TEST(NpyTest, ReadsFormatVersions2And3) {
  for (const char *name : {"f4_v2_4x1.npy", "f4_v3_4x1.npy"}) {
    SCOPED_TRACE(name);
    ASSERT_EQ(readBytes(inputPath(name))[6], name[4] - '0');
    ArrayPtr array = readOk(inputPath(name));
    ASSERT_TRUE(array);
    EXPECT_EQ(dimsOf(array.get()), (std::vector<int64_t>{4, 1}));
    EXPECT_EQ(static_cast<float *>(kiln_array_data(array.get()))[3], 3.0f);
  }
}

TEST(NpyTest, UnsupportedVariantsAreUnimplemented) {
  std::string path = inputPath("f4_fortran_2x3.npy");
  EXPECT_EQ(readError(path, KILN_STATUS_UNIMPLEMENTED),
            path + ": Fortran-order arrays are not supported; save a C-order "
                   "copy (np.ascontiguousarray)");
  path = inputPath("f4_bigendian_3.npy");
  EXPECT_EQ(readError(path, KILN_STATUS_UNIMPLEMENTED),
            path + ": big-endian data ('>f4') is not supported; convert with "
                   "arr.astype('<f4')");
  path = inputPath("f2_3.npy");
  EXPECT_EQ(readError(path, KILN_STATUS_UNIMPLEMENTED),
            path + ": unsupported dtype '<f2' (supported: <f4, <f8, <i4, <i8, "
                   "|u1, |b1)");
}

TEST(NpyTest, MissingFileAndDirectory) {
  EXPECT_EQ(readError("/nonexistent-kiln/x.npy", KILN_STATUS_NOT_FOUND),
            "cannot open '/nonexistent-kiln/x.npy': No such file or directory");
  ScratchDir dir;
  EXPECT_EQ(readError(dir.path, KILN_STATUS_IO_ERROR),
            "cannot read '" + dir.path + "': not a file");
}

//===----------------------------------------------------------------------===//
// Corrupt files
//===----------------------------------------------------------------------===//

TEST(NpyTest, EveryTruncationIsDataLoss) {
  std::vector<uint8_t> full = readBytes(inputPath("f4_2x3.npy"));
  ASSERT_EQ(full.size(), 152u);
  ScratchDir dir;
  std::string path = dir.file("t.npy");
  for (size_t length = 0; length < full.size(); ++length) {
    SCOPED_TRACE(length);
    writeBytes(path, std::vector<uint8_t>(full.begin(), full.begin() + length));
    std::string message = readError(path, KILN_STATUS_DATA_LOSS);
    EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
  }
  writeBytes(path, std::vector<uint8_t>(full.begin(), full.begin() + 140));
  EXPECT_EQ(readError(path, KILN_STATUS_DATA_LOSS),
            path + ": truncated .npy data: shape (2, 3) of float32 needs 24 "
                   "bytes, the file has 12");
  writeBytes(path, std::vector<uint8_t>(full.begin(), full.begin() + 60));
  EXPECT_EQ(readError(path, KILN_STATUS_DATA_LOSS),
            path + ": truncated .npy header: needs 128 bytes, the file has 60");
}

TEST(NpyTest, HeaderBitFlipsNeverCrash) {
  std::vector<uint8_t> full = readBytes(inputPath("f4_2x3.npy"));
  ScratchDir dir;
  std::string path = dir.file("f.npy");
  int failures = 0;
  for (size_t byte = 0; byte < 128; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> bytes = full;
      bytes[byte] ^= static_cast<uint8_t>(1 << bit);
      writeBytes(path, bytes);
      kiln_array_t *array = nullptr;
      StatusPtr status(kiln_npy_read(path.c_str(), &array));
      ArrayPtr owned(array);
      if (status) {
        ++failures;
        EXPECT_EQ(array, nullptr);
        EXPECT_NE(kiln_status_code(status.get()), KILN_STATUS_OK);
        EXPECT_NE(kiln_status_code(status.get()), KILN_STATUS_INTERNAL);
        continue;
      }
      // A flip that still parses (say a padding space turned into a tab)
      // must describe data that is really in the file.
      ASSERT_TRUE(array);
      EXPECT_LE(kiln_array_byte_size(array), bytes.size() - 128 + 0u);
    }
  }
  EXPECT_GT(failures, 128 * 8 / 2);
}

TEST(NpyTest, MalformedHeaders) {
  ScratchDir dir;
  std::string path = dir.file("m.npy");
  struct Case {
    std::string dict;
    kiln_status_code_t code;
    std::string message; // after "<path>: "
  };
  const std::string okPrefix = "{'descr': '<f4', 'fortran_order': False, ";
  const Case cases[] = {
      {"{'descr': '<f4', 'fortran_order': False}", KILN_STATUS_DATA_LOSS,
       "malformed .npy header: missing key 'shape'"},
      {okPrefix + "'shape': (2,), 'shape': (2,)}", KILN_STATUS_DATA_LOSS,
       "malformed .npy header: duplicate key 'shape' at byte 56"},
      {okPrefix + "'shape': (2,), 'extra': 1}", KILN_STATUS_DATA_LOSS,
       "malformed .npy header: unexpected key 'extra' at byte 56"},
      {okPrefix + "'shape': (2)}", KILN_STATUS_DATA_LOSS,
       "malformed .npy header: shape is not a tuple at byte 53"},
      {okPrefix + "'shape': (-2,)}", KILN_STATUS_DATA_LOSS,
       "malformed .npy header: expected a non-negative integer in the shape "
       "at byte 51"},
      {okPrefix + "'shape': (99999999999999999999,)}", KILN_STATUS_DATA_LOSS,
       "malformed .npy header: dimension overflows int64 at byte 69"},
      {okPrefix + "'shape': (4294967296, 4294967296, 4294967296)}",
       KILN_STATUS_DATA_LOSS,
       ".npy shape (4294967296, 4294967296, 4294967296) of float32 is too "
       "large"},
      {okPrefix + "'shape': (1000000000000,)}", KILN_STATUS_DATA_LOSS,
       "truncated .npy data: shape (1000000000000,) of float32 needs "
       "4000000000000 bytes, the file has 8"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': ()",
       KILN_STATUS_DATA_LOSS,
       "malformed .npy header: expected ',' or '}' at byte 53"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': ()\x01}",
       KILN_STATUS_DATA_LOSS,
       "malformed .npy header: expected ',' or '}' at byte 52"},
      {"{'descr': '<f4', 'fortran_order' False, 'shape': ()}",
       KILN_STATUS_DATA_LOSS,
       "malformed .npy header: expected ':' after a key at byte 33"},
      {"{'descr': '<f4", KILN_STATUS_DATA_LOSS,
       "malformed .npy header: unterminated string at byte 14"},
      {"{'descr': '\xff\x01', 'fortran_order': False, 'shape': ()}",
       KILN_STATUS_UNIMPLEMENTED,
       "unsupported dtype '\\xff\\x01' (supported: <f4, <f8, <i4, <i8, "
       "|u1, |b1)"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': ()} x",
       KILN_STATUS_DATA_LOSS,
       "malformed .npy header: unexpected text after the dict at byte 54"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': ()}",
       KILN_STATUS_DATA_LOSS,
       "malformed .npy header: expected True or False at byte 34"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': ()}",
       KILN_STATUS_UNIMPLEMENTED, "structured dtypes are not supported"},
      {"{'descr': '|f4', 'fortran_order': False, 'shape': ()}",
       KILN_STATUS_UNIMPLEMENTED,
       "unsupported dtype '|f4' (supported: <f4, <f8, <i4, <i8, |u1, |b1)"},
      // A byte order may only be left out for a single-byte type.
      {"{'descr': 'f4', 'fortran_order': False, 'shape': ()}",
       KILN_STATUS_UNIMPLEMENTED,
       "unsupported dtype 'f4' (supported: <f4, <f8, <i4, <i8, |u1, |b1)"},
      {"{'descr': '?', 'fortran_order': False, 'shape': ()}",
       KILN_STATUS_UNIMPLEMENTED,
       "unsupported dtype '?' (supported: <f4, <f8, <i4, <i8, |u1, |b1)"},
      {"[]", KILN_STATUS_DATA_LOSS,
       "malformed .npy header: expected '{' at byte 0"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.dict);
    writeBytes(path, makeNpy(c.dict, 8));
    EXPECT_EQ(readError(path, c.code), path + ": " + c.message);
  }
  // The same dict with numpy's variations is fine: double quotes, no
  // trailing comma, keys reordered, Python 2 long dims.
  writeBytes(path, makeNpy("{\"shape\": (2L,), \"fortran_order\": False, "
                           "\"descr\": \"<f4\"}",
                           8));
  ArrayPtr array = readOk(path);
  ASSERT_TRUE(array);
  EXPECT_EQ(dimsOf(array.get()), std::vector<int64_t>{2});
}

TEST(NpyTest, BoolDescrSpellings) {
  // numpy writes '|b1'; np.dtype also reads 'b1' and the other byte orders,
  // which mean nothing for one byte.
  ScratchDir dir;
  std::string path = dir.file("b.npy");
  for (const char *descr : {"|b1", "b1", "<b1", "=b1", ">b1"}) {
    SCOPED_TRACE(descr);
    writeBytes(path, makeNpy(std::string("{'descr': '") + descr +
                                 "', 'fortran_order': False, 'shape': (3,)}",
                             3));
    ArrayPtr array = readOk(path);
    ASSERT_TRUE(array);
    EXPECT_EQ(kiln_array_dtype(array.get()), KILN_DTYPE_BOOL);
    EXPECT_EQ(dimsOf(array.get()), std::vector<int64_t>{3});
  }
}

TEST(NpyTest, BoolBytesOtherThanZeroAndOneAreRefused) {
  // Reading: a corrupt file (numpy only writes 0 and 1).
  ScratchDir dir;
  std::string path = dir.file("b.npy");
  std::vector<uint8_t> bytes = readBytes(inputPath("b1_2x3.npy"));
  ASSERT_EQ(bytes.size(), 134u);
  bytes[128 + 4] = 2;
  writeBytes(path, bytes);
  EXPECT_EQ(readError(path, KILN_STATUS_DATA_LOSS),
            path + ": corrupt .npy data: bool element 4 is byte 2, not 0 "
                   "or 1");
  for (int bit = 1; bit < 8; ++bit) {
    bytes[128 + 5] = static_cast<uint8_t>(1 | (1 << bit));
    bytes[128 + 4] = 0;
    writeBytes(path, bytes);
    readError(path, KILN_STATUS_DATA_LOSS);
  }

  // Writing: such an array is never written.
  int64_t dims[1] = {3};
  kiln_array_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_array_create(KILN_DTYPE_BOOL, 1, dims, &raw));
  ArrayPtr array(raw);
  static_cast<uint8_t *>(kiln_array_data(array.get()))[2] = 0xff;
  std::string out = dir.file("w.npy");
  StatusPtr status(kiln_npy_write(out.c_str(), array.get()));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(kiln_status_message(status.get())),
            out + ": bool element 2 is byte 255, not 0 or 1");
  EXPECT_EQ(dir.list(), std::vector<std::string>{"b.npy"});
}

TEST(NpyTest, BadPreambles) {
  ScratchDir dir;
  std::string path = dir.file("p.npy");
  writeBytes(path, {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(readError(path, KILN_STATUS_DATA_LOSS),
            path + ": not a .npy file (bad magic bytes)");
  std::vector<uint8_t> bytes = makeNpy("{}", 0);
  bytes[6] = 4;
  writeBytes(path, bytes);
  EXPECT_EQ(readError(path, KILN_STATUS_UNIMPLEMENTED),
            path + ": unsupported .npy format version 4.0 (supported: 1.0, "
                   "2.0, 3.0)");
  bytes = makeNpy("{}", 0, 2);
  bytes[11] = 0x80; // a 2 GiB header
  writeBytes(path, bytes);
  EXPECT_EQ(readError(path, KILN_STATUS_DATA_LOSS),
            path + ": .npy header length 2147483651 exceeds the limit of "
                   "1048576 bytes");
}

//===----------------------------------------------------------------------===//
// Atomic writes
//===----------------------------------------------------------------------===//

TEST(NpyTest, FailedWriteLeavesNothing) {
  ArrayPtr array = makeIota(3);
  ScratchDir dir;
  std::string path = dir.file("missing/y.npy");
  StatusPtr status(kiln_npy_write(path.c_str(), array.get()));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_NOT_FOUND);
  EXPECT_EQ(std::string(kiln_status_message(status.get())),
            "cannot create '" + path + "': No such file or directory");
  EXPECT_TRUE(dir.list().empty());

  // A directory is not replaced by a file, and no temporary is left.
  ASSERT_EQ(mkdir(dir.file("adir").c_str(), 0755), 0);
  status.reset(kiln_npy_write(dir.file("adir").c_str(), array.get()));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_IO_ERROR);
  EXPECT_EQ(dir.list(), std::vector<std::string>{"adir"});
  rmdir(dir.file("adir").c_str());
}

TEST(NpyTest, WriteReplacesExistingFile) {
  ScratchDir dir;
  std::string path = dir.file("y.npy");
  writeBytes(path, std::vector<uint8_t>(1000, 'x'));
  ArrayPtr array = makeIota(2);
  KILN_ASSERT_OK(kiln_npy_write(path.c_str(), array.get()));
  ArrayPtr back = readOk(path);
  ASSERT_TRUE(back);
  EXPECT_EQ(dimsOf(back.get()), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(dir.list(), std::vector<std::string>{"y.npy"});
}

} // namespace
