import EchoPluginAPI
import Foundation
import HTTPTypes
import Testing

@testable import EchoChatServer

@Suite("Real-time delivery over /api/ws")
struct RealTimeTests {
    /// Signs up `names`, creates `room` owned by the first, and joins the others.
    static func setUpRoom(_ client: HTTPTestClient, _ room: String, _ names: [String]) async throws -> [String: String] {
        var tokens: [String: String] = [:]
        for name in names { tokens[name] = try await client.signUp(name).access }
        _ = try await client.post("/api/rooms", ["name": room], token: tokens[names[0]])
        for name in names.dropFirst() { _ = try await client.post("/api/rooms/\(room)/join", token: tokens[name]) }
        return tokens
    }

    @Test("what A posts, B receives as message.created; all three ways to authenticate work")
    func delivery() async throws {
        try await TestServer.run { client, _ in
            let tokens = try await Self.setUpRoom(client, "Lobby", ["alice", "bob", "carol", "dave"])
            let byQuery = TestSocket(port: client.port, query: "access_token=\(tokens["bob"]!)")
            let byHeader = TestSocket(port: client.port, headers: ["Authorization": "Bearer \(tokens["carol"]!)"])
            let byFrame = TestSocket(port: client.port)
            try byFrame.send(["type": "auth", "token": tokens["dave"]!])
            for socket in [byQuery, byHeader, byFrame] {
                let ready = await socket.next(type: "ready")
                #expect(ready != nil)
            }
            let posted = try await client.post("/api/rooms/Lobby/messages", ["body": "hello, room"], token: tokens["alice"])
            for socket in [byQuery, byHeader, byFrame] {
                let event = try #require(await socket.next(type: "message.created"))
                #expect(event["room"] as? String == "Lobby")
                let message = try #require(event["message"] as? [String: Any])
                #expect(message["id"] as? Int == posted["id"] as? Int)
                #expect(message["body"] as? String == "hello, room")
                #expect((message["author"] as? [String: Any])?["username"] as? String == "alice")
            }
            try byQuery.send(["type": "ping"])
            #expect(await byQuery.next(type: "pong") != nil)
            for socket in [byQuery, byHeader, byFrame] { socket.disconnect() }
        }
    }

    @Test("a bad token is refused: 401 before the upgrade, a close after a bad auth frame")
    func refusedAuthentication() async throws {
        try await TestServer.run { client, _ in
            let plain = try await client.get("/api/ws?access_token=forged")
            #expect(plain.status == 401)
            let socket = TestSocket(port: client.port)
            try socket.send(["type": "auth", "token": "forged"])
            #expect(await socket.closed() == 4001)
            // An upgrade carrying a bad token is closed with the same code a browser can act on.
            let upgraded = TestSocket(port: client.port, query: "access_token=forged")
            let code = await upgraded.closed()
            #expect(code == 4001, "closed with \(String(describing: code))")
        }
    }

