//===- ArrayTest.cpp - Tests of kiln_array_t --------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Creation (zero fill, alignment, rank 0, empty, overflow), reference
// counting and dtype conversion including the lossy cases it refuses, and
// bool arrays (numpy's astype(bool) and back; the exact form that takes
// only 0 and 1).
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

#include "base/Array.h"

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
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_BOOL), "bool");
  EXPECT_STREQ(kiln_dtype_name(0), "unknown");
  EXPECT_STREQ(kiln_dtype_name(7), "unknown");
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_F64), 8u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_I32), 4u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_BOOL), 1u);
  EXPECT_EQ(kiln_dtype_size(42), 0u);
  EXPECT_EQ(KILN_DTYPE_BOOL, 6); // the ABI value, append-only
  ArrayPtr bools = create(KILN_DTYPE_BOOL, {2, 3});
  ASSERT_TRUE(bools);
  EXPECT_EQ(kiln_array_byte_size(bools.get()), 6u);
}

/// `source` converted to `dtype` (kiln_array_convert), or NULL on failure.
ArrayPtr convert(const ArrayPtr &source, int32_t dtype) {
  kiln_array_t *raw = nullptr;
  StatusPtr status(kiln_array_convert(source.get(), dtype, &raw));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  return ArrayPtr(raw);
}

template <typename T> std::vector<T> valuesOf(const ArrayPtr &array) {
  const auto *data = static_cast<const T *>(kiln_array_data(array.get()));
  return std::vector<T>(data, data + kiln_array_num_elements(array.get()));
}

TEST(ArrayTest, ConvertToBoolIsNonzero) {
  // numpy: np.array([0, -0.0, 0.5, -3, nan, inf], 'f4').astype(bool)
  ArrayPtr floats = create(KILN_DTYPE_F32, {6});
  auto *f = static_cast<float *>(kiln_array_data(floats.get()));
  const float values[6] = {0, -0.0f, 0.5f, -3, NAN, INFINITY};
  std::copy(values, values + 6, f);
  ArrayPtr fromFloats = convert(floats, KILN_DTYPE_BOOL);
  ASSERT_TRUE(fromFloats);
  EXPECT_EQ(kiln_array_dtype(fromFloats.get()), KILN_DTYPE_BOOL);
  EXPECT_EQ(valuesOf<uint8_t>(fromFloats),
            (std::vector<uint8_t>{0, 0, 1, 1, 1, 1}));

  ArrayPtr ints = create(KILN_DTYPE_I64, {4});
  auto *i = static_cast<int64_t *>(kiln_array_data(ints.get()));
  i[0] = 0;
  i[1] = 1;
  i[2] = INT64_MIN;
  i[3] = 256; // not truncated to a byte: nonzero
  ArrayPtr fromInts = convert(ints, KILN_DTYPE_BOOL);
  ASSERT_TRUE(fromInts);
  EXPECT_EQ(valuesOf<uint8_t>(fromInts), (std::vector<uint8_t>{0, 1, 1, 1}));

  ArrayPtr bytes = create(KILN_DTYPE_U8, {3});
  static_cast<uint8_t *>(kiln_array_data(bytes.get()))[1] = 200;
  ArrayPtr fromBytes = convert(bytes, KILN_DTYPE_BOOL);
  ASSERT_TRUE(fromBytes);
  EXPECT_EQ(valuesOf<uint8_t>(fromBytes), (std::vector<uint8_t>{0, 1, 0}));
}

