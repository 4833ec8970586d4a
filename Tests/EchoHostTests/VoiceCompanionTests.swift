@testable import EchoChatServer
import Foundation
import Testing

/// `"with"` in `POST /api/livekit/token`: sitting with friends, through the built-in capacity
/// strategy and through its SDK twin as a WebAssembly module.
@Suite("Joining voice with friends")
struct VoiceCompanionTests {
    enum Kind: String, CaseIterable, Sendable {
        case native
        case module
    }

    static func subrooms(_ kind: Kind) async throws -> [String: Any] {
        switch kind {
        case .native: return ["plugin": "capacity", "config": ["capacity": 4]]
        case .module: return StrategyFixtures.wasm(try await StrategyFixtures.swiftModule("capacity"), ["settings": ["capacity": 4]])
        }
    }

    @Test("with capacity 4, asking to sit with bob lands in his sub-room while it has a seat, else where the strategy would anyway; a moderator has a seat of headroom", arguments: Kind.allCases)
    func sitWithFriends(_ kind: Kind) async throws {
        let plugins: [String: Any] = ["auth": [TestServer.fastLocalAuth], "subrooms": try await Self.subrooms(kind)]
        try await TestServer.run(config: LiveKitTests.config(nil), plugins: plugins) { client, setup in
            let names = ["owner", "m1", "m2", "m3", "m4", "bob", "c1", "c2", "alice", "dave", "erin"]
            var tokens = try await RealTimeTests.setUpRoom(client, "Lobby", names)
            // A server administrator who is not a member may use voice, but is nobody's companion.
            let (stranger, _) = try await client.signUp("stranger")
            let socket = ControlRequest.socketPath(in: setup.server.dataDirectory)
            let granted = try await ThreadPoolExecutor().run { try ControlClient.send(ControlRequest(command: .setAdmin, username: "stranger"), to: socket) }
            #expect(granted?.ok == true)
            tokens["stranger"] = stranger
            let seated = tokens
            func join(_ name: String, room: String = "Lobby", with companions: [String]? = nil) async throws -> String {
                var body: [String: Any] = ["room": room]
                if let companions { body["with"] = companions }
                let answer = try await client.post("/api/livekit/token", body, token: seated[name])
                #expect(answer.status == 200, "\(name): \(answer.text)")
                return answer["room"] as? String ?? ""
            }
            for name in ["m1", "m2", "m3", "m4"] { #expect(try await join(name) == "Lobby") }
            #expect(try await join("stranger", room: "Lobby(3)") == "Lobby(3)")
            #expect(try await join("bob") == "Lobby(2)")
            #expect(try await join("c1") == "Lobby(2)")
            #expect(try await join("c2", with: ["stranger", "nobody"]) == "Lobby(2)", "names that are not members change nothing")
            #expect(try await join("alice", with: ["bob"]) == "Lobby(2)")
            #expect(try await join("dave", with: ["bob", "alice"]) == "Lobby(3)", "bob's sub-room is full: the usual choice")
            #expect(try await join("owner", with: ["bob"]) == "Lobby(2)", "the owner takes the seat of moderator headroom")
            #expect(try await join("erin", with: ["bob"]) == "Lobby(3)")

            for bad: Any in [["bad name!"], (0..<17).map { "u\($0)" }, "bob", [7]] {
                let answer = try await client.post("/api/livekit/token", ["room": "Lobby", "with": bad], token: tokens["m1"])
                #expect(answer.status == 400, "\(bad): \(answer.text)")
            }
            let voice = try await LiveKitTests.voice(client, "Lobby", tokens["m1"])
            let counts = voice.map { ($0["participants"] as? [Any])?.count ?? 0 }  // joined and joining
            #expect(counts == [4, 5, 3], "\(voice)")
        }
    }
}
