//===- ModelTest.cpp - Tests of kiln_model_t and predict --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Uses the fake model of TestUtil.h (y = x * w + b) to check descriptor
// validation, the aligned parameter copy, raw predict, and Keras-style
// predict over arrays: chunking with a partial last batch, the default batch
// size, and the shape/dtype/sample-count errors; and its mixed fake for
// int64/int32/bool outputs and a bool input, in every chunking.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

using namespace kiln::test;

namespace {

std::string createError(const kiln_model_desc_t &desc,
                        kiln_status_code_t code) {
  kiln_model_t *model = nullptr;
  StatusPtr status(kiln_model_create(&desc, &model));
  EXPECT_EQ(model, nullptr);
  EXPECT_EQ(kiln_status_code(status.get()), code);
  return kiln_status_message(status.get());
}

TEST(ModelTest, CopiesParametersAligned) {
  FakeModel fake;
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  EXPECT_EQ(kiln_model_descriptor_of(model.get()), &fake.desc);
  float *w = kiln_model_param_data(model.get(), 0);
  float *b = kiln_model_param_data(model.get(), 1);
  ASSERT_NE(w, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % 64, 0u);
  EXPECT_EQ(w[3], 4.0f);
  EXPECT_EQ(b[3], 10.0f);
  EXPECT_EQ(kiln_model_param_data(model.get(), 2), nullptr);
  EXPECT_EQ(kiln_model_param_data(model.get(), -1), nullptr);
  kiln_model_retain(model.get());
  kiln_model_release(model.get());
}

TEST(ModelTest, RejectsBadDescriptors) {
  FakeModel fake;
  fake.desc.abi_version = 99;
  EXPECT_EQ(createError(fake.desc, KILN_STATUS_INVALID_ARGUMENT),
            "model ABI version 99 does not match the runtime's " +
                std::to_string(KILN_MODEL_ABI_VERSION) +
                "; recompile the model with a matching kiln");
  fake.desc.abi_version = KILN_MODEL_ABI_VERSION;

  fake.params[1].offset = 20; // 16 bytes from 20 overrun the 32-byte blob
  EXPECT_EQ(createError(fake.desc, KILN_STATUS_INVALID_ARGUMENT),
            "descriptor: parameter 'dense/bias' (4,) at offset 20 does not "
            "fit in the 32-byte weights blob");
  fake.params[1].offset = 16;

  int64_t badDims[2] = {4, -1};
  fake.inputs[0].dims = badDims;
  EXPECT_EQ(createError(fake.desc, KILN_STATUS_INVALID_ARGUMENT),
            "descriptor: input 'x' has invalid shape (4, None); only the "
            "leading dimension of inputs, outputs and targets may be "
            "dynamic");
  fake.inputs[0].dims = fake.ioDims;

  fake.outputs[0].dtype = KILN_DTYPE_F64;
  EXPECT_EQ(createError(fake.desc, KILN_STATUS_UNIMPLEMENTED),
            "descriptor: output 'y' has dtype float64; compiled model inputs "
            "and outputs are float32, int32, int64 or bool");
  fake.outputs[0].dtype = KILN_DTYPE_F32;
  fake.inputs[0].dtype = KILN_DTYPE_U8;
  EXPECT_EQ(createError(fake.desc, KILN_STATUS_UNIMPLEMENTED),
            "descriptor: input 'x' has dtype uint8; compiled model inputs "
            "and outputs are float32, int32, int64 or bool");
  fake.inputs[0].dtype = 99;
  EXPECT_EQ(createError(fake.desc, KILN_STATUS_UNIMPLEMENTED),
            "descriptor: input 'x' has dtype unknown; compiled model inputs "
            "and outputs are float32, int32, int64 or bool");
  fake.inputs[0].dtype = KILN_DTYPE_F32;
  // Parameters are float32 only: bool, integer and float64 ones are refused.
  for (int32_t dtype :
       {KILN_DTYPE_BOOL, KILN_DTYPE_I64, KILN_DTYPE_I32, KILN_DTYPE_F64}) {
    fake.params[0].dtype = dtype;
    EXPECT_EQ(createError(fake.desc, KILN_STATUS_UNIMPLEMENTED),
              std::string("descriptor: parameter 'dense/kernel' has dtype ") +
                  kiln_dtype_name(dtype) +
                  "; compiled parameters and optimizer slots are float32");
  }
  fake.params[0].dtype = KILN_DTYPE_F32;
  // Inputs and outputs may be float32, int32, int64 or bool.
  for (int32_t dtype : {KILN_DTYPE_I32, KILN_DTYPE_I64, KILN_DTYPE_BOOL}) {
    fake.inputs[0].dtype = dtype;
    fake.outputs[0].dtype = dtype;
    EXPECT_TRUE(createModel(fake.desc)) << kiln_dtype_name(dtype);
  }
  fake.inputs[0].dtype = KILN_DTYPE_F32;
  fake.outputs[0].dtype = KILN_DTYPE_F32;

  fake.params[0].name = nullptr;
  EXPECT_EQ(createError(fake.desc, KILN_STATUS_INVALID_ARGUMENT),
            "descriptor: parameter 0 has no name");
}

TEST(ModelTest, RawPredict) {
  FakeModel fake;
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  float x[8] = {1, 1, 1, 1, 2, 2, 2, 2};
  float y[8] = {};
  const float *inputs[1] = {x};
  float *outputs[1] = {y};
  KILN_ASSERT_OK(kiln_model_predict(model.get(), 2, inputs, outputs));
  EXPECT_EQ(y[0], 1.5f);
  EXPECT_EQ(y[7], 18.0f);
  EXPECT_EQ(fakeBatches(), std::vector<int64_t>{2});

  StatusPtr status(kiln_model_predict(model.get(), -1, inputs, outputs));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  status.reset(kiln_model_predict(model.get(), 1, nullptr, outputs));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
}

TEST(ModelTest, PredictUsesTheCopiedParameters) {
  FakeModel fake;
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  kiln_model_param_data(model.get(), 1)[0] = 100; // as training would
  float x[4] = {1, 1, 1, 1}, y[4] = {};
  const float *inputs[1] = {x};
  float *outputs[1] = {y};
  KILN_ASSERT_OK(kiln_model_predict(model.get(), 1, inputs, outputs));
  EXPECT_EQ(y[0], 101.0f);
}

struct ChunkCase {
  int64_t numSamples;
  int64_t batchSize;
  std::vector<int64_t> expectedBatches;
};

void PrintTo(const ChunkCase &c, std::ostream *os) {
  *os << c.numSamples << " samples, batch_size " << c.batchSize;
}

class PredictArraysChunkTest : public testing::TestWithParam<ChunkCase> {};

TEST_P(PredictArraysChunkTest, ChunksAndComputes) {
  const ChunkCase &param = GetParam();
  FakeModel fake;
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  ArrayPtr x = makeIota(param.numSamples);
  const kiln_array_t *inputs[1] = {x.get()};
  kiln_array_t *outputs[1] = {nullptr};
  KILN_ASSERT_OK(
      kiln_model_predict_arrays(model.get(), param.batchSize, inputs, outputs));
  ArrayPtr y(outputs[0]);
  ASSERT_TRUE(y);
  EXPECT_EQ(fakeBatches(), param.expectedBatches);
  EXPECT_EQ(kiln_array_dtype(y.get()), KILN_DTYPE_F32);
  ASSERT_EQ(kiln_array_rank(y.get()), 2);
  EXPECT_EQ(kiln_array_dims(y.get())[0], param.numSamples);
  EXPECT_EQ(kiln_array_dims(y.get())[1], 4);
  auto *data = static_cast<float *>(kiln_array_data(y.get()));
  for (int64_t i = 0; i < param.numSamples * 4; ++i)
    ASSERT_EQ(data[i], FakeModel::expected(static_cast<float>(i), i % 4))
        << "element " << i;
}

INSTANTIATE_TEST_SUITE_P(
    Batches, PredictArraysChunkTest,
    testing::Values(ChunkCase{10, 4, {4, 4, 2}}, ChunkCase{8, 4, {4, 4}},
                    ChunkCase{3, 100, {3}}, ChunkCase{1, 1, {1}},
                    ChunkCase{70, 0, {32, 32, 6}}, // Keras's default 32
                    ChunkCase{33, -5, {32, 1}},    // likewise
                    ChunkCase{0, 4, {}},           // nothing to run
                    ChunkCase{5, INT64_MAX, {5}}), // no overflow
    [](const testing::TestParamInfo<ChunkCase> &info) {
      int64_t batch = info.param.batchSize;
      return "n" + std::to_string(info.param.numSamples) + "_batch" +
             (batch == INT64_MAX ? std::string("Max")
              : batch < 0        ? "Minus" + std::to_string(-batch)
                                 : std::to_string(batch));
    });

TEST(ModelTest, PredictArraysShapeAndDtypeErrors) {
  FakeModel fake;
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  kiln_array_t *outputs[1] = {nullptr};
  auto predictError = [&](const kiln_array_t *input) {
    const kiln_array_t *inputs[1] = {input};
    StatusPtr status(
        kiln_model_predict_arrays(model.get(), 4, inputs, outputs));
    EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(outputs[0], nullptr);
    return std::string(kiln_status_message(status.get()));
  };

  ArrayPtr wrongFeatures = makeIota(8, 5);
  EXPECT_EQ(predictError(wrongFeatures.get()),
            "input 'x': expected shape (None, 4), got (8, 5)");

  int64_t dims3[3] = {8, 4, 1};
  kiln_array_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_array_create(KILN_DTYPE_F32, 3, dims3, &raw));
  ArrayPtr wrongRank(raw);
  EXPECT_EQ(predictError(wrongRank.get()),
            "input 'x': expected shape (None, 4), got (8, 4, 1)");

