//===- Weights.cpp - kiln weights files (save/load/checkpoint) --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A weights file holds a model's trained state: parameters, optimizer slots,
// the iteration count (Keras's `optimizer.iterations`, Adam's bias-correction
// step), the last completed epoch and the shuffle seed, so `--resume`
// continues a run exactly. Layout, all little-endian:
//
//   offset size  field
//   0      8     magic "KILNWTS\0"
//   8      4     u32 format version (1, or 2 with training state)
//   12     4     u32 flags (0)
//   16     8     u64 parameter fingerprint: FNV-1a 64 of the model name and
//                every parameter's name, rank and dims
//   24     8     u64 slot fingerprint: the same over the optimizer slots
//                (FNV-1a offset basis when there are none)
//   32     8     i64 iterations
//   40     8     i64 epoch
//   48     8     i64 shuffle seed (-1: none)
//   56     4     u32 number of parameters P
//   60     4     u32 number of slots S
//   64     8     u64 payload size in bytes
//   72     ...   payload: u32 length + bytes of the model name, then P + S
//                tensors (parameters, then slots), each u32 name length,
//                name bytes, u32 rank, rank x i64 dims, then the row-major
//                float32 data; version 2 then adds u32 length + bytes of
//                the training callbacks' state (train/callbacks/Callback.h:
//                best values, counters, learning rate), opaque here
//   end-4  4     u32 CRC-32 (zlib's, base/Crc32.h) of everything before it
//
// A save without training state writes version 1, byte for byte what
// runtimes before version 2 wrote and read; loads accept both.
//
// Saves are atomic (base/File.h: temporary file beside it, fsync, rename).
// Loads verify size and CRC before trusting anything (a bad version field
// with a bad CRC is a corrupt header, not a future version), then compare
// names and shapes so a mismatch names the first differing tensor. The
// file names no optimizer: its slot names ("<param>/m") tell which one
// trained it, and optimizer state that this model's optimizer does not
// keep is an error naming both optimizers (a file that never trained,
// without slots, starts the optimizer fresh).
//
//===----------------------------------------------------------------------===//
#include "model/Weights.h"
#include "base/Array.h"
#include "base/Crc32.h"
#include "base/File.h"
#include "base/Memory.h"
#include "base/Status.h"
#include "model/Model.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace kiln;

namespace {

constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'W', 'T', 'S', '\0'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kStateVersion = 2; // version 1 + training state
constexpr size_t kHeaderSize = 72;
constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ull;

void fnv(uint64_t &hash, const void *data, size_t size) {
  const auto *bytes = static_cast<const uint8_t *>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ull;
  }
}

/// Hashes the names and shapes of `count` tensors (after `prefix`).
uint64_t fingerprint(const char *prefix, int64_t count,
                     const kiln_tensor_desc_t *tensors) {
  uint64_t hash = kFnvBasis;
  if (prefix)
    fnv(hash, prefix, std::strlen(prefix) + 1);
  for (int64_t i = 0; i < count; ++i) {
    fnv(hash, tensors[i].name, std::strlen(tensors[i].name) + 1);
    fnv(hash, &tensors[i].rank, sizeof(int32_t));
    fnv(hash, tensors[i].dims, sizeof(int64_t) * tensors[i].rank);
  }
  return hash;
}

void put32(std::string &out, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out += static_cast<char>(value >> (8 * i));
}
void put64(std::string &out, uint64_t value) {
  for (int i = 0; i < 8; ++i)
    out += static_cast<char>(value >> (8 * i));
}
uint32_t get32(const uint8_t *p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) |
         (uint32_t(p[3]) << 24);
}
uint64_t get64(const uint8_t *p) {
  return uint64_t(get32(p)) | (uint64_t(get32(p + 4)) << 32);
}

/// Appends a tensor's name and shape (its data is written separately).
void putTensorHeader(std::string &out, const kiln_tensor_desc_t &tensor) {
  size_t length = std::strlen(tensor.name);
  put32(out, static_cast<uint32_t>(length));
  out.append(tensor.name, length);
  put32(out, static_cast<uint32_t>(tensor.rank));
  for (int32_t d = 0; d < tensor.rank; ++d)
    put64(out, static_cast<uint64_t>(tensor.dims[d]));
}

