import Foundation
import HTTPTypes
import Testing

/// Emoji reactions: idempotent, bounded, counted exactly, and seen in order by every socket.
@Suite("Reactions")
struct ReactionTests {
    static func path(_ id: Int, _ emoji: String) -> String {
        "/api/rooms/Lobby/messages/\(id)/reactions/\(emoji.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? emoji)"
    }

    static func reactions(_ client: HTTPTestClient, _ id: Int, _ token: String?) async throws -> [[String: Any]] {
        let page = try await client.get("/api/rooms/Lobby/messages", token: token)
        let message = (page["messages"] as? [[String: Any]] ?? []).first { $0["id"] as? Int == id }
        return message?["reactions"] as? [[String: Any]] ?? []
    }

    @Test("8 users react and unreact concurrently: the final counts are exact and every socket saw the same events, in order", .timeLimit(.minutes(3)))
    func concurrent() async throws {
        try await TestServer.run { client, _ in
            let names = (1...8).map { "reactor\($0)" }
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", names)
            let posted = try await client.post("/api/rooms/Lobby/messages", ["body": "react to me"], token: tokens["reactor1"])
            let id = try #require(posted["id"] as? Int)
            var sockets: [TestSocket] = []
            for name in names {
                let socket = TestSocket(port: client.port, query: "access_token=\(tokens[name]!)")
                _ = await socket.next(type: "ready")
                sockets.append(socket)
            }
            let emoji = ["👍", "🎉", ":ship-it:"]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, name) in names.enumerated() {
                    group.addTask {
                        for round in 0..<6 {
                            let chosen = emoji[(index + round) % emoji.count]
                            let added = try await client.request(.put, Self.path(id, chosen), token: tokens[name])
                            let again = try await client.request(.put, Self.path(id, chosen), token: tokens[name])
                            #expect(added.status == 204 && again.status == 204, "idempotent: \(added.text) \(again.text)")
                            if round.isMultiple(of: 2) {
                                let removed = try await client.request(.delete, Self.path(id, chosen), token: tokens[name])
                                #expect(removed.status == 204, "\(removed.text)")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let final = try await Self.reactions(client, id, tokens["reactor1"])
            var expected: [String: Set<String>] = [:]
            for (index, name) in names.enumerated() {
                // Each user's own requests run in order: the last round that touched an emoji decides.
                for round in 0..<6 {
                    let chosen = emoji[(index + round) % emoji.count]
                    if round.isMultiple(of: 2) { expected[chosen, default: []].remove(name) } else { expected[chosen, default: []].insert(name) }
                }
            }
            expected = expected.filter { !$0.value.isEmpty }
            let counts = Dictionary(final.map { ($0["emoji"] as? String ?? "", $0["count"] as? Int ?? -1) }, uniquingKeysWith: { $1 })
            #expect(counts == expected.mapValues(\.count), "exact counts: \(final)")
            #expect(final.allSatisfy { ($0["me"] as? Bool) == expected[$0["emoji"] as? String ?? ""]?.contains("reactor1") })

            // Each socket replays its events to the same final state, and saw the same sequence.
            var sequences: [[String]] = []
            for socket in sockets {
                var state: [String: Set<String>] = [:]
                var sequence: [String] = []
                while let frame = await socket.next(timeout: .milliseconds(800)) {
                    guard let type = frame["type"] as? String, type.hasPrefix("reaction.") else { continue }
                    let emoji = frame["emoji"] as? String ?? ""
                    let user = (frame["user"] as? [String: Any])?["username"] as? String ?? ""
                    #expect(frame["message_id"] as? Int == id && frame["room"] as? String == "Lobby")
                    if type == "reaction.added" {
                        #expect(state[emoji, default: []].insert(user).inserted, "an add only for someone not yet counted")
                    } else {
                        #expect(state[emoji]?.remove(user) != nil, "a remove only for someone counted")
                    }
                    sequence.append("\(type) \(emoji) \(user)")
                }
                #expect(state.filter { !$0.value.isEmpty } == expected, "a socket's events add up to the final state")
                sequences.append(sequence)
            }
            #expect(Set(sequences.map { $0.joined(separator: "\n") }).count == 1, "every socket saw the same order")
        }
    }

    @Test("an emoji is one grapheme cluster or a :name:; at most 20 distinct per message; members only")
    func rules() async throws {
        try await TestServer.run { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["owner", "member"])
            let outsider = try await client.signUp("outsider").access
            let id = try #require(try await client.post("/api/rooms/Lobby/messages", ["body": "hello"], token: tokens["owner"])["id"] as? Int)
            for good in ["👍", "👨‍👩‍👧", "🇫🇷", "1️⃣", "❤️", ":+1:", ":party_parrot:"] {
                #expect(try await client.request(.put, Self.path(id, good), token: tokens["member"]).status == 204, "\(good)")
            }
            for bad in ["a", "👍👍", "👍 ", ":Caps:", "::", ":\(String(repeating: "x", count: 33)):", "1", "\u{0007}"] {
                let refused = try await client.request(.put, Self.path(id, bad), token: tokens["member"])
                #expect(refused.status == 400 && refused.errorCode == "invalid_emoji", "\(bad): \(refused.text)")
            }
            #expect(try await client.request(.put, Self.path(id, "👍"), token: outsider).status == 403)
            #expect(try await client.request(.put, Self.path(999_999, "👍"), token: tokens["member"]).status == 404)
            for index in 0..<13 { _ = try await client.request(.put, Self.path(id, ":e\(index):"), token: tokens["owner"]) }
            let over = try await client.request(.put, Self.path(id, ":one-too-many:"), token: tokens["owner"])
            #expect(over.status == 409 && over.errorCode == "too_many_reactions", "\(over.text)")
            #expect(try await Self.reactions(client, id, tokens["owner"]).count == 20)
            #expect(try await client.request(.delete, Self.path(id, "🎉"), token: tokens["owner"]).status == 204, "removing what is not there")
        }
    }
}
