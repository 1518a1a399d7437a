//===- FakeCuda.cpp - A CUDA driver without a GPU, for tests ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// libkiln-fake-cuda.so exports the driver entry points runtime/gpu loads
// (Cuda.cpp), so that lit can point KILN_CUDA_DRIVER at it and test what
// the runtime does around kernels on a machine without a GPU: which PTX it
// loads for which compute capability, what it copies between host and
// device and when, what it leaves allocated, how it reports a driver
// error. It runs no kernel: device memory is host memory, launches are
// counted and do nothing, so the numbers a model computes here are
// meaningless (zeros); the GPU's numbers are tools/dev/gpu-check.sh's.
//
// Environment:
//   KILN_FAKE_CUDA_CC    compute capability of its GPU ("9.0"; 8.0), or of
//                        each of its GPUs ("7.5,9.0": gpu:0 and gpu:1)
//   KILN_FAKE_CUDA_FAIL  a driver call that fails ("cuMemAlloc_v2":
//                        CUDA_ERROR_OUT_OF_MEMORY; any other name:
//                        CUDA_ERROR_LAUNCH_FAILED), every time, or with
//                        "NAME@N" only its N-th call (from 1)
//   KILN_FAKE_CUDA_LOG   a file that receives, at exit, what happened:
//                        "module sm_90" per PTX loaded, "context on gpu:N"
//                        per primary context retained, then counters
//                        (kernel launches, direct or in a CUDA graph, and
//                        graphs), "htod BYTES xCOUNT" / "dtoh BYTES
//                        xCOUNT" per copy size, what is left, and how
//                        many copies had page-locked host memory
//                        (cuMemHostAlloc) at the host end; per stream
//                        after the first, its copies in and how many were
//                        issued while another stream's kernels were in
//                        flight; events; and the launches that were not
//                        ordered after another stream's earlier copies
//   KILN_FAKE_CUDA_TRACE a file each launch appends "KERNEL BLOCKS THREADS"
//                        to, as it is asked for (the launch shapes of a
//                        step at a given batch size, without a GPU)
//
// Launches are checked as the driver and the GPU would: the kernel must be
// an `.entry` of the loaded PTX (else CUDA_ERROR_NOT_FOUND from
// cuModuleGetFunction), the grid and block within CUDA's limits and the
// block within the entry's `.maxntid`, the dynamic shared memory within a
// block's 48 KiB (else CUDA_ERROR_INVALID_VALUE), and every pointer
// argument (`.param .u64 .ptr`) inside a live cuMemAlloc allocation: a
// host pointer or a freed buffer would fault on a GPU, and fails the
// launch here with CUDA_ERROR_ILLEGAL_ADDRESS; and each memref's aligned
// pointer 16-byte aligned, as the kernels' 16-byte loads assume (else
// CUDA_ERROR_MISALIGNED_ADDRESS).
//
// Streams are modelled for ordering only (work still happens at once): a
// stream's operations are numbered, an event recorded on a stream holds
// its number then, and a stream waiting on the event is ordered after
// those operations, as is every stream after cuStreamSynchronize (and,
// through it, what the stream waited for). A launch not ordered after a
// copy that another stream made earlier is counted: on a GPU it could read
// the data before the copy lands. So is page-locked memory freed while a
// copy from or to it is not known to have ended (no synchronize after
// it): on a GPU the copy could still be reading or writing it.
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace {

using CUresult = int;
constexpr CUresult kSuccess = 0;
constexpr CUresult kOutOfMemory = 2;
constexpr CUresult kInvalidValue = 1;
constexpr CUresult kLaunchFailed = 719;
constexpr CUresult kNotFound = 500;
constexpr CUresult kIllegalAddress = 700;
constexpr CUresult kMisaligned = 716;

/// A kernel of a loaded PTX, as its `.entry` declares it.
struct Function {
  std::string name;
  long maxThreads = 0;             // .maxntid x * y * z; 0: none declared
  std::vector<bool> pointerParams; // per parameter: a .ptr
};

/// The `.entry name(...)` of `ptx`, or false.
bool parseEntry(const std::string &ptx, Function &function) {
  size_t at = ptx.find(".entry " + function.name + "(");
  if (at == std::string::npos)
    return false;
  size_t open = at + 8 + function.name.size();
  size_t close = ptx.find(')', open);
  if (close == std::string::npos)
    return false;
  for (size_t param = ptx.find(".param", open); param < close;
       param = ptx.find(".param", param + 1)) {
    size_t end = std::min(ptx.find(',', param), close);
    function.pointerParams.push_back(
        ptx.substr(param, end - param).find(".ptr") != std::string::npos);
  }
  size_t body = ptx.find('{', close);
  size_t bounds = ptx.find(".maxntid", close);
  long x = 1, y = 1, z = 1;
  if (bounds < body && std::sscanf(ptx.c_str() + bounds,
                                   ".maxntid %ld, %ld, %ld", &x, &y, &z) >= 1)
    function.maxThreads = x * y * z;
  return true;
}

struct State {
  std::mutex mutex;
  std::vector<std::pair<int, int>> gpus{{8, 0}}; // compute capabilities
  std::vector<int> contextDevices;               // per context retained
  std::string failing;
  long failAt = 0;                  // 0: every call of `failing`
  long failCalls = 0;               // the calls of `failing` so far
  std::vector<std::string> modules; // the .target of each PTX loaded
  std::map<size_t, long> htod, dtoh;
  std::map<const char *, size_t> allocations; // device memory: start, bytes
  std::deque<std::string> ptx;                // per module loaded
  std::deque<Function> functions;
  // Page-locked host memory (start -> bytes), and the copies from and to
  // it among all.
  std::map<const char *, size_t> pinned;
  long pinnedAllocations = 0;
  // Per page-locked block, the copies from or to it: (stream, operation).
  std::map<const char *, std::vector<std::pair<const void *, long>>>
      pinnedCopies;
  long pinnedFreedInUse = 0;
  long htodPinned = 0, htodAll = 0, dtohPinned = 0, dtohAll = 0;
  long refused = 0; // launches checkLaunch failed
  long launches = 0, streams = 0, streamsCreated = 0, contexts = 0;
  // CUDA graphs: launches while capturing are recorded, not run; a graph
  // launch counts its launches.
  bool capturing = false;
  long captured = 0, graphs = 0, graphLaunches = 0, liveGraphs = 0;
  // The ordering model (see the file comment).
  struct Stream {
    int ordinal = 0; // 1 for the first stream created, ...
    long ops = 0, lastCopyIn = 0, lastLaunch = 0;
    long synchronized = 0; // its operations the host waited for
    long copiesIn = 0, copiesOverlapping = 0;
    std::map<const void *, long> after; // ordered after another's ops
  };
  std::map<const void *, Stream> streamInfo;
  std::vector<Stream> destroyedStreams;
  struct Event {
    const void *stream = nullptr; // NULL: never recorded
    long ops = 0;
  };
  std::map<const void *, Event> events;
  long eventsCreated = 0, waits = 0, unrecordedWaits = 0, unordered = 0;

  State() {
    if (const char *cc = std::getenv("KILN_FAKE_CUDA_CC")) {
      gpus.clear();
      for (const char *at = cc; *at;) {
        int major = 0, minor = 0;
        if (std::sscanf(at, "%d.%d", &major, &minor) == 2)
          gpus.emplace_back(major, minor);
        at += std::strcspn(at, ",");
        at += *at == ',';
      }
    }
    if (const char *fail = std::getenv("KILN_FAKE_CUDA_FAIL")) {
      failing = fail;
      size_t at = failing.find('@');
      if (at != std::string::npos) {
        failAt = std::atol(failing.c_str() + at + 1);
        failing.resize(at);
      }
    }
  }

  /// The log, written when the process exits (after main's objects, the
  /// model among them, are gone).
  ~State() {
    const char *path = std::getenv("KILN_FAKE_CUDA_LOG");
    FILE *log = path ? std::fopen(path, "w") : nullptr;
    if (!log)
      return;
    for (const std::string &module : modules)
      std::fprintf(log, "module %s\n", module.c_str());
    for (int device : contextDevices)
      std::fprintf(log, "context on gpu:%d\n", device);
    std::fprintf(log, "launches %ld\n", launches);
    std::fprintf(log, "launches refused %ld\n", refused);
    for (const auto &[bytes, count] : htod)
      std::fprintf(log, "htod %zu x%ld\n", bytes, count);
    for (const auto &[bytes, count] : dtoh)
      std::fprintf(log, "dtoh %zu x%ld\n", bytes, count);
    std::fprintf(log, "graphs %ld, graph launches %ld\n", graphs,
                 graphLaunches);
    std::fprintf(log, "streams created %ld, live %ld\n", streamsCreated,
                 streams);
    std::fprintf(log, "graphs live %ld\n", liveGraphs);
    std::fprintf(log, "primary contexts retained %ld\n", contexts);
    std::fprintf(log, "device allocations live %zu\n", allocations.size());
    std::fprintf(log, "page-locked allocations %ld, live %zu\n",
                 pinnedAllocations, pinned.size());
    std::fprintf(log, "page-locked memory freed before its copies ended %ld\n",
                 pinnedFreedInUse);
    std::fprintf(log, "htod from page-locked memory %ld of %ld\n", htodPinned,
                 htodAll);
    std::fprintf(log, "dtoh to page-locked memory %ld of %ld\n", dtohPinned,
                 dtohAll);
    for (const auto &[handle, stream] : streamInfo)
      destroyedStreams.push_back(stream);
    for (const Stream &stream : destroyedStreams)
      if (stream.ordinal > 1)
        std::fprintf(log,
                     "stream %d: htod %ld, %ld while another stream's "
                     "kernels were in flight\n",
                     stream.ordinal, stream.copiesIn, stream.copiesOverlapping);
    std::fprintf(log, "events created %ld, live %zu\n", eventsCreated,
                 events.size());
    std::fprintf(log, "event waits %ld, on unrecorded events %ld\n", waits,
                 unrecordedWaits);
    std::fprintf(log,
                 "launches not ordered after another stream's copies %ld\n",
                 unordered);
    std::fclose(log);
  }

  /// The start of the block of `blocks` that [start, start + bytes) lies
  /// in, or null.
  static const char *blockOf(const std::map<const char *, size_t> &blocks,
                             const void *start, size_t bytes) {
    const char *first = static_cast<const char *>(start);
    auto next = blocks.upper_bound(first);
    if (next == blocks.begin())
      return nullptr;
    --next;
    return first + bytes <= next->first + next->second ? next->first : nullptr;
  }
  static bool within(const std::map<const char *, size_t> &blocks,
                     const void *start, size_t bytes) {
    return blockOf(blocks, start, bytes) != nullptr;
  }

  /// Whether [host, host + bytes) lies in page-locked memory.
  bool isPinned(const void *host, size_t bytes) const {
    return within(pinned, host, bytes);
  }

  /// Counts an asynchronous copy from or to host memory on `handle`,
  /// which it numbers (its last operation); remembered when page-locked.
  void copiedHost(const void *handle, const void *host, size_t bytes) {
    if (const char *block = blockOf(pinned, host, bytes))
      pinnedCopies[block].emplace_back(handle, streamInfo[handle].ops);
  }

  /// Whether stream `by`'s next operation is ordered after operation
  /// `op` of stream `of`.
  bool orderedAfter(const Stream &by, const void *of, long op) const {
    auto waited = by.after.find(of);
    return streamInfo.at(of).synchronized >= op ||
           (waited != by.after.end() && waited->second >= op);
  }

  void launched(const void *handle) {
    Stream &stream = streamInfo[handle];
    stream.lastLaunch = ++stream.ops;
    for (const auto &[other, info] : streamInfo)
      if (other != handle && info.lastCopyIn &&
          !orderedAfter(stream, other, info.lastCopyIn))
        ++unordered;
  }

  void copiedIn(const void *handle) {
    Stream &stream = streamInfo[handle];
    stream.lastCopyIn = ++stream.ops;
    ++stream.copiesIn;
    for (const auto &[other, info] : streamInfo)
      if (other != handle && info.lastLaunch > info.synchronized) {
        ++stream.copiesOverlapping;
        break;
      }
  }

  /// The failure configured for `call`, else success.
  CUresult check(const char *call) {
    if (failing != call || (failAt && ++failCalls != failAt))
      return kSuccess;
    return failing == "cuMemAlloc_v2" ? kOutOfMemory : kLaunchFailed;
  }
};

State &state() {
  static State instance;
  return instance;
}

} // namespace

