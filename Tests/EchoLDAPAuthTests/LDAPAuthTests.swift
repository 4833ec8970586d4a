import EchoPluginAPI
import EchoPluginTesting
import EchoTestSupport
import Foundation
import Testing

@testable import EchoLDAPAuth

/// Builds the plugin from a `plugins.json`-style config object, decoded and validated as the host does.
func makePlugin(_ config: [String: Any]) async throws -> LDAPAuth {
    let value = try JSONDecoder().decode(ConfigValue.self, from: JSONSerialization.data(withJSONObject: config))
    let configuration = try ConfigDecoder().decode(LDAPAuth.Configuration.self, from: value)
    try configuration.validate()
    return try await LDAPAuth(configuration: configuration, context: PluginTestContext.make(dataDirectory: NSTemporaryDirectory()))
}

/// Runs `body` with a plugin and shuts it down afterwards.
func withPlugin(_ config: [String: Any], _ body: (LDAPAuth) async throws -> Void) async throws {
    let plugin = try await makePlugin(config)
    do {
        try await body(plugin)
        try await plugin.shutdown()
    } catch {
        try await plugin.shutdown()
        throw error
    }
}

func login(_ plugin: LDAPAuth, _ username: String, _ password: String) async throws -> AuthOutcome {
    try await plugin.authenticate(LoginAttempt(username: username, password: password))
}

extension AuthOutcome {
    var identity: AuthenticatedIdentity? {
        if case .authenticated(let identity) = self { return identity }
        return nil
    }
    var isInvalid: Bool {
        if case .invalidCredentials = self { return true }
        return false
    }
    var isUnknown: Bool {
        if case .unknownUser = self { return true }
        return false
    }
}

@Suite("auth.ldap against slapd")
struct LDAPAuthTests {
    @Test("search-then-bind: right password, wrong password, empty password, unknown user")
    func searchThenBind() async throws {
        let directory = try await LDAPTestDirectory.make()
        try await withPlugin(directory.config()) { (plugin: LDAPAuth) async throws in
            let alice = try #require(try await login(plugin, "alice", "alice-pw").identity)
            #expect(alice.username == "Alice")  // the directory's own spelling
            #expect(alice.displayName == "Alice Liddell")
            #expect(alice.email == "alice@example.org")
            #expect(try await login(plugin, "alice", "wrong").isInvalid)
            #expect(try await login(plugin, "alice", "").isInvalid)
            #expect(try await login(plugin, "nobody", "alice-pw").isUnknown)
            // `Alice` and `ALICE` find the same entry.
            #expect(try await login(plugin, "ALICE", "alice-pw").identity?.username == "Alice")
        }
    }

    @Test("direct bind: right password, wrong password, empty password, unknown user")
    func directBind() async throws {
        let directory = try await LDAPTestDirectory.make()
        let config = directory.config(["mode": "direct", "user_dn_template": "uid={username},\(directory.people)"])
        try await withPlugin(config) { (plugin: LDAPAuth) async throws in
            let bob = try #require(try await login(plugin, "bob", "bob-pw").identity)
            #expect(bob.username == "bob" && bob.displayName == "Bob Builder")
            #expect(try await login(plugin, "bob", "alice-pw").isInvalid)
            #expect(try await login(plugin, "bob", "").isInvalid)
            #expect(try await login(plugin, "nobody", "bob-pw").isUnknown)
            #expect(try await login(plugin, "carol", "carol-pw").isInvalid)  // not in chat-users
        }
        // Without a service account the entry and groups are read as the user, and a wrong
        // password stays a wrong password.
        var anonymous = config
        anonymous["bind_dn"] = nil
        anonymous["bind_password"] = nil
        try await withPlugin(anonymous) { (plugin: LDAPAuth) async throws in
            #expect(try await login(plugin, "bob", "bob-pw").identity?.groups.contains(directory.group("chat-users")) == true)
            #expect(try await login(plugin, "bob", "wrong").isInvalid)
            #expect(try await login(plugin, "carol", "carol-pw").isInvalid)
            #expect(try await login(plugin, "nobody", "x").isUnknown)
            // Nothing to re-check users with between logins.
            #expect(try await plugin.standing(of: "bob") == nil)
            #expect(plugin.directorySync == nil)
        }
    }

