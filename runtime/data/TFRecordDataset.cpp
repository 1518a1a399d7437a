//===- TFRecordDataset.cpp - Datasets from tf.train.Example -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln_dataset_open_tfrecord` opens a streaming dataset over a TFRecord
// file of tf.train.Example records: each model input and target is one
// feature spec (FeatureSpec.h: tf.io.FixedLenFeature, or VarLenFeature
// densified to the spec's shape).
//
// Opening checks the specs against the model (shapes as for .npy data in
// Dataset.cpp) and reads the file once, decoding and checking every record
// without keeping it, to count the samples and report bad records before
// training starts. Errors name the file, the record index and the feature:
// a missing feature without a default, a value list of the wrong kind
// (int64 vs float, bytes) or length, a sparse label out of range.
//
// Training and evaluation then stream through the pipeline of Pipeline.cpp:
// its thread re-opens the file for every pass and decodes records in file
// order into the slots of the shuffle buffer (`TFRecordSlotReader`). The
// source holds at most buffer + prefetch * batch samples, whatever the file
// size.
//
//===----------------------------------------------------------------------===//
#include "base/Array.h"
#include "base/Descriptor.h"
#include "base/Status.h"
#include "data/Dataset.h"
#include "data/FeatureSpec.h"
#include "formats/TFRecord.h"

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <new>

using namespace kiln;

namespace {

/// Checks that samples of `spec` fit `tensor` (an input by inputShapeFits,
/// a target by targetShapeFits), as Dataset.cpp checks arrays.
kiln_status_t checkSpecFits(const char *path, const FeatureSpec &spec,
                            const kiln_tensor_desc_t &tensor, bool isInput) {
  int32_t rank = static_cast<int32_t>(spec.shape.size()) + 1;
  int64_t dims[KILN_MAX_RANK];
  dims[0] = -1;
  for (int32_t d = 1; d < rank; ++d)
    dims[d] = spec.shape[size_t(d - 1)];
  if (isInput ? inputShapeFits(rank, dims, tensor)
              : targetShapeFits(rank, dims, tensor))
    return nullptr;
  return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                     "%s: feature '%s': samples of shape %s do not fit %s "
                     "'%s' of shape %s%s",
                     path, spec.name.c_str(), formatShape(rank, dims).c_str(),
                     isInput ? "input" : "target", tensor.name,
                     formatShape(tensor.rank, tensor.dims).c_str(),
                     isInput ? kInputShapeRule : kTargetShapeRule);
}

} // namespace

namespace {

/// The file and feature specs of a streaming dataset; immutable after open.
class TFRecordSource final : public StreamSource {
public:
  std::vector<int64_t> sampleCounts() const override;
  bool fits(const kiln_model_desc_t *desc) const override;
  kiln_status_t
  openSlotReader(const kiln_dataset_t *dataset, int64_t slots,
                 std::unique_ptr<SlotReader> &reader) const override;
  int64_t numSkipped() const override { return skipped; }
  const std::string &skipReport() const override { return report; }

  std::string path;
  kiln_tfrecord_options_t options; // compression, skip_corrupt
  std::vector<FeatureSpec> specs;  // the model's inputs, then its targets
  int64_t sampleFloats = 0;        // floats per sample, all specs
  int64_t skipped = 0;             // records skipped when opened
  std::string report;              // what they were
};

/// Reads the next record of `reader` that decodes into a sample at `out`;
/// with `skip_corrupt`, records that do not (corrupt framing is skipped by
/// the reader itself) are counted in `*skipped` and passed over, as tf.data's
/// `ignore_errors()` does. `end` at the end of the file.
kiln_status_t nextSample(const TFRecordSource &source, TFRecordReader &reader,
                         SampleDecoder &decoder, float *out, bool &end,
                         int64_t *skipped, uint64_t *skippedBytes = nullptr) {
  while (true) {
    const uint8_t *data = nullptr;
    size_t size = 0;
    KILN_RETURN_IF_ERROR(reader.next(data, size, end));
    if (end)
      return nullptr;
    kiln_status_t status = decoder.decode(
        source.path.c_str(), reader.recordIndex(), data, size, out);
    if (!status || !source.options.skip_corrupt)
      return status;
    kiln_status_free(status);
    if (skipped)
      ++*skipped;
    if (skippedBytes)
      *skippedBytes += kTFRecordHeaderSize + size + kTFRecordFooterSize;
  }
}

} // namespace

