import Foundation
import HTTPTypes
import Testing

/// Voice channels: the live roster, the queue instead of "full", moves, and moderation that sticks.
@Suite("Voice channels")
struct VoiceChannelTests {
    /// Signs the events with LiveKit's SDK in one run (one Python start for all of them).
    static func signed(_ events: [[String: Any]]) async throws -> [(body: String, authorization: String)] {
        let operations = events.map { ["op": "webhook", "event": $0, "key": LiveKitInterop.key, "secret": LiveKitInterop.secret, "ttl_seconds": 600] }
        return try await LiveKitInterop.run(operations).map { ($0["body"] as? String ?? "", $0["authorization"] as? String ?? "") }
    }

    static func deliver(_ client: HTTPTestClient, _ webhook: (body: String, authorization: String)) async throws {
        let result = try await LiveKitTests.deliver(client, body: webhook.body, authorization: webhook.authorization)
        #expect(result.status == 200, "\(result.text)")
    }

    static func queueToken(_ client: HTTPTestClient, _ room: String, _ token: String?, with: [String]? = nil) async throws -> HTTPResult {
        var body: [String: Any] = ["room": room, "queue": true]
        if let with { body["with"] = with }
        return try await client.post("/api/livekit/token", body, token: token)
    }

    /// Whether the socket's `voice.queue` events arrive at `position` (`nil`: out of the queue).
    static func place(of socket: TestSocket, reaches position: Int?) async -> Bool {
        while let frame = await socket.next(type: "voice.queue", timeout: .seconds(10)) {
            if let position, frame["position"] as? Int == position { return true }
            if position == nil, frame["position"] is NSNull { return true }
        }
        return false
    }

    /// The people of every sub-room as `username:state:muted`, sorted.
    static func roster(_ subrooms: [[String: Any]]) -> [String] {
        subrooms.flatMap { subroom in
            (subroom["participants"] as? [[String: Any]] ?? []).map { person in
                "\(person["username"] as? String ?? "?"):\(subroom["index"] as? Int ?? 0):\(person["state"] as? String ?? "?"):\((person["muted"] as? Bool ?? false) ? "muted" : "live")"
            }
        }.sorted()
    }

    @Test("roster: three participants appear, publish, mute and leave; a member's socket sees each change within 1 s and GET …/voice matches", .timeLimit(.minutes(3)))
    func roster() async throws {
        let double = try await TwirpDouble()
        try await TestServer.run(config: LiveKitTests.config(double)) { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["owner", "alice", "bob", "carol", "watcher"])
            let people = ["alice", "bob", "carol"]
            let events = try await Self.signed(
                people.enumerated().flatMap { index, name -> [[String: Any]] in
                    let sid = "PA_\(name)"
                    let mic: [String: Any] = ["sid": "TR_\(name)", "type": "AUDIO", "source": "MICROPHONE"]
                    return [
                        LiveKitTests.event("participant_joined", id: "EV_j\(index)", room: "Lobby", identity: name, sid: sid),
                        LiveKitTests.event("track_published", id: "EV_p\(index)", room: "Lobby", identity: name, sid: sid, track: mic),
                        LiveKitTests.event("track_unpublished", id: "EV_u\(index)", room: "Lobby", identity: name, sid: sid, track: mic),
                        LiveKitTests.event("participant_left", id: "EV_l\(index)", room: "Lobby", identity: name, sid: sid),
                    ]
                })
            // A member who is not in voice watches.
            let watcher = TestSocket(port: client.port, query: "access_token=\(tokens["watcher"]!)")
            _ = await watcher.next(type: "ready")
            var expected: Set<String> = []

            /// Waits for the watcher's `voice.roster` to show `expected`; returns how long it took.
            func sees(_ what: String, after start: ContinuousClock.Instant) async throws -> Duration {
                while let frame = await watcher.next(type: "voice.roster", timeout: .seconds(5)) {
                    let subrooms = frame["subrooms"] as? [[String: Any]] ?? []
                    guard Set(Self.roster(subrooms)) == expected else { continue }
                    let elapsed = ContinuousClock.now - start
                    #expect(frame["room"] as? String == "Lobby" && frame["queue_length"] as? Int == 0)
                    let fetched = try await client.get("/api/rooms/Lobby/voice", token: tokens["watcher"])
                    #expect(
                        (fetched["subrooms"] as? NSArray)?.isEqual(to: subrooms) == true, "GET …/voice matches the event: \(fetched.text) vs \(subrooms)")
                    #expect(fetched["queue_length"] as? Int == 0 && fetched["my_queue_position"] is NSNull)
                    return elapsed
                }
                throw TestFailure("the watcher never saw \(what): expected \(expected.sorted())")
            }

