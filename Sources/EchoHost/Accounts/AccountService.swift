import EchoPluginAPI
import Foundation
import JWTKit
import Logging

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

/// Registration, login through the auth chain, refresh-token rotation, sessions.
struct AccountService: Sendable {
    let storage: any Storage
    let authChain: [(name: String, provider: any AuthProvider)]
    let tokens: TokenService
    let limiter: RateLimiter
    let config: ServerConfig
    let metrics: HostMetrics
    let logger: Logger
    /// Told about ended sessions, so that their real-time connections close at once.
    let bus: any EventBus
    /// Applies the room roles auth sources grant through directory groups.
    let rooms: RoomService

    static let maxSessionsPerUser = 100

    private var refreshTTL: TimeInterval { TimeInterval(config.refreshTokenTTLDays) * 86_400 }

    // MARK: Registration

    func register(username raw: String, password: String, displayName rawDisplayName: String?, client: ClientInfo) async throws -> User {
        // A server without registration says so to everyone, however often they ask.
        guard let (name, provider) = authChain.first(where: { $0.provider.allowsRegistration }) else {
            metrics.recordRegistration("disabled")
            throw APIError.forbidden("registration_disabled", "registration is disabled on this server")
        }
        if case .limited(let retryAfter) = await limiter.admit("register-address:\(client.address)", rule: config.rateLimitRegister) {
            metrics.recordRegistration("rate_limited")
            throw APIError.rateLimited(retryAfter: retryAfter)
        }
        guard let username = Usernames.canonical(raw) else { throw APIError.badRequest(Usernames.rule, code: "invalid_username") }
        let displayName = try rawDisplayName.map {
            guard let name = Usernames.displayName($0) else {
                throw APIError.badRequest("display_name must be 1–64 characters without control characters", code: "invalid_display_name")
            }
            return name
        } ?? username
        for (otherName, other) in authChain where otherName != name {
            if try await other.knowsUsername(username) {
                metrics.recordRegistration("taken")
                throw APIError.conflict("username_taken", "that username is taken")
            }
        }
        do {
            let user = try await provider.register(Registration(username: username, password: password, displayName: displayName))
            metrics.recordRegistration("created")
            logger.info("user registered", metadata: ["user_id": "\(user.id)", "username": "\(user.username)", "auth_source": "\(name)"])
            return user
        } catch let error as StorageError where error.isConflict {
            metrics.recordRegistration("taken")
            throw APIError.conflict("username_taken", "that username is taken")
        } catch let error as AuthError where error.isRejectedPassword {
            metrics.recordRegistration("rejected")
            throw APIError.badRequest(error.message, code: "weak_password")
        }
    }

    // MARK: Login

    func login(username raw: String, password: String, client: ClientInfo) async throws -> IssuedTokens {
        // Each attempt takes one failure from the address's and the username's budgets up front,
        // and a success gives both back, so concurrent guesses cannot overrun a limit.
        let addressKey = "login-address:\(client.address)"
        let usernameKey = "login-user:" + String(decoding: raw.lowercased().utf8.prefix(4 * Usernames.maxLength), as: UTF8.self)
        for (key, rule) in [(addressKey, config.rateLimitLoginPerAddress), (usernameKey, config.rateLimitLogin)] {
            if case .limited(let retryAfter) = await limiter.admit(key, rule: rule) {
                if key == usernameKey { await limiter.giveBack(addressKey) }
                metrics.recordLogin("rate_limited")
                throw APIError.rateLimited(retryAfter: retryAfter)
            }
        }
        guard let username = Usernames.canonical(raw), !password.isEmpty, password.utf8.count <= 4096 else {
            metrics.recordLogin("invalid_credentials")
            throw APIError.invalidCredentials
        }
        let user: User
        do {
            user = try await authenticate(LoginAttempt(username: username, password: password, clientAddress: client.address))
        } catch let error as APIError where error.code == APIError.invalidCredentials.code {
            metrics.recordLogin("invalid_credentials")
            throw error
        } catch {
            // Not a wrong password: a backend failed. The attempt does not count against anyone.
            await limiter.giveBack(usernameKey)
            await limiter.giveBack(addressKey)
            let backendDown = (error as? AuthError)?.isBackendUnavailable == true
            metrics.recordLogin(backendDown ? "backend_unavailable" : "error")
            logger.warning("login failed in a backend", metadata: ["error": "\(error)"])
            throw error
        }
        await limiter.giveBack(usernameKey)
        await limiter.giveBack(addressKey)
        guard !user.isDisabled else {
            metrics.recordLogin("disabled")
            throw APIError.forbidden("account_disabled", "this account is disabled")
        }
        let issued = try await startSession(for: user, client: client)
        metrics.recordLogin("success")
        logger.info("login", metadata: ["user_id": "\(user.id)", "session_id": "\(issued.session.id)"])
        return issued
    }

