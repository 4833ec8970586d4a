// The heap of a strategy module, which wasm32-unknown-none-wasm has no C library for: a bump
// allocator over the memory above __heap_base, behind malloc, posix_memalign and friends (what
// Embedded Swift's runtime calls).
//
// Freeing does nothing (except for the newest block), and that is enough: the host restores the
// module's memory to its state after echochat_configure before every decision, so the heap a
// decision used is handed back with everything else. The allocator's only state, `next_free`,
// lives in linear memory for that reason, and the memory it may use is read from memory.size
// each time, since the host may leave memory larger than the state it restores.

#include <stddef.h>
#include <stdint.h>

extern unsigned char __heap_base;

#define PAGE_SIZE 65536u
#define HEADER_SIZE 8u

// The first free byte; 0 until the first allocation.
static uintptr_t next_free;

// Makes the memory reach `end` bytes, growing it when needed.
static int reach(uint64_t end) {
    uint64_t size = (uint64_t)__builtin_wasm_memory_size(0) * PAGE_SIZE;
    if (end <= size) return 1;
    uint64_t pages = (end - size + PAGE_SIZE - 1) / PAGE_SIZE;
    return __builtin_wasm_memory_grow(0, (size_t)pages) != (size_t)-1;
}

// Each block is preceded by a header: where the heap ended before it, and its size.
static void *bump(size_t size, size_t alignment) {
    if (alignment < HEADER_SIZE) alignment = HEADER_SIZE;
    if (alignment & (alignment - 1)) return NULL;
    uintptr_t before = next_free ? next_free : (uintptr_t)&__heap_base;
    uint64_t start = ((uint64_t)before + HEADER_SIZE + alignment - 1) & ~(uint64_t)(alignment - 1);
    uint64_t end = start + size;
    if (end > UINT32_MAX || !reach(end)) return NULL;
    uint32_t *header = (uint32_t *)(uintptr_t)(start - HEADER_SIZE);
    header[0] = (uint32_t)before;
    header[1] = (uint32_t)size;
    next_free = (uintptr_t)end;
    return (void *)(uintptr_t)start;
}

static size_t block_size(void *block) { return ((uint32_t *)block)[-1]; }

void *malloc(size_t size) { return bump(size, 16); }

int posix_memalign(void **result, size_t alignment, size_t size) {
    void *block = bump(size, alignment);
    if (!block) return 12;  // ENOMEM
    *result = block;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) { return bump(size, alignment); }

// Gives back the newest block only: what a short-lived temporary uses.
void free(void *block) {
    if (!block) return;
    if ((uintptr_t)block + block_size(block) == next_free) {
        next_free = ((uint32_t *)block)[-2];
    }
}

void *calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    void *block = malloc(count * size);
    if (block) __builtin_memset(block, 0, count * size);  // a block given back by free is reused as it is
    return block;
}

void *realloc(void *block, size_t size) {
    if (!block) return malloc(size);
    size_t old = block_size(block);
    if ((uintptr_t)block + old == next_free && reach((uint64_t)(uintptr_t)block + size)) {
        ((uint32_t *)block)[-1] = (uint32_t)size;  // the newest block grows in place
        next_free = (uintptr_t)block + size;
        return block;
    }
    void *moved = malloc(size);
    if (moved) __builtin_memcpy(moved, block, old < size ? old : size);
    return moved;
}
