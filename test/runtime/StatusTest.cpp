//===- StatusTest.cpp - Tests of kiln_status_t and versioning ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Checks the OK convention (NULL), codes and messages of failures, and that
// the enum values the ABI promises stay put.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

using namespace kiln::test;

extern "C" int kilnCHeaderSmoke(void);

namespace {

TEST(StatusTest, PublicHeaderIsC99) { EXPECT_EQ(kilnCHeaderSmoke(), 0); }

TEST(StatusTest, NullIsOk) {
  EXPECT_EQ(kiln_status_code(nullptr), KILN_STATUS_OK);
  EXPECT_STREQ(kiln_status_message(nullptr), "");
  EXPECT_STREQ(kiln_status_location(nullptr), "");
  kiln_status_free(nullptr);
  kiln_status_ignore(nullptr);
}

TEST(StatusTest, CodesAreStable) {
  EXPECT_EQ(KILN_STATUS_OK, 0);
  EXPECT_EQ(KILN_STATUS_INVALID_ARGUMENT, 1);
  EXPECT_EQ(KILN_STATUS_NOT_FOUND, 2);
  EXPECT_EQ(KILN_STATUS_IO_ERROR, 3);
  EXPECT_EQ(KILN_STATUS_DATA_LOSS, 4);
  EXPECT_EQ(KILN_STATUS_OUT_OF_MEMORY, 5);
  EXPECT_EQ(KILN_STATUS_UNIMPLEMENTED, 6);
  EXPECT_EQ(KILN_STATUS_INTERNAL, 7);
  EXPECT_EQ(KILN_DTYPE_F32, 1);
  EXPECT_EQ(KILN_DTYPE_U8, 5);
}

TEST(StatusTest, ApiVersion) {
  EXPECT_EQ(kiln_api_version(), KILN_API_VERSION);
}

TEST(StatusTest, FailureCarriesCodeMessageAndLocation) {
  kiln_array_t *array = nullptr;
  StatusPtr status(kiln_array_create(/*dtype=*/99, 0, nullptr, &array));
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(array, nullptr);
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_status_message(status.get()), "unknown dtype 99");
#ifndef NDEBUG
  EXPECT_STRNE(kiln_status_location(status.get()), "");
#endif
}

TEST(StatusTest, IgnoreFrees) {
  // Under ASan this leaks if kiln_status_ignore does not free.
  kiln_status_ignore(kiln_npy_read("/nonexistent/kiln.npy", nullptr));
  kiln_array_t *array = nullptr;
  kiln_status_ignore(kiln_npy_read("/nonexistent/kiln.npy", &array));
  EXPECT_EQ(array, nullptr);
}

} // namespace
