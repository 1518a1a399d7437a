//===- Status.cpp - kiln_status_t and the library-wide basics ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A failure is a heap object holding a code, a message and (debug builds) the
// raising source location. The out-of-memory status used when that heap
// object cannot be allocated is static and never freed. This file also holds
// the two library-wide entry points, `kiln_api_version` and `kiln_free`.
//
//===----------------------------------------------------------------------===//
#include "base/Status.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

struct kiln_status_handle_t {
  kiln_status_code_t code;
  bool isStatic;
  char *message;  // malloc'ed, never NULL
  char *location; // malloc'ed, never NULL
};

namespace {

char emptyString[] = "";
char oomMessage[] = "out of memory while reporting an error";
kiln_status_handle_t oomStatus = {KILN_STATUS_OUT_OF_MEMORY, true, oomMessage,
                                  emptyString};

/// Returns a malloc'ed copy of `text` formatted with `args`, or NULL.
char *formatMalloc(const char *format, va_list args) {
  va_list sizing;
  va_copy(sizing, args);
  int length = std::vsnprintf(nullptr, 0, format, sizing);
  va_end(sizing);
  if (length < 0)
    return nullptr;
  char *text =
      static_cast<char *>(std::malloc(static_cast<size_t>(length) + 1));
  if (!text)
    return nullptr;
  std::vsnprintf(text, static_cast<size_t>(length) + 1, format, args);
  return text;
}

/// Returns a malloc'ed "basename(file):line" (debug builds) or "".
char *formatLocation(const char *file, int line) {
#ifdef NDEBUG
  (void)file;
  (void)line;
  return static_cast<char *>(std::calloc(1, 1));
#else
  const char *slash = std::strrchr(file, '/');
  const char *base = slash ? slash + 1 : file;
  size_t size = std::strlen(base) + 16;
  char *text = static_cast<char *>(std::malloc(size));
  if (text)
    std::snprintf(text, size, "%s:%d", base, line);
  return text;
#endif
}

} // namespace

kiln_status_t kiln::makeStatusAt(const char *file, int line,
                                 kiln_status_code_t code, const char *format,
                                 ...) {
  auto *status = static_cast<kiln_status_handle_t *>(
      std::malloc(sizeof(kiln_status_handle_t)));
  if (!status)
    return &oomStatus;
  va_list args;
  va_start(args, format);
  status->message = formatMalloc(format, args);
  va_end(args);
  status->location = formatLocation(file, line);
  if (!status->message || !status->location) {
    std::free(status->message);
    std::free(status->location);
    std::free(status);
    return &oomStatus;
  }
  status->code = code;
  status->isStatic = false;
  return status;
}

extern "C" {

int32_t kiln_api_version(void) { return KILN_API_VERSION; }

void kiln_free(void *ptr) { std::free(ptr); }

kiln_status_code_t kiln_status_code(kiln_status_t status) {
  return status ? status->code : KILN_STATUS_OK;
}

const char *kiln_status_message(kiln_status_t status) {
  return status ? status->message : emptyString;
}

const char *kiln_status_location(kiln_status_t status) {
  return status ? status->location : emptyString;
}

void kiln_status_free(kiln_status_t status) {
  if (!status || status->isStatic)
    return;
  std::free(status->message);
  std::free(status->location);
  std::free(status);
}

void kiln_status_ignore(kiln_status_t status) { kiln_status_free(status); }

} // extern "C"
