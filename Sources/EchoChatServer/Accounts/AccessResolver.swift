import EchoPluginAPI
import Foundation
import JWTKit

/// Who is calling, and what they may do in a room: a bearer token's claims (no storage read),
/// then their session and account, or those together with their standing in one room, in one
/// storage read.
struct AccessResolver: Sendable {
    let storage: any Storage
    let tokens: TokenService

    static let invalidToken = EchoError.unauthenticated("invalid_token", "the access token is invalid or expired")

    /// The claims of a valid, unexpired access token: enough to answer 401 before looking at a
    /// request's body.
    func claims(bearer token: String?) async throws -> AccessClaims {
        guard let token, !token.isEmpty else {
            throw EchoError.unauthenticated("unauthorized", "sign in first: send Authorization: Bearer <access_token>")
        }
        guard let claims = await tokens.verifiedClaims(token), claims.userID != nil else { throw Self.invalidToken }
        return claims
    }

    /// The principal behind a bearer access token: valid signature and expiry, session still
    /// active, account still enabled.
    func principal(bearer token: String?) async throws -> Principal {
        try await principal(try await claims(bearer: token))
    }

    func principal(_ claims: AccessClaims) async throws -> Principal {
        try principal(claims, try await storage.sessionWithUser(id: claims.sessionID))
    }

    /// The caller's access to room `name`: session, account and standing in one storage read.
    func access(_ claims: AccessClaims, room name: String) async throws -> RoomAccess {
        guard let userID = claims.userID else { throw Self.invalidToken }
        let read = try await storage.sessionAndStanding(session: claims.sessionID, user: userID, room: name, at: Date())
        let principal = try principal(claims, read.session)
        guard let standing = read.standing else { throw EchoError.roomNotFound }
        return try RoomAccess(standing, for: principal)
    }

    private func principal(_ claims: AccessClaims, _ pair: SessionWithUser?) throws -> Principal {
        guard let pair, pair.session.userID == claims.userID, pair.session.isActive(at: Date()) else {
            throw EchoError.unauthenticated("session_ended", "the session has ended; sign in again")
        }
        guard !pair.user.isDisabled else {
            throw EchoError.unauthenticated("session_ended", "the account is disabled")
        }
        return Principal(user: pair.user, session: pair.session, accessTokenExpiresAt: claims.exp.value)
    }
}
