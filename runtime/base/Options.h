//===- Options.h - Append-only option structs of the C API ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Every `kiln_*_options_t` starts with `size_t struct_size` and only grows
// at the end, so a caller compiled against an older header passes a shorter
// struct. `completeOptions` is the one place that honours that contract.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_BASE_OPTIONS_H
#define KILN_RUNTIME_BASE_OPTIONS_H

#include "base/Status.h"

#include <cstring>

namespace kiln {

/// Fills `effective` with `initialize`'s defaults, then copies the fields
/// the caller's `options` (NULL: none) covers by its `struct_size`. A size
/// that does not reach past `struct_size` means the caller never called
/// the initializer (`initializerName`): INVALID_ARGUMENT.
template <typename Options>
kiln_status_t completeOptions(const Options *options,
                              void (*initialize)(Options *),
                              const char *initializerName, Options &effective) {
  initialize(&effective);
  if (!options)
    return nullptr;
  if (options->struct_size <= sizeof(options->struct_size))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "options->struct_size is not set; call %s",
                       initializerName);
  std::memcpy(&effective, options,
              options->struct_size < sizeof(effective) ? options->struct_size
                                                       : sizeof(effective));
  effective.struct_size = sizeof(effective);
  return nullptr;
}

} // namespace kiln

#endif // KILN_RUNTIME_BASE_OPTIONS_H
