import Foundation
import Synchronization
import Testing

/// Swapping the sub-room strategy of a running `echochat` with SIGHUP and `echochat reload`.
@Suite("Reloading the sub-room strategy")
struct StrategyReloadTests {
    /// A server on LiveKit settings whose RoomService is unreachable (tokens are minted anyway),
    /// with a short reservation so that seats nobody asks for again lapse within seconds.
    static func serverConfig(_ directory: borrowing TemporaryDirectory) -> [String: Any] {
        [
            "data_dir": directory.file("data"), "token_signing_secret": TestServer.signingSecret,
            "livekit_enabled": true, "livekit_api_url": "http://127.0.0.1:9", "livekit_ws_url": "ws://127.0.0.1:9",
            "livekit_api_key": "reload-key", "livekit_api_secret": "reload-secret-reload-secret-reload-secret",
            "livekit_reservation_seconds": 5, "livekit_subroom_capacity": 1000, "livekit_max_subrooms": 100,
            "rate_limit_register": "off", "rate_limit_login": "off", "rate_limit_login_per_address": "off", "rate_limit_livekit_token": "off",
        ]
    }

    /// Starts `echochat serve` with an administrator `root`; answers the process, a client and
    /// root's access token.
    static func start(_ directory: borrowing TemporaryDirectory, plugins: [String: Any]) async throws -> (ServerProcess, HTTPTestClient, String) {
        try directory.write("server_config.json", json: serverConfig(directory))
        try directory.write("plugins.json", json: plugins)
        let created = try await ServerProcess.run(["user", "create", "root", "--admin", "--password-stdin"], in: directory.path, stdin: "root password 1\n")
        guard created.status == 0 else { throw TestFailure("user create root failed: \(created.output)") }
        let server = try ServerProcess(["serve", "--port", "0"], in: directory.path)
        let client = HTTPTestClient(port: try await server.waitForPort())
        let login = try await client.login("root", password: "root password 1")
        return (server, client, try #require(login["access_token"] as? String))
    }

    /// The active revision, as `GET /api/admin/strategy` says.
    static func revision(_ client: HTTPTestClient, admin: String) async throws -> String {
        let status = try await client.get("/api/admin/strategy", token: admin)
        return try #require((status["active"] as? [String: Any])?["revision"] as? String, "\(status.text)")
    }

    /// Sends SIGHUP and waits until the active revision is no longer `old`; answers the new one.
    static func hangUp(_ server: ServerProcess, _ client: HTTPTestClient, admin: String, replacing old: String) async throws -> String {
        server.signal(SIGHUP)
        for _ in 0..<200 {
            let now = try await revision(client, admin: admin)
            if now != old { return now }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("the revision did not change after SIGHUP:\n\(server.outputText)")
    }

    /// What the load saw: every answer with when its request was sent.
    final class Answers: Sendable {
        struct Answer: Sendable {
            let sent: ContinuousClock.Instant
            let latency: Duration
            let status: Int
            let room: String
            let subroom: Int?
            let error: String?
        }

        private let answers = Mutex<[Answer]>([])
        func add(_ answer: Answer) { answers.withLock { $0.append(answer) } }
        var all: [Answer] { answers.withLock { $0 } }
    }

    @Test("SIGHUP swaps capacity for a module and the module for load-weighted under 100 token requests a second from 32 clients")
    func swapsUnderLoad() async throws {
        let directory = try TemporaryDirectory()
        let module = try await StrategyFixtures.module("second")
        let clients = 32
        let usersPerClient = 30  // each user asks every 9.6 s, well after their 5 s reservation lapsed
        let capacity: [String: Any] = ["plugin": "capacity", "config": ["capacity": 1000]]
        let (server, client, admin) = try await Self.start(directory, plugins: ["auth": [TestServer.fastLocalAuth], "subrooms": capacity])
        defer { server.signal(SIGTERM) }
        let first = try await Self.revision(client, admin: admin)
        #expect(first.hasPrefix("capacity:"))

        // One room per client, so that each decision sees a few seats, as voice channels do.
        var tokens: [[String]] = []
        for number in 0..<clients {
            let room = "load\(number)"
            #expect(try await client.post("/api/rooms", ["name": room], token: admin).status == 201)
            let names = (0..<usersPerClient).map { "u\(number)x\($0)" }
            let joined = try await client.signUpAndJoin(names, room: room)
            tokens.append(names.map { joined[$0]! })
        }

        let answers = Answers()
        let clock = ContinuousClock()
        let start = clock.now
        let period = Duration.milliseconds(320)  // 32 clients × one request per 320 ms = 100 a second
        let duration = Duration.seconds(24)
        let loadTokens = tokens
        async let load: Void = withTaskGroup(of: Void.self) { group in
            for number in 0..<clients {
                group.addTask {
                    let room = "load\(number)"
                    var next = start + period * Double(number) / Double(clients)
                    var turn = 0
                    while next < start + duration {
                        try? await clock.sleep(until: next)
                        let sent = clock.now
                        let token = loadTokens[number][turn % usersPerClient]
                        turn += 1
                        next += period
                        do {
                            let answer = try await client.post("/api/livekit/token", ["room": room], token: token)
                            answers.add(
                                .init(
                                    sent: sent, latency: clock.now - sent, status: answer.status, room: room, subroom: answer["subroom"] as? Int,
                                    error: answer.errorCode))
                        } catch {
                            answers.add(.init(sent: sent, latency: clock.now - sent, status: 0, room: room, subroom: nil, error: "\(error)"))
                        }
                    }
                }
            }
        }

        // capacity, then the module (everyone to sub-room 2), then load-weighted (one per sub-room).
        try await clock.sleep(until: start + .seconds(6))
        try directory.write("plugins.json", json: ["auth": [TestServer.fastLocalAuth], "subrooms": StrategyFixtures.wasm(module, ["capacity": 1000])])
        let firstHangUp = clock.now
        let second = try await Self.hangUp(server, client, admin: admin, replacing: first)
        let moduleFrom = clock.now
        #expect(second.hasPrefix("wasm:"))
        try await clock.sleep(until: start + .seconds(13))
        try directory.write(
            "plugins.json",
            json: [
                "auth": [TestServer.fastLocalAuth],
                "subrooms": [
                    "plugin": "load-weighted",
                    "config": ["load_limit": 1, "max_subrooms": 100, "weights": ["screen_share": 1, "camera": 1, "microphone": 1, "listener": 1]],
                ],
            ])
        let secondHangUp = clock.now
        let third = try await Self.hangUp(server, client, admin: admin, replacing: second)
        let weightedFrom = clock.now
        #expect(third.hasPrefix("load-weighted:"))

        // Once the module's seats have lapsed, every sub-room holds at most one person.
        try await clock.sleep(until: weightedFrom + .seconds(6))
        var crowded: [String] = []
        for number in 0..<clients {
            let voice = try await client.get("/api/rooms/load\(number)/voice", token: tokens[number][0])
            for subroom in voice["subrooms"] as? [[String: Any]] ?? [] {
                let seats = (subroom["participants"] as? [Any] ?? []).count  // joined and joining
                if seats > 1 { crowded.append("load\(number) sub-room \(subroom["index"] ?? "?"): \(seats)") }
            }
        }
        #expect(crowded.isEmpty, "load-weighted with load_limit 1 seats one person per sub-room: \(crowded)")
        await load

        let all = answers.all
        let lastSent = all.map(\.sent).max() ?? start
        #expect(all.count == 2400 && lastSent < start + duration + .seconds(3), "the clients kept 100 requests a second for 24 s")
        let failed = all.filter { $0.status != 200 }
        #expect(failed.isEmpty, "every token request succeeded across the swaps: \(failed.prefix(5).map { "\($0.status) \($0.error ?? "")" })")
        let slowest = all.map(\.latency).max() ?? .zero
        #expect(slowest < .seconds(10), "no request waited as long as the request timeout: slowest \(slowest)")
        // Answered before the first SIGHUP: capacity decided. Sent once the module's revision
        // showed, answered before the second SIGHUP: the module decided (every user's earlier
        // seat had lapsed by then: each asks every 9.6 s).
        let beforeModule = all.filter { $0.sent + $0.latency < firstHangUp && $0.status == 200 }
        #expect(!beforeModule.isEmpty && beforeModule.allSatisfy { $0.subroom == 1 }, "capacity seats everyone in sub-room 1")
        let underModule = all.filter { $0.sent > moduleFrom && $0.sent + $0.latency < secondHangUp && $0.status == 200 }
        #expect(!underModule.isEmpty && underModule.allSatisfy { $0.subroom == 2 }, "the module seats everyone in sub-room 2")
        let underWeighted = all.filter { $0.sent > weightedFrom + .seconds(1) && $0.status == 200 }
        #expect(Set(underWeighted.compactMap(\.subroom)).count > 2, "load-weighted spreads people over sub-rooms")

        // The revision is visible in /metrics and in the audit log, with what triggered it.
        let metrics = try await client.get("/metrics").text
        #expect(metrics.contains(#"echochat_strategy_info{plugin="load-weighted",revision="\#(third)"} 1"#))
        #expect(!metrics.contains(first) && !metrics.contains(second))
        let audit = try await client.get("/api/admin/audit", token: admin)
        let entries = audit["entries"] as? [[String: Any]] ?? []
        let swaps = entries.filter { $0["action"] as? String == "strategy.swapped" }
        #expect(swaps.count == 2)
        #expect(swaps.allSatisfy { $0["actor"] as? String == "SIGHUP" })
        #expect(swaps.compactMap { ($0["details"] as? [String: Any])?["revision"] as? String }.sorted() == [second, third].sorted())
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    @Test("a reload naming a broken module, or a module that rejects its settings, keeps the old strategy and says why; a storage change needs a restart")
    func failedReloads() async throws {
        let directory = try TemporaryDirectory()
        let module = try await StrategyFixtures.module("second")
        let plugins: [String: Any] = ["auth": [TestServer.fastLocalAuth], "subrooms": ["plugin": "capacity"]]
        let (server, client, admin) = try await Self.start(directory, plugins: plugins)
        defer { server.signal(SIGTERM) }
        let first = try await Self.revision(client, admin: admin)
        #expect(try await client.post("/api/rooms", ["name": "lobby"], token: admin).status == 201)

        // Not a WebAssembly module at all.
        try directory.write("broken.wasm", text: "this is not WebAssembly")
        try directory.write("plugins.json", json: plugins.merging(["subrooms": StrategyFixtures.wasm("broken.wasm")]) { $1 })
        let broken = try await ServerProcess.run(["reload"], in: directory.path)
        #expect(broken.status == 1)
        #expect(broken.output.contains("the sub-room strategy was not changed") && broken.output.contains("broken.wasm"), "\(broken.output)")
        #expect(try await Self.revision(client, admin: admin) == first)

        // A module whose configure rejects its settings, with the module's own reason.
        try directory.write("plugins.json", json: plugins.merging(["subrooms": StrategyFixtures.wasm(module, ["settings": ["spread": true]])]) { $1 })
        let rejected = try await ServerProcess.run(["reload"], in: directory.path)
        #expect(rejected.status == 1)
        #expect(rejected.output.contains("this strategy takes no settings"), "\(rejected.output)")
        #expect(try await Self.revision(client, admin: admin) == first)

        // The same by SIGHUP: the log says why, and the audit log keeps the failure.
        server.signal(SIGHUP)
        var logged = false
        for _ in 0..<100 where !logged {
            try await Task.sleep(for: .milliseconds(50))
            logged = server.outputText.components(separatedBy: "this strategy takes no settings").count > 1
        }
        #expect(logged, "the server logs why the reload failed")
        let token = try await client.post("/api/livekit/token", ["room": "lobby"], token: admin)
        #expect(token.status == 200 && token["subroom"] as? Int == 1, "capacity still decides")

        // A storage change is not applied; the strategy stays as it is.
        try directory.write(
            "plugins.json",
            json: plugins.merging(["storage": ["plugin": "sqlite", "config": ["path": directory.file("other.sqlite")]]]) { $1 })
        let storage = try await ServerProcess.run(["reload"], in: directory.path)
        #expect(storage.status == 0)
        #expect(storage.output.contains("the storage slot") && storage.output.contains("after a restart"), "\(storage.output)")
        #expect(storage.output.contains("the sub-room strategy is unchanged"))
        #expect(try await Self.revision(client, admin: admin) == first)
        #expect(!FileManager.default.fileExists(atPath: directory.file("other.sqlite")))

        let audit = try await client.get("/api/admin/audit", token: admin)
        let actions = (audit["entries"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
        #expect(actions.filter { $0 == "strategy.reload_failed" }.count == 3)
        #expect(!actions.contains("strategy.swapped"))
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }
}
