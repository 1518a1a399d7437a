//===- Dataset.cpp - Datasets from .npy, .npz and IDX files -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A dataset SPEC is a comma-separated list of files. Every file is read
// whole through zlib's gzread, which inflates gzip files and passes others
// through, and recognized by its first bytes: .npy magic, zip (.npz), or IDX
// (a TFRecord file is refused with a pointer to the feature-spec reader).
// A single .npz supplies arrays `x` and `y` (or `x0`.., `y0`..); otherwise
// the files are the model's inputs, then its targets, in order.
//
// The arrays are then checked against the model and converted once:
//   - every array has a leading sample dimension, all of the same size N > 0;
//   - an input has the model input's sample shape, in every format, up to
//     one trailing dimension of 1 that Keras 3's functional models add or
//     drop (`_adjust_input_rank`: MNIST's (28, 28) feeds (28, 28, 1)), or
//     one leading one (channels-first: (28, 28) feeds an ONNX (1, 28, 28)),
//     never
//     reshaped otherwise ((14, 56) does not feed (28, 28) nor (784,): the
//     model reshapes with a Flatten/Reshape layer, as in Keras);
//   - a target has the model target's sample shape up to dimensions of 1,
//     and is reshaped to it (labels (N,) feed (None, 1) and vice versa;
//     (N, 3, 2) does not feed (None, 2, 3));
//   - IDX bytes of inputs and of image targets (rank >= 2, an autoencoder's)
//     are scaled to [0, 1] (Keras's `x / 255.0`); rank-1 IDX files are
//     labels, class indices as stored (.npy/.npz uint8 is never scaled);
//   - where the output's loss is sparse, every label is an integer in
//     [0, num_classes), num_classes being the output's last dimension.
// Numeric and bool dtypes convert to float32 (class indices become floats);
// an input of int32/int64 ids takes integers only, a bool input 0 and 1
// only. Strings, complex and other dtypes are refused by the .npy parser.
//
// kiln_data_read reads a SPEC of one or two files the same way, without a
// model (an .npz gives `x` and, when present, `y`), and returns the arrays
// as stored, except rank-1 integer IDX labels, which become int64.
//
//===----------------------------------------------------------------------===//
#include "data/Dataset.h"
#include "base/Array.h"
#include "base/Descriptor.h"
#include "base/Memory.h"
#include "base/Status.h"
#include "formats/Crc32c.h"
#include "formats/Idx.h"
#include "formats/Npy.h"
#include "formats/TFRecord.h"
#include "formats/Zip.h"

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstring>
#include <new>
#include <sys/stat.h>
#include <zlib.h>

using namespace kiln;

