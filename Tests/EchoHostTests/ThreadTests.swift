import Foundation
import HTTPTypes
import Testing

/// Replies and threads: the quote follows its original, counts go live, the cursor is exact.
@Suite("Replies and threads")
struct ThreadTests {
    static func message(_ client: HTTPTestClient, _ id: Int, _ token: String?) async throws -> [String: Any]? {
        let page = try await client.get("/api/rooms/Lobby/messages", token: token)
        return (page["messages"] as? [[String: Any]] ?? []).first { $0["id"] as? Int == id }
    }

    @Test("a reply quotes its original, and the quote follows an edit and a deletion; the parent's count goes out live")
    func quotes() async throws {
        try await TestServer.run { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["alice", "bob"])
            _ = try await client.post("/api/rooms", ["name": "Elsewhere"], token: tokens["alice"])
            let listener = TestSocket(port: client.port, query: "access_token=\(tokens["alice"]!)")
            _ = await listener.next(type: "ready")
            let original = try await client.post("/api/rooms/Lobby/messages", ["body": "first line\nsecond line"], token: tokens["alice"])
            let id = try #require(original["id"] as? Int)
            #expect(original["reply_to"] is NSNull && original["reply_count"] as? Int == 0 && original["last_reply_at"] is NSNull, "\(original.text)")

            let reply = try await client.post("/api/rooms/Lobby/messages", ["body": "an answer", "reply_to": id, "client_id": "r1"], token: tokens["bob"])
            #expect(reply.status == 201, "\(reply.text)")
            let quote = reply["reply_to"] as? [String: Any]
            #expect(quote?["id"] as? Int == id && quote?["excerpt"] as? String == "first line second line", "\(reply.text)")
            #expect((quote?["author"] as? [String: Any])?["username"] as? String == "alice")
            let replyID = try #require(reply["id"] as? Int)
            // A retry of the same reply is the same message and counts once.
            let retry = try await client.post("/api/rooms/Lobby/messages", ["body": "an answer", "reply_to": id, "client_id": "r1"], token: tokens["bob"])
            #expect(retry["id"] as? Int == replyID)
            var updated: [String: Any]?
            while let frame = await listener.next(type: "message.updated") {
                if let message = frame["message"] as? [String: Any], message["id"] as? Int == id { updated = message; break }
            }
            #expect(updated?["reply_count"] as? Int == 1 && updated?["last_reply_at"] is String && updated?["edited_at"] is NSNull, "\(String(describing: updated))")
            let parent = try await Self.message(client, id, tokens["bob"])
            #expect(parent?["reply_count"] as? Int == 1, "\(String(describing: parent))")

            // The quote follows the original.
            #expect(try await client.request(.patch, "/api/rooms/Lobby/messages/\(id)", json: ["body": "edited original"], token: tokens["alice"]).status == 200)
            #expect(((try await Self.message(client, replyID, tokens["bob"]))?["reply_to"] as? [String: Any])?["excerpt"] as? String == "edited original")
            #expect(try await client.request(.delete, "/api/rooms/Lobby/messages/\(id)", token: tokens["alice"]).status == 204)
            let gone = (try await Self.message(client, replyID, tokens["bob"]))?["reply_to"] as? [String: Any]
            #expect(gone?["id"] as? Int == id && gone?["deleted"] as? Bool == true && gone?["excerpt"] == nil, "\(String(describing: gone))")

            // Replying to what does not exist here: 404.
            let elsewhere = try #require(try await client.post("/api/rooms/Elsewhere/messages", ["body": "x"], token: tokens["alice"])["id"] as? Int)
            for target in [999_999, elsewhere, id] {
                let refused = try await client.post("/api/rooms/Lobby/messages", ["body": "lost", "reply_to": target], token: tokens["bob"])
                #expect(refused.status == 404 && refused.errorCode == "message_not_found", "\(target): \(refused.text)")
            }
        }
    }

    @Test("the thread cursor returns each reply exactly once, oldest first, while replies arrive and one is deleted")
    func cursor() async throws {
        try await TestServer.run { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["alice", "bob", "carol"])
            let parent = try #require(try await client.post("/api/rooms/Lobby/messages", ["body": "thread"], token: tokens["alice"])["id"] as? Int)
            _ = try await client.post("/api/rooms/Lobby/messages", ["body": "not in the thread"], token: tokens["alice"])
            var posted: [Int] = []
            try await withThrowingTaskGroup(of: Int?.self) { group in
                for index in 0..<9 {
                    let name = ["alice", "bob", "carol"][index % 3]
                    group.addTask {
                        try await client.post("/api/rooms/Lobby/messages", ["body": "reply \(index)", "reply_to": parent], token: tokens[name])["id"] as? Int
                    }
                }
                for try await id in group { if let id { posted.append(id) } }
            }
            #expect(posted.count == 9)
            let deleted = posted.sorted()[4]
            #expect(try await client.request(.delete, "/api/rooms/Lobby/messages/\(deleted)", token: tokens["alice"]).status == 204)
            var seen: [Int] = []
            var after: Int?
            var pages = 0
            repeat {
                let query = after.map { "&after=\($0)" } ?? ""
                let page = try await client.get("/api/rooms/Lobby/messages/\(parent)/replies?limit=3\(query)", token: tokens["carol"])
                #expect(page.status == 200, "\(page.text)")
                let ids = (page["messages"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
                if pages == 1 {
                    // A reply arriving mid-way is returned once, at its place.
                    let late = try await client.post("/api/rooms/Lobby/messages", ["body": "late", "reply_to": parent], token: tokens["bob"])
                    posted.append(try #require(late["id"] as? Int))
                }
                seen += ids
                after = page["next_after"] as? Int
                pages += 1
            } while after != nil && pages < 10
            #expect(seen == posted.filter { $0 != deleted }.sorted(), "each reply once, oldest first: \(seen)")
            // Deleting a reply sends the parent's new count.
            let listener = TestSocket(port: client.port, query: "access_token=\(tokens["carol"]!)")
            _ = await listener.next(type: "ready")
            let extra = try #require(try await client.post("/api/rooms/Lobby/messages", ["body": "short-lived", "reply_to": parent], token: tokens["bob"])["id"] as? Int)
            #expect(try await client.request(.delete, "/api/rooms/Lobby/messages/\(extra)", token: tokens["bob"]).status == 204)
            var counts: [Int] = []
            while let frame = await listener.next(type: "message.updated", timeout: .seconds(2)) {
                let message = frame["message"] as? [String: Any]
                if message?["id"] as? Int == parent, let count = message?["reply_count"] as? Int { counts.append(count) }
            }
            #expect(counts == [10, 9], "the parent's count goes up with the reply and down with its deletion: \(counts)")
            let info = try #require(try await ThreadTests.message(client, parent, tokens["alice"]))
            #expect(info["reply_count"] as? Int == 9, "nine replies count (one deleted, one late): \(info)")
            #expect(try await client.get("/api/rooms/Lobby/messages/999999/replies", token: tokens["alice"]).status == 404)
        }
    }
}
