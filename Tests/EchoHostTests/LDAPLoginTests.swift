import EchoTestSupport
import Foundation
import Testing

@testable import EchoChatServer

/// The LDAP-then-local auth chain through the real composition root.
@Suite("LDAP login through the server")
struct LDAPLoginTests {
    static func plugins(_ directory: LDAPTestDirectory, _ overrides: [String: Any] = [:]) -> [String: Any] {
        ["auth": [["plugin": "ldap", "config": directory.config(overrides)], TestServer.fastLocalAuth]]
    }

    static func role(of username: String, in room: String, client: HTTPTestClient, token: String) async throws -> String? {
        let members = try await client.get("/api/rooms/\(room)/members", token: token)["members"] as? [[String: Any]] ?? []
        return members.first { (($0["user"] as? [String: Any])?["username"] as? String) == username }?["role"] as? String
    }

    @Test("directory and local users side by side; one account per name, whatever its case; no takeover across sources")
    func chain() async throws {
        let directory = try await LDAPTestDirectory.make()
        try await TestServer.run(plugins: Self.plugins(directory)) { client, _ in
            let first = try await client.login("alice", password: "alice-pw")
            #expect(first.status == 200)
            let alice = try #require(first["user"] as? [String: Any])
            #expect(alice["username"] as? String == "alice" && alice["auth_source"] as? String == "ldap")
            #expect(alice["display_name"] as? String == "Alice Liddell")
            for spelling in ["Alice", "ALICE"] {
                let again = try await client.login(spelling, password: "alice-pw")
                #expect((again["user"] as? [String: Any])?["id"] as? Int == alice["id"] as? Int, "\(spelling)")
            }
            for (name, password) in [("alice", "wrong"), ("alice", ""), ("nobody", "x"), ("carol", "carol-pw")] {
                let refused = try await client.login(name, password: password)
                #expect(refused.status == 401 && refused.errorCode == "invalid_credentials", "\(name)/\(password)")
            }
            // Local accounts for bots and a break-glass admin sit beside the directory.
            #expect(try await client.register("chatbot").status == 201)
            #expect(try await client.login("chatbot").status == 200)
            // A name the directory knows cannot be registered locally, even before its first login.
            for taken in ["bob", "Alice", "carol"] {
                #expect(try await client.register(taken).errorCode == "username_taken", "\(taken)")
            }
            // A local account keeps its name when the directory later gets a person of that name.
            try directory.addPerson(uid: "chatbot", cn: "Impostor", password: "impostor-pw")
            try directory.addMember(directory.dn("chatbot"), to: directory.group("chat-users"))
            #expect(try await client.login("chatbot", password: "impostor-pw").status == 401)
            let bot = try await client.login("chatbot")
            #expect((bot["user"] as? [String: Any])?["auth_source"] as? String == "local")
        }
    }

    @Test("admin_groups make server admins; room_roles give room roles; profile and groups refresh at login and refresh")
    func groupsAndProfile() async throws {
        let directory = try await LDAPTestDirectory.make()
        let plugins = Self.plugins(directory, [
            "admin_groups": [directory.group("chat-admins")],
            "room_roles": [
                ["group": directory.group("support"), "room": "Support", "role": "moderator"],
                ["group": directory.group("chat-users"), "room": "Company"],
            ],
        ])
        try await TestServer.run(plugins: plugins) { client, _ in
            let dave = try await client.login("dave", password: "dave-pw")
            #expect((dave["user"] as? [String: Any])?["is_admin"] as? Bool == true)
            let daveToken = try #require(dave["access_token"] as? String)
            #expect(try await client.post("/api/rooms", ["name": "Support", "visibility": "private"], token: daveToken).status == 201)
            #expect(try await client.post("/api/rooms", ["name": "Company"], token: daveToken).status == 201)

            let bobLogin = try await client.login("bob", password: "bob-pw")
            #expect((bobLogin["user"] as? [String: Any])?["is_admin"] as? Bool == false)
            let bob = try #require(bobLogin["access_token"] as? String)
            #expect(try await Self.role(of: "bob", in: "Support", client: client, token: daveToken) == "moderator")
            #expect(try await Self.role(of: "bob", in: "Company", client: client, token: daveToken) == "member")
            #expect(try await client.get("/api/rooms/Support/messages", token: bob).status == 200)
            let alice = try #require(try await client.login("alice", password: "alice-pw")["access_token"] as? String)
            #expect(try await client.get("/api/rooms/Support", token: alice).status == 404)

            // The directory changes: bob leaves support, gets a new name.
            try directory.removeMember(directory.dn("bob"), from: directory.group("support"))
            try directory.replace("cn", of: directory.dn("bob"), with: "Robert Builder")
            let bobRefresh = try #require(bobLogin["refresh_token"] as? String)
            let refreshed = try await client.post("/api/auth/refresh", ["refresh_token": bobRefresh])
            #expect(refreshed.status == 200)
            #expect((refreshed["user"] as? [String: Any])?["display_name"] as? String == "Robert Builder")
            #expect(try await Self.role(of: "bob", in: "Support", client: client, token: daveToken) == nil)
            #expect(try await client.get("/api/rooms/Support", token: refreshed["access_token"] as? String).status == 404)

            // Dave leaves chat-admins: no longer a server admin at his next login.
            try directory.removeMember(directory.dn("dave"), from: directory.group("chat-admins"))
            #expect((try await client.login("dave", password: "dave-pw")["user"] as? [String: Any])?["is_admin"] as? Bool == false)
        }
    }