  int64_t dims2[2] = {8, 4};
  KILN_ASSERT_OK(kiln_array_create(KILN_DTYPE_F64, 2, dims2, &raw));
  ArrayPtr wrongDtype(raw);
  EXPECT_EQ(predictError(wrongDtype.get()),
            "input 'x': expected float32, got float64");
  EXPECT_EQ(predictError(nullptr), "input 'x' is NULL");
  EXPECT_TRUE(fakeBatches().empty());
}

TEST(ModelTest, PredictArraysTwoInputsMustAgreeOnSamples) {
  FakeModel fake;
  // Two inputs: the fake only reads the first, which is enough here.
  kiln_tensor_desc_t inputs[2] = {fake.inputs[0], fake.inputs[0]};
  inputs[1].name = "x2";
  fake.desc.num_inputs = 2;
  fake.desc.inputs = inputs;
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  ArrayPtr a = makeIota(8), b = makeIota(7);
  const kiln_array_t *arrays[2] = {a.get(), b.get()};
  kiln_array_t *outputs[1] = {nullptr};
  StatusPtr status(kiln_model_predict_arrays(model.get(), 0, arrays, outputs));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_status_message(status.get()),
               "input 'x2': expected 8 samples like input 'x', got 7");
}

// A model whose input has the dynamic batch and whose output does not (an
// output reduced over the batch, such as an ONNX model's loss) runs once on
// all the samples, whatever batch size is asked for: chunks would each give
// their own output.
TEST(ModelTest, PredictArraysRunsAMixedBatchWhole) {
  FakeModel fake;
  int64_t fixed[2] = {8, 4};
  fake.outputs[0].dims = fixed;
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  ArrayPtr x = makeIota(8);
  const kiln_array_t *inputs[1] = {x.get()};
  kiln_array_t *outputs[1] = {nullptr};
  KILN_ASSERT_OK(kiln_model_predict_arrays(model.get(), 3, inputs, outputs));
  ArrayPtr y(outputs[0]);
  EXPECT_EQ(fakeBatches(), std::vector<int64_t>{8});
  ASSERT_EQ(kiln_array_rank(y.get()), 2);
  EXPECT_EQ(kiln_array_dims(y.get())[0], 8);

  // No samples: nothing to compute the whole-batch output from.
  ArrayPtr none = makeIota(0);
  inputs[0] = none.get();
  outputs[0] = nullptr;
  StatusPtr status(kiln_model_predict_arrays(model.get(), 3, inputs, outputs));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_status_message(status.get()),
               "input 'x' has no samples, and the model computes some of "
               "its tensors over the whole batch");
  EXPECT_EQ(outputs[0], nullptr);
}