/// Appends `size` bytes to `file`, extending `crc` over them.
kiln_status_t writeAll(AtomicFile &file, const void *data, size_t size,
                       uint32_t &crc) {
  crc = crc32Extend(crc, data, size);
  return file.write(data, size);
}

/// A tensor as stored in a file being loaded.
struct FileTensor {
  std::string name;
  int32_t rank = 0;
  int64_t dims[KILN_MAX_RANK] = {};
  const uint8_t *data = nullptr;
  size_t byteSize = 0;
};

/// Parses a tensor at `cur` (bounded by `end`), advancing `cur`.
bool parseTensor(const uint8_t *&cur, const uint8_t *end, FileTensor &out) {
  if (end - cur < 4)
    return false;
  uint32_t length = get32(cur);
  cur += 4;
  if (static_cast<uint64_t>(end - cur) < uint64_t(length) + 4)
    return false;
  out.name.assign(reinterpret_cast<const char *>(cur), length);
  cur += length;
  uint32_t rank = get32(cur);
  cur += 4;
  if (rank > KILN_MAX_RANK || static_cast<uint64_t>(end - cur) < 8ull * rank)
    return false;
  out.rank = static_cast<int32_t>(rank);
  for (uint32_t d = 0; d < rank; ++d, cur += 8)
    out.dims[d] = static_cast<int64_t>(get64(cur));
  int64_t count = 0;
  if (!computeArraySize(KILN_DTYPE_F32, out.rank, out.dims, count,
                        out.byteSize) ||
      static_cast<uint64_t>(end - cur) < out.byteSize)
    return false;
  out.data = cur;
  cur += out.byteSize;
  return true;
}

bool sameShape(const FileTensor &file, const kiln_tensor_desc_t &tensor) {
  if (file.rank != tensor.rank)
    return false;
  for (int32_t d = 0; d < file.rank; ++d)
    if (file.dims[d] != tensor.dims[d])
      return false;
  return true;
}

/// Names the first difference between `count` tensors in the file and the
/// model's `tensors` (`kind` is "parameter" or "optimizer slot").
kiln_status_t compareTensors(const char *path, const char *kind,
                             const FileTensor *file, size_t fileCount,
                             const kiln_tensor_desc_t *tensors, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    const kiln_tensor_desc_t &tensor = tensors[i];
    if (static_cast<size_t>(i) >= fileCount)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: the file has %zu %s(s), the model %" PRId64
                         "; '%s' is missing",
                         path, fileCount, kind, count, tensor.name);
    const FileTensor &have = file[i];
    if (have.name != tensor.name)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: %s %" PRId64
                         " is '%s' in the file but '%s' in the model",
                         path, kind, i, have.name.c_str(), tensor.name);
    if (!sameShape(have, tensor))
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: %s '%s' has shape %s in the file but %s in the "
                         "model",
                         path, kind, tensor.name,
                         formatShape(have.rank, have.dims).c_str(),
                         formatShape(tensor.rank, tensor.dims).c_str());
  }
  if (fileCount > static_cast<size_t>(count))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: the file has %zu %s(s), the model %" PRId64
                       "; '%s' is extra",
                       path, fileCount, kind, count, file[count].name.c_str());
  return nullptr;
}

/// The distinct slot kinds ("m", "v": what follows the last '/' of
/// "<param>/<slot>") of `count` slot names, in order.
std::vector<std::string> slotKinds(const std::vector<std::string> &names) {
  std::vector<std::string> kinds;
  for (const std::string &full : names) {
    size_t slash = full.find_last_of('/');
    std::string kind =
        slash == std::string::npos ? full : full.substr(slash + 1);
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
      kinds.push_back(kind);
  }
  return kinds;
}

std::string joinKinds(const std::vector<std::string> &kinds) {
  std::string out;
  for (const std::string &kind : kinds)
    out += (out.empty() ? "" : ", ") + kind;
  return out;
}

