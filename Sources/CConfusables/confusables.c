#include "confusables.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>

/*
 * One checker for the process, opened on first use. ICU's functions that take a const
 * USpoofChecker, uspoof_getSkeleton among them, are safe to call from many threads at once.
 */
static USpoofChecker *shared_checker;
static pthread_once_t checker_once = PTHREAD_ONCE_INIT;

static void open_checker(void) {
    UErrorCode status = U_ZERO_ERROR;
    USpoofChecker *checker = uspoof_open(&status);
    if (U_SUCCESS(status)) {
        shared_checker = checker;
    } else if (checker != NULL) {
        uspoof_close(checker);
    }
}

/* A preflight that only found the buffer too small is not a failure. */
static int preflight_failed(UErrorCode status) {
    return U_FAILURE(status) && status != U_BUFFER_OVERFLOW_ERROR;
}

/* UTF-8 `text` as UTF-16 in a new buffer (the caller frees it), or NULL. */
static UChar *to_utf16(const char *text, int32_t length, int32_t *units) {
    UErrorCode status = U_ZERO_ERROR;
    u_strFromUTF8(NULL, 0, units, text, length, &status);
    if (preflight_failed(status)) return NULL;
    UChar *buffer = malloc(sizeof(UChar) * ((size_t)*units + 1));
    if (buffer == NULL) return NULL;
    status = U_ZERO_ERROR;
    u_strFromUTF8(buffer, *units + 1, units, text, length, &status);
    if (U_FAILURE(status)) {
        free(buffer);
        return NULL;
    }
    return buffer;
}

/* NFKC_Casefold(`source`) in a new buffer (the caller frees it), or NULL. */
static UChar *casefolded(const UChar *source, int32_t length, int32_t *units) {
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2 *normalizer = unorm2_getNFKCCasefoldInstance(&status);
    if (U_FAILURE(status)) return NULL;
    *units = unorm2_normalize(normalizer, source, length, NULL, 0, &status);
    if (preflight_failed(status)) return NULL;
    UChar *buffer = malloc(sizeof(UChar) * ((size_t)*units + 1));
    if (buffer == NULL) return NULL;
    status = U_ZERO_ERROR;
    *units = unorm2_normalize(normalizer, source, length, buffer, *units + 1, &status);
    if (U_FAILURE(status)) {
        free(buffer);
        return NULL;
    }
    return buffer;
}

/* The skeleton of `source` in a new buffer (the caller frees it), or NULL. */
static UChar *skeleton(const UChar *source, int32_t length, int32_t *units) {
    pthread_once(&checker_once, open_checker);
    if (shared_checker == NULL) return NULL;
    UErrorCode status = U_ZERO_ERROR;
    *units = uspoof_getSkeleton(shared_checker, 0, source, length, NULL, 0, &status);
    if (preflight_failed(status)) return NULL;
    UChar *buffer = malloc(sizeof(UChar) * ((size_t)*units + 1));
    if (buffer == NULL) return NULL;
    status = U_ZERO_ERROR;
    *units = uspoof_getSkeleton(shared_checker, 0, source, length, buffer, *units + 1, &status);
    if (U_FAILURE(status)) {
        free(buffer);
        return NULL;
    }
    return buffer;
}

int32_t echo_confusable_skeleton(const char *text, int32_t length, int fold, char *out, int32_t capacity) {
    int32_t units = 0;
    UChar *input = to_utf16(text, length, &units);
    if (input == NULL) return -1;
    if (fold) {
        UChar *folded = casefolded(input, units, &units);
        free(input);
        if (folded == NULL) return -1;
        input = folded;
    }
    UChar *result = skeleton(input, units, &units);
    free(input);
    if (result == NULL) return -1;
    UErrorCode status = U_ZERO_ERROR;
    int32_t bytes = 0;
    u_strToUTF8(out, capacity, &bytes, result, units, &status);
    free(result);
    return preflight_failed(status) ? -1 : bytes;
}

int32_t echo_confusables_version(char *out, int32_t capacity) {
    UVersionInfo icu, unicode;
    char icuText[U_MAX_VERSION_STRING_LENGTH], unicodeText[U_MAX_VERSION_STRING_LENGTH];
    u_getVersion(icu);
    u_versionToString(icu, icuText);
    u_getUnicodeVersion(unicode);
    u_versionToString(unicode, unicodeText);
    int written = snprintf(out, (size_t)capacity, "ICU %s, Unicode %s", icuText, unicodeText);
    return written < 0 || written >= capacity ? -1 : 0;
}
