//===- ArrayTest.cpp - Tests of kiln_array_t --------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Creation (zero fill, alignment, rank 0, empty, overflow), reference
// counting and dtype conversion including the lossy cases it refuses.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

#include <cmath>
#include <limits>

using namespace kiln::test;

namespace {

ArrayPtr create(int32_t dtype, std::vector<int64_t> dims) {
  kiln_array_t *array = nullptr;
  StatusPtr status(kiln_array_create(dtype, static_cast<int32_t>(dims.size()),
                                     dims.data(), &array));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  return ArrayPtr(array);
}

TEST(ArrayTest, CreateIsZeroedAndAligned) {
  ArrayPtr array = create(KILN_DTYPE_F32, {3, 5});
  ASSERT_TRUE(array);
  EXPECT_EQ(kiln_array_dtype(array.get()), KILN_DTYPE_F32);
  EXPECT_EQ(kiln_array_rank(array.get()), 2);
  EXPECT_EQ(kiln_array_dims(array.get())[0], 3);
  EXPECT_EQ(kiln_array_dims(array.get())[1], 5);
  EXPECT_EQ(kiln_array_num_elements(array.get()), 15);
  EXPECT_EQ(kiln_array_byte_size(array.get()), 60u);
  auto *data = static_cast<float *>(kiln_array_data(array.get()));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 64, 0u);
  for (int i = 0; i < 15; ++i)
    EXPECT_EQ(data[i], 0.0f);
}

TEST(ArrayTest, ScalarAndEmpty) {
  kiln_array_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_array_create(KILN_DTYPE_F64, 0, nullptr, &raw));
  ArrayPtr scalar(raw);
  EXPECT_EQ(kiln_array_num_elements(scalar.get()), 1);
  EXPECT_EQ(kiln_array_byte_size(scalar.get()), 8u);
  EXPECT_NE(kiln_array_dims(scalar.get()), nullptr);

  ArrayPtr empty = create(KILN_DTYPE_I64, {4, 0, 7});
  EXPECT_EQ(kiln_array_num_elements(empty.get()), 0);
  EXPECT_EQ(kiln_array_byte_size(empty.get()), 0u);
  EXPECT_EQ(kiln_array_data(empty.get()), nullptr);
}

TEST(ArrayTest, RejectsBadShapes) {
  kiln_array_t *array = nullptr;
  int64_t negative[2] = {2, -1};
  StatusPtr status(kiln_array_create(KILN_DTYPE_F32, 2, negative, &array));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_status_message(status.get()),
               "invalid shape (2, None): negative dimension or too large");

  int64_t huge[3] = {1 << 30, 1 << 30, 1 << 30};
  status.reset(kiln_array_create(KILN_DTYPE_F32, 3, huge, &array));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);

  // Overflows only in bytes, not in elements.
  int64_t bytes[1] = {INT64_MAX / 2};
  status.reset(kiln_array_create(KILN_DTYPE_F64, 1, bytes, &array));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);

  status.reset(
      kiln_array_create(KILN_DTYPE_F32, KILN_MAX_RANK + 1, huge, &array));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(array, nullptr);
}

TEST(ArrayTest, RetainRelease) {
  ArrayPtr array = create(KILN_DTYPE_U8, {2});
  kiln_array_retain(array.get());
  kiln_array_release(array.get()); // back to one reference
  EXPECT_EQ(kiln_array_num_elements(array.get()), 2);
  kiln_array_release(nullptr);
}

TEST(ArrayTest, ConvertToFloat32) {
  ArrayPtr source = create(KILN_DTYPE_F64, {3});
  auto *data = static_cast<double *>(kiln_array_data(source.get()));
  data[0] = 1.5;
  data[1] = -1e300; // out of float range: -inf, like numpy
  data[2] = 0.1;
  kiln_array_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_array_convert(source.get(), KILN_DTYPE_F32, &raw));
  ArrayPtr result(raw);
  ASSERT_EQ(kiln_array_dtype(result.get()), KILN_DTYPE_F32);
  ASSERT_EQ(kiln_array_rank(result.get()), 1);
  auto *out = static_cast<float *>(kiln_array_data(result.get()));
  EXPECT_EQ(out[0], 1.5f);
  EXPECT_EQ(out[1], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(out[2], 0.1f);
}

TEST(ArrayTest, ConvertIntegers) {
  ArrayPtr source = create(KILN_DTYPE_I64, {3});
  auto *data = static_cast<int64_t *>(kiln_array_data(source.get()));
  data[0] = 0;
  data[1] = 255;
  data[2] = -7;
  kiln_array_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_array_convert(source.get(), KILN_DTYPE_I32, &raw));
  ArrayPtr asInt32(raw);
  EXPECT_EQ(static_cast<int32_t *>(kiln_array_data(asInt32.get()))[2], -7);

  raw = nullptr;
  StatusPtr status(kiln_array_convert(source.get(), KILN_DTYPE_U8, &raw));
  EXPECT_EQ(raw, nullptr);
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_status_message(status.get()),
               "cannot convert element 2 (-7) from int64 to uint8 exactly");
}

TEST(ArrayTest, ConvertRefusesLossyFloatToInt) {
  ArrayPtr source = create(KILN_DTYPE_F32, {4});
  auto *data = static_cast<float *>(kiln_array_data(source.get()));
  data[0] = 3;
  data[1] = -2;
  data[2] = 2.5f;
  data[3] = NAN;
  kiln_array_t *raw = nullptr;
  StatusPtr status(kiln_array_convert(source.get(), KILN_DTYPE_I32, &raw));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_status_message(status.get()),
               "cannot convert element 2 (2.5) from float32 to int32 exactly");

  data[2] = 2;
  status.reset(kiln_array_convert(source.get(), KILN_DTYPE_I64, &raw));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(kiln_status_message(status.get()), "element 3 (nan)"),
            nullptr);

  data[3] = 9.3e18f; // above INT64_MAX
  status.reset(kiln_array_convert(source.get(), KILN_DTYPE_I64, &raw));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);

  data[3] = -9.2233720e18f; // exactly INT64_MIN
  status.reset(kiln_array_convert(source.get(), KILN_DTYPE_I64, &raw));
  ASSERT_EQ(status, nullptr) << kiln_status_message(status.get());
  ArrayPtr result(raw);
  EXPECT_EQ(static_cast<int64_t *>(kiln_array_data(result.get()))[3],
            INT64_MIN);
}

TEST(ArrayTest, DtypeNamesAndSizes) {
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_F32), "float32");
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_U8), "uint8");
  EXPECT_STREQ(kiln_dtype_name(0), "unknown");
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_F64), 8u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_I32), 4u);
  EXPECT_EQ(kiln_dtype_size(42), 0u);
}

} // namespace