/// The optimizer that keeps slots `kinds`, as the compiler names them
/// (passes/training/Optimizers.cpp, optimizerSlotNames): what a weights
/// file, which stores slots but no optimizer name, was trained with.
std::string optimizerOfKinds(const std::vector<std::string> &kinds) {
  std::string joined = joinKinds(kinds);
  if (joined.empty())
    return "sgd without momentum (no optimizer slots)";
  if (joined == "momentum")
    return "sgd with momentum (slots: momentum)";
  if (joined == "m, v")
    return "adam (slots: m, v)";
  if (joined == "m, v, v_hat")
    return "adam with amsgrad (slots: m, v, v_hat)";
  if (joined.rfind("velocity", 0) == 0)
    return "rmsprop (slots: " + joined + ")";
  if (joined == "accumulator")
    return "adagrad (slots: accumulator)";
  return "an optimizer with slots " + joined;
}

/// `optimizer` (the descriptor's name) with its slot kinds.
std::string describeOptimizer(const char *optimizer,
                              const std::vector<std::string> &kinds) {
  std::string name = optimizer ? optimizer : "?";
  if (name == "sgd")
    name += kinds.empty() ? " without momentum" : " with momentum";
  return name + (kinds.empty() ? " (no optimizer slots)"
                               : " (slots: " + joinKinds(kinds) + ")");
}

} // namespace

kiln_status_t kiln::saveWeights(kiln_model_t *model, const char *path) {
  return saveWeights(model, path, std::string());
}

kiln_status_t kiln::saveWeights(kiln_model_t *model, const char *path,
                                const std::string &trainState) {
  if (!model || !path || !*path)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "model and path must not be NULL or empty");
  const kiln_model_desc_t *desc = model->desc;
  const kiln_train_desc_t *train =
      model->slotPointers ? desc->training : nullptr;
  int64_t numSlots = train ? train->num_slots : 0;
  const char *modelName = desc->name ? desc->name : "";

  // The payload's metadata is small; tensor data streams from the model.
  std::vector<std::string> headers;
  uint64_t payloadSize = 4 + std::strlen(modelName);
  for (int64_t i = 0; i < desc->num_params + numSlots; ++i) {
    const kiln_tensor_desc_t &tensor = i < desc->num_params
                                           ? desc->params[i]
                                           : train->slots[i - desc->num_params];
    std::string header;
    putTensorHeader(header, tensor);
    payloadSize += header.size() + tensorByteSize(tensor);
    headers.push_back(std::move(header));
  }
  std::string stateRecord;
  if (!trainState.empty()) {
    put32(stateRecord, static_cast<uint32_t>(trainState.size()));
    stateRecord += trainState;
    payloadSize += stateRecord.size();
  }
  std::string head(kMagic, sizeof(kMagic));
  put32(head, trainState.empty() ? kVersion : kStateVersion);
  put32(head, 0);
  put64(head, fingerprint(modelName, desc->num_params, desc->params));
  put64(head, fingerprint(nullptr, numSlots, train ? train->slots : nullptr));
  put64(head, static_cast<uint64_t>(model->iterations));
  put64(head, static_cast<uint64_t>(model->epoch));
  put64(head, static_cast<uint64_t>(model->seed));
  put32(head, static_cast<uint32_t>(desc->num_params));
  put32(head, static_cast<uint32_t>(numSlots));
  put64(head, payloadSize);
  put32(head, static_cast<uint32_t>(std::strlen(modelName)));
  head += modelName;

  AtomicFile file;
  KILN_RETURN_IF_ERROR(file.create(path));
  uint32_t crc = 0;
  KILN_RETURN_IF_ERROR(writeAll(file, head.data(), head.size(), crc));
  for (int64_t i = 0; i < desc->num_params + numSlots; ++i) {
    bool isParam = i < desc->num_params;
    const kiln_tensor_desc_t &tensor =
        isParam ? desc->params[i] : train->slots[i - desc->num_params];
    const void *data = isParam ? model->paramPointers[i]
                               : model->slotPointers[i - desc->num_params];
    KILN_RETURN_IF_ERROR(writeAll(file, headers[static_cast<size_t>(i)].data(),
                                  headers[static_cast<size_t>(i)].size(), crc));
    KILN_RETURN_IF_ERROR(writeAll(file, data, tensorByteSize(tensor), crc));
  }
  if (!stateRecord.empty())
    KILN_RETURN_IF_ERROR(
        writeAll(file, stateRecord.data(), stateRecord.size(), crc));
  std::string trailer;
  put32(trailer, crc);
  KILN_RETURN_IF_ERROR(file.write(trailer.data(), trailer.size()));
  return file.commit();
}

