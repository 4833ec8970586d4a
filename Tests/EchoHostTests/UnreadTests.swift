import Foundation
import HTTPTypes
import Testing

/// Mentions, read markers and unread counts over HTTP and WebSocket.
@Suite("Mentions and unread counts")
struct UnreadTests {
    static func counts(_ client: HTTPTestClient, _ room: String, _ token: String?) async throws -> (Int?, Int?) {
        let list = try await client.get("/api/rooms", token: token)
        let entry = (list["rooms"] as? [[String: Any]] ?? []).first { $0["name"] as? String == room }
        return (entry?["unread_count"] as? Int, entry?["mention_count"] as? Int)
    }

    @Test("@mentions are parsed on the server; counts follow posts, reads, edits and deletions; read.updated reaches the reader's other sockets")
    func counting() async throws {
        try await TestServer.run { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["alice", "bob", "carol"])
            let first = try await client.post("/api/rooms/Lobby/messages", ["body": "hi @Bob and @carol, mail bob@example.com, @nobody, @bob."], token: tokens["alice"])
            #expect(first["mentions"] as? [String] == ["bob", "carol"] && first["mentions_room"] as? Bool == false, "\(first.text)")
            let everyone = try await client.post("/api/rooms/Lobby/messages", ["body": "@room meeting"], token: tokens["alice"])
            #expect(everyone["mentions_room"] as? Bool == true, "the owner may mention the room: \(everyone.text)")
            let member = try await client.post("/api/rooms/Lobby/messages", ["body": "@room me too"], token: tokens["carol"])
            #expect(member["mentions_room"] as? Bool == false, "a member may not: \(member.text)")
            var ids: [Int] = []
            for index in 0..<10 {
                ids.append(try #require(try await client.post("/api/rooms/Lobby/messages", ["body": "m\(index)"], token: tokens["alice"])["id"] as? Int))
            }
            // bob: 13 unread (2 + carol's + 10), mentioned by name once and by the room once.
            #expect(try await Self.counts(client, "Lobby", tokens["bob"]) == (13, 2))
            #expect(try await Self.counts(client, "Lobby", tokens["alice"]) == (0, 0), "alice has read up to her own last message, past carol's")
            let page = try await client.get("/api/rooms/Lobby/messages?limit=100", token: tokens["bob"])
            #expect((page["messages"] as? [[String: Any]])?.last?["mentions"] as? [String] == ["bob", "carol"], "history carries mentions")

            // bob reads on one socket; his other socket hears of it.
            let otherTab = TestSocket(port: client.port, query: "access_token=\(tokens["bob"]!)")
            _ = await otherTab.next(type: "ready")
            let read = try await client.post("/api/rooms/Lobby/read", ["message_id": ids[4]], token: tokens["bob"])
            #expect(read.status == 200 && read["unread_count"] as? Int == 5 && read["mention_count"] as? Int == 0 && read["room"] as? String == "Lobby", "\(read.text)")
            let updated = await otherTab.next(type: "read.updated")
            #expect(updated?["message_id"] as? Int == ids[4] && updated?["unread_count"] as? Int == 5, "\(String(describing: updated))")
            let back = try await client.post("/api/rooms/Lobby/read", ["message_id": ids[1]], token: tokens["bob"])
            #expect(back["message_id"] as? Int == ids[4] && back["unread_count"] as? Int == 5, "a marker never moves back: \(back.text)")
            // Deleting an unread message, and editing one to mention bob.
            #expect(try await client.request(.delete, "/api/rooms/Lobby/messages/\(ids[9])", token: tokens["alice"]).status == 204)
            let edited = try await client.request(.patch, "/api/rooms/Lobby/messages/\(ids[8])", json: ["body": "m8 for @bob"], token: tokens["alice"])
            #expect(edited["mentions"] as? [String] == ["bob"], "\(edited.text)")
            #expect(try await Self.counts(client, "Lobby", tokens["bob"]) == (4, 1))
            // Posting reads the room.
            _ = try await client.post("/api/rooms/Lobby/messages", ["body": "caught up"], token: tokens["bob"])
            #expect(try await Self.counts(client, "Lobby", tokens["bob"]) == (0, 0))

            // Errors: a message of another room, a room the caller is not in, a bad id.
            _ = try await client.post("/api/rooms", ["name": "Elsewhere"], token: tokens["carol"])
            let elsewhere = try #require(try await client.post("/api/rooms/Elsewhere/messages", ["body": "x"], token: tokens["carol"])["id"] as? Int)
            #expect(try await client.post("/api/rooms/Lobby/read", ["message_id": elsewhere], token: tokens["bob"]).errorCode == "message_not_found")
            #expect(try await client.post("/api/rooms/Elsewhere/read", ["message_id": elsewhere], token: tokens["bob"]).errorCode == "not_member")
            #expect(try await client.post("/api/rooms/Lobby/read", ["message_id": 0], token: tokens["bob"]).status == 404)
            #expect(try await client.post("/api/rooms/Lobby/read", ["message_id": "x"], token: tokens["bob"]).status == 400)
            let (notMember, _) = try await Self.counts(client, "Elsewhere", tokens["bob"])
            #expect(notMember == nil, "no counts for a room one is not in")

            // A new member has read what came before.
            let dave = try await client.signUp("dave").access
            _ = try await client.post("/api/rooms/Lobby/join", token: dave)
            #expect(try await Self.counts(client, "Lobby", dave) == (0, 0))

            // Conversations count the same way.
            let dm = try #require(try await client.post("/api/dms", ["users": ["bob"]], token: tokens["alice"])["id"] as? Int)
            let hello = try #require(try await client.post("/api/dms/\(dm)/messages", ["body": "hello @bob"], token: tokens["alice"])["id"] as? Int)
            _ = try await client.post("/api/dms/\(dm)/messages", ["body": "are you there?"], token: tokens["alice"])
            let listed = (try await client.get("/api/dms", token: tokens["bob"])["dms"] as? [[String: Any]])?.first
            #expect(listed?["unread_count"] as? Int == 2 && listed?["mention_count"] as? Int == 1, "\(String(describing: listed))")
            let dmRead = try await client.post("/api/dms/\(dm)/read", ["message_id": hello], token: tokens["bob"])
            #expect(dmRead["dm"] as? Int == dm && dmRead["room"] is NSNull && dmRead["unread_count"] as? Int == 1, "\(dmRead.text)")
        }
    }