namespace {

using Source = DatasetSource;

/// Releases the arrays of `sources` on scope exit.
struct SourceList {
  SourceList() = default;
  SourceList(const SourceList &) = delete;
  SourceList &operator=(const SourceList &) = delete;
  ~SourceList() {
    for (Source &source : sources)
      kiln_array_release(source.array);
  }
  std::vector<Source> sources;
};

void destroyDataset(kiln_dataset_t *dataset) {
  for (kiln_array_t *array : dataset->inputs)
    kiln_array_release(array);
  for (kiln_array_t *array : dataset->targets)
    kiln_array_release(array);
  delete dataset->stream;
  delete dataset;
}

/// Reads all of `path`, inflating it if it is gzip-compressed.
kiln_status_t readFile(const char *path, Buffer &out) {
  struct stat info;
  if (::stat(path, &info) != 0) {
    int error = errno;
    return KILN_STATUS(error == ENOENT || error == ENOTDIR
                           ? KILN_STATUS_NOT_FOUND
                           : KILN_STATUS_IO_ERROR,
                       "cannot open '%s': %s", path, std::strerror(error));
  }
  if (!S_ISREG(info.st_mode))
    return KILN_STATUS(KILN_STATUS_IO_ERROR, "cannot read '%s': not a file",
                       path);
  gzFile file = gzopen(path, "rb");
  if (!file)
    return KILN_STATUS(KILN_STATUS_IO_ERROR, "cannot open '%s': %s", path,
                       std::strerror(errno ? errno : EIO));
  size_t capacity = static_cast<size_t>(info.st_size) + 1;
  size_t used = 0;
  Buffer buffer;
  bool ok = buffer.allocate(capacity);
  while (ok) {
    if (used == capacity) {
      Buffer bigger;
      if (capacity > (SIZE_MAX >> 2) || !bigger.allocate(capacity * 2)) {
        ok = false;
        break;
      }
      std::memcpy(bigger.data(), buffer.data(), used);
      buffer = std::move(bigger);
      capacity *= 2;
    }
    size_t want = capacity - used;
    unsigned chunk = want > (1u << 30) ? (1u << 30) : unsigned(want);
    int count = gzread(file, buffer.data() + used, chunk);
    if (count < 0) {
      int code = 0;
      const char *message = gzerror(file, &code);
      kiln_status_t status = KILN_STATUS(
          code == Z_ERRNO ? KILN_STATUS_IO_ERROR : KILN_STATUS_DATA_LOSS,
          "cannot read '%s': %s", path,
          code == Z_ERRNO ? std::strerror(errno) : message);
      gzclose(file);
      return status;
    }
    if (count == 0)
      break;
    used += static_cast<size_t>(count);
  }
  int code = 0;
  const char *message = gzerror(file, &code);
  kiln_status_t status = nullptr;
  if (!ok)
    status = KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                         "out of memory reading '%s'", path);
  else if (code != Z_OK && code != Z_STREAM_END)
    status = KILN_STATUS(KILN_STATUS_DATA_LOSS,
                         "cannot read '%s': corrupt or truncated gzip data "
                         "(%s)",
                         path, message);
  gzclose(file);
  if (status)
    return status;
  // Keep exactly `used` bytes.
  Buffer exact;
  if (!exact.allocate(used))
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory reading '%s'",
                       path);
  if (used)
    std::memcpy(exact.data(), buffer.data(), used);
  out = std::move(exact);
  return nullptr;
}

/// True when `data` starts with a TFRecord header (length and its masked
/// CRC-32C).
bool isTFRecord(const uint8_t *data, size_t size) {
  if (size < kTFRecordHeaderSize)
    return false;
  uint32_t stored;
  std::memcpy(&stored, data + 8, sizeof(stored));
  return maskCrc32c(crc32c(data, 8)) == stored;
}

/// The member of an .npz holding the array named `key` ("x" finds member
/// "x.npy"), or null.
const ZipMember *findNpzMember(const std::vector<ZipMember> &members,
                               const std::string &key) {
  for (const ZipMember &member : members)
    if (member.name == key + ".npy" || member.name == key)
      return &member;
  return nullptr;
}

/// Reads the array named `key` of an .npz.
kiln_status_t readNpzMember(const std::string &path, const Buffer &bytes,
                            const std::vector<ZipMember> &members,
                            const std::string &key, Source &source) {
  if (const ZipMember *member = findNpzMember(members, key)) {
    Buffer data;
    KILN_RETURN_IF_ERROR(
        extractZip(path.c_str(), bytes.data(), bytes.size(), *member, data));
    source.name = path + ":" + key;
    return parseNpy(source.name.c_str(), data.data(), data.size(),
                    &source.array);
  }
  std::string names;
  for (const ZipMember &member : members)
    names += (names.empty() ? "'" : ", '") + member.name + "'";
  return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                     "%s: no array '%s' in the archive (members: %s)",
                     path.c_str(), key.c_str(),
                     names.empty() ? "none" : names.c_str());
}

/// Splits the comma-separated `spec` into `paths`; `what` ("dataset" or
/// "data") names the SPEC in errors.
kiln_status_t splitSpec(const char *spec, const char *what,
                        std::vector<std::string> &paths) {
  for (const char *cur = spec;;) {
    const char *comma = std::strchr(cur, ',');
    std::string path = comma ? std::string(cur, comma) : std::string(cur);
    if (path.empty())
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s '%s': empty file name", what, spec);
    paths.push_back(path);
    if (!comma)
      return nullptr;
    cur = comma + 1;
  }
}

