//===- Hdf5File.cpp - Read-only access to Keras HDF5 files ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/keras/Hdf5File.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <hdf5.h>
#include <hdf5_hl.h>

using namespace mlir::kiln::keras;

namespace {
/// Closes an hid_t with the matching H5*close on scope exit.
class Handle {
public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id(id), close(close) {}
  ~Handle() {
    if (id >= 0)
      close(id);
  }
  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;
  operator hid_t() const { return id; }
  bool valid() const { return id >= 0; }

private:
  hid_t id;
  herr_t (*close)(hid_t);
};

/// Silences libhdf5's default error-stack printing once per process.
void silenceHdf5() {
  static bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

/// libhdf5 (1.10) trusts the global heap collections that hold
/// variable-length strings such as Keras's `model_config`: it loops forever
/// on a free-space object (index 0) of size 0 (H5HG__cache_heap_deserialize
/// never advances) and copies objects larger than their collection (a heap
/// overflow in H5HG_read). Such collections are refused before libhdf5
/// reads the file. A collection is "GCOL", version 1, 3 reserved bytes, its
/// 8-byte size (at least 4096), then objects: a 2-byte index, a 2-byte
/// reference count, 4 reserved bytes, an 8-byte size and the data padded to 8
/// bytes; the free space (index 0) counts its header in its size.
llvm::Error checkGlobalHeaps(llvm::StringRef bytes) {
  auto read = [&](size_t at, unsigned width) {
    uint64_t value = 0;
    for (unsigned i = 0; i < width; ++i)
      value |= uint64_t(uint8_t(bytes[at + i])) << (8 * i);
    return value;
  };
  constexpr size_t kHeader = 16, kObjectHeader = 16, kMinCollection = 4096;
  for (size_t at = bytes.find("GCOL"); at != llvm::StringRef::npos;
       at = bytes.find("GCOL", at + 4)) {
    if (bytes.size() - at < kHeader || bytes[at + 4] != 1)
      continue;
    uint64_t size = read(at + 8, 8);
    if (size < kMinCollection || size > bytes.size() - at)
      continue; // not a collection libhdf5 could read whole
    size_t end = at + size;
    for (size_t p = at + kHeader; end - p >= kObjectHeader;) {
      uint64_t index = read(p, 2), objectSize = read(p + 8, 8);
      // libhdf5 copies an object of any size its header claims.
      if (objectSize > end - p)
        return llvm::createStringError(
            "damaged HDF5 file: global heap collection at byte " +
            llvm::Twine(at) + " has an object larger than itself");
      uint64_t need =
          index ? kObjectHeader + llvm::alignTo(objectSize, 8) : objectSize;
      if (need == 0)
        return llvm::createStringError(
            "damaged HDF5 file: global heap collection at byte " +
            llvm::Twine(at) + " has an empty free-space object");
      p += need;
      if (p >= end)
        break;
    }
  }
  return llvm::Error::success();
}
} // namespace

llvm::Expected<std::unique_ptr<Hdf5File>> Hdf5File::open(llvm::StringRef path) {
  silenceHdf5();
  std::string p = path.str();
  if (!llvm::sys::fs::exists(path))
    return llvm::createStringError(llvm::Twine("no such file"));
  if (H5Fis_hdf5(p.c_str()) <= 0)
    return llvm::createStringError(
        llvm::Twine("not an HDF5 file (or unreadable)"));
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError("cannot read file: " +
                                   buffer.getError().message());
  if (llvm::Error error = checkGlobalHeaps((*buffer)->getBuffer()))
    return std::move(error);
  hid_t file = H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0)
    return llvm::createStringError(llvm::Twine("cannot open HDF5 file"));
  return std::unique_ptr<Hdf5File>(new Hdf5File(file));
}

llvm::Expected<std::unique_ptr<Hdf5File>>
Hdf5File::openImage(llvm::ArrayRef<char> bytes) {
  silenceHdf5();
  if (llvm::Error error =
          checkGlobalHeaps(llvm::StringRef(bytes.data(), bytes.size())))
    return std::move(error);
  // H5LTopen_file_image copies the buffer (no DONT_COPY flag), so `bytes`
  // need not outlive the file.
  hid_t file = H5LTopen_file_image(const_cast<char *>(bytes.data()),
                                   bytes.size(), H5LT_FILE_IMAGE_OPEN_RW);
  if (file < 0)
    return llvm::createStringError(llvm::Twine("not a valid HDF5 file image"));
  return std::unique_ptr<Hdf5File>(new Hdf5File(file));
}

Hdf5File::~Hdf5File() { H5Fclose(file); }

bool Hdf5File::hasGroup(llvm::StringRef path) const {
  std::string p = path.str();
  if (p != "/" && H5Lexists(file, p.c_str(), H5P_DEFAULT) <= 0)
    return false;
  Handle group(H5Gopen2(file, p.c_str(), H5P_DEFAULT), H5Gclose);
  return group.valid();
}

