import EchoTestSupport
import Foundation
import HTTPTypes
import Testing

@testable import EchoChatServer

/// Typing indicators and presence: across instances, rate-limited, and off when switched off.
@Suite("Typing and presence")
struct PresenceTests {
    /// The next `presence` frame about `username`.
    static func presence(of username: String, on socket: TestSocket, timeout: Duration = .seconds(10)) async -> String? {
        while let frame = await socket.next(type: "presence", timeout: timeout) {
            if (frame["user"] as? [String: Any])?["username"] as? String == username { return frame["status"] as? String }
        }
        return nil
    }

    @Test("typing and presence reach a socket on the other instance when two instances share PostgreSQL")
    func acrossInstances() async throws {
        try await PostgresInstancesTests.twoInstances { a, b in
            let tokens = try await RealTimeTests.setUpRoom(a, "Lobby", ["alice", "bob", "carol"])
            let dm = try #require(try await a.post("/api/dms", ["users": ["bob"]], token: tokens["alice"])["id"] as? Int)
            let bob = TestSocket(port: b.port, query: "access_token=\(tokens["bob"]!)")
            _ = await bob.next(type: "ready")
            let alice = TestSocket(port: a.port, query: "access_token=\(tokens["alice"]!)")
            _ = await alice.next(type: "ready")
            #expect(await Self.presence(of: "alice", on: bob) == "online", "alice came online on A")
            let members = try await b.get("/api/rooms/Lobby/members", token: tokens["bob"])
            let listed = (members["members"] as? [[String: Any]] ?? []).map { (($0["user"] as? [String: Any])?["username"] as? String ?? "", $0["presence"] as? String ?? "") }
            #expect(listed.contains { $0 == ("alice", "online") } && listed.contains { $0 == ("carol", "offline") }, "\(listed)")

            try alice.send(["type": "typing", "room": "Lobby"])
            let typing = await bob.next(type: "typing")
            #expect(typing?["room"] as? String == "Lobby" && (typing?["user"] as? [String: Any])?["username"] as? String == "alice", "\(String(describing: typing))")
            try alice.send(["type": "typing", "dm": dm])
            let inDM = await bob.next(type: "typing")
            #expect(inDM?["dm"] as? Int == dm && inDM?["room"] is NSNull, "\(String(describing: inDM))")

            try alice.send(["type": "presence", "status": "idle"])
            #expect(await Self.presence(of: "alice", on: bob) == "idle")
            try alice.send(["type": "presence", "status": "online"])
            #expect(await Self.presence(of: "alice", on: bob) == "online")
            alice.disconnect()
            #expect(await Self.presence(of: "alice", on: bob) == "offline", "her last socket closed")
        }
    }

    @Test("typing is rate-limited per user and place, refused where the socket does not receive, and presence can be switched off")
    func limitsAndSwitch() async throws {
        try await TestServer.run(config: ["presence_enabled": false]) { client, _ in
            #expect(try await client.get("/api/config")["presence_enabled"] as? Bool == false, "clients are told to send no presence")
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["alice", "bob"])
            _ = try await client.post("/api/rooms", ["name": "Private", "visibility": "private"], token: tokens["bob"])
            let bob = TestSocket(port: client.port, query: "access_token=\(tokens["bob"]!)")
            _ = await bob.next(type: "ready")
            let alice = TestSocket(port: client.port, query: "access_token=\(tokens["alice"]!)")
            _ = await alice.next(type: "ready")
            for _ in 0..<5 { try alice.send(["type": "typing", "room": "Lobby"]) }
            #expect(await bob.next(type: "typing") != nil)
            #expect(await bob.next(type: "typing", timeout: .seconds(1)) == nil, "five frames within the interval are one event")
            try alice.send(["type": "typing", "room": "Private"])
            #expect((await alice.next(type: "error"))?["code"] as? String == "not_member")
            try alice.send(["type": "typing"])
            #expect((await alice.next(type: "error"))?["code"] as? String == "invalid_frame")
            try alice.send(["type": "presence", "status": "idle"])
            #expect(await bob.next(type: "presence", timeout: .seconds(3)) == nil, "no presence when it is off")
            let members = try await client.get("/api/rooms/Lobby/members", token: tokens["bob"])
            #expect((members["members"] as? [[String: Any]])?.allSatisfy { $0["presence"] == nil } == true, "\(members.text)")
        }
    }
}