    /// Runs the auth chain. An existing account is only ever checked by the plugin that owns it.
    private func authenticate(_ attempt: LoginAttempt) async throws -> User {
        if let existing = try await storage.user(named: attempt.username) {
            guard let owner = authChain.first(where: { $0.name == existing.authSource })?.provider else {
                logger.warning(
                    "login refused: the account's auth source is not configured",
                    metadata: ["user_id": "\(existing.id)", "auth_source": "\(existing.authSource)"])
                throw APIError.invalidCredentials
            }
            guard case .authenticated(let identity) = try await owner.authenticate(attempt) else {
                throw APIError.invalidCredentials
            }
            let user = try await apply(identity, to: existing)
            try await rooms.applyDirectoryGrants(identity, to: user)
            return user
        }
        for (name, provider) in authChain {
            switch try await provider.authenticate(attempt) {
            case .unknownUser:
                continue
            case .invalidCredentials:
                throw APIError.invalidCredentials
            case .authenticated(let identity):
                let user = try await adopt(identity, source: name)
                try await rooms.applyDirectoryGrants(identity, to: user)
                return user
            }
        }
        throw APIError.invalidCredentials
    }

    /// Refreshes the stored profile from what the auth source says.
    func apply(_ identity: AuthenticatedIdentity, to user: User) async throws -> User {
        var update = UserUpdate()
        if let name = identity.displayName.flatMap(Usernames.displayName), name != user.displayName { update.displayName = name }
        if let email = identity.email, email != user.email { update.email = .some(email) }
        if let isAdmin = identity.isAdmin, isAdmin != user.isAdmin { update.isAdmin = isAdmin }
        guard update != UserUpdate() else { return user }
        return try await storage.updateUser(user.id, update)
    }

    /// Creates the account for a user an external source vouched for on their first login.
    private func adopt(_ identity: AuthenticatedIdentity, source: String) async throws -> User {
        guard let username = Usernames.canonical(identity.username) else {
            logger.warning("login refused: the auth source returned an invalid username", metadata: ["auth_source": "\(source)"])
            throw APIError.invalidCredentials
        }
        if let existing = try await storage.user(named: username) {
            guard existing.authSource == source else { throw APIError.invalidCredentials }
            return try await apply(identity, to: existing)
        }
        do {
            return try await storage.createUser(
                NewUser(
                    username: username, displayName: identity.displayName.flatMap(Usernames.displayName) ?? username,
                    email: identity.email, authSource: source, isAdmin: identity.isAdmin ?? false, createdAt: Date()),
                credential: nil)
        } catch let error as StorageError where error.isConflict {
            // Another login created it a moment ago.
            guard let existing = try await storage.user(named: username), existing.authSource == source else {
                throw APIError.invalidCredentials
            }
            return existing
        }
    }

    private func startSession(for user: User, client: ClientInfo) async throws -> IssuedTokens {
        let now = Date()
        let session = Session(
            id: TokenService.newSessionID(), userID: user.id, createdAt: now, lastUsedAt: now,
            expiresAt: now.addingTimeInterval(refreshTTL), userAgent: client.userAgent.map { String($0.prefix(256)) },
            clientAddress: client.address)
        let refreshToken = TokenService.newRefreshToken()
        try await storage.createSession(session, refreshToken: TokenService.hash(refreshToken: refreshToken))
        // A user keeps at most `maxSessionsPerUser` sessions; signing in once more ends the oldest.
        let active = try await storage.activeSessions(of: user.id, at: now)
        for stale in active.dropFirst(Self.maxSessionsPerUser) {
            _ = try await storage.revokeSession(stale.id, at: now)
            await bus.publish(.sessionEnded(stale.id))
        }
        return IssuedTokens(
            accessToken: try await tokens.accessToken(for: user.id, session: session.id, now: now), refreshToken: refreshToken,
            expiresIn: Int(tokens.accessTokenTTL), session: session, user: user)
    }

    // MARK: Refresh, logout, sessions

    func refresh(_ refreshToken: String) async throws -> IssuedTokens {
        let invalid = APIError.unauthorized("invalid_refresh_token", "the refresh token is invalid or its session has ended; sign in again")
        guard (1...512).contains(refreshToken.utf8.count) else {
            metrics.recordRefresh("invalid")
            throw invalid
        }
        let now = Date()
        let replacement = TokenService.newRefreshToken()
        let rotation = try await storage.rotateRefreshToken(
            TokenService.hash(refreshToken: refreshToken), replacement: TokenService.hash(refreshToken: replacement), now: now,
            expiresAt: now.addingTimeInterval(refreshTTL))
        switch rotation {
        case .rotated(let session):
            guard var user = try await storage.user(id: session.userID), !user.isDisabled else {
                _ = try await storage.revokeSession(session.id, at: now)
                metrics.recordRefresh("invalid")
                throw invalid
            }
            if let updated = await recheck(user) {
                user = updated
            } else {
                // Gone from the source: every session of theirs ends, not only this one.
                try await endAccess(of: user, reason: "the auth source no longer has the user")
                metrics.recordRefresh("source_gone")
                throw invalid
            }
            metrics.recordRefresh("rotated")
            return IssuedTokens(
                accessToken: try await tokens.accessToken(for: user.id, session: session.id, now: now), refreshToken: replacement,
                expiresIn: Int(tokens.accessTokenTTL), session: session, user: user)
        case .reused(let session):
            await bus.publish(.sessionEnded(session.id))
            metrics.recordRefresh("reused")
            logger.warning("refresh token reused; session revoked", metadata: ["user_id": "\(session.userID)", "session_id": "\(session.id)"])
            throw APIError.unauthorized("refresh_token_reused", "this refresh token was already used; the session has been revoked for safety")
        case .inactive, .unknown:
            metrics.recordRefresh("invalid")
            throw invalid
        }
    }