// An output with a dynamic batch that no input gives has no size to take.
TEST(ModelTest, PredictArraysRefusesABatchNoInputGives) {
  FakeModel fake;
  int64_t fixed[2] = {8, 4};
  fake.inputs[0].dims = fixed;
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  ArrayPtr x = makeIota(8);
  const kiln_array_t *inputs[1] = {x.get()};
  kiln_array_t *outputs[1] = {nullptr};
  StatusPtr status(kiln_model_predict_arrays(model.get(), 0, inputs, outputs));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_UNIMPLEMENTED);
  EXPECT_STREQ(kiln_status_message(status.get()),
               "output 'y' has shape (None, 4), a dynamic batch that no "
               "input gives; use kiln_model_predict");
  EXPECT_EQ(outputs[0], nullptr);
}

// A model without a dynamic batch (an ONNX model exported for a fixed
// batch) runs once on inputs of exactly its shapes, whatever batch size is
// asked for: its leading dimension is never split.
TEST(ModelTest, PredictArraysRunsAStaticModelOnce) {
  FakeModel fake;
  int64_t fixed[2] = {3, 4};
  fake.inputs[0].dims = fixed;
  fake.outputs[0].dims = fixed;
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  ArrayPtr x = makeIota(3);
  const kiln_array_t *inputs[1] = {x.get()};
  kiln_array_t *outputs[1] = {nullptr};
  KILN_ASSERT_OK(kiln_model_predict_arrays(model.get(), 2, inputs, outputs));
  ArrayPtr y(outputs[0]);
  EXPECT_EQ(fakeBatches(), std::vector<int64_t>{3});
  ASSERT_EQ(kiln_array_rank(y.get()), 2);
  EXPECT_EQ(kiln_array_dims(y.get())[0], 3);
  EXPECT_EQ(kiln_array_dims(y.get())[1], 4);
  auto *data = static_cast<float *>(kiln_array_data(y.get()));
  for (int64_t i = 0; i < 12; ++i)
    ASSERT_EQ(data[i], FakeModel::expected(static_cast<float>(i), i % 4));

  ArrayPtr more = makeIota(5);
  inputs[0] = more.get();
  outputs[0] = nullptr;
  StatusPtr status(kiln_model_predict_arrays(model.get(), 0, inputs, outputs));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_status_message(status.get()),
               "input 'x': the model takes exactly shape (3, 4) (no dynamic "
               "batch dimension), got (5, 4)");
  EXPECT_EQ(outputs[0], nullptr);
}

