/// The strategy's `settings` object from plugins.json, read once when the host configures the
/// module and kept for every decision.
///
/// Lookups are by top-level key; a nested object is reached with ``object(_:)``. A key that is
/// absent, or holds a value of another type, answers `nil`.
///
/// ```swift
/// let capacity = settings.int("capacity") ?? snapshot.limits.capacity
/// let cameraWeight = settings.object("weights")?.double("camera") ?? 3
/// ```
public struct StrategySettings {
    /// One member of the object, in input order.
    struct Member {
        /// The key's UTF-8 bytes.
        let name: UnsafeBufferPointer<UInt8>
        /// What the key holds.
        let value: Value
    }

    /// A member's value, decoded when the settings were read.
    enum Value {
        case number(Double)
        case string(UnsafeBufferPointer<UInt8>)
        case bool(Bool)
        case object(StrategySettings)
        case array
        case null
    }

    /// The members, in input order; when a key repeats, the last one counts.
    let members: [Member]

    /// Settings with no keys: what a strategy sees before the host configures it.
    public static var empty: StrategySettings { StrategySettings(members: []) }

    /// The integer at `key`: a JSON number with a whole value that fits in `Int` (32 bits).
    public func int(_ key: String) -> Int? {
        guard case .number(let value)? = self[key], value == value.rounded(.towardZero),
            value >= Double(Int.min), value <= Double(Int.max)
        else { return nil }
        return Int(value)
    }

    /// The number at `key`.
    public func double(_ key: String) -> Double? {
        guard case .number(let value)? = self[key] else { return nil }
        return value
    }

    /// The boolean at `key`.
    public func bool(_ key: String) -> Bool? {
        guard case .bool(let value)? = self[key] else { return nil }
        return value
    }

    /// The string at `key`.
    public func string(_ key: String) -> String? {
        guard case .string(let bytes)? = self[key] else { return nil }
        return bytes.string
    }

    /// The object at `key`, for nested settings such as `{"weights": {"camera": 3}}`.
    public func object(_ key: String) -> StrategySettings? {
        guard case .object(let settings)? = self[key] else { return nil }
        return settings
    }

    /// Whether `key` holds `null`, which the native plugins' configuration decoding treats like
    /// an absent key.
    public func isNull(_ key: String) -> Bool {
        guard case .null? = self[key] else { return false }
        return true
    }

    /// Whether `key` is present, whatever it holds (`null` included).
    public func contains(_ key: String) -> Bool {
        self[key] != nil
    }

    /// The keys, in input order.
    public var keys: [String] {
        members.map { $0.name.string }
    }

    /// The first key that is none of `known`, for refusing typos the way the native plugins'
    /// strict configuration decoding does.
    ///
    /// ```swift
    /// if let key = settings.firstKey(notIn: ["capacity", "max_subrooms"]) {
    ///     return "\(key): unknown key"
    /// }
    /// ```
    public func firstKey(notIn known: [String]) -> String? {
        for member in members where !known.contains(where: member.name.spells) {
            return member.name.string
        }
        return nil
    }

    private subscript(key: String) -> Value? {
        var key = key
        return key.withUTF8 { key in
            var index = members.count
            while index > 0 {
                index -= 1
                if members[index].name.spells(key) { return members[index].value }
            }
            return nil
        }
    }
}

extension StrategySettings {
    /// Reads the object at the reader's cursor, nested objects included.
    init(reading reader: inout JSONReader, depth: Int = 0) throws(JSONError) {
        guard depth < JSONReader.maxDepth else { throw .malformed }
        var members: [Member] = []
        if try reader.beginObject() {
            repeat {
                let name = try reader.string()
                try reader.expect(UInt8(ascii: ":"))
                reader.skipWhitespace()
                members.append(Member(name: name, value: try Value(reading: &reader, depth: depth)))
            } while try reader.nextMember()
        }
        self.members = members
    }
}

extension StrategySettings.Value {
    init(reading reader: inout JSONReader, depth: Int) throws(JSONError) {
        switch reader.byte {
        case UInt8(ascii: "\""):
            self = .string(try reader.string())
        case UInt8(ascii: "{"):
            self = .object(try StrategySettings(reading: &reader, depth: depth + 1))
        case UInt8(ascii: "["):
            try reader.skipValue(depth: depth + 1)
            self = .array
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            self = .bool(try reader.bool())
        case UInt8(ascii: "n"):
            guard reader.takeNull() else { throw .malformed }
            self = .null
        default:
            self = .number(try reader.number())
        }
    }
}