/// Reads `paths`, the files of `spec`, into `list`: one array per .npy or
/// IDX file, or from an .npz, which must be the only file, its arrays
/// `npzKeys`, those from index `npzRequired` on only when present.
kiln_status_t readSpecFiles(const char *spec, const char *what,
                            const std::vector<std::string> &paths,
                            const std::vector<std::string> &npzKeys,
                            size_t npzRequired, SourceList &list) {
  for (const std::string &path : paths) {
    Buffer bytes;
    KILN_RETURN_IF_ERROR(readFile(path.c_str(), bytes));
    const uint8_t *data = bytes.data();
    size_t size = bytes.size();
    if (isZip(data, size)) {
      if (paths.size() != 1)
        return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                           "%s '%s': an .npz archive ('%s') must be the "
                           "only file",
                           what, spec, path.c_str());
      std::vector<ZipMember> members;
      KILN_RETURN_IF_ERROR(listZip(path.c_str(), data, size, members));
      for (size_t i = 0; i < npzKeys.size(); ++i) {
        if (i >= npzRequired && !findNpzMember(members, npzKeys[i]))
          continue;
        list.sources.emplace_back();
        KILN_RETURN_IF_ERROR(readNpzMember(path, bytes, members, npzKeys[i],
                                           list.sources.back()));
      }
      return nullptr;
    }
    list.sources.emplace_back();
    Source &source = list.sources.back();
    source.name = path;
    if (isNpy(data, size)) {
      KILN_RETURN_IF_ERROR(parseNpy(path.c_str(), data, size, &source.array));
    } else if (isIdx(data, size)) {
      source.idx = true;
      KILN_RETURN_IF_ERROR(parseIdx(path.c_str(), data, size, &source.array));
    } else if (isTFRecord(data, size)) {
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: a TFRecord file; read it with feature specs "
                         "(--features/--label, kiln_dataset_open_tfrecord)",
                         path.c_str());
    } else {
      return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                         "%s: not a .npy, .npz or IDX file (unknown magic "
                         "bytes)",
                         path.c_str());
    }
  }
  return nullptr;
}

/// Reads the files of the dataset `spec` into `list`: the model's inputs,
/// then its targets (an .npz's `x`, `y` or `x0`.., `y0`..).
kiln_status_t readSpec(const kiln_model_desc_t *desc, const char *spec,
                       SourceList &list) {
  std::vector<std::string> paths;
  KILN_RETURN_IF_ERROR(splitSpec(spec, "dataset", paths));
  int64_t numInputs = desc->num_inputs;
  int64_t numTargets = desc->training->num_targets;
  std::vector<std::string> keys;
  for (int64_t i = 0; i < numInputs + numTargets; ++i) {
    bool isInput = i < numInputs;
    std::string key = isInput ? "x" : "y";
    if ((isInput ? numInputs : numTargets) > 1)
      key += std::to_string(isInput ? i : i - numInputs);
    keys.push_back(key);
  }
  KILN_RETURN_IF_ERROR(
      readSpecFiles(spec, "dataset", paths, keys, keys.size(), list));
  if (list.sources.size() != keys.size())
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "dataset '%s' has %zu file(s); the model needs %" PRId64
                       " input(s) then %" PRId64 " target(s)",
                       spec, list.sources.size(), numInputs, numTargets);
  return nullptr;
}

} // namespace

kiln_status_t kiln::sparseClassCount(const kiln_tensor_desc_t &output,
                                     int64_t &numClasses) {
  numClasses = output.rank >= 2 ? output.dims[output.rank - 1] : 0;
  if (numClasses <= 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "output '%s' of shape %s has no class dimension for "
                       "sparse labels",
                       output.name,
                       formatShape(output.rank, output.dims).c_str());
  return nullptr;
}

bool kiln::takesClassIndices(const kiln_tensor_desc_t &target) {
  return (target.flags & KILN_TENSOR_CLASS_INDICES) != 0;
}

namespace {} // namespace

const char *const kiln::kInputShapeRule =
    " (an input's sample shape must match, in every data format, up to a "
    "trailing or leading dimension of 1; reshape the data, or the model "
    "with a Flatten/Reshape layer)";

