//===- TFRecordDataset.cpp - Datasets from tf.train.Example -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln_dataset_open_tfrecord` builds a dataset from a TFRecord file of
// tf.train.Example records, with `tf.io.FixedLenFeature` semantics: each
// model input and target is one feature given as
//   name:dtype[d0,d1,...][=default]
// where dtype is float32 or int64 (int64 values become float32), the shape
// is per sample (`[]` or no brackets: a scalar) and the optional default,
// one number or one per element, stands in for a missing feature. The name
// is everything before the last ':' ahead of the dtype, so names may
// contain ':'.
//
// Every record is decoded up front into float32 (N, shape) arrays, which
// then go through the same checks as .npy data (Dataset.cpp): shapes
// against the model, sparse label ranges. Errors name the file, the record
// index and the feature: a missing feature without a default, a value list
// of the wrong kind (int64 vs float, bytes) or length.
//
// TODO(#4): stream records instead of loading the whole file.
//
//===----------------------------------------------------------------------===//
#include "Array.h"
#include "Dataset.h"
#include "Example.h"
#include "Status.h"
#include "TFRecord.h"

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace kiln;

namespace {

/// One parsed feature spec.
struct FeatureSpec {
  std::string text; // as given, for messages
  std::string name;
  bool isInt = false;
  std::vector<int64_t> shape;
  int64_t count = 1; // elements per sample
  bool hasDefault = false;
  std::vector<float> defaults; // `count` values
  std::vector<float> values;   // gathered, N * count
};

kiln_status_t specError(const std::string &text, const char *why) {
  return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                     "feature spec '%s': %s (expected "
                     "'name:float32|int64[d0,d1,...][=default]')",
                     text.c_str(), why);
}

/// Parses a comma-separated list of numbers (`integers`: of integers).
bool parseNumbers(const std::string &text, bool integers,
                  std::vector<double> &out) {
  size_t pos = 0;
  while (true) {
    size_t comma = text.find(',', pos);
    std::string item = text.substr(
        pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item.empty())
      return false;
    char *end = nullptr;
    errno = 0;
    double value =
        integers ? static_cast<double>(std::strtoll(item.c_str(), &end, 10))
                 : std::strtod(item.c_str(), &end);
    if (errno || *end)
      return false;
    out.push_back(value);
    if (comma == std::string::npos)
      return true;
    pos = comma + 1;
  }
}

kiln_status_t parseFeatureSpec(const char *text, FeatureSpec &spec) {
  if (!text)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "feature spec is NULL");
  spec.text = text;
  std::string rest = text;
  size_t equals = rest.find(
      '=', rest.rfind(':') == std::string::npos ? 0 : rest.rfind(':'));
  std::string defaultText;
  if (equals != std::string::npos) {
    defaultText = rest.substr(equals + 1);
    rest.resize(equals);
    spec.hasDefault = true;
  }
  std::string shapeText;
  bool hasShape = false;
  if (!rest.empty() && rest.back() == ']') {
    size_t open = rest.rfind('[');
    if (open == std::string::npos)
      return specError(spec.text, "unbalanced ']'");
    shapeText = rest.substr(open + 1, rest.size() - open - 2);
    rest.resize(open);
    hasShape = true;
  }
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return specError(spec.text, "no 'name:' before the dtype");
  spec.name = rest.substr(0, colon);
  std::string dtype = rest.substr(colon + 1);
  if (dtype == "int64")
    spec.isInt = true;
  else if (dtype != "float32")
    return specError(spec.text, "the dtype must be float32 or int64");
  if (hasShape && !shapeText.empty()) {
    std::vector<double> dims;
    if (!parseNumbers(shapeText, /*integers=*/true, dims))
      return specError(spec.text, "the shape is not a list of integers");
    for (double dim : dims) {
      if (dim < 0 || dim > double(INT32_MAX))
        return specError(spec.text, "a dimension is negative or too large");
      spec.shape.push_back(static_cast<int64_t>(dim));
    }
  }
  if (spec.shape.size() + 1 > KILN_MAX_RANK)
    return specError(spec.text, "too many dimensions");
  for (int64_t dim : spec.shape) {
    if (dim && spec.count > (int64_t(1) << 40) / dim)
      return specError(spec.text, "too many elements");
    spec.count *= dim;
  }
  if (spec.hasDefault) {
    std::vector<double> values;
    if (!parseNumbers(defaultText, /*integers=*/false, values))
      return specError(spec.text, "the default is not a list of numbers");
    if (values.size() != 1 && static_cast<int64_t>(values.size()) != spec.count)
      return specError(spec.text, "the default needs one value or one per "
                                  "element");
    for (int64_t i = 0; i < spec.count; ++i)
      spec.defaults.push_back(
          static_cast<float>(values[values.size() == 1 ? 0 : size_t(i)]));
  }
  return nullptr;
}

