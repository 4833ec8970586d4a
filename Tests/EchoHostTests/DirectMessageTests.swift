import EchoTestSupport
import Foundation
import HTTPTypes
import Testing

@testable import EchoChatServer

/// Direct conversations: found again rather than duplicated, private to their members, governed
/// by each user's policy and blocks, and ended by a server ban like room access.
@Suite("Direct messages")
struct DirectMessageTests {
    static func open(_ client: HTTPTestClient, _ users: [String], name: String? = nil, token: String?) async throws -> HTTPResult {
        var body: [String: Any] = ["users": users]
        if let name { body["name"] = name }
        return try await client.post("/api/dms", body, token: token)
    }

    @Test("alice and bob's conversation is found again (also under 20 concurrent opens), carries messages like a room, and stays private")
    func pairs() async throws {
        try await TestServer.run { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["alice", "bob", "carol"])
            let bobSocket = TestSocket(port: client.port, query: "access_token=\(tokens["bob"]!)")
            _ = await bobSocket.next(type: "ready")
            let first = try await Self.open(client, ["bob"], token: tokens["alice"])
            #expect(first.status == 201, "\(first.text)")
            let id = try #require(first["id"] as? Int)
            #expect(first["kind"] as? String == "direct" && first["name"] is NSNull && first["last_message"] is NSNull, "\(first.text)")
            #expect((first["members"] as? [[String: Any]])?.compactMap { $0["username"] as? String } == ["alice", "bob"], "\(first.text)")
            let created = await bobSocket.next(type: "dm.created")
            #expect(created?["dm"] as? Int == id && (created?["conversation"] as? [String: Any])?["kind"] as? String == "direct", "\(String(describing: created))")
            for (name, other) in [("alice", "bob"), ("bob", "alice"), ("alice", "BOB")] {
                let again = try await Self.open(client, [other], token: tokens[name])
                #expect(again.status == 200 && again["id"] as? Int == id, "\(name): \(again.text)")
            }

            // Twenty concurrent opens of a new pair, from both sides, find one conversation.
            let results = try await withThrowingTaskGroup(of: (Int, Int?).self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let (me, other) = index % 2 == 0 ? ("alice", "carol") : ("carol", "alice")
                        let result = try await Self.open(client, [other], token: tokens[me])
                        return (result.status, result["id"] as? Int)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.compactMap(\.1)).count == 1 && results.allSatisfy { $0.1 != nil }, "\(results)")
            #expect(results.filter { $0.0 == 201 }.count == 1 && results.filter { $0.0 == 200 }.count == 19, "\(results.map(\.0))")

            // Messages as in a room: the socket frame names the conversation, not a room.
            let posted = try await client.post("/api/dms/\(id)/messages", ["body": "hi bob", "client_id": "c1"], token: tokens["alice"])
            #expect(posted.status == 201 && posted["dm"] as? Int == id && posted["room"] is NSNull, "\(posted.text)")
            let messageID = try #require(posted["id"] as? Int)
            let frame = await bobSocket.next(type: "message.created")
            #expect(frame?["dm"] as? Int == id && frame?["room"] is NSNull, "\(String(describing: frame))")
            #expect((frame?["message"] as? [String: Any])?["body"] as? String == "hi bob")
            #expect(try await client.post("/api/dms/\(id)/messages", ["body": "hi bob", "client_id": "c1"], token: tokens["alice"])["id"] as? Int == messageID)
            let reply = try await client.post("/api/dms/\(id)/messages", ["body": "hello", "reply_to": messageID], token: tokens["bob"])
            #expect((reply["reply_to"] as? [String: Any])?["id"] as? Int == messageID, "\(reply.text)")
            #expect(try await client.request(.put, "/api/dms/\(id)/messages/\(messageID)/reactions/%F0%9F%91%8D", token: tokens["bob"]).status == 204)
            #expect(try await client.request(.patch, "/api/dms/\(id)/messages/\(messageID)", json: ["body": "hi, bob"], token: tokens["alice"]).status == 200)
            let history = try await client.get("/api/dms/\(id)/messages", token: tokens["bob"])
            let messages = history["messages"] as? [[String: Any]] ?? []
            #expect(messages.map { $0["body"] as? String } == ["hello", "hi, bob"], "\(history.text)")
            #expect((messages.last?["reactions"] as? [[String: Any]])?.first?["count"] as? Int == 1, "\(history.text)")
            #expect(try await client.request(.delete, "/api/dms/\(id)/messages/\(messageID)", token: tokens["bob"]).status == 403, "only the author deletes")