//===----------------------------------------------------------------------===//
// Non-float inputs and outputs
//===----------------------------------------------------------------------===//

/// The mixed fake's inputs for `n` samples: x (float32) and mask (bool).
std::pair<ArrayPtr, ArrayPtr> mixedInputs(int64_t n) {
  int64_t dims[2] = {n, 3};
  kiln_array_t *x = nullptr, *mask = nullptr;
  EXPECT_EQ(kiln_array_create(KILN_DTYPE_F32, 2, dims, &x), nullptr);
  EXPECT_EQ(kiln_array_create(KILN_DTYPE_BOOL, 2, dims, &mask), nullptr);
  auto *xd = static_cast<float *>(kiln_array_data(x));
  auto *md = static_cast<uint8_t *>(kiln_array_data(mask));
  for (int64_t i = 0; i < n * 3; ++i) {
    xd[i] = MixedFake::x(i / 3, i % 3);
    md[i] = MixedFake::mask(i / 3, i % 3);
  }
  return {ArrayPtr(x), ArrayPtr(mask)};
}

class MixedPredictArraysTest : public testing::TestWithParam<int64_t> {};

TEST_P(MixedPredictArraysTest, OutputsKeepTheirDtypes) {
  // 7 samples in chunks of 1, 2, 3 (a partial last chunk), 7 and 32: each
  // output's chunks land at its own element size (8, 1, 4 and 4 bytes).
  const int64_t n = 7, batchSize = GetParam();
  MixedFake fake;
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  auto [x, mask] = mixedInputs(n);
  const kiln_array_t *inputs[2] = {x.get(), mask.get()};
  kiln_array_t *raw[4] = {};
  KILN_ASSERT_OK(
      kiln_model_predict_arrays(model.get(), batchSize, inputs, raw));
  ArrayPtr argmax(raw[0]), positive(raw[1]), masked(raw[2]), count(raw[3]);
  EXPECT_EQ(fakeBatches().size(), size_t((n + batchSize - 1) / batchSize));

  ASSERT_EQ(kiln_array_dtype(argmax.get()), KILN_DTYPE_I64);
  ASSERT_EQ(kiln_array_dtype(positive.get()), KILN_DTYPE_BOOL);
  ASSERT_EQ(kiln_array_dtype(masked.get()), KILN_DTYPE_F32);
  ASSERT_EQ(kiln_array_dtype(count.get()), KILN_DTYPE_I32);
  ASSERT_EQ(kiln_array_rank(argmax.get()), 1);
  EXPECT_EQ(kiln_array_dims(argmax.get())[0], n);
  EXPECT_EQ(kiln_array_byte_size(argmax.get()), size_t(n) * 8);
  ASSERT_EQ(kiln_array_rank(positive.get()), 2);
  EXPECT_EQ(kiln_array_dims(positive.get())[0], n);
  EXPECT_EQ(kiln_array_dims(positive.get())[1], 3);
  EXPECT_EQ(kiln_array_byte_size(positive.get()), size_t(n) * 3);
  EXPECT_EQ(kiln_array_byte_size(count.get()), size_t(n) * 4);

  const auto *a = static_cast<const int64_t *>(kiln_array_data(argmax.get()));
  const auto *p = static_cast<const uint8_t *>(kiln_array_data(positive.get()));
  const auto *m = static_cast<const float *>(kiln_array_data(masked.get()));
  const auto *c = static_cast<const int32_t *>(kiln_array_data(count.get()));
  for (int64_t s = 0; s < n; ++s) {
    SCOPED_TRACE("sample " + std::to_string(s));
    int64_t best = 0;
    int32_t trues = 0;
    for (int64_t k = 0; k < 3; ++k) {
      float xv = MixedFake::x(s, k);
      if (xv > MixedFake::x(s, best))
        best = k;
      trues += MixedFake::mask(s, k);
      EXPECT_EQ(p[s * 3 + k], xv > 0 ? 1 : 0);
      EXPECT_EQ(m[s * 3 + k], MixedFake::mask(s, k) ? 2 * xv : 0.0f);
    }
    EXPECT_EQ(a[s], best);
    EXPECT_EQ(c[s], trues);
  }
}