    /// Asks the account's auth source whether the user is still there: the refreshed user, or
    /// `nil` when the source says they are gone. A source that cannot answer changes nothing, so
    /// a directory outage does not sign everyone out.
    ///
    /// It runs after the refresh token rotated (the old one is spent), so nothing but a clear
    /// "gone" may fail the refresh: any other error keeps the stored user and is logged.
    private func recheck(_ user: User) async -> User? {
        guard let owner = authChain.first(where: { $0.name == user.authSource })?.provider else { return user }
        do {
            switch try await owner.standing(of: user.username) {
            case nil:
                return user
            case .gone?:
                return nil
            case .active(let identity)?:
                let updated = try await apply(identity, to: user)
                try await rooms.applyDirectoryGrants(identity, to: updated)
                return updated
            }
        } catch {
            logger.warning("could not re-check the user with their auth source; refresh allowed", metadata: ["user_id": "\(user.id)", "error": "\(error)"])
            return user
        }
    }

    /// The principal behind a bearer access token: valid signature and expiry, session still
    /// active, account still enabled.
    func principal(bearer token: String?) async throws -> Principal {
        let claims = try await verifiedClaims(bearer: token)
        return try principal(claims, try await storage.sessionWithUser(id: claims.sessionID))
    }

    /// The principal and their standing in the room `name`, read from storage together: the
    /// checks behind every signed-in room request. The standing is `nil` for an unknown room.
    func principal(bearer token: String?, standingIn name: String) async throws -> (Principal, RoomStanding?) {
        let claims = try await verifiedClaims(bearer: token)
        guard let userID = claims.userID else { throw Self.invalidToken }
        let read = try await storage.sessionAndStanding(session: claims.sessionID, user: userID, room: name, at: Date())
        return (try principal(claims, read.session), read.standing)
    }

    private static let invalidToken = APIError.unauthorized("invalid_token", "the access token is invalid or expired")

    /// The claims of a valid, unexpired access token (no storage read): enough to answer 401
    /// before looking at a request's body.
    func verifiedClaims(bearer token: String?) async throws -> AccessClaims {
        guard let token, !token.isEmpty else {
            throw APIError.unauthorized("unauthorized", "sign in first: send Authorization: Bearer <access_token>")
        }
        guard let claims = await tokens.verifiedClaims(token), claims.userID != nil else { throw Self.invalidToken }
        return claims
    }

    private func principal(_ claims: AccessClaims, _ pair: SessionWithUser?) throws -> Principal {
        guard let pair, pair.session.userID == claims.userID, pair.session.isActive(at: Date()) else {
            throw APIError.unauthorized("session_ended", "the session has ended; sign in again")
        }
        guard !pair.user.isDisabled else {
            throw APIError.unauthorized("session_ended", "the account is disabled")
        }
        return Principal(user: pair.user, session: pair.session, accessTokenExpiresAt: claims.exp.value)
    }

    /// Ends every session of a user their auth source no longer vouches for, and closes their
    /// real-time connections on every instance. The account stays (its username stays theirs);
    /// signing in works again once the source lets them in.
    @discardableResult
    func endAccess(of user: User, reason: String) async throws -> Int {
        let ended = try await storage.revokeSessions(of: user.id, at: Date())
        await bus.publish(.userDisabled(user.id))
        if ended > 0 {
            logger.info(
                "sessions ended: \(reason)", metadata: ["user_id": "\(user.id)", "auth_source": "\(user.authSource)", "sessions": "\(ended)"])
        }
        return ended
    }

    func logout(_ principal: Principal) async throws {
        _ = try await storage.revokeSession(principal.session.id, at: Date())
        await bus.publish(.sessionEnded(principal.session.id))
        logger.info("logout", metadata: ["user_id": "\(principal.user.id)", "session_id": "\(principal.session.id)"])
    }

    func sessions(of principal: Principal) async throws -> [Session] {
        try await storage.activeSessions(of: principal.user.id, at: Date())
    }

    func revokeSession(_ id: SessionID, of principal: Principal) async throws {
        guard let session = try await storage.session(id: id), session.userID == principal.user.id, session.isActive(at: Date()) else {
            throw APIError.notFound("no active session with that id", code: "session_not_found")
        }
        _ = try await storage.revokeSession(id, at: Date())
        await bus.publish(.sessionEnded(id))
        logger.info("session revoked", metadata: ["user_id": "\(principal.user.id)", "session_id": "\(id)"])
    }
}