    @Test("a directory display name that looks like another account's name gives way to the username; the login goes ahead")
    func lookalikeDirectoryNames() async throws {
        let directory = try await LDAPTestDirectory.make()
        try await TestServer.run(plugins: Self.plugins(directory, ["sync_interval_seconds": 1])) { client, _ in
            func displayName(_ login: HTTPResult) -> String? { (login["user"] as? [String: Any])?["display_name"] as? String }
            #expect(displayName(try await client.login("alice", password: "alice-pw")) == "Alice Liddell")
            // First login (a new account): the directory's name looks like alice's.
            try directory.addPerson(uid: "eve", cn: "A1ice Liddell")
            try directory.addMember(directory.dn("eve"), to: directory.group("chat-users"))
            let eve = try await client.login("eve", password: "eve-pw")
            #expect(eve.status == 200)
            #expect(displayName(eve) == "eve")
            // A later login: the directory renames bob to look like alice; a refresh keeps his username.
            let bob = try await client.login("bob", password: "bob-pw")
            #expect(displayName(bob) == "Bob Builder")
            try directory.replace("cn", of: directory.dn("bob"), with: "ALICE LIDDELL")
            let refreshed = try await client.post("/api/auth/refresh", ["refresh_token": bob["refresh_token"] as? String ?? ""])
            #expect(refreshed.status == 200)
            #expect(displayName(refreshed) == "bob")
            // His old name is free again: the index follows renames.
            #expect(try await LookalikeNameTests.register(client, "builder", "Bob Builder").status == 201)
            // Alice keeps her own name, at login and through the sync.
            #expect(displayName(try await client.login("alice", password: "alice-pw")) == "Alice Liddell")
            try directory.replace("cn", of: directory.dn("eve"), with: "Eve Online")
            var synced: String?
            for _ in 0..<40 where synced != "Eve Online" {
                try await Task.sleep(for: .milliseconds(250))
                synced = displayName(try await client.get("/api/me", token: eve["access_token"] as? String))
            }
            #expect(synced == "Eve Online", "the sync applies a name that looks like no one's")
        }
    }

    @Test("removed from required_group or from the directory: no login, no refresh")
    func removal() async throws {
        let directory = try await LDAPTestDirectory.make()
        try await TestServer.run(plugins: Self.plugins(directory)) { client, _ in
            let alice = try await client.login("alice", password: "alice-pw")
            let bob = try await client.login("bob", password: "bob-pw")
            try directory.removeMember(directory.dn("Alice"), from: directory.group("chat-users"))
            try directory.deletePerson("bob")
            for (name, login) in [("alice", alice), ("bob", bob)] {
                let refresh = try await client.post("/api/auth/refresh", ["refresh_token": login["refresh_token"] as? String ?? ""])
                #expect(refresh.status == 401 && refresh.errorCode == "invalid_refresh_token", "\(name)")
                // The session is over: its access token stops working too.
                #expect(try await client.get("/api/me", token: login["access_token"] as? String).status == 401, "\(name)")
                #expect(try await client.login(name, password: "\(name)-pw").status == 401, "\(name)")
            }
            // Back in the group, alice may sign in again.
            try directory.addMember(directory.dn("Alice"), to: directory.group("chat-users"))
            #expect(try await client.login("alice", password: "alice-pw").status == 200)
        }
    }

