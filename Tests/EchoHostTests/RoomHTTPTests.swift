import Foundation
import HTTPTypes
import Testing

@testable import EchoChatServer

@Suite("Rooms, moderation and messages over HTTP")
struct RoomHTTPTests {
    @Test("create, list, get, update and delete rooms; roles decide who may")
    func roomLifecycle() async throws {
        try await TestServer.run { client, _ in
            let (owner, _) = try await client.signUp("olivia")
            let (member, _) = try await client.signUp("mark")
            let created = try await client.post(
                "/api/rooms", ["name": "General Chat", "topic": "hello", "voice": ["allow_video": false]], token: owner)
            #expect(created.status == 201)
            #expect(created["name"] as? String == "General Chat")
            #expect(created["my_role"] as? String == "owner")
            #expect((created["voice"] as? [String: Any])?["allow_video"] as? Bool == false)
            #expect((created["voice"] as? [String: Any])?["enabled"] as? Bool == true)
            #expect(try await client.post("/api/rooms", ["name": "general chat"], token: member).errorCode == "room_exists")

            let listed = try await client.get("/api/rooms", token: member)
            let rooms = try #require(listed["rooms"] as? [[String: Any]])
            #expect(rooms.count == 1)
            #expect(rooms[0]["my_role"] is NSNull)

            let path = "/api/rooms/General%20Chat"
            #expect(try await client.request(.patch, path, json: ["topic": "x"], token: member).status == 403)
            #expect(try await client.post(path + "/join", token: member).status == 200)
            let patched = try await client.request(.patch, path, json: ["topic": "new topic", "slowmode_seconds": 0, "readonly": true], token: owner)
            #expect(patched.status == 200)
            #expect(patched["topic"] as? String == "new topic")
            #expect(patched["readonly"] as? Bool == true)
            // Readonly: members may not post, the owner may.
            #expect(try await client.post(path + "/messages", ["body": "hi"], token: member).errorCode == "readonly")
            #expect(try await client.post(path + "/messages", ["body": "announcement"], token: owner).status == 201)

            #expect(try await client.request(.delete, path, token: member).status == 403)
            #expect(try await client.request(.delete, path, token: owner).status == 204)
            #expect(try await client.get(path, token: owner).status == 404)
        }
    }

    @Test("private rooms are invite-only and invisible to outsiders")
    func privateRooms() async throws {
        try await TestServer.run { client, _ in
            let (owner, _) = try await client.signUp("olivia")
            let (guest, _) = try await client.signUp("gus")
            #expect(try await client.post("/api/rooms", ["name": "Staff", "visibility": "private"], token: owner).status == 201)
            #expect(try await client.get("/api/rooms/Staff", token: guest).errorCode == "room_not_found")
            #expect(try await client.post("/api/rooms/Staff/join", token: guest).status == 404)
            #expect((try await client.get("/api/rooms", token: guest)["rooms"] as? [Any])?.isEmpty == true)
            // Whatever an outsider sends, the answer is the one a missing room gets.
            let probes: [HTTPResult] = [
                try await client.get("/api/rooms/Staff/messages?limit=0", token: guest),
                try await client.request(.delete, "/api/rooms/Staff/members/nosuchuser", token: guest),
                try await client.request(.delete, "/api/rooms/Staff/messages/1", token: guest),
                try await client.request(.patch, "/api/rooms/Staff", rawBody: "not json", token: guest),
                try await client.post("/api/rooms/Staff/bans", ["username": "olivia"], token: guest),
                try await client.get("/api/rooms/Staff/audit", token: guest),
                try await client.get("/api/rooms/Staff/members", token: guest),
            ]
            let missing = try await client.get("/api/rooms/Nowhere/members", token: guest)
            for probe in probes {
                #expect(probe.status == 404)
                #expect(probe.body == missing.body)
            }
            #expect(try await client.post("/api/rooms/Staff/invites", ["username": "gus"], token: owner).status == 201)
            #expect(try await client.post("/api/rooms/Staff/join", token: guest).status == 200)
            #expect(try await client.get("/api/rooms/Staff/messages", token: guest).status == 200)
        }
    }