bool kiln::inputShapeFits(int32_t rank, const int64_t *dims,
                          const kiln_tensor_desc_t &tensor) {
  std::vector<int64_t> data(dims + (rank > 0 ? 1 : 0), dims + rank);
  std::vector<int64_t> want(tensor.dims + (tensor.rank > 0 ? 1 : 0),
                            tensor.dims + tensor.rank);
  if (data == want)
    return true;
  // One extra dimension of 1 on the longer side, last (channels-last:
  // Keras 3's `_adjust_input_rank`) or first (channels-first: an ONNX
  // model's (1, 28, 28) fed (28, 28) images).
  std::vector<int64_t> &longer = data.size() > want.size() ? data : want;
  const std::vector<int64_t> &shorter = &longer == &data ? want : data;
  if (longer.size() != shorter.size() + 1)
    return false;
  if (longer.back() == 1 &&
      std::equal(shorter.begin(), shorter.end(), longer.begin()))
    return true;
  return longer.front() == 1 &&
         std::equal(shorter.begin(), shorter.end(), longer.begin() + 1);
}

const char *const kiln::kTargetShapeRule =
    " (a target's sample shape must match, up to dimensions of 1)";

bool kiln::targetShapeFits(int32_t rank, const int64_t *dims,
                           const kiln_tensor_desc_t &tensor) {
  auto squeezed = [](int32_t rank, const int64_t *dims) {
    std::vector<int64_t> kept;
    for (int32_t d = 1; d < rank; ++d)
      if (dims[d] != 1)
        kept.push_back(dims[d]);
    return kept;
  };
  return squeezed(rank, dims) == squeezed(tensor.rank, tensor.dims);
}

