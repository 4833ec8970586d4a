import EchoBuiltinPlugins
import EchoPluginAPI
import Foundation
import Testing

/// A sub-room strategy written the way an outside developer writes one: against EchoPluginAPI
/// only, registered in a registry, and chosen in plugins.json like the built-ins.
struct FewestFirstStrategy: SubroomStrategy {
    static let name = "fewest-first"
    static let apiVersion = PluginAPIVersion(1, 0)

    struct Configuration: PluginConfiguration {
        /// How many sub-rooms to spread over.
        var subrooms: Int?

        func validate() throws {
            if let subrooms, !(1...100).contains(subrooms) { throw ConfigIssue(key: "subrooms", "must be between 1 and 100") }
        }
    }

    let subrooms: Int

    init(configuration: Configuration, context: PluginContext) async throws {
        subrooms = configuration.subrooms ?? 3
    }

    /// Everyone goes to the sub-room with the fewest seats; ties to the lower index.
    func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomDecision {
        let counts = (1...subrooms).map { (index: $0, seats: snapshot.occupancy(of: $0).seats.count) }
        guard let best = counts.min(by: { ($0.seats, $0.index) < ($1.seats, $1.index) }) else { return .refuse("no sub-rooms") }
        return .assign(best.index)
    }
}

@Suite("A third-party sub-room strategy")
struct ThirdPartyStrategyTests {
    @Test("is selected in plugins.json through the registry and decides the seats")
    func fewestFirst() async throws {
        var registry = PluginRegistry.builtin
        registry.register(subrooms: FewestFirstStrategy.self)
        let plugins: [String: Any] = ["auth": [TestServer.fastLocalAuth], "subrooms": ["plugin": "fewest-first", "config": ["subrooms": 3]]]
        try await TestServer.run(config: LiveKitTests.config(nil), plugins: plugins, registry: registry) { client, _ in
            let names = ["owner", "a", "b", "c", "d", "e"]
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", names)
            var rooms: [String] = []
            for name in names { rooms.append(try await LiveKitTests.token(client, "Lobby", tokens[name])["room"] as? String ?? "") }
            #expect(rooms == ["Lobby", "Lobby(2)", "Lobby(3)", "Lobby", "Lobby(2)", "Lobby(3)"])
        }
        // Its configuration is decoded strictly, like a built-in's.
        let bad: [String: Any] = ["subrooms": ["plugin": "fewest-first", "config": ["subrooms": 0, "extra": true]]]
        await #expect(throws: (any Error).self) {
            try await TestServer.run(plugins: bad, registry: registry) { _, _ in }
        }
    }
}
