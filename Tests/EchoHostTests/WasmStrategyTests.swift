import EchoPluginAPI
import Foundation
import Testing

@testable import EchoChatServer

/// `subrooms.wasm`: modules that misbehave in every way a sandbox must survive, and modules that
/// must not load. Nobody is seated above a cap, `/health` answers throughout, and each failure
/// is counted by reason.
@Suite("WebAssembly strategies: the sandbox")
struct WasmStrategyTests {
    struct Misbehaviour: Sendable, CustomTestStringConvertible {
        let module: String
        let reason: String
        /// Requests that succeed before the module starts failing (into-full seats two).
        let seatedFirst: Int
        var config: [String: any Sendable] = [:]
        var testDescription: String { module }
    }

    static let misbehaviours: [Misbehaviour] = [
        Misbehaviour(module: "endless-loop", reason: "out_of_fuel", seatedFirst: 0, config: ["fuel": 200_000]),
        Misbehaviour(module: "memory-grower", reason: "memory", seatedFirst: 0),
        Misbehaviour(module: "trap", reason: "trap", seatedFirst: 0),
        Misbehaviour(module: "negative", reason: "bad_answer", seatedFirst: 0),
        Misbehaviour(module: "over-max", reason: "beyond_max_subrooms", seatedFirst: 0, config: ["max_subrooms": 3]),
        Misbehaviour(module: "into-full", reason: "subroom_full", seatedFirst: 2),
    ]

    static func metric(_ client: HTTPTestClient, reason: String, handledBy: String) async throws -> Int {
        let line = try await client.get("/metrics").text.split(separator: "\n").first {
            $0.hasPrefix("echochat_strategy_failures_total{") && $0.contains("reason=\"\(reason)\"") && $0.contains("handled_by=\"\(handledBy)\"")
        }
        return line.flatMap { Int(Double($0.split(separator: " ").last ?? "") ?? 0) } ?? 0
    }

    @Test("a failing decision answers 503 strategy_failed, is counted by reason, and seats nobody", arguments: misbehaviours)
    func refuse(_ test: Misbehaviour) async throws {
        let module = try await StrategyFixtures.module(test.module)
        let plugins: [String: Any] = ["auth": [TestServer.fastLocalAuth], "subrooms": StrategyFixtures.wasm(module, test.config)]
        try await TestServer.run(config: LiveKitTests.config(nil), plugins: plugins) { client, _ in
            let names = ["owner", "a", "b", "c"]
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", names)
            for (position, name) in names.enumerated() {
                let result = try await LiveKitTests.token(client, "Lobby", tokens[name])
                if position < test.seatedFirst {
                    #expect(result.status == 200 && result["room"] as? String == "Lobby")
                } else {
                    #expect(result.status == 503, "\(name): \(result.status) \(result.text)")
                    #expect(result.errorCode == "strategy_failed")
                    #expect((result.json["error"] as? [String: Any])?["message"] is String)
                }
                #expect(try await client.get("/health").status == 200)
            }
            let seated = LiveKitTests.participants(try await LiveKitTests.voice(client, "Lobby", tokens["owner"]))
            let reserved = try await LiveKitTests.voice(client, "Lobby", tokens["owner"]).reduce(0) { $0 + ($1["reserved"] as? Int ?? 0) }
            #expect(seated.count + reserved == test.seatedFirst)
            #expect(try await Self.metric(client, reason: test.reason, handledBy: "refusal") == names.count - test.seatedFirst)
        }
    }

    @Test("with on_failure naming a built-in, the built-in decides within the module's caps", arguments: misbehaviours)
    func fallback(_ test: Misbehaviour) async throws {
        let module = try await StrategyFixtures.module(test.module)
        let config = test.config.merging(["on_failure": "capacity"]) { $1 }
        let plugins: [String: Any] = ["auth": [TestServer.fastLocalAuth], "subrooms": StrategyFixtures.wasm(module, config)]
        try await TestServer.run(config: LiveKitTests.config(nil, ["livekit_subroom_capacity": 3]), plugins: plugins) { client, _ in
            let names = ["owner", "a", "b", "c", "d"]
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", names)
            var rooms: [String] = []
            for name in names {
                let result = try await LiveKitTests.token(client, "Lobby", tokens[name])
                #expect(result.status == 200, "\(name): \(result.text)")
                rooms.append(result["room"] as? String ?? "")
            }
            // capacity 3, or the module's declared maximum of 2 when it has one: nobody above either.
            let cap = test.module == "into-full" ? 2 : 3
            let counts = Dictionary(grouping: rooms, by: { $0 }).mapValues(\.count)
            #expect(counts.values.allSatisfy { $0 <= cap }, "\(counts)")
            #expect(rooms.first == "Lobby" && counts.count == (names.count + cap - 1) / cap, "\(rooms)")
            #expect(try await Self.metric(client, reason: test.reason, handledBy: "fallback") == names.count - test.seatedFirst)
        }
    }

