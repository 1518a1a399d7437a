//===- DataReadTest.cpp - Tests of kiln_data_read ---------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln_data_read on the fixtures of DatasetTest.cpp (see its header for how
// they were written): IDX images become float32 (5, 2, 3) scaled to [0, 1]
// and labels int64 (5,), raw and gzipped; .npz and .npy arrays come back as
// stored; a single file gives no y; and the errors.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

#include <cstdio>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

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
    // Scaled as kiln_dataset_open scales them: numpy's
    // np.arange(30, dtype=np.uint8) * 8 / np.float32(255).
    EXPECT_EQ(kiln_array_dtype(result.x.get()), KILN_DTYPE_F32);
    EXPECT_EQ(dims(result.x), (std::vector<int64_t>{5, 2, 3}));
    const auto *pixels =
        static_cast<const float *>(kiln_array_data(result.x.get()));
    for (int i = 0; i < 30; ++i)
      EXPECT_EQ(pixels[i], static_cast<float>(i * 8) / 255.0f);
    EXPECT_EQ(kiln_array_dtype(result.y.get()), KILN_DTYPE_I64);
    EXPECT_EQ(dims(result.y), (std::vector<int64_t>{5}));
    const auto *labels =
        static_cast<const int64_t *>(kiln_array_data(result.y.get()));
    EXPECT_EQ(std::vector<int64_t>(labels, labels + 5),
              (std::vector<int64_t>{3, 1, 4, 1, 5}));
  }
  // Images alone; images as y (an autoencoder's targets) are scaled too.
  ReadResult images = read(inputPath("images-idx3-ubyte"));
  ASSERT_EQ(images.code, KILN_STATUS_OK) << images.message;
  EXPECT_EQ(images.y, nullptr);
  ReadResult pair = read(inputPath("images-idx3-ubyte") + "," +
                         inputPath("images-idx3-ubyte"));
  ASSERT_EQ(pair.code, KILN_STATUS_OK) << pair.message;
  EXPECT_EQ(kiln_array_dtype(pair.y.get()), KILN_DTYPE_F32);
  EXPECT_EQ(static_cast<const float *>(kiln_array_data(pair.y.get()))[29],
            232.0f / 255.0f);
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

namespace {

void put16(std::vector<uint8_t> &out, uint32_t value) {
  out.push_back(uint8_t(value));
  out.push_back(uint8_t(value >> 8));
}
void put32(std::vector<uint8_t> &out, uint32_t value) {
  put16(out, value & 0xffff);
  put16(out, value >> 16);
}
void put64(std::vector<uint8_t> &out, uint64_t value) {
  put32(out, uint32_t(value));
  put32(out, uint32_t(value >> 32));
}

/// An .npz (zip64 sizes, as numpy writes them) of one deflated member "x.npy"
/// holding `data` that declares `declared` bytes uncompressed.
std::vector<uint8_t> npzDeclaring(const std::vector<uint8_t> &data,
                                  uint64_t declared) {
  const std::string name = "x.npy";
  auto extra = [&](std::vector<uint8_t> &out) {
    put16(out, 1);
    put16(out, 16);
    put64(out, declared);
    put64(out, data.size());
  };
  std::vector<uint8_t> zip;
  put32(zip, 0x04034b50);
  put16(zip, 45);
  put16(zip, 0);
  put16(zip, 8);
  put32(zip, 0); // time, date
  put32(zip, 0); // crc
  put32(zip, 0xffffffff);
  put32(zip, 0xffffffff);
  put16(zip, uint32_t(name.size()));
  put16(zip, 20);
  zip.insert(zip.end(), name.begin(), name.end());
  extra(zip);
  zip.insert(zip.end(), data.begin(), data.end());
  uint32_t directory = uint32_t(zip.size());
  put32(zip, 0x02014b50);
  put16(zip, 45);
  put16(zip, 45);
  put16(zip, 0);
  put16(zip, 8);
  put32(zip, 0);
  put32(zip, 0);
  put32(zip, 0xffffffff);
  put32(zip, 0xffffffff);
  put16(zip, uint32_t(name.size()));
  put16(zip, 20);
  put16(zip, 0); // comment
  put16(zip, 0); // disk
  put16(zip, 0);
  put32(zip, 0);
  put32(zip, 0); // local header offset
  zip.insert(zip.end(), name.begin(), name.end());
  extra(zip);
  uint32_t directorySize = uint32_t(zip.size()) - directory;
  put32(zip, 0x06054b50);
  put16(zip, 0);
  put16(zip, 0);
  put16(zip, 1);
  put16(zip, 1);
  put32(zip, directorySize);
  put32(zip, directory);
  put16(zip, 0);
  return zip;
}

/// Raw deflate of `size` zero bytes, then `padding` bytes after its end.
std::vector<uint8_t> deflatedZeros(size_t size, size_t padding) {
  std::vector<uint8_t> zeros(size), out(compressBound(size) + 64);
  z_stream stream = {};
  deflateInit2(&stream, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
  stream.next_in = zeros.data();
  stream.avail_in = uInt(size);
  stream.next_out = out.data();
  stream.avail_out = uInt(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  out.resize(out.size() + padding, 0x55);
  return out;
}

} // namespace

TEST(DataReadTest, NpzMemberSizeIsCheckedBeforeAllocating) {
  ScratchDir dir;
  std::string path = dir.file("big.npz");
  // 1 MiB of data that declares 256 MiB: only what inflates is allocated
  // (64 MiB at first), and the message says how much was there.
  writeBytes(path, npzDeclaring(deflatedZeros(1 << 20, 300 << 10), uint64_t(256)
                                                                       << 20));
  ReadResult result = read(path);
  EXPECT_EQ(result.code, KILN_STATUS_DATA_LOSS);
  EXPECT_EQ(result.message, path + ": corrupt or truncated deflate data in "
                                   "member 'x.npy' (1048576 of the 268435456 "
                                   "bytes it declares inflated)");

  // A declared size beyond the memory available is refused up front (the
  // address-space limit stands for a small machine).
  writeBytes(path,
             npzDeclaring(deflatedZeros(1 << 20, 3 << 20), uint64_t(3) << 30));
  rlimit previous;
  ASSERT_EQ(getrlimit(RLIMIT_AS, &previous), 0);
  long pages = 0;
  if (FILE *file = std::fopen("/proc/self/statm", "r")) {
    EXPECT_EQ(std::fscanf(file, "%ld", &pages), 1);
    std::fclose(file);
  }
  uint64_t used = uint64_t(pages) * uint64_t(sysconf(_SC_PAGESIZE));
  rlimit limit = previous;
  limit.rlim_cur = used + (uint64_t(1) << 30);
  if (previous.rlim_cur != RLIM_INFINITY && previous.rlim_cur < limit.rlim_cur)
    GTEST_SKIP() << "RLIMIT_AS is already small";
  ASSERT_EQ(setrlimit(RLIMIT_AS, &limit), 0);
  result = read(path);
  setrlimit(RLIMIT_AS, &previous);
  EXPECT_EQ(result.code, KILN_STATUS_OUT_OF_MEMORY);
  EXPECT_NE(result.message.find(path + ": member 'x.npy' declares 3221225472 "
                                       "bytes uncompressed (3.0 GiB), more "
                                       "than the "),
            std::string::npos)
      << result.message;
  EXPECT_NE(result.message.find("of memory available; not extracted"),
            std::string::npos)
      << result.message;
}
