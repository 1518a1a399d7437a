//===- ModelTest.cpp - Tests of kiln_model_t and predict --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Uses the fake model of TestUtil.h (y = x * w + b) to check descriptor
// validation, the aligned parameter copy, raw predict, and Keras-style
// predict over arrays: chunking with a partial last batch, the default batch
// size, and the shape/dtype/sample-count errors.
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
            "descriptor: output 'y' has dtype float64; compiled models use "
            "float32 (and int32/int64 inputs)");
  // Integer ids are for inputs (an Embedding's) only.
  fake.outputs[0].dtype = KILN_DTYPE_I32;
  EXPECT_EQ(createError(fake.desc, KILN_STATUS_UNIMPLEMENTED),
            "descriptor: output 'y' has dtype int32; compiled models use "
            "float32 (and int32/int64 inputs)");
  fake.outputs[0].dtype = KILN_DTYPE_F32;
  fake.inputs[0].dtype = KILN_DTYPE_U8;
  EXPECT_EQ(createError(fake.desc, KILN_STATUS_UNIMPLEMENTED),
            "descriptor: input 'x' has dtype uint8; compiled models use "
            "float32 (and int32/int64 inputs)");
  fake.inputs[0].dtype = KILN_DTYPE_F32;

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

TEST(ModelTest, PredictArraysNeedsADynamicBatch) {
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
               "input 'x' has shape (8, 4) without a dynamic batch "
               "dimension; use kiln_model_predict");
}

} // namespace