    @Test("a sync closes the open socket of a removed user at once and leaves everyone else alone")
    func syncClosesSockets() async throws {
        let directory = try await LDAPTestDirectory.make()
        try await TestServer.run(plugins: Self.plugins(directory, ["sync_interval_seconds": 1])) { client, _ in
            let bob = try #require(try await client.login("bob", password: "bob-pw")["access_token"] as? String)
            let alice = try #require(try await client.login("alice", password: "alice-pw")["access_token"] as? String)
            let bobSocket = TestSocket(port: client.port, query: "access_token=\(bob)")
            let aliceSocket = TestSocket(port: client.port, query: "access_token=\(alice)")
            #expect(await bobSocket.next(type: "ready") != nil)
            #expect(await aliceSocket.next(type: "ready") != nil)
            try directory.deletePerson("bob")
            let clock = ContinuousClock()
            let start = clock.now
            #expect(await bobSocket.closed(timeout: .seconds(10)) != nil)
            #expect(clock.now - start < .seconds(5), "closed by the sync, not by a later check")
            #expect(try await client.get("/api/me", token: bob).status == 401)
            #expect(try await client.get("/api/me", token: alice).status == 200)
            aliceSocket.disconnect()
        }
    }

    @Test("a sync against an empty or unreachable directory deactivates nobody")
    func syncSafety() async throws {
        let server = try SlapdServer.start()
        defer { server.pause() }
        let directory = try await LDAPTestDirectory.make(on: server)
        try await TestServer.run(plugins: Self.plugins(directory, ["sync_interval_seconds": 1, "required_group": NSNull()])) { client, _ in
            var tokens: [String: String] = [:]
            for name in ["alice", "bob", "dave"] {
                tokens[name] = try #require(try await client.login(name, password: "\(name)-pw")["access_token"] as? String)
            }
            let socket = TestSocket(port: client.port, query: "access_token=\(tokens["alice"]!)")
            #expect(await socket.next(type: "ready") != nil)

            // Everyone gone at once looks like a broken directory: nobody is changed.
            try directory.deleteEveryone()
            try await Self.waitForSync("refused_all_gone", after: try await Self.syncCount("refused_all_gone", client: client), client: client)
            for (name, token) in tokens {
                #expect(try await client.get("/api/me", token: token).status == 200, "\(name) after an empty sync")
            }
            // The directory stops answering: syncs fail and change nobody either.
            let failedBefore = try await Self.syncCount("failed", client: client)
            server.pause()
            try await Self.waitForSync("failed", after: failedBefore, client: client)
            for (name, token) in tokens {
                #expect(try await client.get("/api/me", token: token).status == 200, "\(name) while the directory is down")
            }
            #expect(await socket.closed(timeout: .milliseconds(100)) == nil)
            socket.disconnect()
        }
    }

    /// How many directory syncs ended with `outcome`, from /metrics.
    static func syncCount(_ outcome: String, client: HTTPTestClient) async throws -> Int {
        let metrics = try await client.get("/metrics").text
        for line in metrics.split(separator: "\n") where line.hasPrefix("echochat_directory_syncs_total") && line.contains("outcome=\"\(outcome)\"") {
            return Int(Double(line.split(separator: " ").last ?? "") ?? 0)
        }
        return 0
    }