    @Test("bans keep a user out; the audit log records who did what to whom")
    func bansAndAudit() async throws {
        try await TestServer.run { client, _ in
            let (owner, _) = try await client.signUp("olivia")
            let (moderator, _) = try await client.signUp("mo")
            let (member, _) = try await client.signUp("mark")
            _ = try await client.post("/api/rooms", ["name": "Lobby"], token: owner)
            for token in [moderator, member] { _ = try await client.post("/api/rooms/Lobby/join", token: token) }
            let promoted = try await client.request(.put, "/api/rooms/Lobby/members/mo", json: ["role": "moderator"], token: owner)
            #expect(promoted.status == 200)
            #expect(promoted["role"] as? String == "moderator")
            // A moderator cannot act on the owner, nor promote anyone.
            #expect(try await client.post("/api/rooms/Lobby/bans", ["username": "olivia"], token: moderator).errorCode == "insufficient_role")
            #expect(try await client.request(.put, "/api/rooms/Lobby/members/mark", json: ["role": "moderator"], token: moderator).status == 403)

            let banned = try await client.post("/api/rooms/Lobby/bans", ["username": "mark", "reason": "spam"], token: moderator)
            #expect(banned.status == 201)
            #expect(try await client.get("/api/rooms/Lobby/messages", token: member).errorCode == "banned")
            #expect(try await client.post("/api/rooms/Lobby/messages", ["body": "let me in"], token: member).errorCode == "banned")
            #expect(try await client.post("/api/rooms/Lobby/join", token: member).errorCode == "banned")
            let members = try #require(try await client.get("/api/rooms/Lobby/members", token: owner)["members"] as? [[String: Any]])
            #expect(members.compactMap { ($0["user"] as? [String: Any])?["username"] as? String } == ["olivia", "mo"])
            #expect(try await client.request(.delete, "/api/rooms/Lobby/bans/mark", token: moderator).status == 204)
            #expect(try await client.post("/api/rooms/Lobby/join", token: member).status == 200)

            #expect(try await client.get("/api/rooms/Lobby/audit", token: moderator).status == 403)
            let audit = try await client.get("/api/rooms/Lobby/audit", token: owner)
            let entries = try #require(audit["entries"] as? [[String: Any]])
            #expect(entries.map { $0["action"] as? String } == ["unban", "ban", "set_role"])
            #expect(entries[1]["actor"] as? String == "mo")
            #expect(entries[1]["target"] as? String == "mark")
            #expect(entries[1]["detail"] as? String == "spam")
        }
    }

    @Test("the last owner cannot leave; after a transfer they can")
    func ownership() async throws {
        try await TestServer.run { client, _ in
            let (owner, _) = try await client.signUp("olivia")
            let (heir, _) = try await client.signUp("hal")
            _ = try await client.post("/api/rooms", ["name": "Lobby"], token: owner)
            _ = try await client.post("/api/rooms/Lobby/join", token: heir)
            #expect(try await client.post("/api/rooms/Lobby/leave", token: owner).errorCode == "last_owner")
            #expect(try await client.request(.put, "/api/rooms/Lobby/members/hal", json: ["role": "owner"], token: owner).status == 200)
            #expect(try await client.get("/api/rooms/Lobby", token: heir)["my_role"] as? String == "owner")
            #expect(try await client.get("/api/rooms/Lobby", token: owner)["my_role"] as? String == "admin")
            #expect(try await client.post("/api/rooms/Lobby/leave", token: owner).status == 204)
        }
    }