    @Test("direct bind against a directory that refuses anonymous reads: a wrong password stays a wrong password, and unknown names fail closed")
    func directBindWithoutAnonymousReads() async throws {
        let server = try SlapdServer.start(anonymousReads: false)
        defer { server.pause() }
        let directory = try await LDAPTestDirectory.make(on: server)
        var config = directory.config(["mode": "direct", "user_dn_template": "uid={username},\(directory.people)"])
        config["bind_dn"] = nil
        config["bind_password"] = nil
        try await withPlugin(config) { (plugin: LDAPAuth) async throws in
            // Bound as bob, the entry and the groups are readable.
            #expect(try await login(plugin, "bob", "bob-pw").identity?.username == "bob")
            // The existence check after a failed bind learns nothing: a refusal (counted against the
            // login limits by the host), never an error that would answer 503.
            for (name, password) in [("bob", "wrong"), ("nobody", "x"), ("bob", "")] {
                let outcome = try await login(plugin, name, password)
                #expect(outcome.identity == nil && (outcome.isInvalid || outcome.isUnknown), "\(name)")
            }
            // Whether a name is the directory's cannot be told: an error, never a "no".
            await #expect(throws: AuthError.self) { try await plugin.knowsUsername("bob") }
            await #expect(throws: AuthError.self) { try await plugin.knowsUsername("nobody") }
        }
    }

    @Test("required_group, admin_groups and room_roles")
    func groups() async throws {
        let directory = try await LDAPTestDirectory.make()
        let config = directory.config([
            "admin_groups": [directory.group("chat-admins")],
            "room_roles": [
                ["group": directory.group("support"), "room": "Support", "role": "moderator"],
                ["group": directory.group("chat-users"), "room": "General"],
            ],
        ])
        try await withPlugin(config) { (plugin: LDAPAuth) async throws in
            #expect(try await login(plugin, "carol", "carol-pw").isInvalid)
            let dave = try #require(try await login(plugin, "dave", "dave-pw").identity)
            #expect(dave.isAdmin == true)
            #expect(dave.roomGrants == [RoomGrant(room: "General", role: .member)])
            let bob = try #require(try await login(plugin, "bob", "bob-pw").identity)
            #expect(bob.isAdmin == false)
            #expect(Set(bob.roomGrants) == [RoomGrant(room: "Support", role: .moderator), RoomGrant(room: "General", role: .member)])
            #expect(bob.managedRooms == ["Support", "General"])
        }
    }

    @Test("group membership styles: member, uniqueMember, memberUid, memberOf", arguments: [
        ("member", "chat-users"), ("uniqueMember", "chat-users-unique"), ("memberUid", "chat-users-posix"), ("memberOf", "chat-users"),
    ])
    func membershipStyles(style: String, group: String) async throws {
        let directory = try await LDAPTestDirectory.make()
        try await withPlugin(directory.config(["group_membership": style, "required_group": directory.group(group)])) { (plugin: LDAPAuth) async throws in
            #expect(try await login(plugin, "alice", "alice-pw").identity != nil, "\(style)")
            #expect(try await login(plugin, "bob", "bob-pw").identity != nil, "\(style)")
            #expect(try await login(plugin, "carol", "carol-pw").isInvalid, "\(style)")
        }
    }

    @Test("nested groups: frank is in chat-users only through contractors", arguments: ["member", "memberOf"])
    func nestedGroups(style: String) async throws {
        let directory = try await LDAPTestDirectory.make()
        try await withPlugin(directory.config(["group_membership": style])) { (plugin: LDAPAuth) async throws in
            #expect(try await login(plugin, "frank", "frank-pw").isInvalid)
        }
        try await withPlugin(directory.config(["group_membership": style, "nested_groups": true])) { (plugin: LDAPAuth) async throws in
            let frank = try #require(try await login(plugin, "frank", "frank-pw").identity)
            #expect(Set(frank.groups.map { $0.lowercased() }) == [directory.group("contractors"), directory.group("chat-users")].map { $0.lowercased() }.reduce(into: Set<String>()) { $0.insert($1) })
        }
    }