            // The list: newest activity first, with the last message; rooms list no conversation.
            let list = try await client.get("/api/dms", token: tokens["alice"])
            let dms = list["dms"] as? [[String: Any]] ?? []
            #expect(dms.count == 2 && dms.first?["id"] as? Int == id, "\(list.text)")
            #expect((dms.first?["last_message"] as? [String: Any])?["body"] as? String == "hello", "\(list.text)")
            let rooms = try await client.get("/api/rooms", token: tokens["alice"])
            #expect((rooms["rooms"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Lobby"], "\(rooms.text)")

            // carol is no member: nothing of it exists for her.
            for path in ["/api/dms/\(id)", "/api/dms/\(id)/messages", "/api/dms/999999", "/api/dms/abc"] {
                let refused = try await client.get(path, token: tokens["carol"])
                #expect(refused.status == 404 && refused.errorCode == "dm_not_found", "\(path): \(refused.text)")
            }
            let intrusion = try await client.post("/api/dms/\(id)/messages", ["body": "let me in"], token: tokens["carol"])
            #expect(intrusion.status == 404, "\(intrusion.text)")
            #expect(try await client.get("/api/dms/1", token: tokens["alice"]).status == 404, "Lobby, the first room, is no conversation")
            #expect(try await Self.open(client, ["alice"], token: tokens["alice"]).errorCode == "invalid_users", "oneself alone")
            #expect(try await Self.open(client, ["nobody-here"], token: tokens["alice"]).errorCode == "user_not_found")
            #expect(try await client.request(.post, "/api/dms/\(id)/leave", token: tokens["alice"]).errorCode == "cannot_leave_direct")
        }
    }

    @Test("a group is named, grows by a member's invitation up to dm_max_members, and can be left")
    func groups() async throws {
        try await TestServer.run(config: ["dm_max_members": 4]) { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["alice", "bob", "carol", "dave", "erin"])
            let group = try await Self.open(client, ["bob", "carol"], name: "  Plans ", token: tokens["alice"])
            #expect(group.status == 201 && group["kind"] as? String == "group" && group["name"] as? String == "Plans", "\(group.text)")
            let id = try #require(group["id"] as? Int)
            #expect(try await Self.open(client, ["bob", "carol", "dave", "erin"], token: tokens["alice"]).errorCode == "too_many_members")
            #expect(try await Self.open(client, ["bob"], name: "", token: tokens["alice"]).errorCode == "invalid_name")
            #expect(try await Self.open(client, ["bob"], name: "bad\u{7}name", token: tokens["alice"]).errorCode == "invalid_name")
            let unnamed = try await Self.open(client, ["bob"], name: "   ", token: tokens["alice"])
            #expect(unnamed.status == 201 && unnamed["kind"] as? String == "group" && unnamed["name"] is NSNull, "a blank name: a group without one: \(unnamed.text)")
            let daveSocket = TestSocket(port: client.port, query: "access_token=\(tokens["dave"]!)")
            _ = await daveSocket.next(type: "ready")
            let added = try await client.post("/api/dms/\(id)/members", ["username": "dave"], token: tokens["bob"])
            #expect((added["members"] as? [[String: Any]])?.count == 4, "\(added.text)")
            #expect(await daveSocket.next(type: "dm.created")?["dm"] as? Int == id)
            _ = try await client.post("/api/dms/\(id)/messages", ["body": "welcome"], token: tokens["alice"])
            #expect((await daveSocket.next(type: "message.created"))?["dm"] as? Int == id, "the new member receives the group")
            #expect(try await client.post("/api/dms/\(id)/members", ["username": "erin"], token: tokens["bob"]).errorCode == "too_many_members")
            #expect(try await client.post("/api/dms/\(id)/leave", token: tokens["dave"]).status == 204)
            #expect(try await client.get("/api/dms/\(id)", token: tokens["dave"]).status == 404, "a member who left sees it no more")
            #expect(try await client.post("/api/dms/\(id)/members", ["username": "erin"], token: tokens["bob"]).status == 200, "room again")
            let direct = try #require(try await Self.open(client, ["bob"], token: tokens["alice"])["id"] as? Int)
            #expect(try await client.post("/api/dms/\(direct)/members", ["username": "carol"], token: tokens["alice"]).errorCode == "not_a_group")
        }
    }

    @Test("dm_policy and blocks are enforced; a blocked user's messages are hidden from the blocker in shared rooms")
    func policyAndBlocks() async throws {
        try await TestServer.run { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["alice", "bob", "carol"])
            let dave = try await client.signUp("dave").access
            // dave shares no room with alice: by default he takes nothing from her.
            #expect(try await client.get("/api/me", token: dave)["dm_policy"] as? String == "shared_rooms")
            let refused = try await Self.open(client, ["dave"], token: tokens["alice"])
            #expect(refused.status == 403 && refused.errorCode == "dm_refused", "\(refused.text)")
            let everyone = try await client.request(.patch, "/api/me", json: ["dm_policy": "everyone"], token: dave)
            #expect(everyone.status == 200 && everyone["dm_policy"] as? String == "everyone", "\(everyone.text)")
            let withDave = try #require(try await Self.open(client, ["dave"], token: tokens["alice"])["id"] as? Int)
            #expect(try await client.post("/api/dms/\(withDave)/messages", ["body": "hi dave"], token: tokens["alice"]).status == 201)
            #expect(try await client.post("/api/dms/\(withDave)/messages", ["body": "hi alice"], token: dave).status == 201, "an answer needs no policy")
            // A policy governs new conversations: the one they have goes on, a new group is refused.
            _ = try await client.request(.patch, "/api/me", json: ["dm_policy": "nobody"], token: dave)
            #expect(try await Self.open(client, ["dave"], token: tokens["alice"])["id"] as? Int == withDave, "found again")
            #expect(try await client.post("/api/dms/\(withDave)/messages", ["body": "still there?"], token: tokens["alice"]).status == 201)
            #expect(try await Self.open(client, ["dave", "carol"], token: tokens["alice"]).errorCode == "dm_refused")
            #expect(try await client.request(.patch, "/api/me", json: ["dm_policy": "friends"], token: dave).status == 400)

            // bob blocks alice: no direct messages either way, and her room messages are hidden from him.
            let withBob = try #require(try await Self.open(client, ["bob"], token: tokens["alice"])["id"] as? Int)
            let earlier = try #require(try await client.post("/api/dms/\(withBob)/messages", ["body": "hey"], token: tokens["bob"])["id"] as? Int)
            let trio = try #require(try await Self.open(client, ["alice", "bob"], name: "Trio", token: tokens["carol"])["id"] as? Int)
            let bobSocket = TestSocket(port: client.port, query: "access_token=\(tokens["bob"]!)")
            let carolSocket = TestSocket(port: client.port, query: "access_token=\(tokens["carol"]!)")
            _ = await bobSocket.next(type: "ready")
            _ = await carolSocket.next(type: "ready")
            #expect(try await client.request(.put, "/api/me/blocks/alice", token: tokens["bob"]).status == 204)
            #expect(try await client.request(.put, "/api/me/blocks/alice", token: tokens["bob"]).status == 204, "idempotent")
            #expect(await bobSocket.next(type: "blocks.updated")?["blocked"] as? [[String: Any]] != nil)
            let blocks = try await client.get("/api/me/blocks", token: tokens["bob"])
            #expect(((blocks["blocks"] as? [[String: Any]])?.first?["user"] as? [String: Any])?["username"] as? String == "alice", "\(blocks.text)")
            for (sender, conversation) in [("alice", withBob), ("bob", withBob)] {
                let blocked = try await client.post("/api/dms/\(conversation)/messages", ["body": "hello?"], token: tokens[sender])
                #expect(blocked.status == 403 && blocked.errorCode == "dm_refused", "\(sender): \(blocked.text)")
            }
            #expect(try await Self.open(client, ["bob", "carol"], name: "Trio", token: tokens["alice"]).errorCode == "dm_refused")
            // Nor through a reaction or an edit in their conversation.
            #expect(try await client.request(.put, "/api/dms/\(withBob)/messages/\(earlier)/reactions/%F0%9F%91%8D", token: tokens["alice"]).errorCode == "dm_refused")
            #expect(try await client.request(.patch, "/api/dms/\(withBob)/messages/\(earlier)", json: ["body": "hey!"], token: tokens["bob"]).errorCode == "dm_refused")
            _ = try await client.post("/api/rooms/Lobby/messages", ["body": "from alice"], token: tokens["alice"])
            _ = try await client.post("/api/rooms/Lobby/messages", ["body": "from carol"], token: tokens["carol"])
            let seenByCarol = (await carolSocket.next(type: "message.created"))?["message"] as? [String: Any]
            #expect(seenByCarol?["body"] as? String == "from alice", "\(String(describing: seenByCarol))")
            let seenByBob = (await bobSocket.next(type: "message.created"))?["message"] as? [String: Any]
            #expect(seenByBob?["body"] as? String == "from carol", "bob's socket skips alice: \(String(describing: seenByBob))")
            let bobHistory = try await client.get("/api/rooms/Lobby/messages", token: tokens["bob"])
            #expect((bobHistory["messages"] as? [[String: Any]])?.map { $0["body"] as? String } == ["from carol"], "\(bobHistory.text)")
            #expect(try await UnreadTests.counts(client, "Lobby", tokens["bob"]) == (1, 0), "nor counted as unread for him")
            let carolHistory = try await client.get("/api/rooms/Lobby/messages", token: tokens["carol"])
            #expect((carolHistory["messages"] as? [[String: Any]])?.count == 2, "\(carolHistory.text)")
            // Her reactions, a quote of her message and her last word in a group stay hidden from him too.
            let fromCarol = try #require((carolHistory["messages"] as? [[String: Any]])?.first?["id"] as? Int)
            let fromAlice = try #require((carolHistory["messages"] as? [[String: Any]])?.last?["id"] as? Int)
            #expect(try await client.request(.put, "/api/rooms/Lobby/messages/\(fromCarol)/reactions/%F0%9F%91%8D", token: tokens["alice"]).status == 204)
            #expect(await carolSocket.next(type: "reaction.added") != nil)
            #expect(await bobSocket.next(type: "reaction.added", timeout: .seconds(1)) == nil, "bob's socket skips alice's reaction")
            _ = try await client.post("/api/rooms/Lobby/messages", ["body": "quoting alice", "reply_to": fromAlice], token: tokens["carol"])
            let quoted = (try await client.get("/api/rooms/Lobby/messages", token: tokens["bob"])["messages"] as? [[String: Any]])?.first
            #expect((quoted?["reply_to"] as? [String: Any])?["deleted"] as? Bool == true, "the quote of alice is hidden: \(String(describing: quoted))")
            _ = try await client.post("/api/dms/\(trio)/messages", ["body": "trio news"], token: tokens["alice"])
            let bobsTrio = (try await client.get("/api/dms", token: tokens["bob"])["dms"] as? [[String: Any]])?.first { $0["id"] as? Int == trio }
            #expect(bobsTrio?["last_message"] is NSNull, "alice's last word in the group is not shown: \(String(describing: bobsTrio))")

            #expect(try await client.request(.delete, "/api/me/blocks/alice", token: tokens["bob"]).status == 204)
            #expect(try await client.request(.delete, "/api/me/blocks/alice", token: tokens["bob"]).errorCode == "block_not_found")
            #expect(try await client.post("/api/dms/\(withBob)/messages", ["body": "friends again"], token: tokens["alice"]).status == 201)
            var again: [String: Any]?
            while let frame = await bobSocket.next(type: "message.created") {
                if frame["dm"] as? Int == withBob { again = frame; break }
            }
            #expect((again?["message"] as? [String: Any])?["body"] as? String == "friends again", "delivered again")
            #expect(try await client.request(.put, "/api/me/blocks/bob", token: tokens["bob"]).errorCode == "invalid_block")
        }
    }

    @Test("a server ban (echochat user disable) ends the banned user's conversation socket at once", arguments: ["sqlite", "postgres"])
    func serverBan(storage: String) async throws {
        var plugins: [String: Any] = ["auth": [TestServer.fastLocalAuth]]
        if storage == "postgres" {
            let database = try await PostgresServer.shared()
            plugins = PostgresInstancesTests.plugins(database.url(database: try database.createDatabase()))
        }
        nonisolated(unsafe) let shared = plugins
        try await TestServer.run(plugins: shared) { client, setup in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["alice", "mallory"])
            let id = try #require(try await Self.open(client, ["mallory"], token: tokens["alice"])["id"] as? Int)
            let socket = TestSocket(port: client.port, query: "access_token=\(tokens["mallory"]!)")
            _ = await socket.next(type: "ready")
            _ = try await client.post("/api/dms/\(id)/messages", ["body": "are you there?"], token: tokens["alice"])
            #expect((await socket.next(type: "message.created"))?["dm"] as? Int == id)
            let command = try await ServerProcess.run(
                ["user", "disable", "mallory", "--config", try #require(setup.configFile), "--plugins", try #require(setup.pluginsFile)],
                in: NSTemporaryDirectory())
            #expect(command.status == 0, "\(command.output)")
            #expect(await socket.closed(timeout: .seconds(1)) == 4001)
            #expect(try await client.get("/api/dms/\(id)/messages", token: tokens["mallory"]).status == 401)
            #expect(try await client.post("/api/dms/\(id)/messages", ["body": "hello?"], token: tokens["alice"]).errorCode == "dm_refused")
            #expect(try await Self.open(client, ["mallory"], token: tokens["alice"]).errorCode == "user_not_found")
        }
    }
}
