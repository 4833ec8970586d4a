/// Finds an object key that appears twice in one JSON object. `JSONDecoder` keeps the first of
/// two equal keys silently, while a proxy or firewall in front may read the last: a request that
/// means two things is refused instead.
///
/// A scan of the bytes only: keys are compared as decoded strings (`"a"` and `"\u0061"` are the
/// same key); anything that is not well-formed JSON is left for the decoder to report.
enum JSONDuplicateKeys {
    /// The first key repeated within one object, or `nil`.
    static func first(in bytes: some Collection<UInt8>) -> String? {
        var scanner = Scanner(bytes: Array(bytes))
        return scanner.run()
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        /// Per open object: the keys seen so far. `nil` marks an open array.
        var frames: [Set<String>?] = []
        /// Whether the next string in the innermost object is a key.
        var expectingKey = false

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func run() -> String? {
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "{"):
                    frames.append([])
                    expectingKey = true
                    index += 1
                case UInt8(ascii: "["):
                    frames.append(nil)
                    expectingKey = false
                    index += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard !frames.isEmpty else { return nil }
                    frames.removeLast()
                    expectingKey = false
                    index += 1
                case UInt8(ascii: ","):
                    // In an object, a comma is followed by a key.
                    expectingKey = frames.last.map { $0 != nil } ?? false
                    index += 1
                case UInt8(ascii: ":"):
                    expectingKey = false
                    index += 1
                case UInt8(ascii: "\""):
                    guard let string = readString() else { return nil }
                    if expectingKey, let keys = frames.last, let seen = keys {
                        if seen.contains(string) { return string }
                        frames[frames.count - 1] = seen.union([string])
                        expectingKey = false
                    }
                default:
                    index += 1
                }
            }
            return nil
        }

        /// Reads a string starting at its opening quote; `nil` when it is malformed.
        mutating func readString() -> String? {
            index += 1
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() {
                scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                raw.removeAll()
            }
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    flush()
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escape = bytes[index]
                    index += 1
                    flush()
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        guard var unit = readHex() else { return nil }
                        if (0xD800..<0xDC00).contains(unit), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        {
                            index += 2
                            guard let low = readHex(), (0xDC00..<0xE000).contains(low) else { return nil }
                            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        }
                        scalars.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                    default:
                        return nil
                    }
                default:
                    raw.append(byte)
                }
            }
            return nil
        }

        mutating func readHex() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for byte in bytes[index..<index + 4] {
                guard let digit = Self.hexValue(byte) else { return nil }
                value = value << 4 | digit
            }
            index += 4
            return value
        }

        static func hexValue(_ byte: UInt8) -> UInt32? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
            default: nil
            }
        }
    }
}