kiln_status_t kiln::loadWeights(kiln_model_t *model, const char *path) {
  return loadWeights(model, path, nullptr);
}

kiln_status_t kiln::loadWeights(kiln_model_t *model, const char *path,
                                std::string *trainState) {
  if (!model || !path)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "model and path must not be NULL");
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errnoStatus(errno, "open", path);
  struct stat info;
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    int error = errno;
    ::close(fd);
    if (error)
      return errnoStatus(error, "stat", path);
    return KILN_STATUS(KILN_STATUS_IO_ERROR, "cannot read '%s': not a file",
                       path);
  }
  size_t size = static_cast<size_t>(info.st_size);
  Buffer buffer;
  bool ok = buffer.allocate(size);
  size_t done = 0;
  while (ok && done < size) {
    ssize_t count = ::read(fd, buffer.data() + done, size - done);
    if (count < 0 && errno == EINTR)
      continue;
    if (count <= 0)
      break;
    done += static_cast<size_t>(count);
  }
  int error = errno;
  ::close(fd);
  if (!ok)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory reading '%s'",
                       path);
  if (done != size)
    return errnoStatus(error ? error : EIO, "read", path);
  const uint8_t *bytes = buffer.data();

  if (size < sizeof(kMagic) || std::memcmp(bytes, kMagic, sizeof(kMagic)))
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: not a kiln weights file (bad magic bytes)", path);
  if (size < kHeaderSize + 4)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: truncated weights file (%zu bytes)", path, size);
  uint32_t version = get32(bytes + 8);
  bool crcMatches = crc32Extend(0, bytes, size - 4) == get32(bytes + size - 4);
  if (version != kVersion && version != kStateVersion && !crcMatches)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: corrupt weights file header: it starts like a "
                       "kiln weights file but its format version field reads "
                       "%" PRIu32 " (this runtime writes %" PRIu32
                       " and %" PRIu32 ") and its CRC-32 does not match",
                       path, version, kVersion, kStateVersion);
  if (version != kVersion && version != kStateVersion)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "%s: weights format version %" PRIu32
                       " is not supported (this runtime reads %" PRIu32
                       " and %" PRIu32 ")",
                       path, version, kVersion, kStateVersion);
  uint64_t payloadSize = get64(bytes + 64);
  if (payloadSize != size - kHeaderSize - 4)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: truncated or corrupt weights file: the header "
                       "announces %" PRIu64 " payload bytes, the file has %zu",
                       path, payloadSize, size - kHeaderSize - 4);
  if (!crcMatches)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: corrupt weights file (CRC-32 mismatch)", path);

  // The CRC matched, but a file written by a buggy or hostile writer can
  // still be inconsistent: parse with bounds checks.
  uint64_t paramFingerprint = get64(bytes + 16);
  uint64_t slotFingerprint = get64(bytes + 24);
  auto iterations = static_cast<int64_t>(get64(bytes + 32));
  auto epoch = static_cast<int64_t>(get64(bytes + 40));
  auto seed = static_cast<int64_t>(get64(bytes + 48));
  uint32_t numParams = get32(bytes + 56), numSlots = get32(bytes + 60);
  const uint8_t *cur = bytes + kHeaderSize, *end = bytes + size - 4;
  uint32_t nameLength = get32(cur);
  cur += 4;
  if (static_cast<uint64_t>(end - cur) < nameLength ||
      uint64_t(numParams) + numSlots > uint64_t(end - cur) / 8)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: corrupt weights file (bad payload)", path);
  std::string fileModel(reinterpret_cast<const char *>(cur), nameLength);
  cur += nameLength;
  std::vector<FileTensor> tensors(uint64_t(numParams) + numSlots);
  for (FileTensor &tensor : tensors)
    if (!parseTensor(cur, end, tensor))
      return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                         "%s: corrupt weights file (bad tensor record)", path);
  std::string state;
  if (version == kStateVersion) {
    uint32_t stateLength = end - cur >= 4 ? get32(cur) : 0;
    if (end - cur < 4 || static_cast<uint64_t>(end - cur - 4) < stateLength)
      return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                         "%s: corrupt weights file (bad training state)", path);
    state.assign(reinterpret_cast<const char *>(cur + 4), stateLength);
    cur += 4 + uint64_t(stateLength);
  }
  if (cur != end)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: corrupt weights file (trailing payload bytes)",
                       path);

  const kiln_model_desc_t *desc = model->desc;
  const char *modelName = desc->name ? desc->name : "";
  if (fileModel != modelName)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: the weights were saved from model '%s', this is "
                       "model '%s'",
                       path, fileModel.c_str(), modelName);
  KILN_RETURN_IF_ERROR(compareTensors(path, "parameter", tensors.data(),
                                      numParams, desc->params,
                                      desc->num_params));
  if (paramFingerprint !=
      fingerprint(modelName, desc->num_params, desc->params))
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: parameter fingerprint mismatch (corrupt file)",
                       path);
  const kiln_train_desc_t *train =
      model->slotPointers ? desc->training : nullptr;
  if (train) {
    // The optimizer state must be the one this model's optimizer keeps:
    // a file trained without slots (sgd without momentum: iterations > 0)
    // or with other slots cannot continue under this optimizer. A file
    // that never trained (iterations 0, no slots) starts it fresh.
    kiln_status_t mismatch = nullptr;
    if (numSlots > 0)
      mismatch =
          compareTensors(path, "optimizer slot", tensors.data() + numParams,
                         numSlots, train->slots, train->num_slots);
    else if (train->num_slots > 0 && iterations > 0)
      mismatch = KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                             "%s: the file has no optimizer slots after "
                             "%" PRId64 " training steps",
                             path, iterations);
    if (mismatch) {
      std::vector<std::string> fileSlots, modelSlots;
      for (uint32_t i = 0; i < numSlots; ++i)
        fileSlots.push_back(tensors[numParams + i].name);
      for (int64_t i = 0; i < train->num_slots; ++i)
        modelSlots.emplace_back(train->slots[i].name);
      std::string saved = optimizerOfKinds(slotKinds(fileSlots));
      std::string current =
          describeOptimizer(train->optimizer, slotKinds(modelSlots));
      kiln_status_t status = KILN_STATUS(
          KILN_STATUS_INVALID_ARGUMENT,
          "%s: optimizer state mismatch: the file was trained with %s, this "
          "model trains with %s; continue with the optimizer that wrote it "
          "(%s)",
          path, saved.c_str(), current.c_str(),
          kiln_status_message(mismatch) + std::strlen(path) + 2);
      kiln_status_free(mismatch);
      return status;
    }
    if (numSlots > 0 &&
        slotFingerprint != fingerprint(nullptr, train->num_slots, train->slots))
      return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                         "%s: slot fingerprint mismatch (corrupt file)", path);
  }

  // Everything matches: apply.
  for (uint32_t i = 0; i < numParams; ++i)
    if (tensors[i].byteSize)
      std::memcpy(model->paramPointers[i], tensors[i].data,
                  tensors[i].byteSize);
  paramsWritten(model);
  if (train) {
    for (int64_t i = 0; i < train->num_slots; ++i) {
      size_t bytes = tensorByteSize(train->slots[i]);
      if (!bytes)
        continue;
      if (numSlots > 0)
        std::memcpy(model->slotPointers[i], tensors[numParams + i].data, bytes);
      else
        std::memset(model->slotPointers[i], 0, bytes);
    }
    model->iterations = iterations;
    model->epoch = epoch;
    model->seed = seed;
  }
  if (trainState)
    *trainState = std::move(state);
  return nullptr;
}

extern "C" {

kiln_status_t kiln_model_save_weights(kiln_model_t *model, const char *path) {
  return saveWeights(model, path);
}

kiln_status_t kiln_model_load_weights(kiln_model_t *model, const char *path) {
  return loadWeights(model, path);
}

} // extern "C"