#define FAKE_CALL(name)                                                        \
  std::lock_guard<std::mutex> lock(state().mutex);                             \
  if (CUresult result = state().check(name))                                   \
  return result

extern "C" {

CUresult cuInit(unsigned) {
  FAKE_CALL("cuInit");
  return kSuccess;
}

CUresult cuDriverGetVersion(int *version) {
  *version = 12080;
  return kSuccess;
}

CUresult cuGetErrorName(CUresult result, const char **name) {
  *name = result == kOutOfMemory      ? "CUDA_ERROR_OUT_OF_MEMORY"
          : result == kLaunchFailed   ? "CUDA_ERROR_LAUNCH_FAILED"
          : result == kInvalidValue   ? "CUDA_ERROR_INVALID_VALUE"
          : result == kNotFound       ? "CUDA_ERROR_NOT_FOUND"
          : result == kIllegalAddress ? "CUDA_ERROR_ILLEGAL_ADDRESS"
          : result == kMisaligned     ? "CUDA_ERROR_MISALIGNED_ADDRESS"
                                      : "CUDA_ERROR_UNKNOWN";
  return kSuccess;
}

CUresult cuGetErrorString(CUresult result, const char **text) {
  *text = result == kOutOfMemory      ? "out of memory"
          : result == kLaunchFailed   ? "unspecified launch failure"
          : result == kInvalidValue   ? "invalid argument"
          : result == kNotFound       ? "named symbol not found"
          : result == kIllegalAddress ? "an illegal memory access was "
                                        "encountered"
          : result == kMisaligned     ? "misaligned address"
                                      : "unknown error";
  return kSuccess;
}

CUresult cuDeviceGetCount(int *count) {
  *count = static_cast<int>(state().gpus.size());
  return kSuccess;
}

CUresult cuDeviceGet(int *device, int index) {
  if (index < 0 || index >= static_cast<int>(state().gpus.size()))
    return kInvalidValue;
  *device = index;
  return kSuccess;
}

CUresult cuDeviceGetName(char *name, int length, int) {
  std::snprintf(name, static_cast<size_t>(length), "kiln fake GPU");
  return kSuccess;
}

CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
  FAKE_CALL("cuDeviceGetAttribute");
  if (device < 0 || device >= static_cast<int>(state().gpus.size()))
    return kInvalidValue;
  switch (attribute) {
  case 16: // multiprocessors
    *value = 4;
    return kSuccess;
  case 75:
    *value = state().gpus[device].first;
    return kSuccess;
  case 76:
    *value = state().gpus[device].second;
    return kSuccess;
  default:
    return kInvalidValue;
  }
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, int) {
  *bytes = size_t(1) << 30;
  return kSuccess;
}

