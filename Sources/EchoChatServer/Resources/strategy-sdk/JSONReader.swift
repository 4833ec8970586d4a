/// Why a JSON text could not be read.
enum JSONError: Error {
    /// Not JSON, or JSON of another shape than the one expected here.
    case malformed
    /// A member the ABI requires is missing.
    case missing
}

/// A forward-only cursor over UTF-8 JSON in linear memory.
///
/// The reader never checks its cursor against the end: the input it reads is followed by a NUL
/// byte (which no JSON token contains, so every scan stops there) and by
/// ``Swift/StaticString/maxJSONLiteralCount`` more readable bytes (so that a literal may be
/// compared a word at a time near the end). ``InputBuffer`` provides both. Strings are decoded
/// in place, since an escape is never shorter than what it stands for: the input is consumed as
/// it is read.
struct JSONReader {
    /// The next byte to read.
    var cursor: UnsafeMutablePointer<UInt8>
    /// One past the input's last byte; `end.pointee` is the terminating NUL.
    let end: UnsafeMutablePointer<UInt8>

    /// Reads `count` bytes at `start`; `start[count]` must be 0 and readable bytes must follow.
    init(start: UnsafeMutablePointer<UInt8>, count: Int) {
        self.cursor = start
        self.end = start + count
    }

    /// The most nested arrays and objects a value may have; deeper input is refused.
    static var maxDepth: Int { 64 }

    /// The byte under the cursor.
    @inline(__always)
    var byte: UInt8 { cursor.pointee }

    /// Whether everything but trailing whitespace has been read.
    mutating func isAtEnd() -> Bool {
        skipWhitespace()
        return cursor == end
    }

    @inline(__always)
    mutating func advance(by count: Int = 1) {
        cursor += count
    }

    // MARK: Byte classes

    /// One digit per byte value: bit 0 marks a byte that ends a plain run inside a string (a
    /// quote, a backslash or a control character), bit 1 marks whitespace. ASCII '0' is 0x30, so
    /// the two low bits of each digit are the flags.
    @inline(__always)
    private static var classes: StaticString {
        """
        11111111133113111111111111111111\
        20100000000000000000000000000000\
        00000000000000000000000000001000\
        00000000000000000000000000000000\
        00000000000000000000000000000000\
        00000000000000000000000000000000\
        00000000000000000000000000000000\
        00000000000000000000000000000000
        """
    }

    /// Whether `byte` ends a run of plain string content.
    @inline(__always)
    static func endsPlainRun(_ byte: UInt8) -> Bool {
        classes.utf8Start[Int(byte)] & 1 != 0
    }

    /// Whether `byte` is JSON whitespace.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        classes.utf8Start[Int(byte)] & 2 != 0
    }

    // MARK: Structure

    /// Skips whitespace; on compact input that is a single compare.
    @inline(__always)
    mutating func skipWhitespace() {
        if byte > 0x20 { return }
        skipWhitespaceRun()
    }

    @inline(never)
    private mutating func skipWhitespaceRun() {
        while JSONReader.isWhitespace(byte) { cursor += 1 }
    }

    /// Consumes `expected` after optional whitespace.
    mutating func expect(_ expected: UInt8) throws(JSONError) {
        if byte != expected {
            skipWhitespace()
            guard byte == expected else { throw .malformed }
        }
        cursor += 1
    }

    /// Consumes `literal` if the input continues with it; see ``Swift/StaticString/isPrefix(of:)``.
    @inline(__always)
    mutating func take(_ literal: StaticString) -> Bool {
        guard literal.isPrefix(of: cursor) else { return false }
        cursor += literal.utf8CodeUnitCount
        return true
    }

    /// Consumes an object's `{`; answers whether a member follows (false for `{}`).
    mutating func beginObject() throws(JSONError) -> Bool {
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if byte == UInt8(ascii: "}") {
            cursor += 1
            return false
        }
        return true
    }

    /// Consumes the `,` or `}` after a member; answers whether another member follows.
    mutating func nextMember() throws(JSONError) -> Bool {
        try separator(closing: UInt8(ascii: "}"))
    }

    /// Consumes an array's `[`; answers whether an element follows (false for `[]`).
    mutating func beginArray() throws(JSONError) -> Bool {
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if byte == UInt8(ascii: "]") {
            cursor += 1
            return false
        }
        return true
    }

    /// Consumes the `,` or `]` after an element; answers whether another element follows.
    mutating func nextElement() throws(JSONError) -> Bool {
        try separator(closing: UInt8(ascii: "]"))
    }

    private mutating func separator(closing: UInt8) throws(JSONError) -> Bool {
        skipWhitespace()
        let found = byte
        cursor += 1
        if found == UInt8(ascii: ",") {
            skipWhitespace()
            return true
        }
        guard found == closing else { throw .malformed }
        return false
    }

    /// Reads a member name and its colon, and answers which of the given names it is (0…4), or
    /// -1 for another name, whose value the caller then skips. Names are given with their quotes
    /// (`#""user_id""#`): the input's plain spelling is recognised by a literal compare, and an
    /// escaped one by decoding it.
    @inline(never)
    mutating func member(
        _ name0: StaticString, _ name1: StaticString, _ name2: StaticString = "",
        _ name3: StaticString = "", _ name4: StaticString = ""
    ) throws(JSONError) -> Int {
        let found: Int
        if take(name0) {
            found = 0
        } else if take(name1) {
            found = 1
        } else if take(name2) {
            found = 2
        } else if take(name3) {
            found = 3
        } else if take(name4) {
            found = 4
        } else {
            found = try decodedMember(name0, name1, name2, name3, name4)
        }
        if byte == UInt8(ascii: ":") {
            cursor += 1
        } else {
            try expect(UInt8(ascii: ":"))
        }
        skipWhitespace()
        return found
    }

    @inline(never)
    private mutating func decodedMember(
        _ name0: StaticString, _ name1: StaticString, _ name2: StaticString, _ name3: StaticString, _ name4: StaticString
    ) throws(JSONError) -> Int {
        let name = try string()
        if name0.isJSONSpelling(of: name) { return 0 }
        if name1.isJSONSpelling(of: name) { return 1 }
        if name2.isJSONSpelling(of: name) { return 2 }
        if name3.isJSONSpelling(of: name) { return 3 }
        if name4.isJSONSpelling(of: name) { return 4 }
        return -1
    }
}