namespace {

/// A pass over the file: a slot holds one decoded sample, every spec's
/// values in order. (Keeping only where each record lies in a mapped file
/// and decoding on emit measured no faster: the pass is memory-bound, and
/// random reads from the page-cache mapping miss the TLB more than reads
/// from the heap.)
class TFRecordSlotReader final : public SlotReader {
public:
  TFRecordSlotReader(const TFRecordSource &source,
                     const kiln_dataset_t *dataset, int64_t slots)
      : source(source), numRecords(dataset->numSamples), decoder(source.specs),
        floats(static_cast<size_t>(source.sampleFloats)),
        // Not value-initialized: every slot is written before it is read.
        values(
            new (std::nothrow) float[static_cast<size_t>(slots) * floats + 1]) {
  }

  bool valid() const { return values != nullptr; }

  kiln_status_t beginPass() override {
    record = 0;
    if (reader && reader->rewind())
      return nullptr;
    reader.reset(new (std::nothrow) TFRecordReader);
    if (!reader)
      return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
    return reader->open(source.path.c_str(), source.options);
  }

  kiln_status_t fill(int64_t slot) override {
    bool end = false;
    KILN_RETURN_IF_ERROR(
        nextSample(source, *reader, decoder, sampleAt(slot), end, nullptr));
    if (end)
      return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                         "%s: record %" PRId64 ": the file ended after %" PRId64
                         " sample(s); it had %" PRId64 " when opened",
                         source.path.c_str(), reader->recordIndex() + 1, record,
                         numRecords);
    ++record;
    return nullptr;
  }

  void prefetch(int64_t slot) const override {
    prefetchBytes(values.get() + static_cast<size_t>(slot) * floats,
                  floats * sizeof(float));
  }

  kiln_status_t emit(int64_t slot, float *const *rows) override {
    const float *sample = sampleAt(slot);
    for (size_t s = 0; s < source.specs.size(); ++s) {
      auto count = static_cast<size_t>(source.specs[s].count);
      std::memcpy(rows[s], sample, count * sizeof(float));
      sample += count;
    }
    return nullptr;
  }

private:
  float *sampleAt(int64_t slot) {
    return values.get() + static_cast<size_t>(slot) * floats;
  }

  const TFRecordSource &source;
  int64_t numRecords;
  SampleDecoder decoder;
  size_t floats;                   // per slot
  std::unique_ptr<float[]> values; // the slots
  std::unique_ptr<TFRecordReader> reader;
  int64_t record = 0;
};

kiln_status_t
TFRecordSource::openSlotReader(const kiln_dataset_t *dataset, int64_t slots,
                               std::unique_ptr<SlotReader> &reader) const {
  std::unique_ptr<TFRecordSlotReader> fresh(
      new (std::nothrow) TFRecordSlotReader(*this, dataset, slots));
  if (!fresh || !fresh->valid())
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                       "%s: out of memory for a shuffle buffer of %" PRId64
                       " samples",
                       dataset->name.c_str(), slots);
  reader = std::move(fresh);
  return nullptr;
}

std::vector<int64_t> TFRecordSource::sampleCounts() const {
  std::vector<int64_t> counts;
  for (const FeatureSpec &spec : specs)
    counts.push_back(spec.count);
  return counts;
}

bool TFRecordSource::fits(const kiln_model_desc_t *desc) const {
  if (!desc->training)
    return false;
  int64_t numInputs = desc->num_inputs,
          numTargets = desc->training->num_targets;
  if (static_cast<int64_t>(specs.size()) != numInputs + numTargets)
    return false;
  for (int64_t i = 0; i < numInputs + numTargets; ++i) {
    const kiln_tensor_desc_t &tensor =
        i < numInputs ? desc->inputs[i]
                      : desc->training->targets[i - numInputs];
    if (specs[size_t(i)].count != sampleElements(tensor))
      return false;
  }
  return true;
}

} // namespace

extern "C" kiln_status_t
kiln_dataset_open_tfrecord(const kiln_model_desc_t *desc, const char *path,
                           const char *const *features, int64_t num_features,
                           const char *const *labels, int64_t num_labels,
                           kiln_dataset_t **out_dataset) {
  return kiln_dataset_open_tfrecord_with_options(
      desc, path, features, num_features, labels, num_labels, nullptr,
      out_dataset);
}