    @Test("a changed profile and a removal are seen at once, without a password")
    func standing() async throws {
        let directory = try await LDAPTestDirectory.make()
        try await withPlugin(directory.config()) { (plugin: LDAPAuth) async throws in
            guard case .active(let before)? = try await plugin.standing(of: "alice") else {
                Issue.record("alice should be active")
                return
            }
            #expect(before.displayName == "Alice Liddell")
            try directory.replace("cn", of: directory.dn("Alice"), with: "Alice Pleasance")
            #expect(try await login(plugin, "alice", "alice-pw").identity?.displayName == "Alice Pleasance")
            try directory.removeMember(directory.dn("Alice"), from: directory.group("chat-users"))
            #expect(try await plugin.standing(of: "alice") == .gone)
            #expect(try await login(plugin, "alice", "alice-pw").isInvalid)
            try directory.deletePerson("bob")
            #expect(try await plugin.standing(of: "bob") == .gone)
            #expect(try await login(plugin, "bob", "bob-pw").isUnknown)
            #expect(try await plugin.knowsUsername("dave"))
            #expect(try await !plugin.knowsUsername("bob"))
        }
    }

    @Test("a search that finds two entries refuses the login")
    func ambiguous() async throws {
        let directory = try await LDAPTestDirectory.make()
        // A second entry with the same uid elsewhere in the subtree.
        try directory.server.add("dn: ou=others,\(directory.base)\nobjectClass: organizationalUnit\nou: others\n")
        try directory.server.add(
            "dn: uid=dave,ou=others,\(directory.base)\nobjectClass: inetOrgPerson\nuid: dave\ncn: Other Dave\nsn: Dave\nuserPassword: dave-pw\n")
        try await withPlugin(directory.config(["base_dn": directory.base, "required_group": NSNull()])) { (plugin: LDAPAuth) async throws in
            #expect(try await login(plugin, "dave", "dave-pw").isInvalid)
            #expect(try await plugin.standing(of: "dave") == .gone)
        }
    }

    @Test("usernames that are LDAP syntax never match anyone else", arguments: [
        "*", "admin)(|(uid=*", "*)(uid=*))(|(uid=*", "admin*", "adm*n", "a\\dmin", "admin\\2a", "admin\u{0}", "admin\u{0}x", "admin,ou=people",
        "uid=admin", "admin+cn=x", "#admin", " admin", "admin ", "ädmin", "admin)", "(admin", "\\", "*)(|(objectClass=*",
    ])
    func injection(username: String) async throws {
        let directory = try await LDAPTestDirectory.make()
        for mode in ["search", "direct"] {
            let config = directory.config(["mode": mode, "user_dn_template": "uid={username},\(directory.people)"])
            try await withPlugin(config) { (plugin: LDAPAuth) async throws in
                // Neither admin's password nor a wildcard password gets anyone in.
                for password in ["admin-pw", "*", "alice-pw"] {
                    let outcome = try await login(plugin, username, password)
                    #expect(outcome.identity == nil, "\(mode) \(username.debugDescription) with \(password)")
                }
                #expect(try await plugin.standing(of: username) == .gone, "\(mode) \(username.debugDescription)")
            }
        }
        // Beneath the spelling check: the directory itself finds no entry for the escaped name.
        try await withPlugin(directory.config()) { (plugin: LDAPAuth) async throws in
            let queries = plugin.queries
            let (entries, _) = try await plugin.pool.perform { connection in
                try queries.prepare(connection)
                return try queries.lookUpEntries(username, on: connection)
            }
            // Only the directory's own leniency (surrounding spaces) may match, and only the entry of that very name.
            let trimmed = username.trimmingCharacters(in: .whitespaces)
            #expect(entries.allSatisfy { $0.values("uid") == [trimmed] }, "\(username.debugDescription) found \(entries.map(\.dn))")
            if trimmed == username { #expect(entries.isEmpty, "\(username.debugDescription) found \(entries.map(\.dn))") }
        }
    }
}

@Suite("LDAP diagnosis lines")
struct LDAPDiagnosisLinesTests {
    static let people = "ou=people,dc=example,dc=org"

