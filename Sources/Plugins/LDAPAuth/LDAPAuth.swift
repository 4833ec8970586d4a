public import EchoPluginAPI
import Foundation
import Logging

/// `auth.ldap`: logins checked against an OpenLDAP or Active Directory server by binding as the user.
///
/// Two modes: `search` finds the user's entry with a service account (`bind_dn`) and then binds
/// with the user's password; `direct` binds to a DN built from `user_dn_template`. Groups decide
/// who may sign in (`required_group`), who is a server administrator (`admin_groups`) and who
/// gets which room role (`room_roles`).
public struct LDAPAuth: AuthProvider {
    public static let name = "ldap"
    public static let apiVersion = PluginAPIVersion(1, 4)

    let configuration: Configuration
    let queries: DirectoryQueries
    let policy: LDAPPolicy
    let pool: LDAPPool
    let logger: Logger
    /// Whether users can be looked up without their password: in search mode, or with a
    /// service account. Direct binds without one can check passwords and nothing else.
    let canLookUp: Bool

    public init(configuration: Configuration, context: PluginContext) async throws {
        self.configuration = configuration
        let password = try configuration.resolvedBindPassword()
        let service = configuration.bindDN.flatMap { dn in password.flatMap { $0.isEmpty ? nil : (dn: dn, password: $0) } }
        if configuration.bindDN != nil, service == nil {
            throw ConfigIssue(key: "bind_dn", "needs a non-empty password (bind_password_file, bind_password or ECHOCHAT_LDAP_BIND_PASSWORD)")
        }
        self.queries = DirectoryQueries(configuration: configuration, service: service)
        self.canLookUp = configuration.mode == .search || service != nil
        self.policy = LDAPPolicy(configuration: configuration)
        self.logger = context.logger
        let servers = try configuration.uris.enumerated().map { try LDAPServer(uri: $1, index: $0, security: configuration.security) }
        self.pool = LDAPPool(
            servers: servers,
            tls: LDAPTLSSettings(startTLS: configuration.security == .starttls, caFile: configuration.caFile, verifyCertificate: configuration.verifyCertificate),
            timeouts: LDAPTimeouts(connectMilliseconds: configuration.connectTimeoutMilliseconds, operationMilliseconds: configuration.operationTimeoutMilliseconds),
            size: configuration.poolSize, retryAfter: .seconds(configuration.serverRetrySeconds), logger: context.logger)
        for server in servers where configuration.security == .none && !server.isLoopback {
            context.logger.warning(
                "security is \"none\": passwords travel to this directory server unencrypted; use starttls or ldaps",
                metadata: ["server": "\(server.uri)"])
        }
        if !canLookUp {
            context.logger.notice(
                "direct mode without bind_dn: users are not re-checked between logins, there is no directory sync, and local registration asks the directory anonymously (503 if it refuses)")
        }
    }

    public func shutdown() async throws {
        await pool.shutdown()
    }

    public func authenticate(_ attempt: LoginAttempt) async throws -> AuthOutcome {
        // An empty password would be an unauthenticated bind, which directories answer with success.
        guard !attempt.password.isEmpty else { return .invalidCredentials }
        let (username, password, queries) = (attempt.username, attempt.password, queries)
        let (check, server) = try await directory { try queries.checkPassword(username, password, on: $0) }
        switch check {
        case .unknownUser:
            return .unknownUser
        case .rejected:
            return .invalidCredentials
        case .ambiguous(let count):
            logger.warning(
                "login refused: the user search found more than one entry; narrow user_filter",
                metadata: ["server": "\(server)", "entries": "\(count)"])
            return .invalidCredentials
        case .accepted(let user):
            guard policy.isAllowed(user) else {
                logger.info("login refused: not in required_group", metadata: ["server": "\(server)", "dn": "\(user.dn)"])
                return .invalidCredentials
            }
            return .authenticated(policy.identity(of: user))
        }
    }

    /// Whether the directory has `username`. Without a service account in direct mode this is
    /// an anonymous read, and a directory that hides its entries from anonymous clients answers
    /// "no such entry" for everyone; so only a found entry counts, and anything else is an error
    /// (local registration answers 503) rather than a "no" that could give a directory user's name away.
    public func knowsUsername(_ username: String) async throws -> Bool {
        let found = try await !findUser(username).entries.isEmpty
        guard found || canLookUp else {
            throw AuthError.backendUnavailable("without bind_dn the directory cannot say whether it knows \(username)")
        }
        return found
    }

    public func standing(of username: String) async throws -> AccountStanding? {
        guard canLookUp else { return nil }
        let (entries, _) = try await findUser(username)
        guard entries.count == 1, let user = entries.first, policy.isAllowed(user) else { return .gone }
        return .active(policy.identity(of: user))
    }

    public var directorySync: DirectorySyncPolicy? {
        guard configuration.syncIntervalSeconds > 0, canLookUp else { return nil }
        return DirectorySyncPolicy(interval: .seconds(configuration.syncIntervalSeconds), allowsRemovingEveryone: configuration.allowDeactivateAll)
    }

    /// The entries found for `username` without a password, described with their groups.
    func findUser(_ username: String) async throws -> (entries: [DirectoryUser], server: LDAPServer) {
        let queries = queries
        return try await directory { connection in
            try queries.findEntry(username, on: connection).map { try queries.describe($0, asked: username, on: connection) }
        }
    }

    /// Runs `body` on a pooled connection. A directory error that is not about reaching a server
    /// (the service account's password is wrong, `base_dn` does not exist) is a backend failure
    /// too: the user gets 503 and the administrator a log line naming the LDAP error.
    private func directory<Result: Sendable>(_ body: @escaping @Sendable (LDAPConnection) throws -> Result) async throws -> (Result, LDAPServer) {
        do {
            return try await pool.perform(body)
        } catch let failure as LDAPFailure {
            throw AuthError.backendUnavailable("the directory refused a search or the service account's bind: \(failure)")
        }
    }
}

extension LDAPAuth: AuthHealthCheck {
    public var healthCheckAdvice: String {
        "check uris, bind_dn, its password and base_dn in plugins.json; `echochat ldap test NAME` shows more"
    }

    /// Connects as a login would, binds the service account (or stays anonymous) and reads the
    /// entry at `base_dn`.
    public func checkHealth() async throws -> String {
        let queries = queries
        let base = configuration.baseDN
        let timeout = configuration.operationTimeoutMilliseconds
        let (baseFound, server) = try await directory { connection in
            try queries.prepare(connection)
            guard let base else { return true }
            return !(try connection.search(base: base, scope: 0, filter: "(objectClass=*)", attributes: [], sizeLimit: 1, timeoutMilliseconds: timeout)
                .entries.isEmpty)
        }
        guard baseFound else {
            throw AuthError.backendUnavailable("\(server.uri) has no entry at base_dn \(base ?? "")")
        }
        let who = queries.service.map { "bound as \($0.dn)" } ?? "searched anonymously"
        return "\(server.uri) answered, \(who)" + (base.map { ", base_dn \($0) found" } ?? "")
    }
}
