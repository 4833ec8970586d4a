/// JSON text written directly, for the few hot responses where an encoder's generic machinery
/// costs more than the work itself. Strings are escaped as RFC 8259 requires.
struct JSONText {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends `value` as a JSON string: quotes, backslashes and control characters escaped.
    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends raw JSON (punctuation, keys known to need no escaping, numbers, literals).
    mutating func raw(_ text: String) {
        bytes += text.utf8
    }

    /// `"key":` with a key that needs no escaping.
    mutating func key(_ key: String) {
        bytes.append(UInt8(ascii: "\""))
        bytes += key.utf8
        bytes += [UInt8(ascii: "\""), UInt8(ascii: ":")]
    }

    /// `,"key":"value"` when there is a value (after the object's first member).
    mutating func member(_ key: String, _ value: String?) {
        guard let value else { return }
        raw(",")
        self.key(key)
        string(value)
    }
}