            var slowest: Duration = .zero
            for name in people {
                // Timed from the seat's commit, which the token's answer follows (the answer also
                // waits on LiveKit's CreateRoom, which is not the roster's doing).
                #expect(try await LiveKitTests.token(client, "Lobby", tokens[name]).status == 200)
                let start = ContinuousClock.now
                expected.insert("\(name):1:reserved:muted")
                slowest = max(slowest, try await sees("\(name) joining", after: start))
            }
            for (index, name) in people.enumerated() {
                for (step, state) in [(0, "joined:muted"), (1, "joined:live"), (2, "joined:muted")] {
                    let start = ContinuousClock.now
                    try await Self.deliver(client, events[index * 4 + step])
                    expected = expected.filter { !$0.hasPrefix("\(name):") }.union(["\(name):1:\(state)"])
                    slowest = max(slowest, try await sees("\(name) \(state)", after: start))
                }
            }
            let roles = try await client.get("/api/rooms/Lobby/voice", token: tokens["watcher"])
            let listed = (roles["subrooms"] as? [[String: Any]])?.first?["participants"] as? [[String: Any]] ?? []
            #expect(listed.allSatisfy { $0["role"] as? String == "member" && $0["voice_muted"] as? Bool == false && $0["display_name"] is String })
            for (index, name) in people.enumerated() {
                let start = ContinuousClock.now
                try await Self.deliver(client, events[index * 4 + 3])
                expected = expected.filter { !$0.hasPrefix("\(name):") }
                slowest = max(slowest, try await sees("\(name) leaving", after: start))
            }
            #expect(slowest < .seconds(1), "every change reached the socket within 1 s; the slowest took \(slowest)")
            print("roster: 12 changes, the slowest reached a member's socket \(slowest.formatted(.units(allowed: [.milliseconds]))) after its webhook")
            // The room list says how many are in voice.
            _ = try await LiveKitTests.token(client, "Lobby", tokens["alice"])
            let rooms = try await client.get("/api/rooms", token: tokens["watcher"])["rooms"] as? [[String: Any]] ?? []
            #expect(rooms.first { $0["name"] as? String == "Lobby" }?["in_voice"] as? Int == 1, "\(rooms)")
        }
    }

    @Test("queue: 5 wait at positions 1–5 behind a full room; freed seats are offered in order with tokens LiveKit verifies; an offer not taken passes on", .timeLimit(.minutes(3)))
    func queue() async throws {
        let double = try await TwirpDouble()
        let config = LiveKitTests.config(double, ["livekit_reservation_seconds": 5])
        let plugins: [String: Any] = [
            "auth": [TestServer.fastLocalAuth],
            "subrooms": ["plugin": "capacity", "config": ["capacity": 2, "max_subrooms": 2, "moderator_headroom": 0]],
        ]
        try await TestServer.run(config: config, plugins: plugins) { client, _ in
            let seated = ["s1", "s2", "s3", "s4"]
            let waiting = ["w1", "w2", "w3", "w4", "w5"]
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["owner"] + seated + waiting + ["leaver", "closer"])
            for name in seated { #expect(try await Self.queueToken(client, "Lobby", tokens[name]).status == 200) }
            let joins = try await Self.signed(
                seated.enumerated().flatMap { index, name in
                    [
                        LiveKitTests.event("participant_joined", id: "EV_j\(index)", room: index < 2 ? "Lobby" : "Lobby(2)", identity: name, sid: "PA_\(name)"),
                        LiveKitTests.event("participant_left", id: "EV_l\(index)", room: index < 2 ? "Lobby" : "Lobby(2)", identity: name, sid: "PA_\(name)"),
                    ]
                }
                    + waiting.prefix(3).enumerated().map { index, name in
                        LiveKitTests.event("participant_joined", id: "EV_w\(index)", room: "Lobby", identity: name, sid: "PA_\(name)")
                    })
            for index in seated.indices { try await Self.deliver(client, joins[index * 2]) }
            // Without "queue", a full room is still 409.
            let refused = try await LiveKitTests.token(client, "Lobby", tokens["w1"])
            #expect(refused.status == 409 && refused.errorCode == "room_full")
            var sockets: [String: TestSocket] = [:]
            for name in waiting {
                let socket = TestSocket(port: client.port, query: "access_token=\(tokens[name]!)")
                _ = await socket.next(type: "ready")
                sockets[name] = socket
            }
            for (index, name) in waiting.enumerated() {
                let queued = try await Self.queueToken(client, "Lobby", tokens[name])
                #expect(queued.status == 202 && queued["queued"] as? Bool == true && queued["position"] as? Int == index + 1, "\(name): \(queued.text)")
            }
            let again = try await Self.queueToken(client, "Lobby", tokens["w3"])
            #expect(again.status == 202 && again["position"] as? Int == 3, "asking again keeps the place")
            let voice = try await client.get("/api/rooms/Lobby/voice", token: tokens["w4"])
            #expect(voice["queue_length"] as? Int == 5 && voice["my_queue_position"] as? Int == 4, "\(voice.text)")

            // s1 and s2 leave Lobby, s3 leaves Lobby(2): three seats free.
            for index in [0, 1, 2] { try await Self.deliver(client, joins[index * 2 + 1]) }
            var offered: [String] = []
            for name in waiting.prefix(3) {
                let offer = try #require(await sockets[name]!.next(type: "voice.seat_offered"), "\(name) is offered a seat")
                #expect(offer["channel"] as? String == "Lobby" && offer["url"] as? String == "ws://127.0.0.1:7880")
                offered.append(offer["token"] as? String ?? "")
            }
            let claims = try await LiveKitInterop.verify(offered)
            #expect(claims.allSatisfy { $0["ok"] as? Bool == true }, "\(claims)")
            #expect(Set(claims.compactMap { ($0["video"] as? [String: Any])?["room"] as? String }) == ["Lobby", "Lobby(2)"], "\(claims)")
            #expect(claims.map { $0["identity"] as? String ?? "" } == ["w1", "w2", "w3"])
            // The rest are told their new places as each seat is offered.
            #expect(await Self.place(of: sockets["w4"]!, reaches: 1))
            #expect(await Self.place(of: sockets["w5"]!, reaches: 2))
            #expect(await sockets["w4"]!.next(type: "voice.seat_offered", timeout: .milliseconds(500)) == nil, "no fourth seat is free")

            // w1 and w2 take their seats; w3 does not, and after 5 s the seat passes to w4.
            try await Self.deliver(client, joins[8])
            try await Self.deliver(client, joins[9])
            let passed = try #require(await sockets["w4"]!.next(type: "voice.seat_offered", timeout: .seconds(15)), "the untaken offer passes on")
            let passedClaims = try await LiveKitInterop.verify([passed["token"] as? String ?? ""])
            #expect(passedClaims.first?["identity"] as? String == "w4")
            #expect(await Self.place(of: sockets["w5"]!, reaches: 1))

            // Leaving the queue.
            #expect(try await client.request(.delete, "/api/rooms/Lobby/voice/queue", token: tokens["w5"]).status == 204)
            #expect(await Self.place(of: sockets["w5"]!, reaches: nil))
            #expect(try await client.get("/api/rooms/Lobby/voice", token: tokens["w5"])["queue_length"] as? Int == 0)

            // w4 takes the passed-on seat; then leaving the room, or closing every socket, leaves the queue too.
            let w4Room = (passedClaims.first?["video"] as? [String: Any])?["room"] as? String ?? ""
            try await Self.deliver(client, try await Self.signed([LiveKitTests.event("participant_joined", id: "EV_w4", room: w4Room, identity: "w4", sid: "PA_w4")])[0])
            #expect(try await Self.queueToken(client, "Lobby", tokens["leaver"])["position"] as? Int == 1)
            let closer = TestSocket(port: client.port, query: "access_token=\(tokens["closer"]!)")
            _ = await closer.next(type: "ready")
            #expect(try await Self.queueToken(client, "Lobby", tokens["closer"])["position"] as? Int == 2)
            #expect(try await client.post("/api/rooms/Lobby/leave", [:], token: tokens["leaver"]).status < 300)
            #expect(await Self.place(of: closer, reaches: 1), "closer moves up when leaver leaves the room")
            closer.disconnect()
            var length = 1
            for _ in 0..<60 where length != 0 {
                try await Task.sleep(for: .milliseconds(500))
                length = try await client.get("/api/rooms/Lobby/voice", token: tokens["owner"])["queue_length"] as? Int ?? -1
            }
            #expect(length == 0, "closing every socket leaves the queue after the grace")
        }
    }

    @Test("a queued user who is voice-banned or leaves the room is not offered a seat; a request that does not queue does not pass those who wait", .timeLimit(.minutes(2)))
    func queueSkipsTheGone() async throws {
        let double = try await TwirpDouble()
        let plugins: [String: Any] = [
            "auth": [TestServer.fastLocalAuth],
            "subrooms": ["plugin": "capacity", "config": ["capacity": 1, "max_subrooms": 1, "moderator_headroom": 0]],
        ]
        try await TestServer.run(config: LiveKitTests.config(double), plugins: plugins) { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["owner", "sitter", "banned", "leaver", "next", "plain"])
            #expect(try await LiveKitTests.token(client, "Lobby", tokens["sitter"]).status == 200)
            let events = try await Self.signed([
                LiveKitTests.event("participant_joined", id: "EV_j", room: "Lobby", identity: "sitter", sid: "PA_s"),
                LiveKitTests.event("participant_left", id: "EV_l", room: "Lobby", identity: "sitter", sid: "PA_s"),
            ])
            try await Self.deliver(client, events[0])
            let next = TestSocket(port: client.port, query: "access_token=\(tokens["next"]!)")
            _ = await next.next(type: "ready")
            for (index, name) in ["banned", "leaver", "next"].enumerated() {
                #expect(try await Self.queueToken(client, "Lobby", tokens[name])["position"] as? Int == index + 1)
            }
            #expect(try await client.post("/api/rooms/Lobby/voice/bans", ["username": "banned"], token: tokens["owner"]).status == 201)
            #expect(try await client.post("/api/rooms/Lobby/leave", [:], token: tokens["leaver"]).status < 300)
            #expect(await Self.place(of: next, reaches: 1), "next moves to the head")
            let plain = try await LiveKitTests.token(client, "Lobby", tokens["plain"])
            #expect(plain.status == 409 && plain.errorCode == "room_full", "\(plain.text)")

            try await Self.deliver(client, events[1])
            let offer = try #require(await next.next(type: "voice.seat_offered"), "the seat goes to the first who still waits")
            let claims = try await LiveKitInterop.verify([offer["token"] as? String ?? ""])
            #expect(claims.first?["identity"] as? String == "next")
            // The offered token lasts as long as the seat is held for it.
            let expires = try #require((offer["expires_at"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
            #expect(expires.timeIntervalSinceNow < Double(60 + 5), "\(expires)")
            // While the seat is held for next, nobody else takes it, queue or not.
            #expect(try await LiveKitTests.token(client, "Lobby", tokens["plain"]).status == 409)
            let voice = try await client.get("/api/rooms/Lobby/voice", token: tokens["owner"])
            #expect(Self.roster(voice["subrooms"] as? [[String: Any]] ?? []) == ["next:1:reserved:muted"] && voice["queue_length"] as? Int == 0)
        }
    }

    @Test("move: the moved user gets a token for the new sub-room, LiveKit drops the old connection, occupancy is right on both sides; mute_all mutes a sub-room", .timeLimit(.minutes(3)))
    func move() async throws {
        let double = try await TwirpDouble()
        let plugins: [String: Any] = [
            "auth": [TestServer.fastLocalAuth], "subrooms": ["plugin": "capacity", "config": ["capacity": 2, "max_subrooms": 3]],
        ]
        try await TestServer.run(config: LiveKitTests.config(double), plugins: plugins) { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["owner", "alice", "bob", "carol"])
            for name in ["alice", "bob", "carol"] { #expect(try await LiveKitTests.token(client, "Lobby", tokens[name]).status == 200) }
            try await double.addParticipant(room: "Lobby", identity: "alice", sid: "PA_alice", sources: ["microphone"])
            try await double.addParticipant(room: "Lobby", identity: "bob", sid: "PA_bob", sources: ["microphone"])
            let joins = try await Self.signed([
                LiveKitTests.event("participant_joined", id: "EV_a", room: "Lobby", identity: "alice", sid: "PA_alice"),
                LiveKitTests.event("participant_joined", id: "EV_b", room: "Lobby", identity: "bob", sid: "PA_bob"),
                LiveKitTests.event("participant_left", id: "EV_al", room: "Lobby", identity: "alice", sid: "PA_alice"),
            ])
            try await Self.deliver(client, joins[0])
            try await Self.deliver(client, joins[1])
            let alice = TestSocket(port: client.port, query: "access_token=\(tokens["alice"]!)")
            _ = await alice.next(type: "ready")

            // Only moderators move; into a full sub-room, no.
            #expect(try await client.post("/api/rooms/Lobby/voice/move", ["username": "alice", "subroom": 2], token: tokens["bob"]).status == 403)
            let full = try await client.post("/api/rooms/Lobby/voice/move", ["username": "carol", "subroom": 1], token: tokens["owner"])
            #expect(full.status == 409 && full.errorCode == "subroom_full", "\(full.text)")
            let outside = try await client.post("/api/rooms/Lobby/voice/move", ["username": "alice", "subroom": 9], token: tokens["owner"])
            #expect(outside.status == 409 && outside.errorCode == "subroom_unavailable", "\(outside.text)")
            let yourself = try await client.post("/api/rooms/Lobby/voice/move", ["username": "owner", "subroom": 2], token: tokens["owner"])
            #expect(yourself.status == 403, "\(yourself.text)")

            #expect(try await client.post("/api/rooms/Lobby/voice/move", ["username": "alice", "subroom": 2], token: tokens["owner"]).status == 204)
            let moved = try #require(await alice.next(type: "voice.moved"), "alice is told")
            #expect(moved["room"] as? String == "Lobby(2)" && moved["subroom"] as? Int == 2 && moved["channel"] as? String == "Lobby")
            let claims = try await LiveKitInterop.verify([moved["token"] as? String ?? ""])
            #expect((claims.first?["video"] as? [String: Any])?["room"] as? String == "Lobby(2)" && claims.first?["identity"] as? String == "alice")
            let removals = try await double.calls("RemoveParticipant")
            #expect(removals.contains { ($0["request"] as? [String: Any])?["room"] as? String == "Lobby" && ($0["request"] as? [String: Any])?["identity"] as? String == "alice" }, "\(removals)")
            let after = Self.roster(try await LiveKitTests.voice(client, "Lobby", tokens["owner"]))
            #expect(after == ["alice:2:reserved:muted", "bob:1:joined:muted", "carol:2:reserved:muted"], "\(after)")
            // The old connection's leave arrives late: it frees nothing.
            try await Self.deliver(client, joins[2])
            #expect(Self.roster(try await LiveKitTests.voice(client, "Lobby", tokens["owner"])) == after)
            let audit = try await client.get("/api/rooms/Lobby/audit", token: tokens["owner"])
            #expect((audit["entries"] as? [[String: Any]] ?? []).contains { $0["action"] as? String == "voice_move" }, "\(audit.text)")

            // Mute all: bob's microphone in Lobby.
            let muted = try await client.post("/api/rooms/Lobby/voice/mute_all", ["subroom": 1], token: tokens["owner"])
            #expect(muted.status == 200 && muted["muted"] as? Int == 1, "\(muted.text)")
            let mutes = try await double.calls("MutePublishedTrack")
            #expect(mutes.contains { ($0["request"] as? [String: Any])?["identity"] as? String == "bob" }, "\(mutes)")
            #expect(try await client.post("/api/rooms/Lobby/voice/mute_all", ["subroom": 1], token: tokens["carol"]).status == 403)
        }
    }

    @Test("a voice-banned user is refused tokens and removed again when a join with an old token arrives; a voice-muted user's new token is listen-only until lifted", .timeLimit(.minutes(3)))
    func moderationSticks() async throws {
        let double = try await TwirpDouble()
        try await TestServer.run(config: LiveKitTests.config(double)) { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["owner", "member", "quiet"])
            let old = try await LiveKitTests.token(client, "Lobby", tokens["member"])
            #expect(old.status == 200)
            let ban = try await client.post("/api/rooms/Lobby/voice/bans", ["username": "member", "reason": "  shouting  "], token: tokens["owner"])
            #expect(ban.status == 201 && ban["reason"] as? String == "shouting" && ban["expires_at"] is NSNull && ban["banned_by"] as? String == "owner", "\(ban.text)")
            let refused = try await LiveKitTests.token(client, "Lobby", tokens["member"])
            #expect(refused.status == 403 && refused.errorCode == "voice_banned", "\(refused.text)")
            #expect(try await client.post("/api/rooms/Lobby/voice/bans", ["username": "owner"], token: tokens["quiet"]).status == 403)
            let listed = try await client.get("/api/rooms/Lobby/voice/bans", token: tokens["owner"])
            #expect((listed["bans"] as? [[String: Any]])?.map { $0["username"] as? String } == ["member"], "\(listed.text)")
            #expect(try await client.get("/api/rooms/Lobby/voice/bans", token: tokens["quiet"]).status == 403)

            // Connecting with the token minted before the ban: removed again.
            func removals() async throws -> Int {
                try await double.calls("RemoveParticipant").filter { ($0["request"] as? [String: Any])?["identity"] as? String == "member" }.count
            }
            let before = try await removals()
            let join = try await Self.signed([LiveKitTests.event("participant_joined", id: "EV_b", room: "Lobby", identity: "member", sid: "PA_b")])
            try await Self.deliver(client, join[0])
            var removed = false
            for _ in 0..<40 where !removed {
                removed = try await removals() > before
                if !removed { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(removed, "the banned participant is removed on LiveKit")
            #expect(LiveKitTests.participants(try await LiveKitTests.voice(client, "Lobby", tokens["owner"])).isEmpty)
            #expect(try await client.request(.delete, "/api/rooms/Lobby/voice/bans/member", token: tokens["owner"]).status == 204)
            #expect(try await client.request(.delete, "/api/rooms/Lobby/voice/bans/member", token: tokens["owner"]).status == 404)
            #expect(try await LiveKitTests.token(client, "Lobby", tokens["member"]).status == 200)
            let soon = Date().addingTimeInterval(3600).formatted(.iso8601)
            let timed = try await client.post("/api/rooms/Lobby/voice/bans", ["username": "member", "expires_at": soon], token: tokens["owner"])
            #expect(timed.status == 201 && timed["expires_at"] as? String != nil)

            // A sticky mute: listen-only until lifted, listed for moderators.
            #expect(try await client.post("/api/rooms/Lobby/voice/mute", ["username": "quiet"], token: tokens["owner"]).status == 204)
            #expect(try await VoiceMuteTests.canPublish(client, tokens["quiet"]) == false)
            let mutes = try await client.get("/api/rooms/Lobby/voice/mutes", token: tokens["owner"])
            let entry = (mutes["mutes"] as? [[String: Any]])?.first
            #expect(entry?["username"] as? String == "quiet" && entry?["expires_at"] is NSNull, "\(mutes.text)")
            let seat = (try await LiveKitTests.voice(client, "Lobby", tokens["owner"])).flatMap { $0["participants"] as? [[String: Any]] ?? [] }
            #expect(seat.first { $0["username"] as? String == "quiet" }?["voice_muted"] as? Bool == true, "\(seat)")
            #expect(try await client.request(.delete, "/api/rooms/Lobby/voice/mutes/quiet", token: tokens["owner"]).status == 204)
            #expect(try await VoiceMuteTests.canPublish(client, tokens["quiet"]) == true)
            let audit = try await client.get("/api/rooms/Lobby/audit", token: tokens["owner"])
            let actions = (audit["entries"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(actions.contains("voice_ban") && actions.contains("voice_unban"), "\(actions)")
        }
    }

    @Test("two instances on one PostgreSQL serve one queue: 500 concurrent requests, no overfill, no seat offered twice", .timeLimit(.minutes(6)))
    func queueAcrossInstances() async throws {
        let double = try await TwirpDouble()
        let strategy: [String: Any] = ["subrooms": ["plugin": "capacity", "config": ["capacity": 5, "max_subrooms": 4, "moderator_headroom": 0]]]
        try await PostgresInstancesTests.twoInstances(config: LiveKitTests.config(double), plugins: strategy) { a, b in
            let (owner, _) = try await a.signUp("owner")
            _ = try await a.post("/api/rooms", ["name": "Lobby"], token: owner)
            let users = (0..<500).map { "user\($0)" }
            let all = try await a.signUpAndJoin(users, room: "Lobby")
            let (slowA, slowB) = (HTTPTestClient(port: a.port, timeout: .seconds(120)), HTTPTestClient(port: b.port, timeout: .seconds(120)))
            let results = try await withThrowingTaskGroup(of: (String, HTTPResult).self) { group in
                for (index, name) in users.enumerated() {
                    let instance = index.isMultiple(of: 2) ? slowA : slowB
                    group.addTask { (name, try await Self.queueToken(instance, "Lobby", all[name])) }
                }
                return try await group.reduce(into: [(String, HTTPResult)]()) { $0.append($1) }
            }
            let seated = results.filter { $0.1.status == 200 }
            let queued = results.filter { $0.1.status == 202 }
            #expect(seated.count == 20 && queued.count == 480, "\(results.filter { $0.1.status != 200 && $0.1.status != 202 }.prefix(3).map(\.1.text))")
            var byPosition: [Int: String] = [:]
            for (name, result) in queued { byPosition[result["position"] as? Int ?? 0] = name }
            #expect(byPosition.keys.sorted() == Array(1...480), "480 distinct places")
            var perRoom: [String: Int] = [:]
            for (_, result) in seated { perRoom[result["room"] as? String ?? "", default: 0] += 1 }
            #expect(perRoom.values.allSatisfy { $0 == 5 } && perRoom.count == 4, "\(perRoom)")

            // The first 15 in line listen, on both instances.
            var sockets: [Int: TestSocket] = [:]
            for position in 1...15 {
                guard let name = byPosition[position] else { continue }
                let socket = TestSocket(port: (position.isMultiple(of: 2) ? a : b).port, query: "access_token=\(all[name]!)")
                _ = await socket.next(type: "ready")
                sockets[position] = socket
            }
            // Everyone seated joins; ten leave, their webhooks reaching both instances.
            let events = try await Self.signed(
                seated.enumerated().flatMap { index, entry in
                    let room = entry.1["room"] as? String ?? ""
                    return [
                        LiveKitTests.event("participant_joined", id: "EV_j\(index)", room: room, identity: entry.0, sid: "PA_\(index)"),
                        LiveKitTests.event("participant_left", id: "EV_l\(index)", room: room, identity: entry.0, sid: "PA_\(index)"),
                    ]
                })
            for index in seated.indices { try await Self.deliver(a, events[index * 2]) }
            for index in 0..<10 { try await Self.deliver(index.isMultiple(of: 2) ? a : b, events[index * 2 + 1]) }

            var offers: [String] = []
            for position in 1...10 {
                let offer = try #require(await sockets[position]?.next(type: "voice.seat_offered", timeout: .seconds(20)), "place \(position) is offered a seat")
                offers.append(offer["token"] as? String ?? "")
            }
            for position in 11...15 {
                var last: Int?
                while let frame = await sockets[position]?.next(type: "voice.queue", timeout: .seconds(3)) { last = frame["position"] as? Int }
                #expect(last == position - 10, "place \(position) moves up to \(position - 10), saw \(String(describing: last))")
            }
            for position in 1...15 {
                #expect(await sockets[position]?.next(type: "voice.seat_offered", timeout: .milliseconds(200)) == nil, "nobody is offered twice")
            }
            let claims = try await LiveKitInterop.verify(offers)
            #expect(claims.allSatisfy { $0["ok"] as? Bool == true })
            #expect(claims.compactMap { $0["identity"] as? String } == (1...10).compactMap { byPosition[$0] }, "offers in queue order")
            let voice = try await b.get("/api/rooms/Lobby/voice", token: owner)
            let subrooms = voice["subrooms"] as? [[String: Any]] ?? []
            let counts = subrooms.map { ($0["participants"] as? [Any] ?? []).count }
            #expect(counts.reduce(0, +) == 20 && counts.allSatisfy { $0 <= 5 }, "no overfill: \(counts)")
            #expect(voice["queue_length"] as? Int == 470)
        }
    }
}