CUresult cuDevicePrimaryCtxRetain(void **context, int device) {
  FAKE_CALL("cuDevicePrimaryCtxRetain");
  if (device < 0 || device >= static_cast<int>(state().gpus.size()))
    return kInvalidValue;
  static int primary[16];
  *context = &primary[device % 16];
  state().contextDevices.push_back(device);
  ++state().contexts;
  return kSuccess;
}

CUresult cuCtxSetCurrent(void *) { return kSuccess; }

CUresult cuModuleLoadDataEx(void **module, const void *image, unsigned, int *,
                            void **) {
  FAKE_CALL("cuModuleLoadDataEx");
  const char *ptx = static_cast<const char *>(image);
  const char *target = std::strstr(ptx, ".target ");
  std::string arch = "?";
  if (target) {
    target += 8;
    arch.assign(target, std::strcspn(target, " ,\n"));
  }
  state().modules.push_back(arch);
  state().ptx.emplace_back(ptx);
  *module = &state().ptx.back();
  return kSuccess;
}

CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  FAKE_CALL("cuModuleGetFunction");
  Function found{name, 0, {}};
  if (!parseEntry(*static_cast<std::string *>(module), found))
    return kNotFound;
  state().functions.push_back(std::move(found));
  *function = &state().functions.back();
  return kSuccess;
}

