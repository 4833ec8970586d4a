import EchoPluginAPI
import Foundation
import Logging

/// The settings of `server_config.json` that registration, login and sessions use.
struct AccountsConfig: Sendable {
    var rateLimitRegister: RateLimitRule?
    var rateLimitLogin: RateLimitRule?
    var rateLimitLoginPerAddress: RateLimitRule?
    var refreshTTL: TimeInterval

    init(_ server: ServerConfig) {
        rateLimitRegister = server.rateLimitRegister
        rateLimitLogin = server.rateLimitLogin
        rateLimitLoginPerAddress = server.rateLimitLoginPerAddress
        refreshTTL = TimeInterval(server.refreshTokenTTLDays) * 86_400
    }
}

/// Registration and login through the auth chain, and the profile an auth source keeps current.
struct AccountService: Sendable {
    let storage: any Storage
    let authChain: [(name: String, provider: any AuthProvider)]
    let tokens: TokenService
    let limiter: RateLimiter
    let config: AccountsConfig
    let metrics: HostMetrics
    let logger: Logger
    /// Told about ended sessions, so that their real-time connections close at once.
    let bus: any EventBus
    /// Applies the room roles auth sources grant through directory groups.
    let rooms: RoomService
    /// Keeps display names from looking like other accounts' names.
    let names: LookalikeNames

    static let maxSessionsPerUser = 100

    // MARK: Registration

    func register(username raw: String, password: String, displayName rawDisplayName: String?, client: ClientInfo) async throws -> User {
        // A server without registration says so to everyone, however often they ask.
        guard let (name, provider) = authChain.first(where: { $0.provider.allowsRegistration }) else {
            metrics.recordRegistration("disabled")
            throw EchoError.forbidden("registration_disabled", "registration is disabled on this server")
        }
        if case .limited(let retryAfter) = await limiter.admit("register-address:\(client.address)", rule: config.rateLimitRegister) {
            metrics.recordRegistration("rate_limited")
            throw EchoError.rateLimited(retryAfter: retryAfter)
        }
        guard let username = Usernames.canonical(raw) else { throw EchoError.invalid(Usernames.rule, code: "invalid_username") }
        let displayName = try rawDisplayName.map {
            guard let name = DisplayNames.validated($0) else {
                throw EchoError.invalid("display_name must be \(DisplayNames.rule)", code: "invalid_display_name")
            }
            return name
        } ?? username
        // Which account it looks like is not said: that would tell whose names exist.
        if rawDisplayName != nil, try await !names.lookalikes(of: displayName, username: username, userID: nil).isEmpty {
            metrics.recordRegistration("lookalike")
            throw EchoError.conflict("display_name_taken", "display_name looks like the name of an existing account; choose another")
        }
        for (otherName, other) in authChain where otherName != name {
            if try await other.knowsUsername(username) {
                metrics.recordRegistration("taken")
                throw EchoError.conflict("username_taken", "that username is taken")
            }
        }
        do {
            let user = try await provider.register(Registration(username: username, password: password, displayName: displayName))
            await names.record(user)
            metrics.recordRegistration("created")
            logger.info("user registered", metadata: ["user_id": "\(user.id)", "username": "\(user.username)", "auth_source": "\(name)"])
            return user
        } catch let error as StorageError where error.isConflict {
            metrics.recordRegistration("taken")
            throw EchoError.conflict("username_taken", "that username is taken")
        } catch let error as AuthError where error.isRejectedPassword {
            metrics.recordRegistration("rejected")
            throw EchoError.invalid(error.message, code: "weak_password")
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
                throw EchoError.rateLimited(retryAfter: retryAfter)
            }
        }
        guard let username = Usernames.canonical(raw), !password.isEmpty, password.utf8.count <= 4096 else {
            metrics.recordLogin("invalid_credentials")
            throw EchoError.invalidCredentials
        }
        let user: User
        do {
            user = try await authenticate(LoginAttempt(username: username, password: password, clientAddress: client.address))
        } catch let error as EchoError where error == EchoError.invalidCredentials {
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
            throw EchoError.forbidden("account_disabled", "this account is disabled")
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
                throw EchoError.invalidCredentials
            }
            guard case .authenticated(let identity) = try await owner.authenticate(attempt) else {
                throw EchoError.invalidCredentials
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
                throw EchoError.invalidCredentials
            case .authenticated(let identity):
                let user = try await adopt(identity, source: name)
                try await rooms.applyDirectoryGrants(identity, to: user)
                return user
            }
        }
        throw EchoError.invalidCredentials
    }

    /// Refreshes the stored profile from what the auth source says.
    func apply(_ identity: AuthenticatedIdentity, to user: User) async throws -> User {
        var update = UserUpdate()
        if let name = identity.displayName.flatMap(DisplayNames.validated), name != user.displayName {
            let shown = try await directoryDisplayName(name, username: user.username, userID: user.id, source: user.authSource)
            if shown != user.displayName { update.displayName = shown }
        }
        if let email = identity.email, email != user.email { update.email = .some(email) }
        if let isAdmin = identity.isAdmin, isAdmin != user.isAdmin { update.isAdmin = isAdmin }
        guard update != UserUpdate() else { return user }
        let updated = try await storage.updateUser(user.id, update)
        if update.displayName != nil { await names.record(updated) }
        return updated
    }

    /// The display name an auth source gave, or the username when it looks like another
    /// account's name: a login does not fail over the directory's choice of name.
    private func directoryDisplayName(_ name: String, username: String, userID: UserID?, source: String) async throws -> String {
        let others = try await names.lookalikes(of: name, username: username, userID: userID)
        guard others.isEmpty else {
            logger.warning(
                "the auth source's display name looks like another account's name; showing the username instead",
                metadata: [
                    "username": "\(username)", "auth_source": "\(source)", "display_name": "\(name)",
                    "lookalike_user_ids": "\(others.sorted().map(\.description).joined(separator: ","))",
                ])
            return username
        }
        return name
    }

    /// Creates the account for a user an external source vouched for on their first login.
    private func adopt(_ identity: AuthenticatedIdentity, source: String) async throws -> User {
        guard let username = Usernames.canonical(identity.username) else {
            logger.warning("login refused: the auth source returned an invalid username", metadata: ["auth_source": "\(source)"])
            throw EchoError.invalidCredentials
        }
        if let existing = try await storage.user(named: username) {
            guard existing.authSource == source else { throw EchoError.invalidCredentials }
            return try await apply(identity, to: existing)
        }
        var displayName = username
        if let name = identity.displayName.flatMap(DisplayNames.validated) {
            displayName = try await directoryDisplayName(name, username: username, userID: nil, source: source)
        }
        do {
            let user = try await storage.createUser(
                NewUser(
                    username: username, displayName: displayName, email: identity.email, authSource: source,
                    isAdmin: identity.isAdmin ?? false, createdAt: Date()),
                credential: nil)
            await names.record(user)
            return user
        } catch let error as StorageError where error.isConflict {
            // Another login created it a moment ago.
            guard let existing = try await storage.user(named: username), existing.authSource == source else {
                throw EchoError.invalidCredentials
            }
            return existing
        }
    }

    private func startSession(for user: User, client: ClientInfo) async throws -> IssuedTokens {
        let now = Date()
        let session = Session(
            id: TokenService.newSessionID(), userID: user.id, createdAt: now, lastUsedAt: now,
            expiresAt: now.addingTimeInterval(config.refreshTTL), userAgent: client.userAgent.map { String($0.prefix(256)) },
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
}