namespace {

/// Checks that `source` holds integer ids for `tensor`, an int32/int64
/// input: exactly convertible to its dtype and within float32's exact
/// integers (the batches' element type).
kiln_status_t checkIds(const Source &source, const kiln_tensor_desc_t &tensor) {
  kiln_array_t *ids = nullptr;
  if (kiln_status_t status =
          kiln_array_convert(source.array, KILN_DTYPE_I64, &ids)) {
    kiln_status_t named =
        KILN_STATUS(kiln_status_code(status), "%s: input '%s' takes %s ids: %s",
                    source.name.c_str(), tensor.name,
                    kiln_dtype_name(tensor.dtype), kiln_status_message(status));
    kiln_status_free(status);
    return named;
  }
  const auto *values = static_cast<const int64_t *>(ids->data);
  for (int64_t i = 0; i < ids->numElements; ++i)
    if (values[i] > kMaxExactId || values[i] < -kMaxExactId) {
      kiln_status_t status = KILN_STATUS(
          KILN_STATUS_INVALID_ARGUMENT,
          "%s: input '%s': id %" PRId64 " (element %" PRId64
          ") is beyond %" PRId64 ", the largest id kiln's batches carry",
          source.name.c_str(), tensor.name, values[i], i, kMaxExactId);
      kiln_array_release(ids);
      return status;
    }
  kiln_array_release(ids);
  return nullptr;
}

/// Checks that `source` holds only 0s and 1s for `tensor`, a bool input.
kiln_status_t checkBools(const Source &source,
                         const kiln_tensor_desc_t &tensor) {
  kiln_array_t *bools = nullptr;
  if (kiln_status_t status = convertArray(source.array, KILN_DTYPE_BOOL,
                                          /*exactBool=*/true, &bools)) {
    kiln_status_t named = KILN_STATUS(
        kiln_status_code(status), "%s: input '%s' takes bool (0 or 1): %s",
        source.name.c_str(), tensor.name, kiln_status_message(status));
    kiln_status_free(status);
    return named;
  }
  kiln_array_release(bools);
  return nullptr;
}

/// Converts `source` to a float32 (N, sample shape of `tensor`) array: an
/// input by inputShapeFits, a target by targetShapeFits (reshaped). IDX
/// bytes of inputs and of image targets (rank >= 2; rank-1 IDX files are
/// labels) are scaled to [0, 1].
kiln_status_t convertSource(const Source &source,
                            const kiln_tensor_desc_t &tensor, bool isInput,
                            kiln_array_t **outArray) {
  const kiln_array_t *array = source.array;
  const char *name = source.name.c_str();
  int64_t samples = array->dims[0];
  bool shapeOk = isInput ? inputShapeFits(array->rank, array->dims, tensor)
                         : targetShapeFits(array->rank, array->dims, tensor);
  if (!shapeOk) {
    int64_t dims[KILN_MAX_RANK];
    dims[0] = -1;
    for (int32_t d = 1; d < array->rank; ++d)
      dims[d] = array->dims[d];
    return KILN_STATUS(
        KILN_STATUS_INVALID_ARGUMENT,
        "%s: samples of shape %s do not fit %s '%s' of shape %s%s", name,
        formatShape(array->rank, dims).c_str(), isInput ? "input" : "target",
        tensor.name, formatShape(tensor.rank, tensor.dims).c_str(),
        isInput ? kInputShapeRule : kTargetShapeRule);
  }
  int64_t dims[KILN_MAX_RANK];
  dims[0] = samples;
  for (int32_t d = 1; d < tensor.rank; ++d)
    dims[d] = tensor.dims[d];
  kiln_array_t *result = nullptr;
  // An input of integer ids takes integers only (a fraction is an error,
  // never rounded) that float32 holds exactly, a bool input 0 and 1 only
  // (0.5 is an error, never true): batches carry float32.
  if (tensor.dtype == KILN_DTYPE_BOOL)
    KILN_RETURN_IF_ERROR(checkBools(source, tensor));
  else if (tensor.dtype != KILN_DTYPE_F32)
    KILN_RETURN_IF_ERROR(checkIds(source, tensor));
  KILN_RETURN_IF_ERROR(
      createArray(KILN_DTYPE_F32, tensor.rank, dims, /*zero=*/false, &result));
  auto *out = static_cast<float *>(result->data);
  if (source.idx && array->dtype == KILN_DTYPE_U8 &&
      (isInput || array->rank >= 2) && tensor.dtype == KILN_DTYPE_F32) {
    const auto *in = static_cast<const uint8_t *>(array->data);
    for (int64_t i = 0; i < array->numElements; ++i)
      out[i] = static_cast<float>(in[i]) / 255.0f;
  } else if (array->dtype == KILN_DTYPE_F32) {
    if (array->byteSize)
      std::memcpy(out, array->data, array->byteSize);
  } else {
    kiln_array_t *converted = nullptr;
    kiln_status_t status =
        kiln_array_convert(array, KILN_DTYPE_F32, &converted);
    if (status) {
      kiln_array_release(result);
      return status;
    }
    if (converted->byteSize)
      std::memcpy(out, converted->data, converted->byteSize);
    kiln_array_release(converted);
  }
  *outArray = result;
  return nullptr;
}

/// Checks that every label of `labels` is a class index below the last
/// dimension of `output`.
kiln_status_t checkLabels(const char *name, const kiln_array_t *labels,
                          const kiln_tensor_desc_t &output) {
  int64_t numClasses = 0;
  KILN_RETURN_IF_ERROR(sparseClassCount(output, numClasses));
  const auto *data = static_cast<const float *>(labels->data);
  for (int64_t i = 0; i < labels->numElements; ++i) {
    float label = data[i];
    if (isClassIndex(label, numClasses))
      continue;
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: label %g at index %" PRId64
                       " is not a class index in [0, %" PRId64
                       ") (output '%s' has %" PRId64 " classes)",
                       name, static_cast<double>(label), i, numClasses,
                       output.name, numClasses);
  }
  return nullptr;
}

} // namespace