bool Hdf5File::hasAttribute(llvm::StringRef path, llvm::StringRef name) const {
  std::string p = path.str(), n = name.str();
  if (p != "/" && H5Lexists(file, p.c_str(), H5P_DEFAULT) <= 0)
    return false;
  return H5Aexists_by_name(file, p.c_str(), n.c_str(), H5P_DEFAULT) > 0;
}

llvm::Expected<std::vector<std::string>>
Hdf5File::readStrings(llvm::StringRef path, llvm::StringRef name) const {
  if (!hasAttribute(path, name))
    return llvm::createStringError("missing attribute '" + name + "' on '" +
                                   path + "'");
  std::string p = path.str(), n = name.str();
  Handle attr(
      H5Aopen_by_name(file, p.c_str(), n.c_str(), H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose);
  Handle type(H5Aget_type(attr), H5Tclose);
  Handle space(H5Aget_space(attr), H5Sclose);
  if (!attr.valid() || !type.valid() || !space.valid())
    return llvm::createStringError("cannot read attribute '" + n + "'");
  hssize_t count = H5Sget_simple_extent_npoints(space);
  std::vector<std::string> result;
  if (count == 0)
    return result; // Keras writes an empty list as an empty float array.
  if (H5Tget_class(type) != H5T_STRING || count < 0)
    return llvm::createStringError("attribute '" + n + "' is not a string");
  // Sizes come from the file: bounded before anything is allocated (Keras
  // writes one config string, or one name per layer or weight).
  constexpr hssize_t kMaxStrings = hssize_t(1) << 20;
  constexpr size_t kMaxBytes = size_t(1) << 30;
  size_t size = H5Tget_size(type);
  if (count > kMaxStrings ||
      (H5Tis_variable_str(type) <= 0 && size > kMaxBytes / size_t(count)))
    return llvm::createStringError("attribute '" + n + "' is too large (" +
                                   llvm::Twine(count) + " strings)");
  if (H5Tis_variable_str(type) > 0) {
    Handle memType(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memType, H5T_VARIABLE);
    H5Tset_cset(memType, H5Tget_cset(type));
    std::vector<char *> ptrs(count, nullptr);
    if (H5Aread(attr, memType, ptrs.data()) < 0)
      return llvm::createStringError("cannot read attribute '" + n + "'");
    for (char *s : ptrs)
      result.emplace_back(s ? s : "");
    H5Dvlen_reclaim(memType, space, H5P_DEFAULT, ptrs.data());
    return result;
  }
  std::vector<char> buffer(size * count + 1, '\0');
  if (H5Aread(attr, type, buffer.data()) < 0)
    return llvm::createStringError("cannot read attribute '" + n + "'");
  for (hssize_t i = 0; i < count; ++i) {
    const char *s = buffer.data() + i * size;
    result.emplace_back(s, strnlen(s, size));
  }
  return result;
}

llvm::Expected<Hdf5Floats> Hdf5File::readFloats(llvm::StringRef path) const {
  std::string p = path.str();
  if (H5Lexists(file, p.c_str(), H5P_DEFAULT) <= 0)
    return llvm::createStringError("missing dataset '" + p + "'");
  Handle dataset(H5Dopen2(file, p.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.valid())
    return llvm::createStringError("'" + p + "' is not a dataset");
  Handle type(H5Dget_type(dataset), H5Tclose);
  H5T_class_t cls = H5Tget_class(type);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    return llvm::createStringError(
        "dataset '" + p +
        "' holds neither floats nor integers (Keras writes bfloat16 "
        "weights so; kiln computes in float32)");
  Handle space(H5Dget_space(dataset), H5Sclose);
  int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0 || rank > 32)
    return llvm::createStringError("dataset '" + p +
                                   "' has an unreadable shape");
  std::vector<hsize_t> dims(rank);
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  Hdf5Floats result;
  result.shape.assign(dims.begin(), dims.end());
  hssize_t count = H5Sget_simple_extent_npoints(space);
  // The size is checked before anything is allocated or read: no Keras
  // weight kiln compiles holds more than 2^31 values (the importer's bound).
  if (count < 0 || count > (hssize_t(1) << 31))
    return llvm::createStringError(
        llvm::Twine("dataset '") + p + "' holds " +
        llvm::Twine(int64_t(count)) +
        " values, more than a weight may (2147483648)");
  result.values.assign(count, 0.0f);
  if (count > 0 && H5Dread(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                           H5P_DEFAULT, result.values.data()) < 0)
    return llvm::createStringError("cannot read dataset '" + p +
                                   "' (truncated or corrupt file?)");
  return result;
}

std::vector<std::string> Hdf5File::listGroup(llvm::StringRef path) const {
  std::vector<std::string> names;
  if (!hasGroup(path))
    return names;
  std::string p = path.str();
  H5Literate_by_name(
      file, p.c_str(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char *name, const H5L_info_t *, void *data) -> herr_t {
        static_cast<std::vector<std::string> *>(data)->emplace_back(name);
        return 0;
      },
      &names, H5P_DEFAULT);
  return names;
}
