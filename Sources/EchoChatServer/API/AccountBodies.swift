import EchoPluginAPI
import Foundation

/// `{id, username, display_name, auth_source, is_admin}`
struct UserBody: Encodable {
    let id: Int64
    let username: String
    let displayName: String
    let authSource: String
    let isAdmin: Bool

    init(_ user: User) {
        self.id = user.id.rawValue
        self.username = user.username
        self.displayName = user.displayName
        self.authSource = user.authSource
        self.isAdmin = user.isAdmin
    }
}

struct UserEnvelope: Encodable {
    let user: UserBody
}

struct TokensBody: Encodable {
    let accessToken: String
    let refreshToken: String
    let tokenType = "Bearer"
    let expiresIn: Int
    let sessionId: String
    let user: UserBody

    init(_ issued: IssuedTokens) {
        self.accessToken = issued.accessToken
        self.refreshToken = issued.refreshToken
        self.expiresIn = issued.expiresIn
        self.sessionId = issued.session.id.rawValue
        self.user = UserBody(issued.user)
    }
}

struct SessionBody: Encodable {
    let id: String
    let createdAt: Date
    let lastUsedAt: Date
    let expiresAt: Date
    let userAgent: String?
    let clientAddress: String?
    let current: Bool

    init(_ session: Session, current: SessionID) {
        self.id = session.id.rawValue
        self.createdAt = session.createdAt
        self.lastUsedAt = session.lastUsedAt
        self.expiresAt = session.expiresAt
        self.userAgent = session.userAgent
        self.clientAddress = session.clientAddress
        self.current = session.id == current
    }
}

struct SessionsBody: Encodable {
    let sessions: [SessionBody]
}

/// `POST /api/auth/register`
struct RegisterRequest: Decodable {
    let username: String
    let password: String
    let displayName: String?
}

/// `POST /api/auth/login`
struct LoginRequest: Decodable {
    let username: String
    let password: String
}

/// `POST /api/auth/refresh`
struct RefreshRequest: Decodable {
    let refreshToken: String
}
