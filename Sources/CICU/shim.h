/*
 * The system's ICU (libicu-dev), for CConfusables. Not for Swift: Foundation on Linux carries its
 * own ICU (_FoundationICU, with renamed symbols) whose headers declare the same C types
 * differently, and a Swift module that sees both fails to compile. CConfusables includes these
 * headers in C only and offers Swift a header without ICU types.
 */
#include <unicode/uspoof.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>
#include <unicode/uchar.h>