/// What the driver (the configuration) and the GPU (the pointers) would
/// say of this launch.
CUresult checkLaunch(const Function &f, unsigned gx, unsigned gy, unsigned gz,
                     unsigned bx, unsigned by, unsigned bz, unsigned shared,
                     void **params) {
  long threads = long(bx) * by * bz;
  if (!gx || !gy || !gz || !bx || !by || !bz || gx > 0x7fffffffu ||
      gy > 65535 || gz > 65535 || bx > 1024 || by > 1024 || bz > 64 ||
      threads > 1024 || (f.maxThreads && threads > f.maxThreads) ||
      shared > 48 * 1024 || (!params && !f.pointerParams.empty()))
    return kInvalidValue;
  // A memref is passed as its allocated and aligned pointers (then its
  // offset, sizes and strides): the second of each pair is where the
  // kernel's 16-byte loads start counting (codegen/cuda/MapToGpu.cpp,
  // byFour).
  bool afterAllocated = false;
  for (size_t i = 0; i < f.pointerParams.size(); ++i) {
    if (!f.pointerParams[i]) {
      afterAllocated = false;
      continue;
    }
    const void *pointer = *static_cast<void *const *>(params[i]);
    if (pointer && !State::within(state().allocations, pointer, 0))
      return kIllegalAddress;
    if (afterAllocated && reinterpret_cast<uintptr_t>(pointer) % 16)
      return kMisaligned;
    afterAllocated = !afterAllocated;
  }
  return kSuccess;
}

CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned shared,
                        void *stream, void **params, void **) {
  FAKE_CALL("cuLaunchKernel");
  if (const char *trace = std::getenv("KILN_FAKE_CUDA_TRACE")) {
    if (FILE *file = std::fopen(trace, "a")) {
      std::fprintf(file, "%s %u %u\n",
                   static_cast<Function *>(function)->name.c_str(), gx, bx);
      std::fclose(file);
    }
  }
  if (CUresult refused = checkLaunch(*static_cast<Function *>(function), gx, gy,
                                     gz, bx, by, bz, shared, params)) {
    ++state().refused;
    return refused;
  }
  ++(state().capturing ? state().captured : state().launches);
  if (!state().capturing)
    state().launched(stream);
  return kSuccess;
}

CUresult cuStreamBeginCapture_v2(void *, int) {
  FAKE_CALL("cuStreamBeginCapture_v2");
  state().capturing = true;
  state().captured = 0;
  return kSuccess;
}

CUresult cuStreamEndCapture(void *, void **graph) {
  FAKE_CALL("cuStreamEndCapture");
  state().capturing = false;
  *graph = new long(state().captured);
  return kSuccess;
}

CUresult cuGraphInstantiateWithFlags(void **exec, void *graph,
                                     unsigned long long) {
  FAKE_CALL("cuGraphInstantiateWithFlags");
  *exec = new long(*static_cast<long *>(graph));
  ++state().graphs;
  ++state().liveGraphs;
  return kSuccess;
}

CUresult cuGraphLaunch(void *exec, void *stream) {
  FAKE_CALL("cuGraphLaunch");
  state().launched(stream);
  state().launches += *static_cast<long *>(exec);
  ++state().graphLaunches;
  return kSuccess;
}

CUresult cuGraphExecDestroy(void *exec) {
  std::lock_guard<std::mutex> lock(state().mutex);
  delete static_cast<long *>(exec);
  --state().liveGraphs;
  return kSuccess;
}

CUresult cuGraphDestroy(void *graph) {
  delete static_cast<long *>(graph);
  return kSuccess;
}

CUresult cuStreamCreate(void **stream, unsigned) {
  FAKE_CALL("cuStreamCreate");
  *stream = new int;
  ++state().streams;
  ++state().streamsCreated;
  state().streamInfo[*stream].ordinal =
      static_cast<int>(state().streamsCreated);
  return kSuccess;
}

CUresult cuStreamSynchronize(void *stream) {
  FAKE_CALL("cuStreamSynchronize");
  auto &info = state().streamInfo[stream];
  info.synchronized = info.ops;
  // What it waited for (events of other streams) has ended too.
  for (const auto &[other, ops] : info.after)
    if (auto found = state().streamInfo.find(other);
        found != state().streamInfo.end())
      found->second.synchronized = std::max(found->second.synchronized, ops);
  return kSuccess;
}

CUresult cuStreamDestroy_v2(void *stream) {
  std::lock_guard<std::mutex> lock(state().mutex);
  auto found = state().streamInfo.find(stream);
  if (found == state().streamInfo.end())
    return kInvalidValue;
  // A stream destroyed with work queued finishes it first; nothing waits on
  // it any more.
  found->second.synchronized = found->second.ops;
  state().destroyedStreams.push_back(found->second);
  state().streamInfo.erase(found);
  delete static_cast<int *>(stream);
  --state().streams;
  return kSuccess;
}

