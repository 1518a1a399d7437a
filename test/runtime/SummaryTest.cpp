//===- SummaryTest.cpp - Tests of the Keras-style summary -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Pins kiln_model_format_summary to tf.keras 2.13 `model.summary()` output:
// the Sequential table below is real Keras output (Dense(128) on 784 inputs,
// then Dense(10)); the others follow the same `print_summary` rules for the
// Functional layout, cell wrapping and early line breaks, and the totals.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

using namespace kiln::test;

namespace {

/// A descriptor with only the fields the summary reads.
kiln_model_desc_t makeDesc(const char *name, const char *kind,
                           const std::vector<kiln_layer_desc_t> &layers) {
  kiln_model_desc_t desc = {};
  desc.abi_version = KILN_MODEL_ABI_VERSION;
  desc.name = name;
  desc.kind = kind;
  desc.num_layers = static_cast<int64_t>(layers.size());
  desc.layers = layers.data();
  return desc;
}

std::string summarize(const kiln_model_desc_t &desc) {
  char *text = nullptr;
  StatusPtr status(kiln_model_format_summary(&desc, &text));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  std::string result = text ? text : "";
  kiln_free(text);
  return result;
}

TEST(SummaryTest, SequentialMatchesKeras) {
  std::vector<kiln_layer_desc_t> layers = {
      {"dense", "Dense", "(None, 128)", "", 100480, 100480},
      {"dense_1", "Dense", "(None, 10)", "", 1290, 1290}};
  EXPECT_EQ(summarize(makeDesc("sequential", "Sequential", layers)),
            R"KERAS(Model: "sequential"
_________________________________________________________________
 Layer (type)                Output Shape              Param #   
=================================================================
 dense (Dense)               (None, 128)               100480    
                                                                 
 dense_1 (Dense)             (None, 10)                1290      
                                                                 
=================================================================
Total params: 101770 (397.54 KB)
Trainable params: 101770 (397.54 KB)
Non-trainable params: 0 (0.00 Byte)
_________________________________________________________________
)KERAS");
}

TEST(SummaryTest, BranchingFunctionalAddsConnectedTo) {
  std::vector<kiln_layer_desc_t> layers = {
      {"input_1", "InputLayer", "[(None, 4)]", "", 0, 0},
      {"input_2", "InputLayer", "[(None, 3)]", "", 0, 0},
      {"dense", "Dense", "(None, 8)", "input_1[0][0]", 40, 40},
      {"dense_1", "Dense", "(None, 8)", "input_2[0][0]", 32, 32},
      {"concatenate", "Concatenate", "(None, 16)", "dense[0][0] dense_1[0][0]",
       0, 0},
      {"dense_2", "Dense", "(None, 1)", "['concatenate[0][0]']", 17, 17}};
  EXPECT_EQ(summarize(makeDesc("model", "Functional", layers)),
            R"KERAS(Model: "model"
__________________________________________________________________________________________________
 Layer (type)                Output Shape                 Param #   Connected to                  
==================================================================================================
 input_1 (InputLayer)        [(None, 4)]                  0         []                            
                                                                                                  
 input_2 (InputLayer)        [(None, 3)]                  0         []                            
                                                                                                  
 dense (Dense)               (None, 8)                    40        ['input_1[0][0]']             
                                                                                                  
 dense_1 (Dense)             (None, 8)                    32        ['input_2[0][0]']             
                                                                                                  
 concatenate (Concatenate)   (None, 16)                   0         ['dense[0][0]',               
                                                                     'dense_1[0][0]']             
                                                                                                  
 dense_2 (Dense)             (None, 1)                    17        ['concatenate[0][0]']         
                                                                                                  
==================================================================================================
Total params: 89 (356.00 Byte)
Trainable params: 89 (356.00 Byte)
Non-trainable params: 0 (0.00 Byte)
__________________________________________________________________________________________________
)KERAS");
}

TEST(SummaryTest, ChainFunctionalUsesSequentialLayout) {
  // Keras prints a Functional model whose graph is a plain chain like a
  // Sequential one (including its InputLayer row).
  std::vector<kiln_layer_desc_t> layers = {
      {"input_1", "InputLayer", "[(None, 784)]", "", 0, 0},
      {"dense", "Dense", "(None, 10)", "['input_1[0][0]']", 7850, 7850}};
  std::string text = summarize(makeDesc("model", "Functional", layers));
  EXPECT_NE(text.find(" input_1 (InputLayer)        [(None, 784)]             "
                      "0         \n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("Connected to"), std::string::npos) << text;

  // A layer feeding two others makes it a graph.
  layers.push_back(
      {"dense_1", "Dense", "(None, 10)", "input_1[0][0]", 7850, 7850});
  text = summarize(makeDesc("model", "Functional", layers));
  EXPECT_NE(text.find("Connected to"), std::string::npos) << text;
}

TEST(SummaryTest, WrapsLongCellsAndBreaksAfterTuples) {
  std::vector<kiln_layer_desc_t> layers = {
      {"a_really_long_layer_name_that_wraps", "Dense",
       "(None, 12345678, 12345678, 12345678)", "", 1234567890123,
       1234567890123},
      {"batch_normalization", "BatchNormalization", "[(None, 4), (None, 5)]",
       "", 16, 8}};
  EXPECT_EQ(summarize(makeDesc("wrapping", "Sequential", layers)),
            R"KERAS(Model: "wrapping"
_________________________________________________________________
 Layer (type)                Output Shape              Param #   
=================================================================
 a_really_long_layer_name_t  (None, 12345678, 123456   1234567890
 hat_wraps (Dense)           78, 12345678)             123       
                                                                 
 batch_normalization (Batch  [(None, 4),               16        
 Normalization)               (None, 5)]                         
                                                                 
=================================================================
Total params: 1234567890139 (4.49 TB)
Trainable params: 1234567890131 (4.49 TB)
Non-trainable params: 8 (32.00 Byte)
_________________________________________________________________
)KERAS");
}

TEST(SummaryTest, EmptyModelAndErrors) {
  std::string text = summarize(makeDesc("empty", "Sequential", {}));
  EXPECT_NE(text.find("Total params: 0 (0.00 Byte)\n"), std::string::npos);

  char *out = nullptr;
  StatusPtr status(kiln_model_format_summary(nullptr, &out));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  kiln_model_desc_t bad = makeDesc("bad", "Sequential", {});
  bad.num_layers = 3; // but no table
  status.reset(kiln_model_format_summary(&bad, &out));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(out, nullptr);
}

TEST(SummaryTest, MemorySizeUnits) {
  // 256 params = 1024 bytes = exactly 1 KB; 262144 params = 1 MB.
  for (auto [params, expected] :
       std::vector<std::pair<int64_t, std::string>>{{255, "(1020.00 Byte)"},
                                                    {256, "(1.00 KB)"},
                                                    {262144, "(1.00 MB)"},
                                                    {268435456, "(1.00 GB)"}}) {
    std::vector<kiln_layer_desc_t> layers = {
        {"d", "Dense", "(None, 1)", "", params, params}};
    std::string text = summarize(makeDesc("m", "Sequential", layers));
    EXPECT_NE(text.find("Total params: " + std::to_string(params) + " " +
                        expected + "\n"),
              std::string::npos)
        << text;
  }
}

} // namespace
