public import Foundation

/// One signed-in device or browser: the lifetime of a chain of rotating refresh tokens.
public struct Session: Hashable, Codable, Sendable {
    /// The session's identifier.
    public var id: SessionID
    /// The user it belongs to.
    public var userID: UserID
    /// When the user signed in.
    public var createdAt: Date
    /// When its refresh token was last used.
    public var lastUsedAt: Date
    /// When it ends unless refreshed before then.
    public var expiresAt: Date
    /// When it was revoked (logout, revocation, refresh-token reuse), or `nil`.
    public var revokedAt: Date?
    /// The client's User-Agent at sign-in, for the session list.
    public var userAgent: String?
    /// The client's address at sign-in, for the session list.
    public var clientAddress: String?

    /// Creates a session value.
    public init(
        id: SessionID, userID: UserID, createdAt: Date, lastUsedAt: Date, expiresAt: Date, revokedAt: Date? = nil,
        userAgent: String? = nil, clientAddress: String? = nil
    ) {
        self.id = id
        self.userID = userID
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.userAgent = userAgent
        self.clientAddress = clientAddress
    }

    /// Whether the session can still be used at `now`.
    public func isActive(at now: Date) -> Bool {
        revokedAt == nil && expiresAt > now
    }
}

/// The SHA-256 of a refresh token, hex-encoded. Storage only ever sees this, never the token.
public struct RefreshTokenHash: RawRepresentable, Hashable, Sendable {
    /// Lowercase hexadecimal SHA-256 digest.
    public let rawValue: String

    /// Wraps a digest.
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// What presenting a refresh token led to; decided atomically by storage.
public enum RefreshRotation: Hashable, Sendable {
    /// The token was current: it is now used up, its replacement is current, and the session's
    /// expiry and last use moved on.
    case rotated(Session)
    /// The token had already been used: this is a replay, and the whole session has been revoked.
    case reused(Session)
    /// The token belongs to a session that is revoked or expired.
    case inactive(Session)
    /// No such token.
    case unknown
}