    @Test("200 concurrent token requests against an endless loop all answer, and /health with them")
    func endlessLoopUnderLoad() async throws {
        let module = try await StrategyFixtures.module("endless-loop")
        // A fifth of the usual budget: this debug build interprets about a tenth as fast as a release build.
        let plugins: [String: Any] = ["auth": [TestServer.fastLocalAuth], "subrooms": StrategyFixtures.wasm(module, ["fuel": 2_000_000])]
        try await TestServer.run(config: LiveKitTests.config(nil), plugins: plugins) { client, _ in
            let (owner, _) = try await client.signUp("owner")
            _ = try await client.post("/api/rooms", ["name": "Lobby"], token: owner)
            let users = (0..<200).map { "user\($0)" }
            let all = try await client.signUpAndJoin(users, room: "Lobby")
            let started = ContinuousClock.now
            let (statuses, health) = try await withThrowingTaskGroup(of: [Int].self) { group in
                for name in users { group.addTask { [try await LiveKitTests.token(client, "Lobby", all[name]).status] } }
                group.addTask {
                    var answers: [Int] = []
                    for _ in 0..<10 {
                        answers.append(-(try await client.get("/health").status))
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    return answers
                }
                let all = try await group.reduce(into: [Int]()) { $0 += $1 }
                return (all.filter { $0 > 0 }, all.filter { $0 < 0 }.map { -$0 })
            }
            #expect(statuses.count == 200 && statuses.allSatisfy { $0 == 503 }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
            #expect(health.count == 10 && health.allSatisfy { $0 == 200 })
            #expect(ContinuousClock.now - started < .seconds(15), "every request answered within the client's timeout")
        }
    }

    struct LoadError: Sendable, CustomTestStringConvertible {
        let module: String
        let key: String
        let message: String
        var config: [String: any Sendable] = [:]
        var testDescription: String { module }
    }

    static let loadErrors: [LoadError] = [
        LoadError(module: "with-import", key: "subrooms.config.module", message: "imports env.clock_ms; a strategy module must import nothing"),
        LoadError(module: "no-abi-version", key: "subrooms.config.module", message: "does not export echochat_abi_version"),
        LoadError(module: "wrong-abi", key: "subrooms.config.module", message: "it speaks ABI version 2; this server speaks version 1"),
        LoadError(module: "big-memory", key: "subrooms.config.max_memory_pages", message: "declares up to 1000 pages of memory"),
    ]

    @Test("a module that breaks the ABI stops start-up with the file and key named", arguments: loadErrors)
    func loadError(_ test: LoadError) async throws {
        let module = try await StrategyFixtures.module(test.module)
        try await Self.expectConfigurationError(StrategyFixtures.wasm(module, test.config), key: test.key, message: test.message, file: module)
    }

    @Test("a missing file, a file that is not WebAssembly and one over 4 MiB stop start-up too")
    func unreadableModules() async throws {
        let directory = try TemporaryDirectory()
        let missing = directory.file("missing.wasm")
        try await Self.expectConfigurationError(
            StrategyFixtures.wasm(missing), key: "subrooms.config.module", message: "cannot be read: no such file", file: missing)
        let text = directory.file("text.wasm")
        try directory.write("text.wasm", text: "(module)")
        try await Self.expectConfigurationError(
            StrategyFixtures.wasm(text), key: "subrooms.config.module", message: "is not a WebAssembly module", file: text)
        let huge = directory.file("huge.wasm")
        _ = FileManager.default.createFile(atPath: huge, contents: Data([0x00, 0x61, 0x73, 0x6D, 1, 0, 0, 0]) + Data(count: 4 << 20))
        try await Self.expectConfigurationError(
            StrategyFixtures.wasm(huge), key: "subrooms.config.module", message: "a strategy module may be at most 4 MiB", file: huge)
    }

    @Test("echochat check-config loads the module and refuses one with an import, exit status 2")
    func checkConfig() async throws {
        let module = try await StrategyFixtures.module("with-import")
        let directory = try TemporaryDirectory()
        try directory.write("plugins.json", json: ["subrooms": StrategyFixtures.wasm(module)])
        let (status, output) = try await ServerProcess.run(["check-config", "--plugins", "plugins.json"], in: directory.path)
        #expect(status == 2)
        #expect(output.contains("plugins.json: subrooms.config.module (subrooms.wasm): \(module) imports env.clock_ms"), "\(output)")
    }

    static func expectConfigurationError(_ subrooms: [String: Any], key: String, message: String, file: String) async throws {
        let plugins: [String: Any] = ["auth": [TestServer.fastLocalAuth], "subrooms": subrooms]
        do {
            try await TestServer.run(plugins: plugins) { _, _ in }
            Issue.record("the server started")
        } catch let error as ConfigurationError {
            let issue = error.issues.first
            #expect(issue?.keyPathDescription == key, "\(error)")
            #expect(issue?.file?.hasSuffix("plugins.json") == true, "\(error)")
            #expect(issue?.message.contains(message) == true, "\(error)")
            #expect(key.hasSuffix(".module") ? issue?.message.contains(file) == true : true, "\(error)")
        }
    }
}

@Suite("WebAssembly strategies: determinism")
struct WasmDeterminismTests {
    @Test("memory a decision writes is put back before the next; the kit catches state kept in a global")
    func state() async throws {
        let inMemory = try await StrategyCommand.strategy(try await StrategyFixtures.module("memory-counter"), settings: nil)
        let snapshot = SubroomSnapshot(room: "Lobby", subrooms: [], limits: SubroomLimits(capacity: 5, maxSubrooms: 3))
        let answers = (0..<5).map { _ in inMemory.decide(SubroomRequest(userID: UserID(1)), in: snapshot, now: Date()) }
        #expect(answers == Array(repeating: .assign(1), count: 5))

        let stateful = try await StrategyFixtures.module("stateful")
        let (status, output) = try await ServerProcess.run(["strategy", "test", stateful, "--snapshots", "50"], in: StrategyFixtures.output)
        #expect(status == 1)
        #expect(output.contains("FAIL answers the same input the same way twice"), "\(output)")
    }
}