INSTANTIATE_TEST_SUITE_P(Batches, MixedPredictArraysTest,
                         testing::Values(1, 2, 3, 7, 32));

TEST(ModelTest, MixedRawPredictWritesEachDtype) {
  MixedFake fake;
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  float x[6] = {-1, 3, 2, 0.5f, -2, 0.25f};
  uint8_t mask[6] = {1, 0, 1, 0, 0, 1};
  int64_t argmax[2] = {-1, -1};
  uint8_t positive[6] = {9, 9, 9, 9, 9, 9};
  float masked[6] = {};
  int32_t count[2] = {};
  const float *inputs[2] = {x, reinterpret_cast<const float *>(mask)};
  float *outputs[4] = {reinterpret_cast<float *>(argmax),
                       reinterpret_cast<float *>(positive), masked,
                       reinterpret_cast<float *>(count)};
  KILN_ASSERT_OK(kiln_model_predict(model.get(), 2, inputs, outputs));
  EXPECT_EQ(argmax[0], 1);
  EXPECT_EQ(argmax[1], 0);
  EXPECT_EQ(std::vector<uint8_t>(positive, positive + 6),
            (std::vector<uint8_t>{0, 1, 1, 1, 0, 1}));
  EXPECT_EQ(std::vector<float>(masked, masked + 6),
            (std::vector<float>{-2, 0, 4, 0, 0, 0.5f}));
  EXPECT_EQ(count[0], 2);
  EXPECT_EQ(count[1], 1);
}

TEST(ModelTest, MixedPredictArraysInputErrors) {
  MixedFake fake;
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  auto [x, mask] = mixedInputs(4);
  kiln_array_t *outputs[4] = {};
  auto predictError = [&](const kiln_array_t *xIn, const kiln_array_t *m) {
    const kiln_array_t *inputs[2] = {xIn, m};
    StatusPtr status(
        kiln_model_predict_arrays(model.get(), 2, inputs, outputs));
    EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
    for (kiln_array_t *output : outputs)
      EXPECT_EQ(output, nullptr);
    return std::string(kiln_status_message(status.get()));
  };
  // A float array for the bool input is refused, never reinterpreted (nor
  // converted: that is the caller's kiln_array_convert).
  ArrayPtr floats = makeIota(4, 3);
  EXPECT_EQ(predictError(x.get(), floats.get()),
            "input 'mask': expected bool, got float32");
  kiln_array_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_array_convert(mask.get(), KILN_DTYPE_U8, &raw));
  ArrayPtr bytes(raw);
  EXPECT_EQ(predictError(x.get(), bytes.get()),
            "input 'mask': expected bool, got uint8");
  // A bool array for the float input likewise.
  EXPECT_EQ(predictError(mask.get(), mask.get()),
            "input 'x': expected float32, got bool");
  // Bool bytes other than 0 and 1 never reach the compiled code.
  static_cast<uint8_t *>(kiln_array_data(mask.get()))[5] = 2;
  EXPECT_EQ(predictError(x.get(), mask.get()),
            "input 'mask': bool element 5 is byte 2, not 0 or 1");
  EXPECT_TRUE(fakeBatches().empty());
}

} // namespace