    @Test("history pages return every message once, newest first; client_id makes posting idempotent")
    func historyAndIdempotency() async throws {
        try await TestServer.run { client, _ in
            let (alice, _) = try await client.signUp("alice")
            _ = try await client.post("/api/rooms", ["name": "Lobby"], token: alice)
            var posted: [Int] = []
            for index in 0..<23 {
                let result = try await client.post("/api/rooms/Lobby/messages", ["body": "message \(index)"], token: alice)
                #expect(result.status == 201)
                posted.append(try #require(result["id"] as? Int))
            }
            #expect(posted == posted.sorted())
            var seen: [Int] = []
            var before: Int?
            repeat {
                let page = try await client.get("/api/rooms/Lobby/messages?limit=5" + (before.map { "&before=\($0)" } ?? ""), token: alice)
                let messages = try #require(page["messages"] as? [[String: Any]])
                seen += messages.compactMap { $0["id"] as? Int }
                before = page["next_before"] as? Int
            } while before != nil
            #expect(seen == posted.reversed())

            let first = try await client.post("/api/rooms/Lobby/messages", ["body": "once", "client_id": "abc"], token: alice)
            let retry = try await client.post("/api/rooms/Lobby/messages", ["body": "once", "client_id": "abc"], token: alice)
            #expect(first["id"] as? Int == retry["id"] as? Int)
            let newest = try #require(try await client.get("/api/rooms/Lobby/messages?limit=2", token: alice)["messages"] as? [[String: Any]])
            #expect(newest.map { $0["body"] as? String } == ["once", "message 22"])
            let author = try #require(newest[0]["author"] as? [String: Any])
            #expect(author["username"] as? String == "alice")
            #expect(newest[0]["room"] as? String == "Lobby")

            // A retry after the first message was deleted must not hand back what history no longer has.
            #expect(try await client.request(.delete, "/api/rooms/Lobby/messages/\(first["id"] as? Int ?? 0)", token: alice).status == 204)
            let afterDelete = try await client.post("/api/rooms/Lobby/messages", ["body": "once", "client_id": "abc"], token: alice)
            #expect(afterDelete.status == 409)
            #expect(afterDelete.errorCode == "message_deleted")
        }
    }

    @Test("authors edit; authors and moderators delete; deleted messages leave history")
    func editAndDelete() async throws {
        try await TestServer.run { client, _ in
            let (owner, _) = try await client.signUp("olivia")
            let (member, _) = try await client.signUp("mark")
            _ = try await client.post("/api/rooms", ["name": "Lobby"], token: owner)
            _ = try await client.post("/api/rooms/Lobby/join", token: member)
            let id = try #require(try await client.post("/api/rooms/Lobby/messages", ["body": "tpyo"], token: member)["id"] as? Int)
            #expect(try await client.request(.patch, "/api/rooms/Lobby/messages/\(id)", json: ["body": "x"], token: owner).status == 403)
            let edited = try await client.request(.patch, "/api/rooms/Lobby/messages/\(id)", json: ["body": "typo"], token: member)
            #expect(edited["body"] as? String == "typo")
            #expect(edited["edited_at"] is String)
            #expect(try await client.request(.delete, "/api/rooms/Lobby/messages/\(id)", token: owner).status == 204)
            #expect(try await client.request(.delete, "/api/rooms/Lobby/messages/\(id)", token: owner).status == 404)
            #expect((try await client.get("/api/rooms/Lobby/messages", token: member)["messages"] as? [Any])?.isEmpty == true)
            // The owner's message is out of the member's reach.
            let ownerMessage = try #require(try await client.post("/api/rooms/Lobby/messages", ["body": "rules"], token: owner)["id"] as? Int)
            #expect(try await client.request(.delete, "/api/rooms/Lobby/messages/\(ownerMessage)", token: member).status == 403)
        }
    }

    @Test("bad input always gets the JSON error and the server keeps serving")
    func badInput() async throws {
        try await TestServer.run(config: ["message_max_length": 100]) { client, _ in
            let (alice, _) = try await client.signUp("alice")
            _ = try await client.post("/api/rooms", ["name": "Lobby"], token: alice)
            let cases: [(HTTPResult, Int, String)] = [
                (try await client.post("/api/rooms/Lobby/messages", ["body": String(repeating: "x", count: 101)], token: alice), 413, "message_too_long"),
                (try await client.post("/api/rooms/Lobby/messages", ["body": " \n\t "], token: alice), 400, "empty_message"),
                (try await client.post("/api/rooms/Lobby/messages", ["body": 5], token: alice), 400, "invalid_request"),
                (try await client.request(.post, "/api/rooms/Lobby/messages", rawBody: "hello", token: alice), 400, "invalid_json"),
                (try await client.post("/api/rooms", ["name": "Lobby(2)"], token: alice), 400, "invalid_room_name"),
                (try await client.post("/api/rooms", ["name": " padded"], token: alice), 400, "invalid_room_name"),
                (try await client.post("/api/rooms", ["name": String(repeating: "a", count: 81)], token: alice), 400, "invalid_room_name"),
                (try await client.post("/api/rooms", ["name": "ok", "visibility": "secret"], token: alice), 400, "invalid_visibility"),
                (try await client.post("/api/rooms", ["name": "ok", "slowmode_seconds": -1], token: alice), 400, "invalid_request"),
                (try await client.get("/api/rooms/Nowhere/messages", token: alice), 404, "room_not_found"),
                (try await client.get("/api/rooms/%FF%FE/messages", token: alice), 404, "room_not_found"),
                (try await client.get("/api/rooms/Lobby/messages?limit=1000", token: alice), 400, "invalid_request"),
                (try await client.get("/api/rooms/Lobby/messages?before=abc", token: alice), 400, "invalid_request"),
                (try await client.request(.patch, "/api/rooms/Lobby/messages/99999", json: ["body": "x"], token: alice), 404, "message_not_found"),
                (try await client.request(.put, "/api/rooms/Lobby/members/alice", json: ["role": "king"], token: alice), 400, "invalid_role"),
                (try await client.post("/api/rooms/Lobby/bans", ["username": "nobody"], token: alice), 404, "user_not_found"),
                (try await client.post("/api/rooms/Lobby/messages", ["body": "x", "client_id": ""], token: alice), 400, "invalid_client_id"),
                // A NUL would not survive storage: live clients and history would disagree.
                (try await client.post("/api/rooms/Lobby/messages", ["body": "a\u{0}b"], token: alice), 400, "invalid_message"),
                (try await client.post("/api/rooms/Lobby/messages", ["body": "bell\u{7}"], token: alice), 400, "invalid_message"),
                (try await client.post("/api/rooms/Lobby/bans", ["username": "alice", "reason": "a\u{0}b"], token: alice), 400, "invalid_reason"),
                // Dot segments: HTTP clients remove them from paths, so such a room could never be reached.
                (try await client.post("/api/rooms", ["name": "."], token: alice), 400, "invalid_room_name"),
                (try await client.post("/api/rooms", ["name": ".."], token: alice), 400, "invalid_room_name"),
                // A known path with a method it does not have.
                (try await client.request(.put, "/api/me", json: [:], token: alice), 405, "method_not_allowed"),
                (try await client.request(.delete, "/api/rooms/Lobby/messages", token: alice), 405, "method_not_allowed"),
            ]
            for (index, (result, status, code)) in cases.enumerated() {
                #expect(result.status == status, "case \(index): \(result.text)")
                #expect(result.errorCode == code, "case \(index): \(result.text)")
            }
            #expect(try await client.post("/api/rooms/Lobby/messages", ["body": "still here\r\n\twith a tab"], token: alice).status == 201)
            #expect(try await client.post("/api/rooms", ["name": "..."], token: alice).status == 201)
            let wrongMethod = try await client.request(.put, "/api/rooms/Lobby/messages", json: [:], token: alice)
            #expect(wrongMethod.headers[.allow] == "GET, HEAD, POST")
            let head = try await client.request(.head, "/api/rooms/Lobby", token: alice)
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(try await client.request(.get, "/api/nothing-here", token: alice).status == 404)
        }
    }

    @Test("slowmode spaces a member's messages; moderators are exempt")
    func slowmode() async throws {
        try await TestServer.run { client, _ in
            let (owner, _) = try await client.signUp("olivia")
            let (member, _) = try await client.signUp("mark")
            _ = try await client.post("/api/rooms", ["name": "Lobby", "slowmode_seconds": 60], token: owner)
            _ = try await client.post("/api/rooms/Lobby/join", token: member)
            #expect(try await client.post("/api/rooms/Lobby/messages", ["body": "one"], token: member).status == 201)
            let second = try await client.post("/api/rooms/Lobby/messages", ["body": "two"], token: member)
            #expect(second.status == 429)
            #expect(second.errorCode == "slowmode")
            #expect(second.headers[.retryAfter].flatMap(Int.init).map { (55...60).contains($0) } == true)
            for body in ["a", "b"] { #expect(try await client.post("/api/rooms/Lobby/messages", ["body": body], token: owner).status == 201) }
        }
    }

    @Test("slowmode holds against parallel posts, and a retry with the same client_id still gets its message")
    func slowmodeUnderConcurrency() async throws {
        try await TestServer.run { client, _ in
            let (owner, _) = try await client.signUp("olivia")
            let (member, _) = try await client.signUp("mark")
            _ = try await client.post("/api/rooms", ["name": "Lobby", "slowmode_seconds": 60], token: owner)
            _ = try await client.post("/api/rooms/Lobby/join", token: member)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await client.post("/api/rooms/Lobby/messages", ["body": "burst \(index)", "client_id": "burst-\(index)"], token: member).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == 429 }.count == 7)
            let history = try #require(try await client.get("/api/rooms/Lobby/messages", token: member)["messages"] as? [[String: Any]])
            let stored = try #require(history.first)
            #expect(history.count == 1)
            let retry = try await client.post(
                "/api/rooms/Lobby/messages", ["body": stored["body"] as? String ?? "", "client_id": stored["client_id"] as? String ?? ""],
                token: member)
            #expect(retry.status == 201)
            #expect(retry["id"] as? Int == stored["id"] as? Int)
        }
    }
}
