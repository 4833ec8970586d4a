/// The stable numeric identifier of an EchoChat user.
///
/// Identifiers are assigned by the storage plugin, never reused, and kept when data moves
/// between storage backends.
public struct UserID: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// The raw database value.
    public let rawValue: Int64

    /// Wraps a raw database value.
    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// Wraps a raw database value.
    public init(_ rawValue: Int64) { self.rawValue = rawValue }

    public var description: String { String(rawValue) }

    public static func < (lhs: UserID, rhs: UserID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The identifier of a login session (one device or browser that signed in).
///
/// Session identifiers are opaque random strings chosen by the host; they are not secrets
/// (the refresh token is), and users see them in their session list.
public struct SessionID: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    /// The opaque identifier.
    public let rawValue: String

    /// Wraps an identifier.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps an identifier.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
