// The rest of the C runtime a strategy module needs and wasm32-unknown-none-wasm lacks: the
// memory functions compilers emit calls to, the one random source Embedded Swift asks for, and
// the one compiler-rt routine its 64-bit arithmetic uses.

#include <stddef.h>
#include <stdint.h>

void *memcpy(void *restrict destination, const void *restrict source, size_t count) {
    __builtin_memcpy(destination, source, count);  // memory.copy
    return destination;
}

void *memmove(void *destination, const void *source, size_t count) {
    __builtin_memmove(destination, source, count);  // memory.copy
    return destination;
}

void *memset(void *destination, int value, size_t count) {
    __builtin_memset(destination, value, count);  // memory.fill
    return destination;
}

int memcmp(const void *left, const void *right, size_t count) {
    const unsigned char *a = left, *b = right;
    for (size_t i = 0; i < count; i++) {
        if (a[i] != b[i]) return a[i] - b[i];
    }
    return 0;
}

// Embedded Swift seeds Hasher with this. A fixed seed keeps Set and Dictionary order, and so
// every decision, the same from one run to the next.
void arc4random_buf(void *buffer, size_t count) { memset(buffer, 0, count); }

// A 128-bit multiply, which LLVM emits for overflow-checked 64-bit multiplication on wasm32
// (Swift's `*` on Int64 and UInt64). The toolchain has no compiler-rt for wasm32; this is its
// __multi3, from 32-bit halves.
typedef __int128 int128;

static unsigned __int128 multiply_64(uint64_t a, uint64_t b) {
    uint64_t low_low = (uint64_t)(uint32_t)a * (uint32_t)b;
    uint64_t high_low = (a >> 32) * (uint32_t)b;
    uint64_t low_high = (uint64_t)(uint32_t)a * (b >> 32);
    uint64_t high_high = (a >> 32) * (b >> 32);
    uint64_t cross = (low_low >> 32) + (uint32_t)high_low + low_high;
    uint64_t low = (cross << 32) | (uint32_t)low_low;
    uint64_t high = high_high + (high_low >> 32) + (cross >> 32);
    return (unsigned __int128)high << 64 | low;
}

int128 __multi3(int128 a, int128 b) {
    uint64_t a_low = (uint64_t)a, a_high = (uint64_t)((unsigned __int128)a >> 64);
    uint64_t b_low = (uint64_t)b, b_high = (uint64_t)((unsigned __int128)b >> 64);
    unsigned __int128 product = multiply_64(a_low, b_low);
    product += (unsigned __int128)(a_high * b_low + a_low * b_high) << 64;
    return (int128)product;
}
