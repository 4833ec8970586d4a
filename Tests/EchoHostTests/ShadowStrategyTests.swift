@testable import EchoChatServer
import EchoPluginAPI
import Foundation
import Prometheus
import Testing

/// `subrooms_shadow`: a second strategy asked on every real decision, compared, never obeyed.
@Suite("The shadow strategy")
struct ShadowStrategyTests {
    static func config() -> [String: Any] {
        LiveKitTests.config(nil, ["rate_limit_login": "off"])
    }

    /// Signs up `names` (the first one a server administrator and the owner of `Lobby`, which
    /// the others join); answers their access tokens.
    static func people(_ names: [String], _ client: HTTPTestClient, _ setup: HostSetup) async throws -> [String: String] {
        let (owner, _) = try await client.signUp(names[0])
        #expect(try await client.post("/api/rooms", ["name": "Lobby"], token: owner).status == 201)
        // The control client blocks its thread: off the cooperative pool, which the server shares.
        let socket = ControlRequest.socketPath(in: setup.server.dataDirectory)
        let answer = try await ThreadPoolExecutor().run { try ControlClient.send(ControlRequest(command: .setAdmin, username: names[0]), to: socket) }
        #expect(answer?.ok == true)
        var tokens = try await client.signUpAndJoin(Array(names.dropFirst()), room: "Lobby")
        tokens[names[0]] = owner
        return tokens
    }