    @Test("after 10,000 messages in a room the room list's counts are exact")
    func tenThousand() async throws {
        try await TestServer.run { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Busy", ["writer", "reader"])
            for index in 0..<20 { _ = try await client.post("/api/rooms", ["name": "Quiet-\(index)"], token: tokens["writer"]) }
            for index in 0..<20 { _ = try await client.post("/api/rooms/Quiet-\(index)/join", token: tokens["reader"]) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<16 {
                    group.addTask {
                        for index in stride(from: worker, to: 10_000, by: 16) {
                            let body = index % 10 == 0 ? "\(index) @reader" : (index % 1000 == 1 ? "\(index) @room" : "\(index)")
                            let posted = try await client.post("/api/rooms/Busy/messages", ["body": body], token: tokens["writer"])
                            guard posted.status == 201 else { throw TestFailure("post \(index): \(posted.text)") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await Self.counts(client, "Busy", tokens["reader"]) == (10_000, 1_010))
            let list = try await client.get("/api/rooms", token: tokens["reader"])
            let quiet = (list["rooms"] as? [[String: Any]] ?? []).filter { ($0["name"] as? String)?.hasPrefix("Quiet") == true }
            #expect(quiet.count == 20 && quiet.allSatisfy { $0["unread_count"] as? Int == 0 && $0["mention_count"] as? Int == 0 })
            let page = try await client.get("/api/rooms/Busy/messages?limit=100", token: tokens["reader"])
            let middle = try #require((page["messages"] as? [[String: Any]])?[50]["id"] as? Int)
            let read = try await client.post("/api/rooms/Busy/read", ["message_id": middle], token: tokens["reader"])
            #expect(read["unread_count"] as? Int == 50, "\(read.text)")
        }
    }
}
