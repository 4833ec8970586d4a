import EchoPluginAPI
import EchoPluginTesting
import EchoSubroomStrategies
import Foundation
import Testing

@testable import EchoChatServer

/// Strategies written with the Swift SDK, built with `echochat strategy build`, loaded into an
/// unmodified server, and held to the same conformance kit as the built-ins.
@Suite("WebAssembly strategies: the SDK, the kit and the server")
struct StrategySDKTests {
    @Test("a strategy built from the SDK decides real tokens; LiveKit is told its declared maximum")
    func spreadDecidesTokens() async throws {
        let module = try await StrategyFixtures.swiftModule("spread")
        let double = try await TwirpDouble()
        let subrooms = StrategyFixtures.wasm(module, ["settings": ["per_subroom": 2, "open_at": 2]])
        let plugins: [String: Any] = ["auth": [TestServer.fastLocalAuth], "subrooms": subrooms]
        try await TestServer.run(config: LiveKitTests.config(double), plugins: plugins) { client, _ in
            let names = ["owner", "a", "b", "c", "d"]
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", names)
            var minted: [String] = []
            var rooms: [String] = []
            for name in names {
                let result = try await LiveKitTests.token(client, "Lobby", tokens[name])
                #expect(result.status == 200, "\(result.text)")
                rooms.append(result["room"] as? String ?? "")
                minted.append(result["token"] as? String ?? "")
            }
            // Two per sub-room, opened in turn: the module's answers, not capacity's.
            #expect(rooms == ["Lobby", "Lobby", "Lobby(2)", "Lobby(2)", "Lobby(3)"])
            let verified = try await LiveKitInterop.verify(minted)
            for (claims, room) in zip(verified, rooms) {
                #expect(claims["error"] == nil, "\(claims)")
                #expect((claims["video"] as? [String: Any])?["room"] as? String == room)
            }
            var created = try await double.calls("CreateRoom")
            for _ in 0..<50 where created.count < 3 {
                try await Task.sleep(for: .milliseconds(100))
                created = try await double.calls("CreateRoom")
            }
            #expect(Set(created.compactMap { ($0["request"] as? [String: Any])?["name"] as? String }) == ["Lobby", "Lobby(2)", "Lobby(3)"])
            #expect(created.allSatisfy { ($0["request"] as? [String: Any])?["max_participants"] as? Int == 2 }, "\(created)")
        }
    }

    @Test("settings the module rejects stop start-up, with its reason")
    func rejectedSettings() async throws {
        let module = try await StrategyFixtures.swiftModule("spread")
        try await WasmStrategyTests.expectConfigurationError(
            StrategyFixtures.wasm(module, ["settings": ["per_subroom": 0]]), key: "subrooms.config.settings", message: "rejected its settings: ",
            file: module)
    }

    @Test("each built-in's module twin answers as the native strategy does", arguments: ["capacity", "load-weighted"])
    func twins(_ name: String) async throws {
        let module = try await StrategyFixtures.swiftModule(name)
        let settings = name == "capacity" ? #"{"capacity": 4, "max_subrooms": 5}"# : #"{"load_limit": 6, "max_subrooms": 5, "weights": {"camera": 2.5}}"#
        let config: [String: ConfigValue] = name == "capacity" ? ["capacity": .integer(4), "max_subrooms": .integer(5)] : ["max_subrooms": .integer(5)]
        let twin = try await StrategyCommand.strategy(module, settings: settings, moduleConfig: config)
        let native = try await StrategyCommand.strategy(name, settings: settings)
        let conformance = StrategyConformance(twin, seed: 5, snapshots: 250)
        #expect(twin.maxParticipants(limits: conformance.limits) == native.maxParticipants(limits: conformance.limits))
        #expect(conformance.firstDifference(from: native) == nil)
    }

    @Test("strategy test passes the built-ins and their module twins, and fails a wrong module with a counterexample")
    func conformanceCommand() async throws {
        for name in ["capacity", "load-weighted"] {
            let (status, output) = try await ServerProcess.run(["strategy", "test", name, "--snapshots", "500"], in: StrategyFixtures.output)
            #expect(status == 0 && output.hasSuffix("PASS\n"), "\(output)")
            let module = try await StrategyFixtures.swiftModule(name)
            let (moduleStatus, moduleOutput) = try await ServerProcess.run(
                ["strategy", "test", module, "--snapshots", "150"], in: StrategyFixtures.output)
            #expect(moduleStatus == 0 && moduleOutput.contains("fuel per decision: max "), "\(moduleOutput)")
        }
        let wrong = try await StrategyFixtures.swiftModule("wrong", path: "\(StrategyFixtures.repository)/Tests/Fixtures/strategies/wrong.swift")
        let (status, output) = try await ServerProcess.run(
            ["strategy", "test", wrong, "--settings", #"{"capacity": 3}"#, "--snapshots", "150"], in: StrategyFixtures.output)
        #expect(status == 1, "\(output)")
        #expect(output.contains("FAIL never assigns beyond max_subrooms or into a sub-room at its declared maximum"), "\(output)")
        let snapshot = output.split(separator: "\n").first { $0.contains(#"{"room":"#) }.map { $0.trimmingCharacters(in: .whitespaces) }
        let parsed = try snapshot.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(parsed?["subrooms"] is [Any], "the counterexample is the decision input as JSON: \(output)")
    }

    @Test("a strategy in C builds with clang alone and passes the kit")
    func cStrategy() async throws {
        let source = "\(StrategyFixtures.repository)/Examples/Strategies/c/even.c"
        let module = "\(StrategyFixtures.output)/even.wasm"
        let toolchain = try Toolchain.locate()
        // The build line at the top of even.c.
        try toolchain.run(
            toolchain.clang, ["--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry", "-Wl,--max-memory=1048576", "-o", module, source], step: "clang")
        let strategy = try await StrategyCommand.strategy(module, settings: nil)
        let report = StrategyConformance(strategy, snapshots: 100).run()
        #expect(report.passed, "\(report)")
    }
}
