public import EchoPluginAPI
import Foundation
import ServiceLifecycle

/// The behaviours the host relies on from every storage plugin, as named checks any test
/// framework can run. Each check gets a fresh, empty storage from `makeStorage`.
///
/// ```swift
/// @Test(arguments: StorageConformance.checks.map(\.name))
/// func conformance(_ name: String) async throws {
///     try await StorageConformance.run(name) { try await MyStorage(configuration: .init(), context: context) }
/// }
/// ```
public enum StorageConformance {
    /// A named behaviour.
    public struct Check: Sendable {
        /// What the check shows.
        public let name: String
        let body: @Sendable (any Storage) async throws -> Void
    }

    /// Runs the check called `name` against a fresh storage. A storage that is also a
    /// `Service` (one with a connection pool to run, say) runs as one for the check's duration.
    public static func run(_ name: String, makeStorage: () async throws -> any Storage) async throws {
        guard let check = checks.first(where: { $0.name == name }) else { throw ConformanceFailure("no check named \(name)") }
        let storage = try await makeStorage()
        try await withRunningStorage(storage) { try await check.body($0) }
    }

    /// Runs `body` while `storage`'s service (if it is one) runs beside it, then stops the service.
    public static func withRunningStorage<Value: Sendable>(
        _ storage: any Storage, _ body: @Sendable (any Storage) async throws -> Value
    ) async throws -> Value {
        guard let service = storage as? any Service else { return try await body(storage) }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            defer { group.cancelAll() }
            return try await body(storage)
        }
    }

    /// Every check.
    public static var checks: [Check] { accountChecks + roomChecks + voiceChecks }

    static let accountChecks: [Check] = [
        Check(name: "users are created, found by id and name, and updated", body: usersRoundTrip),
        Check(name: "a taken username is a conflict", body: usernameConflict),
        Check(name: "accounts are listed by auth source in id order, page by page", body: usersBySource),
        Check(name: "credentials are stored with the user and replaced by kind", body: credentials),
        Check(name: "sessions are listed while active, newest first", body: sessionsListed),
        Check(name: "refresh tokens rotate; a reused one revokes the session", body: refreshRotation),
        Check(name: "of concurrent refreshes with one token exactly one rotates", body: concurrentRotation),
        Check(name: "revoking sessions ends them", body: revocation),
        Check(name: "ended sessions are deleted with their refresh tokens", body: sessionCleanup),
        Check(name: "health check passes on a working backend", body: health),
    ]

    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func newUser(_ name: String, source: String = "local") -> NewUser {
        NewUser(username: name, displayName: name.capitalized, email: nil, authSource: source, createdAt: t0)
    }

    static func usersRoundTrip(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let bob = try await storage.createUser(newUser("bob", source: "ldap"), credential: nil)
        try expect(alice.id != bob.id, "ids are distinct")
        try expect(alice.username == "alice" && alice.displayName == "Alice" && !alice.isAdmin && !alice.isDisabled, "fields round-trip")
        try expect(try await storage.user(id: alice.id) == alice, "found by id")
        try expect(try await storage.user(named: "bob")?.authSource == "ldap", "found by name")
        try expect(try await storage.user(named: "carol") == nil, "unknown name")
        try expect(try await storage.user(id: UserID(999_999)) == nil, "unknown id")
        let updated = try await storage.updateUser(alice.id, UserUpdate(displayName: "Alice A.", email: .some("a@example.org"), isAdmin: true))
        try expect(updated.displayName == "Alice A." && updated.email == "a@example.org" && updated.isAdmin, "update applied")
        try expect(try await storage.user(id: alice.id) == updated, "update stored")
        let cleared = try await storage.updateUser(alice.id, UserUpdate(email: .some(nil), isDisabled: true))
        try expect(cleared.email == nil && cleared.isDisabled && cleared.displayName == "Alice A.", "partial update")
        do {
            _ = try await storage.updateUser(UserID(999_999), UserUpdate(isAdmin: true))
            throw ConformanceFailure("updating an unknown user succeeded")
        } catch let error as StorageError {
            try expect(error.isNotFound, "unknown user: notFound")
        }
    }

    static func usersBySource(_ storage: any Storage) async throws {
        var ldap: [User] = []
        for index in 0..<7 {
            _ = try await storage.createUser(newUser("local\(index)"), credential: nil)
            ldap.append(try await storage.createUser(newUser("dir\(index)", source: "ldap"), credential: nil))
        }
        var listed: [User] = []
        var after: UserID?
        while true {
            let page = try await storage.users(authSource: "ldap", after: after, limit: 3)
            try expect(page.count <= 3, "a page holds at most the limit")
            listed += page
            guard let last = page.last else { break }
            after = last.id
        }
        try expect(listed == ldap, "every ldap account once, in id order, and nothing else")
        try expect(try await storage.users(authSource: "nobody", after: nil, limit: 10).isEmpty, "unknown source: none")
    }

    static func usernameConflict(_ storage: any Storage) async throws {
        _ = try await storage.createUser(newUser("alice"), credential: nil)
        do {
            _ = try await storage.createUser(newUser("alice", source: "ldap"), credential: nil)
            throw ConformanceFailure("a duplicate username was accepted")
        } catch let error as StorageError {
            try expect(error.isConflict, "duplicate username: conflict, got \(error)")
        }
    }

    static func credentials(_ storage: any Storage) async throws {
        let first = Credential(kind: Credential.passwordKind, secret: "hash-1", updatedAt: t0)
        let alice = try await storage.createUser(newUser("alice"), credential: first)
        try expect(try await storage.credential(of: alice.id, kind: Credential.passwordKind) == first, "stored with the user")
        try expect(try await storage.credential(of: alice.id, kind: "totp") == nil, "other kinds absent")
        let second = Credential(kind: Credential.passwordKind, secret: "hash-2", updatedAt: t0.addingTimeInterval(60))
        try await storage.setCredential(second, of: alice.id)
        try expect(try await storage.credential(of: alice.id, kind: Credential.passwordKind) == second, "replaced")
        // A failed creation leaves no half-made account.
        _ = try? await storage.createUser(newUser("alice"), credential: first)
        try expect(try await storage.credential(of: alice.id, kind: Credential.passwordKind) == second, "untouched by a failed create")
    }

    static func session(_ id: String, of user: UserID, at time: Date, days: Double = 30) -> Session {
        Session(
            id: SessionID(id), userID: user, createdAt: time, lastUsedAt: time, expiresAt: time.addingTimeInterval(days * 86_400),
            userAgent: "agent \(id)", clientAddress: "127.0.0.1")
    }

    static func sessionsListed(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let bob = try await storage.createUser(newUser("bob"), credential: nil)
        try await storage.createSession(session("s1", of: alice.id, at: t0), refreshToken: RefreshTokenHash(rawValue: "h1"))
        try await storage.createSession(session("s2", of: alice.id, at: t0.addingTimeInterval(10)), refreshToken: RefreshTokenHash(rawValue: "h2"))
        try await storage.createSession(session("s3", of: alice.id, at: t0, days: 0.001), refreshToken: RefreshTokenHash(rawValue: "h3"))
        try await storage.createSession(session("s4", of: bob.id, at: t0), refreshToken: RefreshTokenHash(rawValue: "h4"))
        let now = t0.addingTimeInterval(3600)
        let active = try await storage.activeSessions(of: alice.id, at: now)
        try expect(active.map(\.id.rawValue) == ["s2", "s1"], "active sessions newest first, got \(active.map(\.id.rawValue))")
        try expect(active.first?.userAgent == "agent s2" && active.first?.clientAddress == "127.0.0.1", "fields round-trip")
        try expect(try await storage.session(id: SessionID("s3"))?.isActive(at: now) == false, "expired session still readable")
    }

    static func refreshRotation(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        try await storage.createSession(session("s1", of: alice.id, at: t0), refreshToken: RefreshTokenHash(rawValue: "a"))
        let now = t0.addingTimeInterval(60)
        let later = now.addingTimeInterval(40 * 86_400)
        guard case .rotated(let rotated) = try await storage.rotateRefreshToken(
            RefreshTokenHash(rawValue: "a"), replacement: RefreshTokenHash(rawValue: "b"), now: now, expiresAt: later)
        else { throw ConformanceFailure("the current token did not rotate") }
        try expect(rotated.lastUsedAt == now && rotated.expiresAt == later && rotated.revokedAt == nil, "rotation moves the expiry")
        guard case .rotated = try await storage.rotateRefreshToken(
            RefreshTokenHash(rawValue: "b"), replacement: RefreshTokenHash(rawValue: "c"), now: now, expiresAt: later)
        else { throw ConformanceFailure("the replacement token did not rotate") }
        guard case .reused(let reused) = try await storage.rotateRefreshToken(
            RefreshTokenHash(rawValue: "a"), replacement: RefreshTokenHash(rawValue: "d"), now: now, expiresAt: later)
        else { throw ConformanceFailure("a used token was not reported as reuse") }
        try expect(reused.revokedAt != nil, "reuse revokes")
        try expect(try await storage.session(id: SessionID("s1"))?.revokedAt != nil, "revocation stored")
        guard case .inactive = try await storage.rotateRefreshToken(
            RefreshTokenHash(rawValue: "c"), replacement: RefreshTokenHash(rawValue: "e"), now: now, expiresAt: later)
        else { throw ConformanceFailure("the revoked session's current token still rotated") }
        guard case .unknown = try await storage.rotateRefreshToken(
            RefreshTokenHash(rawValue: "zzz"), replacement: RefreshTokenHash(rawValue: "f"), now: now, expiresAt: later)
        else { throw ConformanceFailure("an unknown token was not reported unknown") }
        // Expired sessions do not rotate.
        try await storage.createSession(session("s2", of: alice.id, at: t0, days: 1), refreshToken: RefreshTokenHash(rawValue: "g"))
        guard case .inactive = try await storage.rotateRefreshToken(
            RefreshTokenHash(rawValue: "g"), replacement: RefreshTokenHash(rawValue: "h"), now: t0.addingTimeInterval(2 * 86_400), expiresAt: later)
        else { throw ConformanceFailure("an expired session rotated") }
    }

    static func concurrentRotation(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        try await storage.createSession(session("s1", of: alice.id, at: t0), refreshToken: RefreshTokenHash(rawValue: "start"))
        let outcomes = try await withThrowingTaskGroup(of: RefreshRotation.self) { group in
            for attempt in 0..<16 {
                group.addTask {
                    try await storage.rotateRefreshToken(
                        RefreshTokenHash(rawValue: "start"), replacement: RefreshTokenHash(rawValue: "next-\(attempt)"),
                        now: t0.addingTimeInterval(1), expiresAt: t0.addingTimeInterval(86_400))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let rotated = outcomes.filter { if case .rotated = $0 { true } else { false } }.count
        let reused = outcomes.filter { if case .reused = $0 { true } else { false } }.count
        try expect(rotated == 1 && reused == 15, "expected 1 rotation and 15 reuses, got \(rotated) and \(reused)")
    }

    static func revocation(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        for id in ["s1", "s2", "s3"] {
            try await storage.createSession(session(id, of: alice.id, at: t0), refreshToken: RefreshTokenHash(rawValue: "h-\(id)"))
        }
        let now = t0.addingTimeInterval(10)
        try expect(try await storage.revokeSession(SessionID("s1"), at: now), "revoking an active session reports true")
        try expect(try await storage.revokeSession(SessionID("s1"), at: now) == false, "revoking twice reports false")
        try expect(try await storage.revokeSession(SessionID("nope"), at: now) == false, "unknown session")
        try expect(try await storage.revokeSessions(of: alice.id, at: now) == 2, "the other two")
        try expect(try await storage.activeSessions(of: alice.id, at: now).isEmpty, "none left")
    }

    static func sessionCleanup(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        try await storage.createSession(session("expired", of: alice.id, at: t0, days: 1), refreshToken: RefreshTokenHash(rawValue: "h1"))
        try await storage.createSession(session("revoked", of: alice.id, at: t0), refreshToken: RefreshTokenHash(rawValue: "h2"))
        try await storage.createSession(session("recently-revoked", of: alice.id, at: t0), refreshToken: RefreshTokenHash(rawValue: "h3"))
        try await storage.createSession(session("active", of: alice.id, at: t0), refreshToken: RefreshTokenHash(rawValue: "h4"))
        _ = try await storage.revokeSession(SessionID("revoked"), at: t0.addingTimeInterval(3600))
        _ = try await storage.revokeSession(SessionID("recently-revoked"), at: t0.addingTimeInterval(5 * 86_400))
        guard case .rotated = try await storage.rotateRefreshToken(
            RefreshTokenHash(rawValue: "h4"), replacement: RefreshTokenHash(rawValue: "h5"), now: t0.addingTimeInterval(86_400),
            expiresAt: t0.addingTimeInterval(60 * 86_400))
        else { throw ConformanceFailure("an active session did not rotate") }

        let deleted = try await storage.pruneSessions(
            endedBefore: t0.addingTimeInterval(2 * 86_400), usedTokensBefore: t0.addingTimeInterval(3 * 86_400))
        try expect(deleted == 2, "expected 2 ended sessions deleted, got \(deleted)")
        try expect(try await storage.session(id: SessionID("expired")) == nil, "expired session deleted")
        try expect(try await storage.session(id: SessionID("revoked")) == nil, "revoked session deleted")
        try expect(try await storage.session(id: SessionID("recently-revoked")) != nil, "recently revoked session kept")
        // A new session under a deleted one's id must not inherit its refresh tokens.
        try await storage.createSession(session("expired", of: alice.id, at: t0.addingTimeInterval(4 * 86_400)), refreshToken: RefreshTokenHash(rawValue: "h6"))
        guard case .unknown = try await storage.rotateRefreshToken(
            RefreshTokenHash(rawValue: "h1"), replacement: RefreshTokenHash(rawValue: "x1"), now: t0.addingTimeInterval(4 * 86_400),
            expiresAt: t0.addingTimeInterval(60 * 86_400))
        else { throw ConformanceFailure("a deleted session's refresh token survived the cleanup") }
        // Used tokens past the retention are forgotten; the current one still rotates.
        guard case .unknown = try await storage.rotateRefreshToken(
            RefreshTokenHash(rawValue: "h4"), replacement: RefreshTokenHash(rawValue: "x2"), now: t0.addingTimeInterval(4 * 86_400),
            expiresAt: t0.addingTimeInterval(60 * 86_400))
        else { throw ConformanceFailure("a used refresh token past the retention was kept") }
        guard case .rotated = try await storage.rotateRefreshToken(
            RefreshTokenHash(rawValue: "h5"), replacement: RefreshTokenHash(rawValue: "h7"), now: t0.addingTimeInterval(4 * 86_400),
            expiresAt: t0.addingTimeInterval(60 * 86_400))
        else { throw ConformanceFailure("an active session was touched by cleanup") }
    }

    static func health(_ storage: any Storage) async throws {
        try await storage.checkHealth()
    }

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        guard condition else { throw ConformanceFailure(message()) }
    }
}

/// A storage plugin does not behave as the host expects.
public struct ConformanceFailure: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}
