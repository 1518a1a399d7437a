/*===- CHeaderTest.c - kiln/runtime.h compiles as strict C99 ------*- C -*-===//
 * SPDX-License-Identifier: Apache-2.0
 *
 * Built with -std=c99 -pedantic-errors: proves the public header is plain C
 * and exercises a few calls through the C ABI.
 *===----------------------------------------------------------------------===*/
#include "kiln/runtime.h"

/* Returns 0 when a round of C calls behaves; a distinct value otherwise. */
int kilnCHeaderSmoke(void) {
  int64_t dims[2] = {2, 3};
  kiln_array_t *array = NULL;
  kiln_status_t status;
  if (kiln_api_version() != KILN_API_VERSION)
    return 1;
  status = kiln_array_create(KILN_DTYPE_F32, 2, dims, &array);
  if (status) {
    kiln_status_free(status);
    return 2;
  }
  if (kiln_array_num_elements(array) != 6 || kiln_array_byte_size(array) != 24)
    return 3;
  kiln_array_release(array);
  status = kiln_array_create(KILN_DTYPE_F32, -1, dims, &array);
  if (kiln_status_code(status) != KILN_STATUS_INVALID_ARGUMENT)
    return 4;
  kiln_status_ignore(status);
  return 0;
}
