#ifndef ECHO_CONFUSABLES_H
#define ECHO_CONFUSABLES_H

#include <stdint.h>

/*
 * UTS #39 confusable skeletons through the system's ICU, behind a header without ICU types (see
 * Sources/CICU/shim.h for why). Every function is safe to call from any thread.
 */

/*
 * Writes the skeleton of `text` (`length` bytes of UTF-8) to `out` as UTF-8, without a
 * terminating NUL; with `fold` nonzero, the text is NFKC_Casefold-ed first (case and
 * compatibility forms ignored, default-ignorable code points removed). Returns the skeleton's
 * length in bytes, which may exceed `capacity` (then call again with room for it), or -1 when
 * ICU fails.
 */
int32_t echo_confusable_skeleton(const char *text, int32_t length, int fold, char *out, int32_t capacity);

/*
 * Writes "ICU <version>, Unicode <version>" (NUL-terminated) to `out`: what skeletons depend on.
 * Returns 0, or -1 when `capacity` is too small.
 */
int32_t echo_confusables_version(char *out, int32_t capacity);

#endif