TEST(ArrayTest, ConvertFromBoolGivesZeroAndOne) {
  ArrayPtr bools = create(KILN_DTYPE_BOOL, {2, 2});
  auto *b = static_cast<uint8_t *>(kiln_array_data(bools.get()));
  b[0] = 1;
  b[3] = 1;
  ArrayPtr f32 = convert(bools, KILN_DTYPE_F32);
  ASSERT_TRUE(f32);
  EXPECT_EQ(kiln_array_rank(f32.get()), 2);
  EXPECT_EQ(valuesOf<float>(f32), (std::vector<float>{1, 0, 0, 1}));
  ArrayPtr f64 = convert(bools, KILN_DTYPE_F64);
  ASSERT_TRUE(f64);
  EXPECT_EQ(valuesOf<double>(f64), (std::vector<double>{1, 0, 0, 1}));
  ArrayPtr i32 = convert(bools, KILN_DTYPE_I32);
  ASSERT_TRUE(i32);
  EXPECT_EQ(valuesOf<int32_t>(i32), (std::vector<int32_t>{1, 0, 0, 1}));
  ArrayPtr i64 = convert(bools, KILN_DTYPE_I64);
  ASSERT_TRUE(i64);
  EXPECT_EQ(valuesOf<int64_t>(i64), (std::vector<int64_t>{1, 0, 0, 1}));
  ArrayPtr u8 = convert(bools, KILN_DTYPE_U8);
  ASSERT_TRUE(u8);
  EXPECT_EQ(valuesOf<uint8_t>(u8), (std::vector<uint8_t>{1, 0, 0, 1}));

  // Round trips: bool -> int64 -> bool and bool -> float32 -> bool.
  ArrayPtr viaInt = convert(i64, KILN_DTYPE_BOOL);
  ASSERT_TRUE(viaInt);
  EXPECT_EQ(valuesOf<uint8_t>(viaInt), valuesOf<uint8_t>(bools));
  ArrayPtr viaFloat = convert(f32, KILN_DTYPE_BOOL);
  ASSERT_TRUE(viaFloat);
  EXPECT_EQ(valuesOf<uint8_t>(viaFloat), valuesOf<uint8_t>(bools));
  ArrayPtr copy = convert(bools, KILN_DTYPE_BOOL);
  ASSERT_TRUE(copy);
  EXPECT_EQ(valuesOf<uint8_t>(copy), valuesOf<uint8_t>(bools));

  // A byte other than 0 or 1 (not written by the runtime) still reads true.
  b[1] = 7;
  ArrayPtr wide = convert(bools, KILN_DTYPE_I32);
  ASSERT_TRUE(wide);
  EXPECT_EQ(valuesOf<int32_t>(wide), (std::vector<int32_t>{1, 1, 0, 1}));
  EXPECT_EQ(kiln::findNonBoolByte(bools.get()), 1);
  b[1] = 0;
  EXPECT_EQ(kiln::findNonBoolByte(bools.get()), -1);
}

TEST(ArrayTest, ExactBoolConversionTakesOnlyZeroAndOne) {
  // What predict and datasets use for a bool input.
  ArrayPtr floats = create(KILN_DTYPE_F32, {4});
  auto *f = static_cast<float *>(kiln_array_data(floats.get()));
  f[1] = 1;
  f[2] = -0.0f;
  f[3] = 1;
  kiln_array_t *raw = nullptr;
  KILN_ASSERT_OK(kiln::convertArray(floats.get(), KILN_DTYPE_BOOL, true, &raw));
  ArrayPtr ok(raw);
  EXPECT_EQ(valuesOf<uint8_t>(ok), (std::vector<uint8_t>{0, 1, 0, 1}));

  f[2] = 0.5f;
  raw = nullptr;
  StatusPtr status(
      kiln::convertArray(floats.get(), KILN_DTYPE_BOOL, true, &raw));
  EXPECT_EQ(raw, nullptr);
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_status_message(status.get()),
               "cannot convert element 2 (0.5) from float32 to bool exactly");

  ArrayPtr ints = create(KILN_DTYPE_I32, {3});
  static_cast<int32_t *>(kiln_array_data(ints.get()))[2] = 2;
  status.reset(kiln::convertArray(ints.get(), KILN_DTYPE_BOOL, true, &raw));
  EXPECT_STREQ(kiln_status_message(status.get()),
               "cannot convert element 2 (2) from int32 to bool exactly");
  // Other results are kiln_array_convert's.
  status.reset(kiln::convertArray(ints.get(), KILN_DTYPE_F32, true, &raw));
  ASSERT_EQ(status, nullptr);
  kiln_array_release(raw);
}

} // namespace
