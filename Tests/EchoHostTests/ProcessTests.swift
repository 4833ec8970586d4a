import Foundation
import Testing

/// The `echochat` executable run as an operator runs it.
@Suite("The echochat process")
struct ProcessTests {
    @Test("with no configuration files it starts on the embedded defaults")
    func startsOnDefaults() async throws {
        let directory = try TemporaryDirectory()
        let server = try ServerProcess(["serve", "--port", "0"], in: directory.path)
        let port = try await server.waitForPort()
        #expect(server.outputText.contains("EchoChat listening on http://127.0.0.1:\(port) (storage.sqlite, auth.local, subrooms.capacity)"))
        #expect(FileManager.default.fileExists(atPath: directory.file("data/echochat.sqlite")))
        let client = HTTPTestClient(port: port)
        #expect(try await client.get("/health").status == 200)
        let (access, _) = try await client.signUp("first")
        #expect(try await client.get("/api/me", token: access).status == 200)
        // The generated signing secret is private to the owner.
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.file("data/token_signing_secret"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    @Test("even at trace level the logs carry no passwords or tokens")
    func noSecretsInLogs() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("server_config.json", text: #"{"token_signing_secret": "a-configured-signing-secret-of-more-than-32-chars"}"#)
        let server = try ServerProcess(["serve", "--port", "0", "--log-level", "trace"], in: directory.path)
        let client = HTTPTestClient(port: try await server.waitForPort())
        let password = "very secret passphrase 42"
        let (access, refresh) = try await client.signUp("tracy", password: password)
        let rotated = try await client.post("/api/auth/refresh", ["refresh_token": refresh])
        let newRefresh = try #require(rotated["refresh_token"] as? String)
        _ = try await client.post("/api/auth/refresh", ["refresh_token": refresh])  // reuse: logged as a warning
        _ = try await client.login("tracy", password: "wrong \(password)")
        _ = try await client.get("/api/me?access_token=\(access)", token: access)
        server.signal(SIGTERM)
        _ = try await server.waitForExit()
        let log = server.outputText
        #expect(log.contains("refresh token reused"))
        for secret in [password, access, refresh, newRefresh, "a-configured-signing-secret"] {
            #expect(!log.contains(secret), "a secret leaked into the log")
        }
    }

    @Test("a registration answered 201 survives SIGKILL right after")
    func registrationSurvivesSIGKILL() async throws {
        let directory = try TemporaryDirectory()
        for round in 1...3 {
            let server = try ServerProcess(["serve", "--port", "0"], in: directory.path)
            let client = HTTPTestClient(port: try await server.waitForPort())
            let response = try await client.register("survivor\(round)")
            #expect(response.status == 201)
            server.signal(SIGKILL)
            _ = try await server.waitForExit()

            let restarted = try ServerProcess(["serve", "--port", "0"], in: directory.path)
            let again = HTTPTestClient(port: try await restarted.waitForPort())
            for earlier in 1...round {
                #expect(try await again.login("survivor\(earlier)").status == 200, "survivor\(earlier) after kill \(round)")
            }
            restarted.signal(SIGKILL)
            _ = try await restarted.waitForExit()
        }
    }

    @Test("every message answered 201 survives SIGKILL in the middle of concurrent posting", arguments: ["normal", "full"])
    func messagesSurviveSIGKILL(synchronous: String) async throws {
        let directory = try TemporaryDirectory()
        try directory.write("plugins.json", json: ["storage": ["plugin": "sqlite", "config": ["synchronous": synchronous]]])
        let server = try ServerProcess(["serve", "--port", "0"], in: directory.path)
        let client = HTTPTestClient(port: try await server.waitForPort())
        let (token, _) = try await client.signUp("poster")
        #expect(try await client.post("/api/rooms", ["name": "Lobby"], token: token).status == 201)
        let progress = Locked(0)
        let acknowledged = try await withThrowingTaskGroup(of: [Int].self) { group in
            for sender in 0..<8 {
                group.addTask {
                    var ids: [Int] = []
                    for index in 0..<100_000 {
                        guard let result = try? await client.post("/api/rooms/Lobby/messages", ["body": "\(sender)-\(index)"], token: token),
                            result.status == 201, let id = result["id"] as? Int
                        else { break }  // the server is gone
                        ids.append(id)
                        progress.withLock { $0 += 1 }
                    }
                    return ids
                }
            }
            // Kill once posting is well under way, however busy the machine is.
            let deadline = ContinuousClock.now + .seconds(30)
            while progress.withLock({ $0 }) < 300 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            server.signal(SIGKILL)
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        _ = try await server.waitForExit()
        #expect(acknowledged.count >= 300, "posting ran before the kill")

        let restarted = try ServerProcess(["serve", "--port", "0"], in: directory.path)
        let again = HTTPTestClient(port: try await restarted.waitForPort())
        let login = try await again.login("poster")
        let fresh = try #require(login["access_token"] as? String)
        var stored = Set<Int>()
        var before: Int?
        repeat {
            let page = try await again.get("/api/rooms/Lobby/messages?limit=100" + (before.map { "&before=\($0)" } ?? ""), token: fresh)
            for message in page["messages"] as? [[String: Any]] ?? [] { stored.insert(message["id"] as? Int ?? -1) }
            before = page["next_before"] as? Int
        } while before != nil
        let lost = Set(acknowledged).subtracting(stored)
        #expect(lost.isEmpty, "\(lost.count) of \(acknowledged.count) acknowledged messages were lost")
        restarted.signal(SIGTERM)
        _ = try await restarted.waitForExit()
    }

    @Test("the seed doc's server_config.json works unchanged; with LiveKit unreachable, tokens are still minted")
    func seedConfiguration() async throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "server_config.json",
            text: """
                {
                  "livekit_enabled": true,
                  "livekit_api_url": "http://127.0.0.1:7880",
                  "livekit_ws_url": "ws://127.0.0.1:7880",
                  "livekit_api_key": "devkey",
                  "livekit_api_secret": "secret"
                }
                """)
        let check = try await ServerProcess.run(["check-config"], in: directory.path)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("key devkey, secret set") && !check.output.contains("\"secret\""), "the secret is hidden")
        let server = try ServerProcess(["serve", "--port", "0"], in: directory.path)
        let client = HTTPTestClient(port: try await server.waitForPort())
        let (token, _) = try await client.signUp("alice")
        #expect(try await client.post("/api/rooms", ["name": "Lobby"], token: token).status == 201)
        let asked = ContinuousClock.now
        let minted = try await client.post("/api/livekit/token", ["room": "Lobby"], token: token)
        #expect(minted.status == 200, "\(minted.text)")
        // A refused connection fails the CreateRoom call at once; the token does not wait out the 5 s
        // request timeout (the slack below it is for a machine busy with other tests).
        #expect(ContinuousClock.now - asked < .milliseconds(4500), "the token waited on an unreachable LiveKit")
        #expect(minted["url"] as? String == "ws://127.0.0.1:7880" && minted["room"] as? String == "Lobby")
        let verified = try await LiveKitInterop.verify([minted["token"] as? String ?? ""], key: "devkey", secret: "secret")
        #expect(verified[0]["ok"] as? Bool == true && verified[0]["identity"] as? String == "alice")
        let metrics = try await client.get("/metrics").text
        #expect(metrics.contains(#"echochat_livekit_calls_total{method="CreateRoom",outcome="unreachable"} 1"#))
        #expect(metrics.contains(#"echochat_livekit_tokens_total{outcome="minted"} 1"#))
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        #expect(!server.outputText.contains("\"secret\"") && !server.outputText.contains(minted["token"] as? String ?? "-"))
    }

