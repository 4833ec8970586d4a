import EchoPluginAPI
import Foundation

/// Who made a signed-in request.
struct Principal: Sendable {
    let user: User
    let session: Session
    /// When the access token that proved it expires.
    var accessTokenExpiresAt: Date?
}

/// Where a request came from, for rate limits and the session list.
struct ClientInfo: Sendable {
    let address: String
    let userAgent: String?
}

/// A fresh access token and refresh token for a session.
struct IssuedTokens: Sendable {
    let accessToken: String
    let refreshToken: String
    let expiresIn: Int
    let session: Session
    let user: User
}