/// Checks `sources` (inputs then targets) against `desc` and builds the
/// dataset.
kiln_status_t kiln::buildDataset(const kiln_model_desc_t *desc,
                                 const char *spec,
                                 const std::vector<Source> &sources,
                                 kiln_dataset_t **outDataset) {
  const kiln_train_desc_t *train = desc->training;
  for (const Source &source : sources)
    if (source.array->rank == 0)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: a scalar has no sample dimension",
                         source.name.c_str());
  int64_t numSamples = sources.empty() ? 0 : sources[0].array->dims[0];
  for (const Source &source : sources)
    if (source.array->dims[0] != numSamples)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "sample counts differ: '%s' has %" PRId64
                         " samples, '%s' has %" PRId64,
                         sources[0].name.c_str(), numSamples,
                         source.name.c_str(), source.array->dims[0]);
  if (numSamples == 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "dataset '%s' has no samples", spec);
  auto *dataset = new (std::nothrow) kiln_dataset_t;
  if (!dataset)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  dataset->numSamples = numSamples;
  dataset->name = spec;
  for (size_t i = 0; i < sources.size(); ++i) {
    bool isInput = static_cast<int64_t>(i) < desc->num_inputs;
    size_t t = i - static_cast<size_t>(desc->num_inputs);
    const kiln_tensor_desc_t &tensor =
        isInput ? desc->inputs[i] : train->targets[t];
    kiln_array_t *array = nullptr;
    kiln_status_t status = convertSource(sources[i], tensor, isInput, &array);
    if (!status) {
      (isInput ? dataset->inputs : dataset->targets).push_back(array);
      if (!isInput && takesClassIndices(tensor))
        status = checkLabels(sources[i].name.c_str(), array, desc->outputs[t]);
    }
    if (status) {
      destroyDataset(dataset);
      return status;
    }
  }
  *outDataset = dataset;
  return nullptr;
}

kiln_status_t kiln::checkTrainingModel(const kiln_model_desc_t *desc) {
  KILN_RETURN_IF_ERROR(checkDescriptor(desc));
  if (!desc->training && desc->train_unavailable)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "model '%s' cannot train or evaluate: %s",
                       desc->name ? desc->name : "", desc->train_unavailable);
  if (!desc->training)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "model '%s' was compiled without a loss; recompile "
                       "it with one to train or evaluate",
                       desc->name ? desc->name : "");
  for (int64_t i = 0; i < desc->num_inputs; ++i)
    if (desc->inputs[i].rank == 0 || desc->inputs[i].dims[0] != -1)
      return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                         "input '%s' has no dynamic batch dimension",
                         desc->inputs[i].name);
  for (int64_t i = 0; i < desc->training->num_targets; ++i)
    if (desc->training->targets[i].rank == 0 ||
        desc->training->targets[i].dims[0] != -1)
      return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                         "target '%s' has no dynamic batch dimension",
                         desc->training->targets[i].name);
  return checkTrainingDtypes(desc);
}

kiln_status_t kiln::checkDatasetFits(const kiln_model_desc_t *desc,
                                     const kiln_dataset_t *dataset) {
  if (dataset->stream) {
    if (!dataset->stream->fits(desc))
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "dataset '%s' was built for another model",
                         dataset->name.c_str());
    return nullptr;
  }
  bool fits =
      static_cast<int64_t>(dataset->inputs.size()) == desc->num_inputs &&
      desc->training &&
      static_cast<int64_t>(dataset->targets.size()) ==
          desc->training->num_targets;
  for (int64_t i = 0; fits && i < desc->num_inputs; ++i)
    fits = dataset->inputs[i]->numElements ==
           dataset->numSamples * sampleElements(desc->inputs[i]);
  for (int64_t i = 0; fits && i < desc->training->num_targets; ++i)
    fits = dataset->targets[i]->numElements ==
           dataset->numSamples * sampleElements(desc->training->targets[i]);
  if (!fits)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "dataset '%s' was built for another model",
                       dataset->name.c_str());
  return nullptr;
}

extern "C" {

kiln_status_t kiln_dataset_open(const kiln_model_desc_t *desc, const char *spec,
                                kiln_dataset_t **out_dataset) {
  if (!spec || !out_dataset)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "spec and out_dataset must not be NULL");
  KILN_RETURN_IF_ERROR(checkTrainingModel(desc));
  SourceList list;
  KILN_RETURN_IF_ERROR(readSpec(desc, spec, list));
  return buildDataset(desc, spec, list.sources, out_dataset);
}

