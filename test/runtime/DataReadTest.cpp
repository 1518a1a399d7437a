//===- DataReadTest.cpp - Tests of kiln_data_read ---------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln_data_read on the fixtures of DatasetTest.cpp (see its header for how
// they were written): IDX images stay uint8 (5, 2, 3) and labels become
// int64 (5,), raw and gzipped; .npz and .npy arrays come back as stored; a
// single file gives no y; and the errors.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

using namespace kiln::test;

namespace {

struct ReadResult {
  ArrayPtr x, y;
  kiln_status_code_t code;
  std::string message;
};

ReadResult read(const std::string &spec) {
  kiln_array_t *x = nullptr, *y = nullptr;
  StatusPtr status(kiln_data_read(spec.c_str(), &x, &y));
  return {ArrayPtr(x), ArrayPtr(y), kiln_status_code(status.get()),
          kiln_status_message(status.get())};
}

std::vector<int64_t> dims(const ArrayPtr &array) {
  return {kiln_array_dims(array.get()),
          kiln_array_dims(array.get()) + kiln_array_rank(array.get())};
}

TEST(DataReadTest, Idx) {
  for (const char *suffix : {"", ".gz"}) {
    ReadResult result =
        read(inputPath(std::string("images-idx3-ubyte") + suffix) + "," +
             inputPath(std::string("labels-idx1-ubyte") + suffix));
    ASSERT_EQ(result.code, KILN_STATUS_OK) << result.message;
    EXPECT_EQ(kiln_array_dtype(result.x.get()), KILN_DTYPE_U8);
    EXPECT_EQ(dims(result.x), (std::vector<int64_t>{5, 2, 3}));
    const auto *pixels =
        static_cast<const uint8_t *>(kiln_array_data(result.x.get()));
    for (int i = 0; i < 30; ++i)
      EXPECT_EQ(pixels[i], i * 8);
    EXPECT_EQ(kiln_array_dtype(result.y.get()), KILN_DTYPE_I64);
    EXPECT_EQ(dims(result.y), (std::vector<int64_t>{5}));
    const auto *labels =
        static_cast<const int64_t *>(kiln_array_data(result.y.get()));
    EXPECT_EQ(std::vector<int64_t>(labels, labels + 5),
              (std::vector<int64_t>{3, 1, 4, 1, 5}));
  }
  // Images alone.
  ReadResult images = read(inputPath("images-idx3-ubyte"));
  ASSERT_EQ(images.code, KILN_STATUS_OK) << images.message;
  EXPECT_EQ(images.y, nullptr);
}

TEST(DataReadTest, NpzAndNpy) {
  for (const char *name : {"xy_stored.npz", "xy_deflated.npz"}) {
    ReadResult result = read(inputPath(name));
    ASSERT_EQ(result.code, KILN_STATUS_OK) << result.message;
    EXPECT_EQ(kiln_array_dtype(result.x.get()), KILN_DTYPE_F32);
    EXPECT_EQ(dims(result.x), (std::vector<int64_t>{6, 2}));
    EXPECT_EQ(static_cast<const float *>(kiln_array_data(result.x.get()))[11],
              11.0f / 4);
    EXPECT_EQ(kiln_array_dtype(result.y.get()), KILN_DTYPE_I64);
    EXPECT_EQ(dims(result.y), (std::vector<int64_t>{6}));
  }
  ReadResult pair = read(inputPath("f4_2x3.npy") + "," + inputPath("u1_5.npy"));
  ASSERT_EQ(pair.code, KILN_STATUS_OK) << pair.message;
  EXPECT_EQ(dims(pair.x), (std::vector<int64_t>{2, 3}));
  // .npy data is returned as stored, even rank-1 uint8.
  EXPECT_EQ(kiln_array_dtype(pair.y.get()), KILN_DTYPE_U8);
  ReadResult single = read(inputPath("i8_2x2.npy"));
  ASSERT_EQ(single.code, KILN_STATUS_OK) << single.message;
  EXPECT_EQ(kiln_array_dtype(single.x.get()), KILN_DTYPE_I64);
  EXPECT_EQ(single.y, nullptr);
}

TEST(DataReadTest, Errors) {
  ScratchDir dir;
  EXPECT_EQ(read(dir.file("missing.npy")).code, KILN_STATUS_NOT_FOUND);
  ReadResult three = read(inputPath("u1_5.npy") + "," + inputPath("u1_5.npy") +
                          "," + inputPath("u1_5.npy"));
  EXPECT_EQ(three.code, KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(three.message.find("expected x or x,y"), std::string::npos);
  EXPECT_EQ(read(inputPath("u1_5.npy") + ",").code,
            KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(read(inputPath("xy_stored.npz") + "," + inputPath("u1_5.npy")).code,
            KILN_STATUS_INVALID_ARGUMENT);
  writeBytes(dir.file("junk.bin"), {'h', 'e', 'l', 'l', 'o'});
  EXPECT_EQ(read(dir.file("junk.bin")).code, KILN_STATUS_DATA_LOSS);
  kiln_array_t *x = nullptr;
  StatusPtr status(kiln_data_read(inputPath("u1_5.npy").c_str(), &x, nullptr));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(x, nullptr);
}

} // namespace