const char *kindName(int32_t kind) {
  return kind == KILN_FEATURE_BYTES   ? "bytes"
         : kind == KILN_FEATURE_FLOAT ? "float32"
         : kind == KILN_FEATURE_INT64 ? "int64"
                                      : "empty";
}

/// Appends the values of `spec` in the record `index` (`features`) to
/// `spec.values`.
kiln_status_t gatherFeature(const char *path, int64_t index,
                            const std::vector<ExampleFeature> &features,
                            FeatureSpec &spec) {
  const ExampleFeature *found = nullptr;
  for (const ExampleFeature &feature : features)
    if (feature.name == spec.name)
      found = &feature;
  if (!found || (found->kind == KILN_FEATURE_NONE && spec.count != 0)) {
    if (!spec.hasDefault)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: record %" PRId64
                         ": feature '%s' is missing and has no default "
                         "(give one as '%s=VALUE')",
                         path, index, spec.name.c_str(), spec.text.c_str());
    spec.values.insert(spec.values.end(), spec.defaults.begin(),
                       spec.defaults.end());
    return nullptr;
  }
  int32_t want = spec.isInt ? KILN_FEATURE_INT64 : KILN_FEATURE_FLOAT;
  if (found->kind != want && found->size() != 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: record %" PRId64
                       ": feature '%s' holds %s values, not %s as in '%s'",
                       path, index, spec.name.c_str(), kindName(found->kind),
                       kindName(want), spec.text.c_str());
  auto size = static_cast<int64_t>(found->size());
  if (size != spec.count)
    return KILN_STATUS(
        KILN_STATUS_INVALID_ARGUMENT,
        "%s: record %" PRId64 ": feature '%s' has %" PRId64
        " value(s); shape %s needs %" PRId64,
        path, index, spec.name.c_str(), size,
        formatShape(static_cast<int32_t>(spec.shape.size()), spec.shape.data())
            .c_str(),
        spec.count);
  if (found->kind == KILN_FEATURE_FLOAT)
    spec.values.insert(spec.values.end(), found->floats.begin(),
                       found->floats.end());
  else
    for (int64_t value : found->ints)
      spec.values.push_back(static_cast<float>(value));
  return nullptr;
}

} // namespace

extern "C" kiln_status_t
kiln_dataset_open_tfrecord(const kiln_model_desc_t *desc, const char *path,
                           const char *const *features, int64_t num_features,
                           const char *const *labels, int64_t num_labels,
                           kiln_dataset_t **out_dataset) {
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
  std::vector<FeatureSpec> specs(
      static_cast<size_t>(num_features + num_labels));
  for (size_t i = 0; i < specs.size(); ++i)
    KILN_RETURN_IF_ERROR(parseFeatureSpec(
        i < size_t(num_features) ? features[i]
                                 : labels[i - size_t(num_features)],
        specs[i]));

  kiln_tfrecord_options_t options;
  kiln_tfrecord_options_initialize(&options);
  TFRecordReader reader;
  KILN_RETURN_IF_ERROR(reader.open(path, options));
  std::vector<ExampleFeature> decoded;
  int64_t records = 0;
  while (true) {
    const uint8_t *data = nullptr;
    size_t size = 0;
    bool end = false;
    KILN_RETURN_IF_ERROR(reader.next(data, size, end));
    if (end)
      break;
    if (kiln_status_t status = decodeExample(data, size, decoded)) {
      kiln_status_t named =
          KILN_STATUS(kiln_status_code(status), "%s: record %" PRId64 ": %s",
                      path, records, kiln_status_message(status));
      kiln_status_free(status);
      return named;
    }
    for (FeatureSpec &spec : specs)
      KILN_RETURN_IF_ERROR(gatherFeature(path, records, decoded, spec));
    ++records;
  }
  if (records == 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "%s: no records", path);

  std::vector<DatasetSource> sources(specs.size());
  auto release = [&]() {
    for (DatasetSource &source : sources)
      kiln_array_release(source.array);
  };
  for (size_t i = 0; i < specs.size(); ++i) {
    const FeatureSpec &spec = specs[i];
    int64_t dims[KILN_MAX_RANK];
    dims[0] = records;
    for (size_t d = 0; d < spec.shape.size(); ++d)
      dims[d + 1] = spec.shape[d];
    sources[i].name = std::string(path) + ": feature '" + spec.name + "'";
    if (kiln_status_t status =
            createArray(KILN_DTYPE_F32, int32_t(spec.shape.size() + 1), dims,
                        /*zero=*/false, &sources[i].array)) {
      release();
      return status;
    }
    if (!spec.values.empty())
      std::memcpy(sources[i].array->data, spec.values.data(),
                  spec.values.size() * sizeof(float));
  }
  std::string name = std::string(path);
  kiln_status_t status = buildDataset(desc, name.c_str(), sources, out_dataset);
  release();
  return status;
}