kiln_status_t kiln_dataset_create(const kiln_model_desc_t *desc,
                                  const kiln_array_t *const *inputs,
                                  const kiln_array_t *const *targets,
                                  kiln_dataset_t **out_dataset) {
  if (!out_dataset)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "out_dataset is NULL");
  KILN_RETURN_IF_ERROR(checkTrainingModel(desc));
  int64_t numInputs = desc->num_inputs,
          numTargets = desc->training->num_targets;
  if ((numInputs && !inputs) || (numTargets && !targets))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "inputs and targets must not be NULL");
  SourceList list;
  for (int64_t i = 0; i < numInputs + numTargets; ++i) {
    bool isInput = i < numInputs;
    const kiln_array_t *array = isInput ? inputs[i] : targets[i - numInputs];
    if (!array)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "array %" PRId64 " is NULL", i);
    kiln_array_retain(const_cast<kiln_array_t *>(array));
    Source source;
    source.name = isInput
                      ? std::string("input '") + desc->inputs[i].name + "'"
                      : std::string("target '") +
                            desc->training->targets[i - numInputs].name + "'";
    source.array = const_cast<kiln_array_t *>(array);
    list.sources.push_back(std::move(source));
  }
  return buildDataset(desc, "<arrays>", list.sources, out_dataset);
}

kiln_status_t kiln_data_read(const char *spec, kiln_array_t **out_x,
                             kiln_array_t **out_y) {
  if (!spec || !out_x || !out_y)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "spec, out_x and out_y must not be NULL");
  std::vector<std::string> paths;
  KILN_RETURN_IF_ERROR(splitSpec(spec, "data", paths));
  if (paths.size() > 2)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "data '%s' has %zu files; expected x or x,y", spec,
                       paths.size());
  SourceList list;
  KILN_RETURN_IF_ERROR(
      readSpecFiles(spec, "data", paths, {"x", "y"}, /*npzRequired=*/1, list));
  // IDX bytes of x and of images become float32 in [0, 1], as
  // kiln_dataset_open scales them; IDX label files (rank 1, integers) become
  // int64 class indices.
  for (Source &source : list.sources) {
    kiln_array_t *array = source.array;
    if (source.idx && array->dtype == KILN_DTYPE_U8 &&
        (&source == &list.sources[0] || array->rank >= 2)) {
      kiln_array_t *scaled = nullptr;
      KILN_RETURN_IF_ERROR(createArray(KILN_DTYPE_F32, array->rank, array->dims,
                                       /*zero=*/false, &scaled));
      const auto *in = static_cast<const uint8_t *>(array->data);
      auto *out = static_cast<float *>(scaled->data);
      for (int64_t i = 0; i < array->numElements; ++i)
        out[i] = static_cast<float>(in[i]) / 255.0f;
      kiln_array_release(array);
      source.array = scaled;
      continue;
    }
    bool integer =
        array->dtype == KILN_DTYPE_U8 || array->dtype == KILN_DTYPE_I32;
    if (!source.idx || array->rank != 1 || !integer)
      continue;
    kiln_array_t *converted = nullptr;
    KILN_RETURN_IF_ERROR(kiln_array_convert(array, KILN_DTYPE_I64, &converted));
    kiln_array_release(array);
    source.array = converted;
  }
  *out_x = list.sources[0].array;
  *out_y = list.sources.size() > 1 ? list.sources[1].array : nullptr;
  for (Source &source : list.sources)
    source.array = nullptr;
  return nullptr;
}

void kiln_dataset_retain(kiln_dataset_t *dataset) {
  if (dataset)
    dataset->refCount.fetch_add(1, std::memory_order_relaxed);
}

void kiln_dataset_release(kiln_dataset_t *dataset) {
  if (dataset && dataset->refCount.fetch_sub(1, std::memory_order_acq_rel) == 1)
    destroyDataset(dataset);
}

int64_t kiln_dataset_num_samples(const kiln_dataset_t *dataset) {
  return dataset ? dataset->numSamples : 0;
}

} // extern "C"

extern "C" int64_t kiln_dataset_num_skipped(const kiln_dataset_t *dataset) {
  return dataset && dataset->stream ? dataset->stream->numSkipped() : 0;
}

extern "C" const char *kiln_dataset_skip_report(const kiln_dataset_t *dataset) {
  return dataset && dataset->stream ? dataset->stream->skipReport().c_str()
                                    : "";
}