extern "C" kiln_status_t kiln_dataset_open_tfrecord_with_options(
    const kiln_model_desc_t *desc, const char *path,
    const char *const *features, int64_t num_features,
    const char *const *labels, int64_t num_labels,
    const kiln_tfrecord_options_t *options, kiln_dataset_t **out_dataset) {
  if (!path || !out_dataset || (num_features && !features) ||
      (num_labels && !labels) || num_features < 0 || num_labels < 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "path, out_dataset, features and labels must not be "
                       "NULL");
  KILN_RETURN_IF_ERROR(checkTrainingModel(desc));
  if (num_features != desc->num_inputs ||
      num_labels != desc->training->num_targets)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: %" PRId64 " feature(s) and %" PRId64
                       " label(s) given; the model needs %" PRId64
                       " input(s) and %" PRId64 " target(s)",
                       path, num_features, num_labels, desc->num_inputs,
                       desc->training->num_targets);
  std::unique_ptr<TFRecordSource> source(new (std::nothrow) TFRecordSource);
  if (!source)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  source->path = path;
  KILN_RETURN_IF_ERROR(effectiveTFRecordOptions(options, source->options));
  std::vector<FeatureSpec> &specs = source->specs;
  specs.resize(static_cast<size_t>(num_features + num_labels));
  for (size_t i = 0; i < specs.size(); ++i)
    KILN_RETURN_IF_ERROR(parseFeatureSpec(
        i < size_t(num_features) ? features[i]
                                 : labels[i - size_t(num_features)],
        specs[i]));
  for (size_t i = 0; i < specs.size(); ++i) {
    bool isInput = static_cast<int64_t>(i) < num_features;
    size_t t = i - static_cast<size_t>(num_features);
    const kiln_tensor_desc_t &tensor =
        isInput ? desc->inputs[i] : desc->training->targets[t];
    KILN_RETURN_IF_ERROR(checkSpecFits(path, specs[i], tensor, isInput));
    if (isInput && tensor.dtype != KILN_DTYPE_F32) {
      bool bools = tensor.dtype == KILN_DTYPE_BOOL;
      if (!specs[i].isInt)
        return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                           "%s: feature '%s' is float32, but input '%s' takes "
                           "%s (give it as int64)",
                           path, specs[i].name.c_str(), tensor.name,
                           bools ? "bool values 0 and 1"
                           : tensor.dtype == KILN_DTYPE_I32 ? "int32 ids"
                                                            : "int64 ids");
      specs[i].ids = !bools;
      specs[i].bools = bools;
    }
    if (!isInput && takesClassIndices(tensor)) {
      const kiln_tensor_desc_t &output = desc->outputs[t];
      int64_t numClasses = 0;
      KILN_RETURN_IF_ERROR(sparseClassCount(output, numClasses));
      specs[i].numClasses = numClasses;
      specs[i].output = output.name;
    }
    KILN_RETURN_IF_ERROR(checkFeatureDefaults(path, specs[i], tensor.name));
    source->sampleFloats += specs[i].count;
  }

  // One pass that decodes and checks every record, keeping none.
  TFRecordReader reader;
  KILN_RETURN_IF_ERROR(reader.open(path, source->options));
  SampleDecoder decoder(specs);
  std::vector<float> sample(static_cast<size_t>(source->sampleFloats) + 1);
  int64_t records = 0;
  uint64_t undecodableBytes = 0;
  for (bool end = false;; ++records) {
    KILN_RETURN_IF_ERROR(nextSample(*source, reader, decoder, sample.data(),
                                    end, &source->skipped, &undecodableBytes));
    if (end)
      break;
  }
  source->report = reader.skipReport(source->skipped, undecodableBytes);
  source->skipped += reader.numSkipped();
  if (records == 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "%s: no records%s", path,
                       source->skipped ? " that decode (all were skipped)"
                                       : "");

  auto *dataset = new (std::nothrow) kiln_dataset_t;
  if (!dataset)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  dataset->numSamples = records;
  dataset->name = path;
  dataset->stream = source.release();
  *out_dataset = dataset;
  return nullptr;
}
