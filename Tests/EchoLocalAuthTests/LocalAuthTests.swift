import EchoLocalAuth
import EchoPluginAPI
import EchoPluginTesting
import EchoSQLiteStorage
import Foundation
import Testing

@Suite("auth.local")
struct LocalAuthTests {
    static let cheap = Argon2id.Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)

    /// A fresh SQLite storage and a local auth plugin over it.
    static func withPlugin(
        _ configuration: LocalAuth.Configuration = { var c = LocalAuth.Configuration(); c.passwordHash = cheap; return c }(),
        _ body: (LocalAuth, SQLiteStorage, String) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("echochat-auth-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let storage = try await SQLiteStorage(configuration: .init(), context: PluginTestContext.make(dataDirectory: directory))
        let auth = try await LocalAuth(configuration: configuration, context: PluginTestContext.make(dataDirectory: directory, storage: storage))
        try await body(auth, storage, directory)
        try await storage.shutdown()
    }

    @Test("Argon2id hashes carry their parameters and verify only the right password")
    func argon2() throws {
        let hash = try Argon2id.hash("correct horse", parameters: Self.cheap)
        #expect(hash.hasPrefix("$argon2id$v=19$m=1024,t=1,p=1$"))
        #expect(Argon2id.parameters(of: hash) == Self.cheap)
        #expect(Argon2id.verify("correct horse", encoded: hash))
        #expect(!Argon2id.verify("correct horsE", encoded: hash))
        #expect(!Argon2id.verify("", encoded: hash))
        #expect(try Argon2id.hash("correct horse", parameters: Self.cheap) != hash)  // fresh salt
        #expect(!Argon2id.verify("x", encoded: "$2b$12$notargon"))
        #expect(Argon2id.parameters(of: "$argon2i$v=19$m=1024,t=1,p=1$a$b") == nil)
        #expect(Argon2id.parameters(of: "garbage") == nil)
    }

    @Test("the default cost is OWASP's Argon2id minimum")
    func defaults() {
        #expect(LocalAuth.Configuration().passwordHash == Argon2id.Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1))
        #expect(LocalAuth.Configuration().allowRegistration)
    }

    @Test("registered users log in; wrong passwords and strangers do not")
    func authenticate() async throws {
        try await Self.withPlugin { auth, storage, _ in
            let alice = try await auth.register(Registration(username: "alice", password: "correct horse", displayName: "Alice"))
            #expect(alice.authSource == "local")
            let stored = try #require(try await storage.credential(of: alice.id, kind: Credential.passwordKind))
            #expect(stored.secret.hasPrefix("$argon2id$"))
            #expect(!stored.secret.contains("correct horse"))

            guard case .authenticated(let identity) = try await auth.authenticate(LoginAttempt(username: "alice", password: "correct horse"))
            else { Issue.record("right password refused"); return }
            #expect(identity.username == "alice")
            guard case .invalidCredentials = try await auth.authenticate(LoginAttempt(username: "alice", password: "wrong horse"))
            else { Issue.record("wrong password accepted"); return }
            guard case .unknownUser = try await auth.authenticate(LoginAttempt(username: "bob", password: "correct horse"))
            else { Issue.record("unknown user not reported as unknown"); return }
        }
    }

    @Test("accounts of another auth source are not this plugin's")
    func foreignAccounts() async throws {
        try await Self.withPlugin { auth, storage, _ in
            _ = try await storage.createUser(
                NewUser(username: "dir-user", displayName: "D", authSource: "ldap", createdAt: Date()),
                credential: Credential(kind: Credential.passwordKind, secret: try Argon2id.hash("pw123456", parameters: Self.cheap), updatedAt: Date()))
            guard case .unknownUser = try await auth.authenticate(LoginAttempt(username: "dir-user", password: "pw123456"))
            else { Issue.record("local auth logged in an ldap account"); return }
        }
    }

    @Test("a successful login re-hashes with raised parameters")
    func rehashOnLogin() async throws {
        try await Self.withPlugin { auth, storage, directory in
            let alice = try await auth.register(Registration(username: "alice", password: "correct horse", displayName: "Alice"))
            var raised = LocalAuth.Configuration()
            raised.passwordHash = Argon2id.Parameters(memoryKiB: 2048, iterations: 2, parallelism: 1)
            let upgraded = try await LocalAuth(configuration: raised, context: PluginTestContext.make(dataDirectory: directory, storage: storage))
            guard case .invalidCredentials = try await upgraded.authenticate(LoginAttempt(username: "alice", password: "nope"))
            else { Issue.record("wrong password accepted"); return }
            #expect(Argon2id.parameters(of: try await storage.credential(of: alice.id, kind: Credential.passwordKind)!.secret) == Self.cheap)
            guard case .authenticated = try await upgraded.authenticate(LoginAttempt(username: "alice", password: "correct horse"))
            else { Issue.record("login failed"); return }
            let rehashed = try #require(try await storage.credential(of: alice.id, kind: Credential.passwordKind))
            #expect(Argon2id.parameters(of: rehashed.secret) == raised.passwordHash)
            guard case .authenticated = try await upgraded.authenticate(LoginAttempt(username: "alice", password: "correct horse"))
            else { Issue.record("login after re-hash failed"); return }
        }
    }

    @Test("the password policy refuses short and oversized passwords", arguments: ["short", String(repeating: "x", count: 1025)])
    func policy(password: String) async throws {
        try await Self.withPlugin { auth, storage, _ in
            do {
                _ = try await auth.register(Registration(username: "erin", password: password, displayName: "Erin"))
                Issue.record("accepted a password of \(password.count) characters")
            } catch let error as AuthError {
                #expect(error.isRejectedPassword)
            }
            #expect(try await storage.user(named: "erin") == nil)
        }
    }

    @Test("a bad configuration names the key", arguments: [
        (#"{"allow_registration": 1}"#, ["allow_registration"]), (#"{"min_password_length": 0}"#, ["min_password_length"]),
        (#"{"password_hash": {"memory_kib": 10}}"#, ["password_hash", "memory_kib"]),
        (#"{"password_hash": {"iterations": 0}}"#, ["password_hash", "iterations"]),
        (#"{"password_hash": {"lanes": 2}}"#, ["password_hash", "lanes"]), (#"{"allow_signup": true}"#, ["allow_signup"]),
    ])
    func badConfiguration(json: String, keyPath: [String]) throws {
        var registry = PluginRegistry()
        registry.register(auth: LocalAuth.self)
        let factory = try #require(registry.authFactory(named: "local"))
        do {
            _ = try factory.configuration(from: try JSONDecoder().decode(ConfigValue.self, from: Data(json.utf8)))
            Issue.record("accepted \(json)")
        } catch let error as ConfigurationError {
            #expect(error.issues.first?.keyPath == keyPath)
        }
    }

    @Test("it needs only the accounts of the context; without them it refuses to start, saying what is missing")
    func accountsOnly() async throws {
        try await Self.withPlugin { _, storage, directory in
            var configuration = LocalAuth.Configuration()
            configuration.passwordHash = Self.cheap
            let auth = try await LocalAuth(configuration: configuration, context: PluginTestContext.make(dataDirectory: directory, accounts: storage))
            _ = try await auth.register(Registration(username: "erin", password: "correct horse", displayName: "Erin"))
            guard case .authenticated = try await auth.authenticate(LoginAttempt(username: "erin", password: "correct horse")) else {
                Issue.record("login over the accounts alone failed")
                return
            }
            do {
                _ = try await LocalAuth(configuration: configuration, context: PluginTestContext.make(dataDirectory: directory))
                Issue.record("started without an account store")
            } catch let error as PluginError {
                #expect(error.isMissingContext && error.message.contains("auth.local") && error.message.contains("PluginContext.accounts"))
            }
        }
    }
}