    /// Waits until a directory sync with `outcome` has run after the count was `count`.
    static func waitForSync(_ outcome: String, after count: Int, client: HTTPTestClient) async throws {
        for _ in 0..<100 {
            if try await syncCount(outcome, client: client) > count { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("no directory sync with outcome \(outcome) within 10 s")
    }

    @Test("allow_deactivate_all lets a sync remove everyone")
    func syncAllowedToRemoveAll() async throws {
        let directory = try await LDAPTestDirectory.make()
        let plugins = Self.plugins(directory, ["sync_interval_seconds": 1, "allow_deactivate_all": true])
        try await TestServer.run(plugins: plugins) { client, _ in
            let alice = try #require(try await client.login("alice", password: "alice-pw")["access_token"] as? String)
            try directory.deleteEveryone()
            var status = 200
            for _ in 0..<50 where status == 200 {
                try await Task.sleep(for: .milliseconds(100))
                status = try await client.get("/api/me", token: alice).status
            }
            #expect(status == 401)
        }
    }

    @Test("directory down: 503 auth_backend_unavailable within the timeouts; local users still sign in")
    func directoryDown() async throws {
        let server = try SlapdServer.start()
        defer { server.pause() }
        let directory = try await LDAPTestDirectory.make(on: server)
        let silent = try SilentListener()
        defer { silent.close() }
        let plugins = Self.plugins(directory, [
            "uris": [server.ldapURI, "ldap://127.0.0.1:\(silent.port)"], "connect_timeout_ms": 500, "operation_timeout_ms": 1000,
            // Long enough that the servers stay marked down through the burst below, however slow
            // the steps before it run on a loaded machine.
            "server_retry_seconds": 60,
        ])
        try await TestServer.run(plugins: plugins) { client, _ in
            #expect(try await client.register("breakglass").status == 201)
            let alice = try await client.login("alice", password: "alice-pw")
            #expect(alice.status == 200)
            server.pause()
            let clock = ContinuousClock()
            let start = clock.now
            let down = try await client.login("alice", password: "alice-pw")
            #expect(down.status == 503 && down.errorCode == "auth_backend_unavailable")
            // One refusal and one operation timeout (the plugin tests measure that where libldap runs); no hang.
            #expect(clock.now - start < .seconds(10), "took \(clock.now - start)")
            #expect(!down.text.contains(server.adminPassword))
            #expect(try await client.login("breakglass").status == 200)
            // Whether a new name is a directory user's cannot be asked now: no registration.
            #expect(try await client.register("newcomer").errorCode == "auth_backend_unavailable")
            // While the directory cannot answer, a refresh keeps the session going.
            #expect(try await client.post("/api/auth/refresh", ["refresh_token": alice["refresh_token"] as? String ?? ""]).status == 200)
            // Not wrong passwords: the failed attempts do not count towards the login limit, and
            // the circuit breaker answers them at once.
            let burst = clock.now
            for _ in 0..<12 { _ = try await client.login("alice", password: "alice-pw") }
            #expect(try await client.login("alice", password: "alice-pw").status == 503)
            // Without the breaker each of the 13 would wait out the silent server's 1 s timeout.
            #expect(clock.now - burst < .seconds(10), "took \(clock.now - burst)")
        }
    }

    @Test("odd usernames over HTTP never sign in as anyone", arguments: [
        "*", "admin)(|(uid=*", "*)(uid=*))(|(uid=*", "admin\\", "admin\u{0}", "admin,ou=people", "uid=admin", "admin+x", "#admin",
        " admin", "admin ", "ädmin", "admin*",
    ])
    func oddUsernames(username: String) async throws {
        let directory = try await LDAPTestDirectory.make()
        try await TestServer.run(plugins: Self.plugins(directory)) { client, _ in
            for password in ["admin-pw", "*"] {
                let result = try await client.login(username, password: password)
                #expect(result.status == 401 && result.errorCode == "invalid_credentials", "\(username.debugDescription)")
            }
            #expect(try await client.login("admin", password: "admin-pw").status == 200)
        }
    }
}

@Suite("echochat ldap test")
struct LDAPCommandTests {
    @Test("shows the server, the entry, attributes, groups and grants without a password; exit status says whether the user can sign in")
    func diagnose() async throws {
        let ldap = try await LDAPTestDirectory.make()
        let directory = try TemporaryDirectory()
        try directory.write("ldap-password", text: ldap.server.adminPassword + "\n")
        var config = ldap.config([
            "admin_groups": [ldap.group("chat-admins")],
            "room_roles": [["group": ldap.group("support"), "room": "Support", "role": "moderator"]],
            "bind_password_file": directory.file("ldap-password"),
        ])
        config["bind_password"] = nil
        try directory.write("plugins.json", json: ["auth": [["plugin": "ldap", "config": config], ["plugin": "local"]]])

        let bob = try await ServerProcess.run(["ldap", "test", "Bob"], in: directory.path)
        #expect(bob.status == 0, "\(bob.output)")
        for expected in [
            "server:        \(ldap.server.ldapURI) (mode search)", "(uid=bob)", "entry:         \(ldap.dn("bob"))",
            "display name:  Bob Builder", "email:         bob@example.org", ldap.group("support"), "required group", ": member",
            "server admin:  no", "room roles:    Support: moderator", "account:       none yet", "verdict:       can sign in",
        ] {
            #expect(bob.output.contains(expected), "missing \(expected.debugDescription) in:\n\(bob.output)")
        }
        #expect(!bob.output.contains(ldap.server.adminPassword))

        let dave = try await ServerProcess.run(["ldap", "test", "dave"], in: directory.path)
        #expect(dave.status == 0 && dave.output.contains("server admin:  yes"), "\(dave.output)")

        let carol = try await ServerProcess.run(["ldap", "test", "carol"], in: directory.path)
        #expect(carol.status == 1 && carol.output.contains("NOT a member") && carol.output.contains("cannot sign in"), "\(carol.output)")

        // The operator cannot create a local account under a directory user's name.
        let clash = try await ServerProcess.run(["user", "create", "bob", "--password-stdin"], in: directory.path, stdin: "local password 1\n")
        #expect(clash.status != 0 && clash.output.contains("auth.ldap knows bob"), "\(clash.output)")
        let bot = try await ServerProcess.run(["user", "create", "buildbot", "--password-stdin"], in: directory.path, stdin: "local password 1\n")
        #expect(bot.status == 0, "\(bot.output)")

        let nobody = try await ServerProcess.run(["ldap", "test", "nobody"], in: directory.path)
        #expect(nobody.status == 1 && nobody.output.contains("no entry found"), "\(nobody.output)")

        let injected = try await ServerProcess.run(["ldap", "test", "*"], in: directory.path)
        #expect(injected.status == 1 && injected.output.contains("can never sign in"), "\(injected.output)")

        // A directory that does not answer is reported as such.
        config["uris"] = ["ldap://127.0.0.1:\(try freeLoopbackPort())"]
        try directory.write("plugins.json", json: ["auth": [["plugin": "ldap", "config": config]]])
        let down = try await ServerProcess.run(["ldap", "test", "bob"], in: directory.path)
        #expect(down.status == 1 && down.output.contains("the directory did not answer"), "\(down.output)")
        #expect(!down.output.contains(ldap.server.adminPassword))
    }

    @Test("echochat doctor binds the service account and finds base_dn; a wrong password, a missing base_dn and a dead server are errors with a fix")
    func doctor() async throws {
        let ldap = try await LDAPTestDirectory.make()
        let directory = try TemporaryDirectory()
        try directory.write("server_config.json", json: ["data_dir": directory.file("data")])
        func doctor(_ overrides: [String: Any]) async throws -> (status: Int32, output: String) {
            try directory.write("plugins.json", json: ["auth": [["plugin": "ldap", "config": ldap.config(overrides)], ["plugin": "local"]]])
            return try await ServerProcess.run(["doctor"], in: directory.path)
        }
        let healthy = try await doctor([:])
        #expect(healthy.status == 0, "\(healthy.output)")
        #expect(
            healthy.output.contains("[ok]      auth.ldap: \(ldap.server.ldapURI) answered, bound as \(SlapdServer.adminDN), base_dn \(ldap.people) found"),
            "\(healthy.output)")
        #expect(healthy.output.contains("[ok]      auth.local:"))

        let cases: [([String: Any], String)] = [
            (["bind_password": "not-the-password"], "Invalid credentials"),
            (["base_dn": "ou=nowhere,\(ldap.people)"], "No such object"),
            (["uris": ["ldap://127.0.0.1:\(try freeLoopbackPort())"]], "[error]   auth.ldap:"),
        ]
        for (overrides, expected) in cases {
            let result = try await doctor(overrides)
            #expect(result.status == 1, "\(overrides): \(result.output)")
            #expect(result.output.contains("[error]   auth.ldap:") && result.output.contains(expected), "\(overrides): \(result.output)")
            #expect(result.output.contains("Fix: check uris, bind_dn"))
            #expect(!result.output.contains(ldap.server.adminPassword) && !result.output.contains("not-the-password"))
        }
    }
}
