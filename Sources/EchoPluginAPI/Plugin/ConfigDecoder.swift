/// Decodes a ``ConfigValue`` into a `Decodable` configuration type, strictly.
///
/// - Keys are matched in snake_case: a property `poolSize` is read from the key `pool_size`.
/// - A key the type never reads is reported as unknown, since a typo silently ignored is the
///   costliest configuration bug.
/// - A value of the wrong type is reported with its key path.
///
/// ```swift
/// struct Configuration: Decodable { var poolSize: Int? }
/// let configuration = try ConfigDecoder().decode(Configuration.self, from: value)
/// ```
public struct ConfigDecoder: Sendable {
    /// Creates a decoder.
    public init() {}

    /// The decoded value and the keys present in the input that the type did not read.
    public struct Result<Value> {
        /// The decoded value.
        public var value: Value
        /// Key paths of input keys that were never read.
        public var unknownKeys: [[String]]
    }

    /// Decodes `value`, throwing a ``ConfigurationError`` for a type mismatch or for unknown keys.
    public func decode<T: Decodable>(_ type: T.Type, from value: ConfigValue) throws -> T {
        let result = try decodeAllowingUnknownKeys(type, from: value)
        guard result.unknownKeys.isEmpty else {
            throw ConfigurationError(issues: result.unknownKeys.map { ConfigIssue(keyPath: $0, message: "unknown key") })
        }
        return result.value
    }

    /// Decodes `value` and returns the unknown keys instead of failing on them.
    public func decodeAllowingUnknownKeys<T: Decodable>(_ type: T.Type, from value: ConfigValue) throws -> Result<T> {
        let tracker = KeyUsageTracker()
        let decoder = ConfigValueDecoder(value: value, codingPath: [], tracker: tracker)
        let decoded: T
        do {
            decoded = try T(from: decoder)
        } catch let error as DecodingError {
            throw ConfigurationError(issues: [Self.issue(for: error)])
        } catch let issue as ConfigIssue {
            throw ConfigurationError(issues: [issue])
        }
        return Result(value: decoded, unknownKeys: tracker.unknownKeys(in: value))
    }

