//===- FakeCudaTest.cpp - The fake driver refuses what a GPU would -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The lit tests of the GPU runtime trust libkiln-fake-cuda.so to refuse a
// launch that a real driver or GPU would refuse: a kernel the PTX does not
// declare, a block over 1024 threads or over the kernel's .maxntid, an
// empty grid, a pointer argument outside device memory (a host buffer
// handed to a kernel, a freed buffer), and a memref whose aligned pointer
// is not 16-byte aligned. These tests hold it to that.
//===----------------------------------------------------------------------===//

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

extern "C" {
int cuModuleLoadDataEx(void **, const void *, unsigned, int *, void **);
int cuModuleGetFunction(void **, void *, const char *);
int cuLaunchKernel(void *, unsigned, unsigned, unsigned, unsigned, unsigned,
                   unsigned, unsigned, void *, void **, void **);
int cuMemAlloc_v2(unsigned long long *, size_t);
int cuMemFree_v2(unsigned long long);
}

namespace {

constexpr int kInvalidValue = 1, kNotFound = 500, kIllegalAddress = 700,
              kMisaligned = 716;

// What LLVM's NVPTX backend writes for a kernel of an index and a memref
// (allocated and aligned pointers, offset, size, stride).
constexpr char kPtx[] = R"(.version 7.0
.target sm_80
.address_size 64
.visible .entry scale(
	.param .u64 scale_param_0,
	.param .u64 .ptr .align 1 scale_param_1,
	.param .u64 .ptr .align 1 scale_param_2,
	.param .u64 scale_param_3,
	.param .u64 scale_param_4,
	.param .u64 scale_param_5
)
.maxntid 128, 1, 1
{
	ret;
}
.visible .entry scale_0(
	.param .u64 scale_0_param_0
)
{
	ret;
}
)";

class FakeCudaLaunch : public ::testing::Test {
protected:
  void SetUp() override {
    void *module = nullptr;
    ASSERT_EQ(cuModuleLoadDataEx(&module, kPtx, 0, nullptr, nullptr), 0);
    ASSERT_EQ(cuModuleGetFunction(&kernel, module, "scale"), 0);
    ASSERT_EQ(cuModuleGetFunction(&unbounded, module, "scale_0"), 0);
    EXPECT_EQ(cuModuleGetFunction(&missing, module, "scale_1"), kNotFound);
    EXPECT_EQ(cuModuleGetFunction(&missing, module, "scal"), kNotFound);
    ASSERT_EQ(cuMemAlloc_v2(&device, 64 * sizeof(float)), 0);
  }
  void TearDown() override { cuMemFree_v2(device); }

  /// Launches `kernel` on (allocated, aligned) with `blocks` x `threads`.
  int launch(void *allocated, void *aligned, unsigned blocks = 1,
             unsigned threads = 64, unsigned shared = 0) {
    unsigned long long count = 64, offset = 0, size = 64, stride = 1;
    std::vector<void *> params = {&count,  &allocated, &aligned,
                                  &offset, &size,      &stride};
    return cuLaunchKernel(kernel, blocks, 1, 1, threads, 1, 1, shared, nullptr,
                          params.data(), nullptr);
  }

  void *kernel = nullptr, *unbounded = nullptr, *missing = nullptr;
  unsigned long long device = 0;
};

TEST_F(FakeCudaLaunch, DeviceBuffersLaunch) {
  void *start = reinterpret_cast<void *>(device);
  EXPECT_EQ(launch(start, start), 0);
  // A view inside the buffer (the workspace's are 64-byte aligned), and
  // one just past its end (an empty view).
  EXPECT_EQ(launch(start, static_cast<float *>(start) + 16), 0);
  EXPECT_EQ(launch(start, static_cast<float *>(start) + 64), 0);
}

TEST_F(FakeCudaLaunch, HostPointersFault) {
  std::vector<float> host(64);
  void *start = reinterpret_cast<void *>(device);
  EXPECT_EQ(launch(host.data(), host.data()), kIllegalAddress);
  EXPECT_EQ(launch(start, host.data()), kIllegalAddress);
  EXPECT_EQ(launch(start, static_cast<float *>(start) + 65), kIllegalAddress);
}

TEST_F(FakeCudaLaunch, AlignedPointersStartAt16Bytes) {
  // The allocated pointer may be anything in the buffer; the aligned one,
  // where the kernel's 16-byte loads count from, may not.
  char *start = reinterpret_cast<char *>(device);
  EXPECT_EQ(launch(start + 4, start + 16), 0);
  EXPECT_EQ(launch(start, start + 4), kMisaligned);
  EXPECT_EQ(launch(start, start + 8), kMisaligned);
}

TEST_F(FakeCudaLaunch, FreedBuffersFault) {
  unsigned long long other = 0;
  ASSERT_EQ(cuMemAlloc_v2(&other, 256), 0);
  void *start = reinterpret_cast<void *>(other);
  EXPECT_EQ(launch(start, start), 0);
  ASSERT_EQ(cuMemFree_v2(other), 0);
  EXPECT_EQ(launch(start, start), kIllegalAddress);
}

TEST_F(FakeCudaLaunch, ConfigurationsADriverRefuses) {
  void *start = reinterpret_cast<void *>(device);
  EXPECT_EQ(launch(start, start, 1, 128), 0);
  EXPECT_EQ(launch(start, start, 1, 256), kInvalidValue); // over .maxntid
  EXPECT_EQ(launch(start, start, 0, 64), kInvalidValue);  // an empty grid
  EXPECT_EQ(launch(start, start, 1, 0), kInvalidValue);
  EXPECT_EQ(launch(start, start, 1, 64, 48 * 1024), 0);
  EXPECT_EQ(launch(start, start, 1, 64, 48 * 1024 + 4), kInvalidValue);
  // Without launch bounds, up to CUDA's 1024 threads a block.
  unsigned long long count = 1;
  void *params[] = {&count};
  EXPECT_EQ(cuLaunchKernel(unbounded, 1, 1, 1, 1024, 1, 1, 0, nullptr, params,
                           nullptr),
            0);
  EXPECT_EQ(cuLaunchKernel(unbounded, 1, 1, 1, 1056, 1, 1, 0, nullptr, params,
                           nullptr),
            kInvalidValue);
  EXPECT_EQ(cuLaunchKernel(unbounded, 1, 70000, 1, 32, 1, 1, 0, nullptr, params,
                           nullptr),
            kInvalidValue);
}

} // namespace