    @Test("8 concurrent posters × 100 messages: the listener receives all 800 in id order; a non-member receives nothing")
    func orderedFanOut() async throws {
        try await TestServer.run(config: ["rate_limit_login_per_address": "off"]) { client, _ in
            let posters = (1...8).map { "poster\($0)" }
            let tokens = try await Self.setUpRoom(client, "Busy", ["listener"] + posters)
            let outsiderToken = try await client.signUp("outsider").access
            _ = try await client.post("/api/rooms", ["name": "Elsewhere"], token: outsiderToken)
            let listener = TestSocket(port: client.port, query: "access_token=\(tokens["listener"]!)")
            let outsider = TestSocket(port: client.port, query: "access_token=\(outsiderToken)")
            _ = await listener.next(type: "ready")
            _ = await outsider.next(type: "ready")

            try await withThrowingTaskGroup(of: Void.self) { group in
                for poster in posters {
                    group.addTask {
                        for index in 0..<100 {
                            let result = try await client.post("/api/rooms/Busy/messages", ["body": "\(poster) #\(index)"], token: tokens[poster])
                            guard result.status == 201 else { throw TestFailure("post failed: \(result.text)") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            var ids: [Int] = []
            while ids.count < 800, let event = await listener.next(type: "message.created") {
                ids.append((event["message"] as? [String: Any])?["id"] as? Int ?? -1)
            }
            #expect(ids.count == 800)
            #expect(ids == ids.sorted())
            #expect(Set(ids).count == 800)

            // Events are delivered in publish order, so once the outsider sees its own room's
            // message, nothing of Busy is still on its way to it.
            _ = try await client.post("/api/rooms/Elsewhere/messages", ["body": "sentinel"], token: outsiderToken)
            let first = try #require(await outsider.next(type: "message.created"))
            #expect(first["room"] as? String == "Elsewhere")
            listener.disconnect()
            outsider.disconnect()
        }
    }

    @Test("a banned member's socket stops receiving at the ban; a joining member's starts")
    func banEndsSubscription() async throws {
        try await TestServer.run { client, _ in
            let tokens = try await Self.setUpRoom(client, "Lobby", ["olivia", "mark"])
            _ = try await client.post("/api/rooms", ["name": "Side"], token: tokens["mark"])
            let socket = TestSocket(port: client.port, query: "access_token=\(tokens["mark"]!)")
            _ = await socket.next(type: "ready")
            _ = try await client.post("/api/rooms/Lobby/messages", ["body": "before"], token: tokens["olivia"])
            #expect(await socket.next(type: "message.created").flatMap { ($0["message"] as? [String: Any])?["body"] as? String } == "before")

            _ = try await client.post("/api/rooms/Lobby/bans", ["username": "mark"], token: tokens["olivia"])
            let left = try #require(await socket.next(type: "member.left"))
            #expect(((left["member"] as? [String: Any])?["user"] as? [String: Any])?["username"] as? String == "mark")
            _ = try await client.post("/api/rooms/Lobby/messages", ["body": "after the ban"], token: tokens["olivia"])
            _ = try await client.post("/api/rooms/Side/messages", ["body": "sentinel"], token: tokens["mark"])
            let next = try #require(await socket.next(type: "message.created"))
            #expect(next["room"] as? String == "Side")

            // Joining a room subscribes the open socket to it.
            let (newcomer, _) = try await client.signUp("nina")
            _ = try await client.post("/api/rooms", ["name": "Fresh"], token: newcomer)
            _ = try await client.post("/api/rooms/Fresh/join", token: tokens["mark"])
            #expect(await socket.next(type: "member.joined") != nil)
            _ = try await client.post("/api/rooms/Fresh/messages", ["body": "welcome"], token: newcomer)
            #expect(await socket.next(type: "message.created")?["room"] as? String == "Fresh")
            socket.disconnect()
        }
    }

    @Test("edits, deletions, role changes, room updates and new rooms reach open sockets")
    func otherEvents() async throws {
        try await TestServer.run { client, _ in
            let tokens = try await Self.setUpRoom(client, "Lobby", ["olivia", "mark"])
            let socket = TestSocket(port: client.port, query: "access_token=\(tokens["mark"]!)")
            _ = await socket.next(type: "ready")
            let id = try #require(try await client.post("/api/rooms/Lobby/messages", ["body": "draft"], token: tokens["olivia"])["id"] as? Int)
            _ = await socket.next(type: "message.created")
            _ = try await client.request(.patch, "/api/rooms/Lobby/messages/\(id)", json: ["body": "final"], token: tokens["olivia"])
            #expect(((await socket.next(type: "message.updated"))?["message"] as? [String: Any])?["body"] as? String == "final")
            _ = try await client.request(.delete, "/api/rooms/Lobby/messages/\(id)", token: tokens["olivia"])
            #expect(((await socket.next(type: "message.deleted"))?["message"] as? [String: Any])?["id"] as? Int == id)
            _ = try await client.request(.put, "/api/rooms/Lobby/members/mark", json: ["role": "moderator"], token: tokens["olivia"])
            #expect(((await socket.next(type: "member.role_changed"))?["member"] as? [String: Any])?["role"] as? String == "moderator")
            _ = try await client.request(.patch, "/api/rooms/Lobby", json: ["topic": "fresh"], token: tokens["olivia"])
            #expect(((await socket.next(type: "room.updated"))?["room_info"] as? [String: Any])?["topic"] as? String == "fresh")
            // A room created while the socket is open is delivered on it too.
            _ = try await client.post("/api/rooms", ["name": "Mine"], token: tokens["mark"])
            _ = try await client.post("/api/rooms/Mine/messages", ["body": "first"], token: tokens["mark"])
            #expect(await socket.next(type: "message.created")?["room"] as? String == "Mine")
            socket.disconnect()
        }
    }

    @Test("logging out or revoking the session ends its sockets at once")
    func revocationEndsSocket() async throws {
        try await TestServer.run { client, _ in
            let (access, _) = try await client.signUp("alice")
            let socket = TestSocket(port: client.port, query: "access_token=\(access)")
            _ = await socket.next(type: "ready")
            #expect(try await client.post("/api/auth/logout", token: access).status == 204)
            #expect(await socket.closed(timeout: .seconds(10)) == 4001)
        }
    }

    @Test("a socket closes when its access token expires")
    func expiryEndsSocket() async throws {
        try await TestServer.run(config: ["access_token_ttl_seconds": 30]) { client, setup in
            let (_, refresh) = try await client.signUp("alice")
            // A token that expires in two seconds, signed the way the server signs them.
            let session = try #require(try await client.post("/api/auth/refresh", ["refresh_token": refresh])["session_id"] as? String)
            let tokens = await TokenService(secret: TestServer.signingSecret, accessTokenTTL: 2)
            let me = try await client.login("alice")
            let userID = try #require((me["user"] as? [String: Any])?["id"] as? Int)
            let shortLived = try await tokens.accessToken(for: .init(Int64(userID)), session: .init(session), now: Date())
            let socket = TestSocket(port: client.port, query: "access_token=\(shortLived)")
            #expect(await socket.next(type: "ready") != nil)
            #expect(await socket.closed(timeout: .seconds(15)) == 4001)
        }
    }
}