    static func issue(for error: DecodingError) -> ConfigIssue {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return ConfigIssue(keyPath: context.codingPath.map(pathComponent), message: context.debugDescription)
        case .keyNotFound(let key, let context):
            return ConfigIssue(
                keyPath: context.codingPath.map(pathComponent) + [snakeCase(key.stringValue)],
                message: "required key is missing"
            )
        @unknown default:
            return ConfigIssue(keyPath: [], message: "\(error)")
        }
    }

    static func pathComponent(_ key: any CodingKey) -> String {
        if let index = key.intValue, key.stringValue.hasPrefix("Index") || key.stringValue == String(index) {
            return "[\(index)]"
        }
        return snakeCase(key.stringValue)
    }

    /// `poolSize` → `pool_size`, `ldapURL` → `ldap_url`; snake_case input is returned unchanged.
    static func snakeCase(_ key: String) -> String {
        let characters = Array(key)
        var result = ""
        for (index, character) in characters.enumerated() {
            if character.isUppercase {
                let previous = index > 0 ? characters[index - 1] : nil
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                let startsWord =
                    previous.map { $0.isLowercase || $0.isNumber } ?? false
                    || (previous?.isUppercase ?? false && (next?.isLowercase ?? false))
                if startsWord { result.append("_") }
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}

/// Remembers which object keys a decode read. Only used by one decode on one task.
final class KeyUsageTracker {
    private var used: Set<[String]> = []
    private var consumed: Set<[String]> = []

    func markUsed(_ path: [String]) { used.insert(path) }
    func markConsumed(_ path: [String]) { consumed.insert(path) }

    func unknownKeys(in value: ConfigValue, path: [String] = []) -> [[String]] {
        if consumed.contains(path) { return [] }
        switch value {
        case .object(let members):
            return members.keys.sorted().flatMap { key -> [[String]] in
                let keyPath = path + [key]
                guard used.contains(keyPath) else { return [keyPath] }
                return unknownKeys(in: members[key]!, path: keyPath)
            }
        case .array(let elements):
            return elements.indices.flatMap { unknownKeys(in: elements[$0], path: path + ["[\($0)]"]) }
        default:
            return []
        }
    }
}

struct IndexKey: CodingKey {
    var stringValue: String { "[\(index)]" }
    var intValue: Int? { index }
    let index: Int
    init(_ index: Int) { self.index = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.index = intValue }
}

struct ConfigValueDecoder: Decoder {
    let value: ConfigValue
    let codingPath: [any CodingKey]
    let tracker: KeyUsageTracker
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var path: [String] { codingPath.map(ConfigDecoder.pathComponent) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw mismatch("an object")
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members, decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            throw mismatch("an array")
        }
        return UnkeyedContainer(elements: elements, decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleContainer(decoder: self) }

    func mismatch(_ expected: String) -> DecodingError {
        DecodingError.typeMismatch(
            Any.self,
            .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(value.typeDescription)")
        )
    }

    func child(_ value: ConfigValue, key: any CodingKey) -> ConfigValueDecoder {
        ConfigValueDecoder(value: value, codingPath: codingPath + [key], tracker: tracker)
    }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == ConfigValue.self {
            tracker.markConsumed(path)
            return value as! T
        }
        let single = SingleContainer(decoder: self)
        switch type {
        case is Bool.Type: return try single.decode(Bool.self) as! T
        case is String.Type: return try single.decode(String.self) as! T
        case is Double.Type: return try single.decode(Double.self) as! T
        case is Int.Type: return try single.decode(Int.self) as! T
        case is Int64.Type: return try single.decode(Int64.self) as! T
        case is UInt16.Type: return try single.decode(UInt16.self) as! T
        default: return try T(from: self)
        }
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: ConfigValue]
    let decoder: ConfigValueDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { members.keys.sorted().compactMap { Key(stringValue: $0) } }

    private func name(_ key: Key) -> String { ConfigDecoder.snakeCase(key.stringValue) }

    private func lookup(_ key: Key) -> ConfigValue? {
        let name = name(key)
        guard let value = members[name] else { return nil }
        decoder.tracker.markUsed(decoder.path + [name])
        return value
    }

    func contains(_ key: Key) -> Bool { members[name(key)] != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let value = lookup(key) else { return true }
        return value == .null
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        guard let value = lookup(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "required key is missing"))
        }
        return try decoder.child(value, key: key).decodeValue(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let value = lookup(key), value != .null else { return nil }
        return try decoder.child(value, key: key).decodeValue(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try decoder.child(lookup(key) ?? .null, key: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder.child(lookup(key) ?? .null, key: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }

    func superDecoder(forKey key: Key) throws -> any Decoder { decoder.child(lookup(key) ?? .null, key: key) }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [ConfigValue]
    let decoder: ConfigValueDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }
    var currentIndex = 0

    init(elements: [ConfigValue], decoder: ConfigValueDecoder) {
        self.elements = elements
        self.decoder = decoder
    }

    private mutating func next() throws -> ConfigValueDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any.self, .init(codingPath: codingPath, debugDescription: "the array has too few elements"))
        }
        defer { currentIndex += 1 }
        return decoder.child(elements[currentIndex], key: IndexKey(currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }

    mutating func superDecoder() throws -> any Decoder { try next() }
}

private struct SingleContainer: SingleValueDecodingContainer {
    let decoder: ConfigValueDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.value == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let value) = decoder.value else { throw decoder.mismatch("a boolean (true or false)") }
        return value
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let value) = decoder.value else { throw decoder.mismatch("a string") }
        return value
    }

    func decode(_ type: Double.Type) throws -> Double {
        switch decoder.value {
        case .integer(let value): return Double(value)
        case .double(let value): return value
        default: throw decoder.mismatch("a number")
        }
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    private func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let wide: Int64
        switch decoder.value {
        case .integer(let value): wide = value
        case .double(let value) where value.rounded() == value && abs(value) < 9e18: wide = Int64(value)
        default: throw decoder.mismatch("an integer")
        }
        guard let value = I(exactly: wide) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath, debugDescription: "\(wide) is out of range (\(I.min)...\(I.max))"))
        }
        return value
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(type) }
}