    static func found(_ uid: String, groups: [String] = [], allowed: Bool = true, identity: AuthenticatedIdentity) -> LDAPDiagnosis.Found {
        LDAPDiagnosis.Found(
            dn: "uid=\(uid),\(people)", username: uid, displayName: nil, email: nil, groups: groups, isAllowed: allowed, identity: identity)
    }

    @Test("one entry: the server, the query, the entry, its username, attributes and groups, and what EchoChat would grant")
    func oneEntry() {
        let bob = LDAPDiagnosis.Found(
            dn: "uid=bob,\(Self.people)", username: "Bob", displayName: "Bob Builder", email: "bob@example.org",
            groups: ["cn=support,dc=example,dc=org", "cn=staff,dc=example,dc=org"], isAllowed: true,
            identity: AuthenticatedIdentity(username: "Bob", isAdmin: false, roomGrants: [RoomGrant(room: "Support", role: .moderator)]))
        let diagnosis = LDAPDiagnosis(
            server: "ldap://127.0.0.1:3890", mode: "search", query: "(uid=bob)", users: [bob], requiredGroup: "cn=chat-users,dc=example,dc=org"
        ).authDiagnosis
        #expect(
            diagnosis.lines.map(\.description) == [
                "server:        ldap://127.0.0.1:3890 (mode search)",
                "filter:        (uid=bob)",
                "entry:         uid=bob,\(Self.people)",
                "username:      Bob",
                "display name:  Bob Builder",
                "email:         bob@example.org",
                "groups:        cn=support,dc=example,dc=org",
                "               cn=staff,dc=example,dc=org",
                "required group cn=chat-users,dc=example,dc=org: member",
                "server admin:  no",
                "room roles:    Support: moderator",
            ])
        #expect(diagnosis.username == "Bob" && diagnosis.canSignIn && diagnosis.backendName == "LDAP")
    }

    @Test("direct mode shows the DN; missing attributes, no groups, an unset admin flag and a refused group say so")
    func directMode() {
        let carol = Self.found("carol", allowed: false, identity: AuthenticatedIdentity(username: "carol"))
        let diagnosis = LDAPDiagnosis(
            server: "ldap://dir", mode: "direct", query: "uid=carol,\(Self.people)", users: [carol], requiredGroup: "cn=chat-users"
        ).authDiagnosis
        #expect(
            Array(diagnosis.lines.map(\.description)[1...]) == [
                "dn:            uid=carol,\(Self.people)",
                "entry:         uid=carol,\(Self.people)",
                "username:      carol",
                "display name:  (none; the username is used)",
                "email:         (none)",
                "groups:        (none)",
                "required group cn=chat-users: NOT a member",
                "server admin:  unchanged (no admin_groups set)",
                "room roles:    (none)",
            ])
        #expect(!diagnosis.canSignIn)
    }

    @Test("no entry, or several: nobody to sign in")
    func notOne() {
        let none = LDAPDiagnosis(server: "ldap://dir", mode: "search", query: "(uid=x)", users: [], requiredGroup: nil).authDiagnosis
        #expect(none.lines.last?.description == "result:        no entry found; this user cannot sign in through LDAP")
        #expect(none.username == nil && !none.canSignIn)
        let identity = AuthenticatedIdentity(username: "x")
        let two = LDAPDiagnosis(
            server: "ldap://dir", mode: "search", query: "(uid=x)", users: [Self.found("x", identity: identity), Self.found("y", identity: identity)],
            requiredGroup: nil
        ).authDiagnosis
        #expect(
            Array(two.lines.map(\.description)[2...]) == [
                "result:        2 entries found; logins are refused until user_filter finds exactly one", "  uid=x,\(Self.people)",
                "  uid=y,\(Self.people)",
            ])
        #expect(two.username == nil && !two.canSignIn)
    }
}
