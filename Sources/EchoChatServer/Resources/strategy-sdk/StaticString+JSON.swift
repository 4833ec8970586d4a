extension StaticString {
    /// The longest literal a ``JSONReader`` matches: its input always has more readable bytes
    /// than this past its end.
    static var maxJSONLiteralCount: Int { 72 }

    /// Whether the bytes at `cursor` begin with this literal — a quoted member name such as
    /// `#""user_id""#`, a quoted value such as `#""joined""#`, a bare `true`, or a run of the
    /// host's own spelling such as `#","listen_only":false}"#` — compared a word at a time.
    /// The empty literal matches nothing.
    ///
    /// Matching `"microphone"` takes two pairs of 64-bit loads and two compares instead of a
    /// loop over twelve bytes. A literal shorter than 8 bytes is loaded as a whole word and
    /// masked, so loads may run past the literal's text (into the module's other data) and past
    /// the cursor (the input is followed by ``maxJSONLiteralCount`` readable bytes). A match
    /// never runs past the input's terminating NUL, since no literal contains one.
    @inline(__always)
    func isPrefix(of cursor: UnsafePointer<UInt8>) -> Bool {
        let count = utf8CodeUnitCount
        let expected = UnsafeRawPointer(utf8Start)
        let actual = UnsafeRawPointer(cursor)
        if count == 0 { return false }
        if count < 8 {
            let mask: UInt64 = (1 << UInt64(truncatingIfNeeded: count &* 8)) &- 1
            return (actual.loadUnaligned(as: UInt64.self) ^ expected.loadUnaligned(as: UInt64.self)) & mask == 0
        }
        var offset = 0
        while offset < count &- 8 {
            guard actual.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                == expected.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            else { return false }
            offset &+= 8
        }
        return actual.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            == expected.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
    }

    /// Whether decoded string bytes spell this literal's text, quotes excluded.
    func isJSONSpelling(of bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var text = UnsafeBufferPointer(start: utf8Start, count: utf8CodeUnitCount)
        if text.count >= 2 && text[0] == UInt8(ascii: "\"") {
            text = UnsafeBufferPointer(rebasing: text[1..<(text.count - 1)])
        }
        guard bytes.count == text.count else { return false }
        for index in 0..<bytes.count where bytes[index] != text[index] { return false }
        return true
    }
}
