extension UnsafeBufferPointer where Element == UInt8 {
    /// A copy of `text`'s UTF-8 in the module's heap. Like everything a call allocates, it lasts
    /// until the host restores the module's memory.
    static func copying(_ text: String) -> UnsafeBufferPointer<UInt8> {
        var text = text
        return text.withUTF8 { bytes in
            let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Swift.max(bytes.count, 1))
            _ = copy.initialize(from: bytes)
            return UnsafeBufferPointer(start: copy.baseAddress, count: bytes.count)
        }
    }

    /// The bytes as a string; invalid UTF-8 is repaired with U+FFFD.
    var string: String { String(decoding: self, as: UTF8.self) }

    /// Whether the bytes are exactly `text`'s UTF-8, compared byte by byte (no Unicode tables).
    func spells(_ text: String) -> Bool {
        var text = text
        return text.withUTF8(spells)
    }

    /// Whether the bytes are exactly `other`.
    func spells(_ other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard count == other.count else { return false }
        var index = 0
        while index < count {
            guard self[index] == other[index] else { return false }
            index &+= 1
        }
        return true
    }
}