    @Test("SIGTERM and SIGINT shut the server down gracefully", arguments: [SIGTERM, SIGINT])
    func gracefulShutdown(signal: Int32) async throws {
        let directory = try TemporaryDirectory()
        let server = try ServerProcess(["--port", "0"], in: directory.path)
        _ = try await server.waitForPort()
        server.signal(signal)
        #expect(try await server.waitForExit() == 0)
        #expect(server.outputText.contains("EchoChat stopped"))
    }

    @Test("operators create the first admin, promote and disable users without a server")
    func operatorCommands() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("plugins.json", text: #"{"auth": [{"plugin": "local", "config": {"allow_registration": false}}]}"#)
        let created = try await ServerProcess.run(["user", "create", "Root", "--admin", "--password-stdin"], in: directory.path, stdin: "root password 1\n")
        #expect(created.status == 0, "\(created.output)")
        #expect(created.output.contains("created root"))
        #expect(!created.output.contains("root password 1"))
        let duplicate = try await ServerProcess.run(["user", "create", "root", "--password-stdin"], in: directory.path, stdin: "another password\n")
        #expect(duplicate.status != 0)
        #expect(duplicate.output.contains("already exists"))
        #expect(try await ServerProcess.run(["user", "create", "mallory", "--password-stdin"], in: directory.path, stdin: "mallory password\n").status == 0)
        let weak = try await ServerProcess.run(["user", "create", "weak", "--password-stdin"], in: directory.path, stdin: "short\n")
        #expect(weak.status != 0)
        // A display name that looks like another account's name, or hides characters, is refused.
        let lookalike = try await ServerProcess.run(
            ["user", "create", "rooter", "--display-name", "R\u{43E}\u{43E}t", "--password-stdin"], in: directory.path, stdin: "rooter password\n")
        #expect(lookalike.status == 1 && lookalike.output.contains("looks like the name of root; choose another"), "\(lookalike.output)")
        let hidden = try await ServerProcess.run(
            ["user", "create", "rooter", "--display-name", "ro\u{200B}ot", "--password-stdin"], in: directory.path, stdin: "rooter password\n")
        #expect(hidden.status != 0 && hidden.output.contains("--display-name must be 1–64 characters without control or invisible characters"))
        let named = try await ServerProcess.run(
            ["user", "create", "rooter", "--display-name", "Rooter Über", "--password-stdin"], in: directory.path, stdin: "rooter password\n")
        #expect(named.status == 0, "\(named.output)")

        let server = try ServerProcess(["serve", "--port", "0"], in: directory.path)
        let client = HTTPTestClient(port: try await server.waitForPort())
        let rootLogin = try await client.login("root", password: "root password 1")
        #expect((rootLogin["user"] as? [String: Any])?["is_admin"] as? Bool == true)
        let malloryLogin = try await client.login("mallory", password: "mallory password")
        let malloryToken = try #require(malloryLogin["access_token"] as? String)
        #expect((malloryLogin["user"] as? [String: Any])?["is_admin"] as? Bool == false)

        // Runs while the server is up, on the same database.
        #expect(try await ServerProcess.run(["user", "set-admin", "Mallory"], in: directory.path).status == 0)
        let me = try await client.get("/api/me", token: malloryToken)
        #expect((me["user"] as? [String: Any])?["is_admin"] as? Bool == true)

        let disabled = try await ServerProcess.run(["user", "disable", "mallory"], in: directory.path)
        #expect(disabled.status == 0)
        #expect(disabled.output.contains("ended 1 session"))
        #expect(try await client.get("/api/me", token: malloryToken).status == 401)
        let refused = try await client.login("mallory", password: "mallory password")
        #expect(refused.status == 403)
        #expect(refused.errorCode == "account_disabled")
        #expect(try await ServerProcess.run(["user", "enable", "mallory"], in: directory.path).status == 0)
        #expect(try await client.login("mallory", password: "mallory password").status == 200)
        #expect(try await ServerProcess.run(["user", "disable", "nobody"], in: directory.path).status != 0)
        server.signal(SIGTERM)
        _ = try await server.waitForExit()
    }
}