    /// Polls the strategy status until `done` holds.
    static func status(
        _ client: HTTPTestClient, admin: String, until done: @escaping ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        var status: [String: Any] = [:]
        for _ in 0..<300 {
            status = try await client.get("/api/admin/strategy", token: admin).json
            if done(status) { return status }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("the shadow did not catch up: \(status)")
    }

    @Test("a shadow that always disagrees is counted, its disagreements are readable, and they replay with strategy simulate --explain")
    func disagreeingShadow() async throws {
        let module = try await StrategyFixtures.module("second")
        let plugins: [String: Any] = [
            "auth": [TestServer.fastLocalAuth], "subrooms": ["plugin": "capacity"], "subrooms_shadow": StrategyFixtures.wasm(module),
        ]
        let file = try TemporaryDirectory()
        try await TestServer.run(config: Self.config(), plugins: plugins) { client, setup in
            let names = ["ada", "bob", "cyd"]
            let tokens = try await Self.people(names, client, setup)
            let admin = tokens["ada"]!
            for name in names {
                let minted = try await LiveKitTests.token(client, "Lobby", tokens[name])
                #expect(minted.status == 200 && minted["subroom"] as? Int == 1, "capacity decides: \(minted.text)")
            }
            let status = try await Self.status(client, admin: admin) { ($0["shadow_disagreements"] as? Int) == 3 }
            #expect(status["shadow_agreements"] as? Int == 0)
            #expect(status["shadow_failures"] as? Int == 0)
            let shadow = try #require(status["shadow"] as? [String: Any])
            #expect(shadow["plugin"] as? String == "wasm")
            #expect((shadow["revision"] as? String)?.hasPrefix("wasm:") == true)
            #expect((status["active"] as? [String: Any])?["plugin"] as? String == "capacity")

            let metrics = try await client.get("/metrics").text
            #expect(metrics.contains("echochat_strategy_shadow_disagreements_total 3"))
            #expect(metrics.contains("echochat_strategy_shadow_agreements_total 0"))

            let log = try await client.get("/api/admin/strategy/disagreements", token: admin)
            let entries = log["disagreements"] as? [[String: Any]] ?? []
            #expect(entries.count == 3)
            for entry in entries {
                #expect((entry["decision"] as? [String: Any])?["subroom"] as? Int == 1)
                #expect((entry["shadow_decision"] as? [String: Any])?["subroom"] as? Int == 2)
                let snapshot = try #require(entry["snapshot"] as? [String: Any])
                #expect(snapshot["room"] as? String == "Lobby")
                #expect((snapshot["request"] as? [String: Any])?["user_id"] is String)
            }
            // The third decision saw the two seats before it.
            let third = entries[2]["snapshot"] as? [String: Any]
            #expect(((third?["subrooms"] as? [[String: Any]])?.first?["seats"] as? [Any])?.count == 2)
            try log.body.write(to: URL(fileURLWithPath: file.file("disagreements.json")))

            // Only server administrators read them.
            #expect(try await client.get("/api/admin/strategy/disagreements", token: tokens["bob"]).status == 403)
            #expect(try await client.get("/api/admin/strategy", token: tokens["bob"]).status == 403)
            #expect(try await client.get("/api/admin/strategy").status == 401)
        }

        // Replayed offline: the module answers as the shadow did, capacity as the live strategy did.
        try file.write("module.json", json: ["subrooms": StrategyFixtures.wasm(module)])
        try file.write("capacity.json", json: ["subrooms": ["plugin": "capacity"]])
        let replay = try await ServerProcess.run(
            ["strategy", "simulate", "--plugins", "module.json", "--compare", "capacity.json", "--recorded", "disagreements.json", "--explain", "3"],
            in: file.path)
        #expect(replay.status == 0, "\(replay.output)")
        #expect(replay.output.contains("recorded decisions: disagreements.json: 3"))
        #expect(replay.output.contains("answers as the live strategy did in 0, as the shadow did in 3"), "\(replay.output)")
        #expect(replay.output.contains("capacity: answers as the live strategy did in 3, as the shadow did in 0"), "\(replay.output)")
        #expect(replay.output.contains("decision 3"))
        #expect(replay.output.contains("assign 2 (Lobby(2))") && replay.output.contains("assign 1 (Lobby)"))
        #expect(replay.output.contains(#""subrooms":[{"index":1,"seats":[{"user_id":"#))
        let outOfRange = try await ServerProcess.run(["strategy", "simulate", "--recorded", "disagreements.json", "--explain", "4"], in: file.path)
        #expect(outOfRange.status == 2 && outOfRange.output.contains("has 3 decisions"))
    }

    @Test("a shadow stuck in an endless loop changes nothing for the real decisions")
    func endlessShadow() async throws {
        let module = try await StrategyFixtures.module("endless-loop")
        let plugins: [String: Any] = [
            "auth": [TestServer.fastLocalAuth], "subrooms": ["plugin": "capacity", "config": ["capacity": 2]],
            "subrooms_shadow": StrategyFixtures.wasm(module, ["fuel": 2_000_000]),
        ]
        try await TestServer.run(config: Self.config(), plugins: plugins) { client, setup in
            let names = (1...6).map { "user\($0)" }
            let tokens = try await Self.people(names, client, setup)
            let clock = ContinuousClock()
            var seats: [Int] = []
            for name in names {
                let started = clock.now
                let minted = try await LiveKitTests.token(client, "Lobby", tokens[name])
                #expect(minted.status == 200)
                #expect(clock.now - started < .seconds(2), "the real decision does not wait for the shadow")
                seats.append(minted["subroom"] as? Int ?? 0)
            }
            #expect(seats == [1, 1, 2, 2, 3, 3], "capacity 2 decides as ever")
            let status = try await Self.status(client, admin: tokens["user1"]!) { ($0["shadow_failures"] as? Int) == 6 }
            #expect(status["shadow_disagreements"] as? Int == 6)
            let log = try await client.get("/api/admin/strategy/disagreements", token: tokens["user1"])
            let failed = (log["disagreements"] as? [[String: Any]] ?? []).compactMap { ($0["shadow_decision"] as? [String: Any])?["failed"] as? String }
            #expect(failed.count == 6 && failed.allSatisfy { $0.hasPrefix("out_of_fuel") })
            // The live strategy's own failure count is untouched.
            let metrics = try await client.get("/metrics").text
            #expect(!metrics.contains("echochat_strategy_failures_total{"))
            #expect(metrics.contains("echochat_strategy_shadow_failures_total 6"))
        }
    }

    @Test("plugins.json takes subrooms_shadow with the shape of subrooms, checked as strictly")
    func pluginsFile() throws {
        let (file, issues) = PluginsFile.load(["subrooms_shadow": .object(["plugin": .string("load-weighted")])], file: "plugins.json")
        #expect(issues.isEmpty)
        #expect(file.shadow?.name == "load-weighted" && file.shadow?.keyPath == ["subrooms_shadow"])
        let (_, wrong) = PluginsFile.load(["subrooms_shadow": .object(["plugin": .string("capacity"), "confg": .object([:])])], file: "plugins.json")
        #expect(wrong.map(\.keyPath) == [["subrooms_shadow", "confg"]])
        let (none, _) = PluginsFile.load([:], file: "plugins.json")
        #expect(none.shadow == nil)
    }

    @Test("a decision's recorded input parses back into the same decision input")
    func recordedInputRoundTrip() throws {
        let seats = [
            SubroomSeat(userID: UserID(7), state: .joined, publishing: [.microphone, .camera]),
            SubroomSeat(userID: UserID(9), state: .reserved, isListenOnly: true),
        ]
        let input = SubroomDecisionInput(
            request: SubroomRequest(userID: UserID(42), preferredIndex: 2, isListenOnly: false, companionIndices: [3, 1, 3], role: .moderator),
            snapshot: SubroomSnapshot(
                room: "Lobby", subrooms: [SubroomOccupancy(index: 1, seats: seats), SubroomOccupancy(index: 3, seats: [])],
                limits: SubroomLimits(capacity: 5, maxSubrooms: 4)),
            now: Date(timeIntervalSince1970: 1_765_000_000.123))
        let value = try JSONDecoder().decode(ConfigValue.self, from: Data(input.json))
        #expect(try RecordedDecisions.input(value) == input)
        let broken = try JSONDecoder().decode(ConfigValue.self, from: Data(#"{"room":"Lobby","now_ms":1,"limits":{"capacity":5},"request":{},"subrooms":[]}"#.utf8))
        #expect(throws: (any Error).self) { try RecordedDecisions.input(broken) }
        #expect(throws: RecordedDecisions.FileError.self) { try RecordedDecisions(data: Data("[1]".utf8), name: "x.json") }
    }

    @Test("the disagreement log keeps the most recent ones, oldest first, and counts start again for a new shadow")
    func ledger() {
        let ledger = ShadowLedger(capacity: 3, metrics: StrategyMetrics(registry: PrometheusCollectorRegistry()))
        let judge = SimulatedStrategy(CapacityForTests(), defaults: SubroomLimits(capacity: 5, maxSubrooms: 5))
        func shadow(_ revision: String) -> ShadowStrategy { ShadowStrategy(judge: judge, instance: judge.strategy, plugin: "capacity", revision: revision, loadedAt: Date()) }
        func replayed(_ user: Int64, _ revision: String = "capacity:1") -> ShadowCase {
            ShadowCase(
                input: SubroomDecisionInput(
                    request: SubroomRequest(userID: UserID(user)), snapshot: SubroomSnapshot(room: "Lobby", subrooms: [], limits: .init(capacity: 5, maxSubrooms: 5)),
                    now: Date()),
                decision: .subroom(1), revision: "live:1", shadow: shadow(revision))
        }
        ledger.record(replayed(99), answer: .subroom(2))
        #expect(ledger.counts(for: nil) == .init(), "nothing is counted before a shadow is followed")
        ledger.follow("capacity:1")
        for user in 1...5 { ledger.record(replayed(Int64(user)), answer: .subroom(2)) }
        ledger.record(replayed(6), answer: .subroom(1))
        ledger.record(replayed(7), answer: .failed("trap: unreachable"))
        #expect(ledger.counts(for: "capacity:1") == .init(agreements: 1, disagreements: 6, failures: 1, skipped: 0))
        let kept = ledger.disagreements.map { entry -> String? in
            guard case .string(let user)? = entry.snapshot.objectValue?["request"]?.objectValue?["user_id"] else { return nil }
            return user
        }
        #expect(kept == ["4", "5", "7"])
        ledger.follow("capacity:2")
        ledger.record(replayed(8, "capacity:2"), answer: .refused("full"))
        ledger.record(replayed(9, "capacity:1"), answer: .subroom(1))  // a replay of the earlier shadow, finishing late
        #expect(ledger.counts(for: "capacity:2") == .init(agreements: 0, disagreements: 1, failures: 0, skipped: 0))
        #expect(ledger.counts(for: "capacity:1") == .init())
    }
}

/// Fills sub-room 1, then 2, … up to the limits' capacity.
private struct CapacityForTests: SubroomStrategy {
    static let name = "capacity-for-tests"
    static let apiVersion = PluginAPIVersion(1, 0)
    init() {}
    init(configuration: EmptyPluginConfiguration, context: PluginContext) async throws {}
    func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomDecision {
        let index = (1...snapshot.limits.maxSubrooms).first { snapshot.occupancy(of: $0).seats.count < snapshot.limits.capacity }
        return index.map { .assign($0) } ?? .refuse("full")
    }
}
