// Build: clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--max-memory=1048576 -o even.wasm even.c
//
// A sub-room strategy in plain C, implementing the EchoChat strategy ABI (version 1) directly,
// without the Swift SDK: it keeps sub-rooms even. It counts the seats of each sub-room, seats a
// newcomer in the sub-room they asked for when it has fewer than 10 people, else in the least
// occupied open sub-room below 10 people (ties to the lower index), opens
// the lowest empty index when every open one has 10, and refuses beyond max_subrooms.
//
// The JSON is scanned, not parsed: a small tokenizer that steps over string contents (escapes
// included) and looks at member names only. It relies on the host's member order within a
// sub-room ("index" before "seats") and never reads outside the input: malformed input gives a
// wrong count or -1, never a trap.

#define CAP 10
#define MAX_INDEX 1000
#define PAGE 65536u

typedef unsigned int u32;
typedef unsigned long long u64;

extern unsigned char __heap_base;

// Allocator state lives in linear memory, which the host restores before every decision.
static u32 heap_top;
static u32 counts[MAX_INDEX + 1];
static const char *message;
static u32 message_length;

#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("echochat_abi_version") int abi_version(void) { return 1; }

EXPORT("echochat_max_participants") int max_participants(void) { return CAP; }

EXPORT("echochat_alloc") u32 alloc(int length) {
    if (length < 0) return 0;
    u32 start = heap_top ? heap_top : ((u32)&__heap_base + 15) & ~15u;
    u64 end = (u64)start + (u32)length;
    u64 size = (u64)__builtin_wasm_memory_size(0) * PAGE;
    if (end > size && __builtin_wasm_memory_grow(0, (u32)((end - size + PAGE - 1) / PAGE)) == (unsigned long)-1) return 0;
    heap_top = (u32)((end + 15) & ~15ull);
    return start;
}

EXPORT("echochat_message") u64 last_message(void) {
    return message ? ((u64)(u32)message << 32) | message_length : 0;
}

// A cursor over the input; every read checks the end.
typedef struct { const char *at, *end; } Cursor;

static int peek(const Cursor *c) { return c->at < c->end ? (unsigned char)*c->at : -1; }

static void skip_space(Cursor *c) {
    while (c->at < c->end && (*c->at == ' ' || *c->at == '\n' || *c->at == '\r' || *c->at == '\t')) c->at++;
}

// Moves to the next '"'. A function of its own: the interpreter charges a loop's whole body for
// every pass, so the loop that runs once per byte must stay small.
__attribute__((noinline)) static int skip_to_string(Cursor *c) {
    while (c->at < c->end && *c->at != '"') c->at++;
    return c->at < c->end;
}

// At a '"': steps over the string; answers its contents (escapes left as they are).
__attribute__((noinline)) static int read_string(Cursor *c, const char **text, u32 *length) {
    const char *start = ++c->at;
    while (c->at < c->end && *c->at != '"') c->at += (*c->at == '\\') ? 2 : 1;
    if (c->at >= c->end) return 0;
    *text = start;
    *length = (u32)(c->at - start);
    c->at++;
    return 1;
}

__attribute__((noinline)) static int is(const char *text, u32 length, const char *name) {
    u32 i = 0;
    for (; i < length && name[i]; i++) if (text[i] != name[i]) return 0;
    return i == length && !name[i];
}

// Reads a non-negative integer, saturating at 1000000; -1 when there is none.
__attribute__((noinline)) static int read_int(Cursor *c) {
    skip_space(c);
    int value = -1;
    while (peek(c) >= '0' && peek(c) <= '9') {
        int digit = *c->at++ - '0';
        value = value < 0 ? digit : (value > 100000 ? 1000000 : value * 10 + digit);
    }
    return value;
}

EXPORT("echochat_decide") int decide(const char *input, int length) {
    if (!input || length < 0) return -1;
    Cursor c = {input, input + length};
    int max_subrooms = -1, preferred = -1, in_subrooms = 0, current = 0;
    message = 0;
    __builtin_memset(counts, 0, sizeof counts);
    for (;;) {
        if (!skip_to_string(&c)) break;
        const char *name;
        u32 name_length;
        if (!read_string(&c, &name, &name_length)) return -1;
        skip_space(&c);
        if (peek(&c) != ':') continue;  // a string value, not a member name
        c.at++;
        // The length first, so that most names cost one compare.
        if (name_length == 12 && !in_subrooms && is(name, name_length, "max_subrooms")) {
            max_subrooms = read_int(&c);
        } else if (name_length == 15 && !in_subrooms && is(name, name_length, "preferred_index")) {
            preferred = read_int(&c);  // -1 for null
        } else if (name_length == 8 && is(name, name_length, "subrooms")) {
            in_subrooms = 1;
        } else if (name_length == 5 && in_subrooms && is(name, name_length, "index")) {
            int index = read_int(&c);
            current = index >= 1 && index <= MAX_INDEX ? index : 0;
        } else if (name_length == 7 && in_subrooms && current && is(name, name_length, "user_id")) {
            counts[current]++;
        }
    }
    if (max_subrooms < 1) return -1;
    int limit = max_subrooms < MAX_INDEX ? max_subrooms : MAX_INDEX;
    if (preferred >= 1 && preferred <= limit && counts[preferred] < CAP) return preferred;
    int best = 0, empty = 0;
    for (int index = 1; index <= limit; index++) {
        if (counts[index] == 0) {
            if (!empty) empty = index;
        } else if (counts[index] < CAP && (!best || counts[index] < counts[best])) {
            best = index;
        }
    }
    if (best) return best;
    if (empty) return empty;
    static const char refusal[] = "every sub-room has 10 people";
    message = refusal;
    message_length = sizeof refusal - 1;
    return 0;
}