CUresult cuEventCreate(void **event, unsigned) {
  FAKE_CALL("cuEventCreate");
  *event = new int;
  state().events[*event];
  ++state().eventsCreated;
  return kSuccess;
}

CUresult cuEventRecord(void *event, void *stream) {
  FAKE_CALL("cuEventRecord");
  auto found = state().events.find(event);
  if (found == state().events.end() || !state().streamInfo.count(stream))
    return kInvalidValue;
  found->second = {stream, state().streamInfo[stream].ops};
  return kSuccess;
}

CUresult cuStreamWaitEvent(void *stream, void *event, unsigned) {
  FAKE_CALL("cuStreamWaitEvent");
  auto found = state().events.find(event);
  if (found == state().events.end() || !state().streamInfo.count(stream))
    return kInvalidValue;
  ++state().waits;
  const auto &[recordedOn, ops] = found->second;
  if (!recordedOn || !state().streamInfo.count(recordedOn)) {
    ++state().unrecordedWaits;
    return kSuccess;
  }
  long &after = state().streamInfo[stream].after[recordedOn];
  after = std::max(after, ops);
  return kSuccess;
}

CUresult cuEventDestroy_v2(void *event) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!state().events.erase(event))
    return kInvalidValue;
  delete static_cast<int *>(event);
  return kSuccess;
}

CUresult cuMemAlloc_v2(unsigned long long *pointer, size_t bytes) {
  FAKE_CALL("cuMemAlloc_v2");
  void *memory = std::calloc(1, bytes);
  if (!memory)
    return kOutOfMemory;
  state().allocations[static_cast<const char *>(memory)] = bytes;
  *pointer = reinterpret_cast<unsigned long long>(memory);
  return kSuccess;
}

CUresult cuMemFree_v2(unsigned long long pointer) {
  std::lock_guard<std::mutex> lock(state().mutex);
  void *memory = reinterpret_cast<void *>(pointer);
  if (!state().allocations.erase(static_cast<const char *>(memory)))
    return kInvalidValue;
  std::free(memory);
  return kSuccess;
}

CUresult cuMemcpyHtoDAsync_v2(unsigned long long device, const void *host,
                              size_t bytes, void *stream) {
  FAKE_CALL("cuMemcpyHtoDAsync_v2");
  std::memcpy(reinterpret_cast<void *>(device), host, bytes);
  state().copiedIn(stream);
  state().copiedHost(stream, host, bytes);
  ++state().htod[bytes];
  ++state().htodAll;
  state().htodPinned += state().isPinned(host, bytes);
  return kSuccess;
}

CUresult cuMemcpyDtoHAsync_v2(void *host, unsigned long long device,
                              size_t bytes, void *stream) {
  FAKE_CALL("cuMemcpyDtoHAsync_v2");
  ++state().streamInfo[stream].ops;
  state().copiedHost(stream, host, bytes);
  std::memcpy(host, reinterpret_cast<const void *>(device), bytes);
  ++state().dtoh[bytes];
  ++state().dtohAll;
  state().dtohPinned += state().isPinned(host, bytes);
  return kSuccess;
}

CUresult cuMemHostAlloc(void **pointer, size_t bytes, unsigned) {
  FAKE_CALL("cuMemHostAlloc");
  void *memory = std::calloc(1, bytes ? bytes : 1);
  if (!memory)
    return kOutOfMemory;
  state().pinned[static_cast<const char *>(memory)] = bytes;
  ++state().pinnedAllocations;
  *pointer = memory;
  return kSuccess;
}

CUresult cuMemFreeHost(void *pointer) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!state().pinned.erase(static_cast<const char *>(pointer)))
    return kInvalidValue;
  auto copies = state().pinnedCopies.find(static_cast<const char *>(pointer));
  if (copies != state().pinnedCopies.end()) {
    for (const auto &[stream, op] : copies->second) {
      auto info = state().streamInfo.find(stream);
      if (info != state().streamInfo.end() && info->second.synchronized < op) {
        ++state().pinnedFreedInUse;
        break;
      }
    }
    state().pinnedCopies.erase(copies);
  }
  std::free(pointer);
  return kSuccess;
}

} // extern "C"
