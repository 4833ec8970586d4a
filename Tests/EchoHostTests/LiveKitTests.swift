import Crypto
import Foundation
import HTTPTypes
import Synchronization
import Testing

@testable import EchoChatServer

/// LiveKit tokens, seats and webhooks, judged by LiveKit's own Python server SDK.
@Suite("LiveKit")
struct LiveKitTests {
    static func config(_ double: TwirpDouble?, _ extra: [String: Any] = [:]) -> [String: Any] {
        var config: [String: Any] = [
            "livekit_enabled": true, "livekit_api_key": LiveKitInterop.key, "livekit_api_secret": LiveKitInterop.secret,
            "livekit_api_url": double?.url ?? "http://127.0.0.1:9", "livekit_ws_url": "ws://127.0.0.1:7880",
            "rate_limit_register": "off", "rate_limit_login_per_address": "off", "rate_limit_livekit_token": "off",
            // The reconciliation would free seats the double does not list once a slow run passes 30 s;
            // only the test about reconciliation turns it on.
            "livekit_reconcile_interval_seconds": 3600,
        ]
        config.merge(extra) { $1 }
        return config
    }

    static func token(_ client: HTTPTestClient, _ room: String, _ token: String?) async throws -> HTTPResult {
        try await client.post("/api/livekit/token", ["room": room], token: token)
    }

    static func voice(_ client: HTTPTestClient, _ room: String, _ token: String?) async throws -> [[String: Any]] {
        try await client.get("/api/rooms/\(room)/voice", token: token)["subrooms"] as? [[String: Any]] ?? []
    }

    static func participants(_ subrooms: [[String: Any]]) -> [String] {
        subrooms.flatMap { ($0["participants"] as? [[String: Any]] ?? []).filter { $0["state"] as? String == "joined" }.compactMap { $0["username"] as? String } }
            .sorted()
    }

    /// Posts a webhook as LiveKit does: the bare JWT in Authorization, the body as signed.
    static func deliver(_ client: HTTPTestClient, body: String, authorization: String) async throws -> HTTPResult {
        try await client.request(.post, "/api/livekit/webhook", rawBody: body, headers: [.authorization: authorization])
    }

    static func event(_ kind: String, id: String, room: String, identity: String, sid: String, track: [String: Any]? = nil) -> [String: Any] {
        var event: [String: Any] = [
            "event": kind, "id": id, "createdAt": "1764150042", "room": ["sid": "RM_x", "name": room],
            "participant": ["sid": sid, "identity": identity, "state": kind == "participant_left" ? "DISCONNECTED" : "ACTIVE"],
        ]
        if let track { event["track"] = track }
        return event
    }

    @Test("minted tokens pass LiveKit's TokenVerifier with the grants each role and room setting calls for")
    func tokenClaims() async throws {
        let double = try await TwirpDouble()
        try await TestServer.run(config: Self.config(double)) { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Open", ["owner", "mod", "member", "muted"])
            _ = try await client.request(.put, "/api/rooms/Open/members/mod", json: ["role": "moderator"], token: tokens["owner"])
            _ = try await client.post(
                "/api/rooms", ["name": "NoVideo", "voice": ["allow_video": false, "allow_screen_share": false]], token: tokens["owner"])
            _ = try await client.post("/api/rooms", ["name": "Quiet", "readonly": true], token: tokens["owner"])
            for room in ["NoVideo", "Quiet"] {
                for name in ["mod", "member"] { _ = try await client.post("/api/rooms/\(room)/join", token: tokens[name]) }
            }
            _ = try await client.request(.put, "/api/rooms/Quiet/members/mod", json: ["role": "moderator"], token: tokens["owner"])
            #expect(try await client.post("/api/rooms/Open/voice/mute", ["username": "muted"], token: tokens["owner"]).status == 204)
            // A display name that needs escaping reaches LiveKit unchanged.
            let displayName = "Zoë \"Z\" \\ O'Neil 🎧"
            _ = try await client.post("/api/auth/register", ["username": "zoe", "password": "correct horse battery", "display_name": displayName])
            let zoe = try #require(try await client.login("zoe")["access_token"] as? String)
            _ = try await client.post("/api/rooms/Open/join", token: zoe)
            let zoeToken = try await Self.token(client, "Open", zoe)["token"] as? String ?? ""
            #expect(try await LiveKitInterop.verify([zoeToken])[0]["name"] as? String == displayName)

            let everything = ["microphone", "camera", "screen_share", "screen_share_audio"]
            let cases: [(user: String, room: String, role: String, sources: [String]?)] = [
                ("owner", "Open", "owner", everything), ("mod", "Open", "moderator", everything), ("member", "Open", "member", everything),
                ("muted", "Open", "member", nil), ("member", "NoVideo", "member", ["microphone"]), ("member", "Quiet", "member", nil),
                ("mod", "Quiet", "moderator", everything),
            ]
            var minted: [String] = []
            for (user, room, _, _) in cases {
                let result = try await Self.token(client, room, tokens[user])
                #expect(result.status == 200, "\(user) in \(room): \(result.text)")
                #expect(result["url"] as? String == "ws://127.0.0.1:7880")
                #expect(result["room"] as? String == room && result["subroom"] as? Int == 1 && result["identity"] as? String == user)
                #expect((result["expires_at"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) } != nil)
                minted.append(result["token"] as? String ?? "")
            }
            let verified = try await LiveKitInterop.verify(minted)
            for ((user, room, role, sources), claims) in zip(cases, verified) {
                let label = "\(user) in \(room)"
                #expect(claims["ok"] as? Bool == true, "\(label): \(String(describing: claims["error"]))")
                #expect(claims["identity"] as? String == user && claims["name"] as? String == user, "\(label)")
                let metadata = (claims["metadata"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any]
                #expect(metadata?["role"] as? String == role && metadata?["user_id"] is Int, "\(label)")
                let video = try #require(claims["video"] as? [String: Any], "\(label)")
                #expect(video["room_join"] as? Bool == true && video["room"] as? String == room && video["can_subscribe"] as? Bool == true, "\(label)")
                #expect(video["can_publish"] as? Bool == (sources != nil) && video["can_publish_data"] as? Bool == (sources != nil), "\(label)")
                #expect((video["can_publish_sources"] as? [String] ?? []) == (sources ?? []), "\(label)")
                for power in ["room_create", "room_list", "room_admin", "room_record"] {
                    #expect(video[power] as? Bool != true, "\(label) must not hold \(power)")
                }
                let raw = try #require(claims["raw"] as? [String: Any])
                #expect(raw["iss"] as? String == LiveKitInterop.key && raw["sub"] as? String == user, "\(label)")
                #expect((raw["exp"] as? Int ?? 0) - (raw["nbf"] as? Int ?? 0) == 600, "livekit_token_ttl_seconds")
                #expect((claims["header"] as? [String: Any])?["alg"] as? String == "HS256")
            }
            // The wrong secret is refused by the same verifier.
            let forged = try await LiveKitInterop.verify([minted[0]], secret: "another secret")
            #expect(forged[0]["ok"] as? Bool == false)
        }
    }

    @Test("signed webhooks seat and free participants; forged, altered, expired, duplicate and stale ones change nothing")
    func webhooks() async throws {
        let double = try await TwirpDouble()
        try await TestServer.run(config: Self.config(double)) { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["owner", "member", "mod"])
            let listener = TestSocket(port: client.port, query: "access_token=\(tokens["owner"]!)")
            _ = await listener.next(type: "ready")
            #expect(try await Self.token(client, "Lobby", tokens["member"]).status == 200)
            #expect(try await Self.voice(client, "Lobby", tokens["owner"]).first?["reserved"] as? Int == 1)

            let joined = try await LiveKitInterop.webhook(Self.event("participant_joined", id: "EV_1", room: "Lobby", identity: "member", sid: "PA_1"))
            #expect(try await Self.deliver(client, body: joined.body, authorization: joined.authorization).status == 200)
            var subrooms = try await Self.voice(client, "Lobby", tokens["owner"])
            #expect(Self.participants(subrooms) == ["member"] && subrooms.first?["reserved"] as? Int == 0)
            let event = try #require(await listener.next(type: "voice.occupancy"))
            #expect(event["room"] as? String == "Lobby")

            // Forged (another secret), altered after signing, expired: 401, nothing changes.
            let leave = Self.event("participant_left", id: "EV_2", room: "Lobby", identity: "member", sid: "PA_1")
            let forged = try await LiveKitInterop.webhook(leave, secret: "not the secret")
            let forgedResult = try await Self.deliver(client, body: forged.body, authorization: forged.authorization)
            #expect(forgedResult.status == 401 && forgedResult.errorCode == "invalid_webhook_signature")
            let genuine = try await LiveKitInterop.webhook(leave)
            let altered = genuine.body.replacingOccurrences(of: "PA_1", with: "PA_9")
            #expect(try await Self.deliver(client, body: altered, authorization: genuine.authorization).status == 401)
            let expired = try await LiveKitInterop.webhook(leave, ttl: -120)
            #expect(try await Self.deliver(client, body: expired.body, authorization: expired.authorization).status == 401)
            #expect(try await Self.deliver(client, body: genuine.body, authorization: "").status == 401)
            #expect(Self.participants(try await Self.voice(client, "Lobby", tokens["owner"])) == ["member"])

            // A reconnect: the new sid joins, then the old sid's leave arrives late and changes nothing.
            let rejoined = try await LiveKitInterop.webhook(Self.event("participant_joined", id: "EV_3", room: "Lobby", identity: "member", sid: "PA_2"))
            #expect(try await Self.deliver(client, body: rejoined.body, authorization: "Bearer " + rejoined.authorization).status == 200)
            #expect(try await Self.deliver(client, body: genuine.body, authorization: genuine.authorization).status == 200)
            #expect(Self.participants(try await Self.voice(client, "Lobby", tokens["owner"])) == ["member"])

            // Tracks are tracked.
            let camera = try await LiveKitInterop.webhook(
                Self.event(
                    "track_published", id: "EV_4", room: "Lobby", identity: "member", sid: "PA_2",
                    track: ["sid": "TR_1", "type": "VIDEO", "source": "CAMERA"]))
            #expect(try await Self.deliver(client, body: camera.body, authorization: camera.authorization).status == 200)
            subrooms = try await Self.voice(client, "Lobby", tokens["owner"])
            #expect((subrooms.first?["participants"] as? [[String: Any]])?.first?["publishing"] as? [String] == ["camera"])

            // A join older than the current one (by LiveKit's joinedAtMs) arriving late takes nothing over.
            var stale = Self.event("participant_joined", id: "EV_4b", room: "Lobby", identity: "member", sid: "PA_0")
            stale["participant"] = ["sid": "PA_0", "identity": "member", "state": "ACTIVE", "joinedAtMs": "1000"]
            let staleJoin = try await LiveKitInterop.webhook(stale)
            #expect(try await Self.deliver(client, body: staleJoin.body, authorization: staleJoin.authorization).status == 200)

            // The current sid's leave frees the seat; replaying the join (same id) is a duplicate.
            let left = try await LiveKitInterop.webhook(Self.event("participant_left", id: "EV_5", room: "Lobby", identity: "member", sid: "PA_2"))
            #expect(try await Self.deliver(client, body: left.body, authorization: left.authorization).status == 200)
            #expect(try await Self.voice(client, "Lobby", tokens["owner"]).isEmpty)
            #expect(try await Self.deliver(client, body: rejoined.body, authorization: rejoined.authorization).status == 200)
            #expect(try await Self.voice(client, "Lobby", tokens["owner"]).isEmpty, "a replayed event changes nothing")

            // Events of rooms that are not EchoChat's, and unknown events, are accepted and ignored.
            let other = try await LiveKitInterop.webhook(Self.event("participant_joined", id: "EV_6", room: "Elsewhere", identity: "member", sid: "PA_3"))
            #expect(try await Self.deliver(client, body: other.body, authorization: other.authorization).status == 200)
            let unknown = try await LiveKitInterop.webhook(["event": "egress_started", "id": "EV_7"])
            #expect(try await Self.deliver(client, body: unknown.body, authorization: unknown.authorization).status == 200)
            let metrics = try await client.get("/metrics").text
            #expect(metrics.contains(#"echochat_livekit_webhooks_total{event="unknown",outcome="rejected"} 4"#))
            listener.disconnect()
        }
    }

    @Test(
        "500 concurrent token requests never put more than the limit into a sub-room; the 501st is refused",
        arguments: [
            ["plugin": "capacity", "config": ["capacity": 20, "max_subrooms": 25]],
            ["plugin": "load-weighted", "config": ["load_limit": 20, "max_subrooms": 25]],
        ] as [[String: any Sendable]])
    func concurrentTokens(strategy: [String: any Sendable]) async throws {
        let double = try await TwirpDouble()
        let plugins: [String: Any] = ["auth": [TestServer.fastLocalAuth], "subrooms": strategy]
        try await TestServer.run(config: Self.config(double), plugins: plugins) { client, _ in
            let (owner, _) = try await client.signUp("owner")
            _ = try await client.post("/api/rooms", ["name": "Lobby"], token: owner)
            let users = (0..<501).map { "user\($0)" }
            let all = try await client.signUpAndJoin(users, room: "Lobby")
            let results = try await withThrowingTaskGroup(of: (String, HTTPResult).self) { group in
                for name in users { group.addTask { (name, try await Self.token(client, "Lobby", all[name])) } }
                return try await group.reduce(into: [(String, HTTPResult)]()) { $0.append($1) }
            }
            let granted = results.filter { $0.1.status == 200 }
            let refused = results.filter { $0.1.status == 409 }
            #expect(granted.count == 500 && refused.count == 1, "granted \(granted.count), refused \(refused.count)")
            #expect(refused.first?.1.errorCode == "room_full")
            #expect(Set(granted.map(\.0)).count == 500, "every user has one seat")
            var perRoom: [String: Int] = [:]
            for (_, result) in granted { perRoom[result["room"] as? String ?? "", default: 0] += 1 }
            #expect(Set(perRoom.keys) == Set(["Lobby"] + (2...25).map { "Lobby(\($0))" }))
            #expect(perRoom.values.allSatisfy { $0 == 20 }, "\(perRoom)")
            let subrooms = try await Self.voice(client, "Lobby", owner)
            // Every seat is listed, those still joining as `reserved`, and counted in `reserved` too.
            #expect(
                subrooms.count == 25
                    && subrooms.allSatisfy { subroom in
                        let people = subroom["participants"] as? [[String: Any]] ?? []
                        return people.count == 20 && people.filter { $0["state"] as? String == "reserved" }.count == subroom["reserved"] as? Int
                    })
            // Asking again returns the same sub-room.
            let (again, first) = (try await Self.token(client, "Lobby", all["user7"]), granted.first { $0.0 == "user7" }?.1)
            #expect(again.status == 200 && again["room"] as? String == first?["room"] as? String)
            // Each sub-room was created on LiveKit with the cap, by a call holding only roomCreate.
            var created = try await double.calls("CreateRoom")
            for _ in 0..<100 where Set(created.compactMap { ($0["request"] as? [String: Any])?["name"] as? String }).count < perRoom.count {
                try await Task.sleep(for: .milliseconds(100))  // attempts made in the background after a slow call
                created = try await double.calls("CreateRoom")
            }
            let names = Set(created.compactMap { ($0["request"] as? [String: Any])?["name"] as? String })
            let livekitMetrics = try await client.get("/metrics").text.split(separator: "\n").filter { $0.hasPrefix("echochat_livekit_calls") }
            #expect(names == Set(perRoom.keys), "\(livekitMetrics)")
            #expect(created.count <= 2 * names.count, "concurrent first tokens share one CreateRoom call: \(created.count) calls")
            for call in created {
                let request = call["request"] as? [String: Any]
                // The strategy's cap and one seat of moderator headroom.
                #expect(request?["max_participants"] as? Int == (strategy["plugin"] as? String == "capacity" ? 21 : 41))
                let video = call["video"] as? [String: Any]
                #expect(video?["room_create"] as? Bool == true && video?["room_join"] as? Bool != true && video?["room_admin"] as? Bool != true)
            }
        }
    }

    @Test("a reservation lapses when no join arrives; asking again before that keeps the sub-room")
    func reservationsLapse() async throws {
        let double = try await TwirpDouble()
        let plugins: [String: Any] = ["auth": [TestServer.fastLocalAuth], "subrooms": ["plugin": "capacity", "config": ["capacity": 1]]]
        try await TestServer.run(config: Self.config(double, ["livekit_reservation_seconds": 5]), plugins: plugins) { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["owner", "alice", "bob"])
            #expect(try await Self.token(client, "Lobby", tokens["alice"])["room"] as? String == "Lobby")
            #expect(try await Self.token(client, "Lobby", tokens["bob"])["room"] as? String == "Lobby(2)")
            #expect(try await Self.token(client, "Lobby", tokens["alice"])["room"] as? String == "Lobby", "the same seat again")
            // Alice joins; bob's reservation lapses.
            let joined = try await LiveKitInterop.webhook(Self.event("participant_joined", id: "EV_a", room: "Lobby", identity: "alice", sid: "PA_a"))
            #expect(try await Self.deliver(client, body: joined.body, authorization: joined.authorization).status == 200)
            try await Task.sleep(for: .seconds(6))
            let subrooms = try await Self.voice(client, "Lobby", tokens["owner"])
            #expect(subrooms.count == 1 && Self.participants(subrooms) == ["alice"], "bob's lapsed reservation is gone")
            // The owner now gets sub-room 2, which bob's lapsed reservation had held.
            #expect(try await Self.token(client, "Lobby", tokens["owner"])["room"] as? String == "Lobby(2)")
            // A requested sub-room with space is honoured.
            #expect(try await Self.token(client, "Lobby(5)", tokens["bob"])["room"] as? String == "Lobby(5)")
        }
    }

    @Test("voice mute and kick go through LiveKit's RoomService with just the grant each needs; a kicked user is removed again on rejoin")
    func moderation() async throws {
        let double = try await TwirpDouble()
        try await TestServer.run(config: Self.config(double)) { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["owner", "member", "other"])
            #expect(try await Self.token(client, "Lobby", tokens["member"]).status == 200)
            let person = try await double.addParticipant(room: "Lobby", identity: "member", sid: "PA_m", sources: ["microphone", "camera"])
            let joined = try await LiveKitInterop.webhook(Self.event("participant_joined", id: "EV_m", room: "Lobby", identity: "member", sid: "PA_m"))
            #expect(try await Self.deliver(client, body: joined.body, authorization: joined.authorization).status == 200)

            // A member may not moderate the owner.
            #expect(try await client.post("/api/rooms/Lobby/voice/kick", ["username": "owner"], token: tokens["member"]).status == 403)

            // Mute: the audio track is muted on LiveKit, and later tokens are listen-only.
            #expect(try await client.post("/api/rooms/Lobby/voice/mute", ["username": "member"], token: tokens["owner"]).status == 204)
            let audio = (person["tracks"] as? [[String: Any]] ?? []).first { $0["type"] as? String == "AUDIO" }?["sid"] as? String
            let mutes = try await double.calls("MutePublishedTrack")
            #expect(mutes.count == 1 && (mutes.first?["request"] as? [String: Any])?["track_sid"] as? String == audio)
            for call in try await double.calls() where call["method"] as? String != "CreateRoom" {
                let video = call["video"] as? [String: Any]
                #expect(video?["room_admin"] as? Bool == true && video?["room"] as? String == "Lobby" && video?["room_create"] as? Bool != true)
            }
            // The right to publish is taken too: a muted track could be unmuted by its publisher.
            let updates = try await double.calls("UpdateParticipant")
            let permission = (updates.first?["request"] as? [String: Any])?["permission"] as? [String: Any]
            #expect(updates.count == 1 && permission?["can_publish"] as? Bool == false && permission?["can_subscribe"] as? Bool == true)
            let listenOnly = try await LiveKitInterop.verify([try await Self.token(client, "Lobby", tokens["member"])["token"] as? String ?? ""])
            #expect((listenOnly[0]["video"] as? [String: Any])?["can_publish"] as? Bool == false)

            // Kick: removed from LiveKit, the seat freed, no new token; a rejoin is removed again.
            #expect(try await client.post("/api/rooms/Lobby/voice/kick", ["username": "member"], token: tokens["owner"]).status == 204)
            #expect(try await double.calls("RemoveParticipant").count == 1)
            #expect(try await Self.voice(client, "Lobby", tokens["owner"]).isEmpty)
            let refused = try await Self.token(client, "Lobby", tokens["member"])
            #expect(refused.status == 403 && refused.errorCode == "voice_kicked")
            try await double.addParticipant(room: "Lobby", identity: "member", sid: "PA_m2")
            let rejoin = try await LiveKitInterop.webhook(Self.event("participant_joined", id: "EV_m2", room: "Lobby", identity: "member", sid: "PA_m2"))
            #expect(try await Self.deliver(client, body: rejoin.body, authorization: rejoin.authorization).status == 200)
            var removals = 0
            for _ in 0..<50 where removals < 2 {
                removals = try await double.calls("RemoveParticipant").count
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(removals == 2, "the kicked user's rejoin is removed")
            #expect(try await Self.voice(client, "Lobby", tokens["owner"]).isEmpty)
            let audit = try await client.get("/api/rooms/Lobby/audit", token: tokens["owner"])
            let actions = (audit["entries"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(actions.contains("voice_kick") && actions.contains("voice_mute"))

            // LiveKit's errors come back as 502 naming what LiveKit said.
            #expect(try await Self.token(client, "Lobby", tokens["other"]).status == 200)
            try await double.addParticipant(room: "Lobby", identity: "other", sid: "PA_o")
            let otherJoined = try await LiveKitInterop.webhook(Self.event("participant_joined", id: "EV_o", room: "Lobby", identity: "other", sid: "PA_o"))
            #expect(try await Self.deliver(client, body: otherJoined.body, authorization: otherJoined.authorization).status == 200)
            try await double.fail(with: "internal")
            let failed = try await client.post("/api/rooms/Lobby/voice/mute", ["username": "other"], token: tokens["owner"])
            #expect(failed.status == 502 && failed.errorCode == "livekit_error" && failed.text.contains("internal"))
            try await double.fail(with: "unavailable")
            let unavailable = try await client.post("/api/rooms/Lobby/voice/kick", ["username": "other"], token: tokens["owner"])
            #expect(unavailable.status == 503 && unavailable.errorCode == "livekit_unavailable")
            // The seat stays while LiveKit cannot be told: asking again asks LiveKit again, and succeeds once it answers.
            #expect(try await client.post("/api/rooms/Lobby/voice/kick", ["username": "other"], token: tokens["owner"]).status == 503)
            try await double.fail(with: nil)
            let removalsBefore = try await double.calls("RemoveParticipant").count
            #expect(try await client.post("/api/rooms/Lobby/voice/kick", ["username": "other"], token: tokens["owner"]).status == 204)
            #expect(try await double.calls("RemoveParticipant").count == removalsBefore + 1)
            #expect(try await Self.voice(client, "Lobby", tokens["owner"]).isEmpty)
        }
    }

    @Test("reconciliation with LiveKit's participant lists corrects seats after lost webhooks")
    func reconciliation() async throws {
        let double = try await TwirpDouble()
        try await TestServer.run(config: Self.config(double, ["livekit_reconcile_interval_seconds": 5])) { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["owner", "member"])
            #expect(try await Self.token(client, "Lobby", tokens["member"]).status == 200)
            // The member joins, but the webhook is lost.
            try await double.addParticipant(room: "Lobby", identity: "member", sid: "PA_1", sources: ["microphone"])
            func waitFor(_ expected: [String]) async throws -> Bool {
                for _ in 0..<60 {
                    if Self.participants(try await Self.voice(client, "Lobby", tokens["owner"])) == expected { return true }
                    try await Task.sleep(for: .milliseconds(250))
                }
                return false
            }
            #expect(try await waitFor(["member"]), "the join is found by reconciliation")
            // They leave, and that webhook is lost too.
            try await double.removeParticipant(room: "Lobby", identity: "member")
            #expect(try await waitFor([]), "the leave is found by reconciliation")
            let lists = try await double.calls("ListParticipants")
            #expect(!lists.isEmpty && lists.allSatisfy { ($0["video"] as? [String: Any])?["room_admin"] as? Bool == true })
        }
    }

    /// A compact JWS signed with HMAC over `secret`, with whatever header and claims a test needs.
    static func forge(header: [String: Any], claims: [String: Any], secret: String = LiveKitInterop.secret, sha512: Bool = false) throws -> String {
        let input =
            (try JSONSerialization.data(withJSONObject: header)).base64URLEncodedString() + "."
            + (try JSONSerialization.data(withJSONObject: claims)).base64URLEncodedString()
        let key = SymmetricKey(data: Data(secret.utf8))
        let signature =
            sha512
            ? Data(HMAC<SHA512>.authenticationCode(for: Data(input.utf8), using: key))
            : Data(HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: key))
        return input + "." + signature.base64URLEncodedString()
    }

    @Test("webhook tokens LiveKit itself would refuse are refused: wrong iss, future nbf, no exp, no sha256, alg none, HS512")
    func webhookTokenRules() async throws {
        try await TestServer.run(config: Self.config(nil)) { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["owner", "member"])
            #expect(try await Self.token(client, "Lobby", tokens["member"]).status == 200)
            let body = #"{"event":"participant_joined","room":{"name":"Lobby"},"participant":{"sid":"PA_1","identity":"member"},"id":"EV_x"}"#
            let digest = Data(SHA256.hash(data: Data(body.utf8))).base64EncodedString()
            let now = Int(Date().timeIntervalSince1970)
            let valid: [String: Any] = ["iss": LiveKitInterop.key, "nbf": now, "exp": now + 300, "sha256": digest, "sub": ""]
            let hs256: [String: Any] = ["alg": "HS256", "typ": "JWT"]
            func with(_ change: (inout [String: Any]) -> Void) -> [String: Any] {
                var claims = valid
                change(&claims)
                return claims
            }
            let refused: [(String, String)] = [
                ("wrong iss", try Self.forge(header: hs256, claims: with { $0["iss"] = "another-key" })),
                ("future nbf", try Self.forge(header: hs256, claims: with { $0["nbf"] = now + 600 })),
                ("no exp", try Self.forge(header: hs256, claims: with { $0["exp"] = nil })),
                ("no sha256", try Self.forge(header: hs256, claims: with { $0["sha256"] = nil })),
                ("wrong sha256", try Self.forge(header: hs256, claims: with { $0["sha256"] = Data(SHA256.hash(data: Data("x".utf8))).base64EncodedString() })),
                ("HS512", try Self.forge(header: ["alg": "HS512", "typ": "JWT"], claims: valid, sha512: true)),
                ("alg none", (try JSONSerialization.data(withJSONObject: ["alg": "none"])).base64URLEncodedString() + "."
                    + (try JSONSerialization.data(withJSONObject: valid)).base64URLEncodedString() + "."),
            ]
            for (label, token) in refused {
                let result = try await Self.deliver(client, body: body, authorization: token)
                #expect(result.status == 401, "\(label): \(result.status)")
            }
            #expect(Self.participants(try await Self.voice(client, "Lobby", tokens["owner"])).isEmpty, "nothing changed")
            // The same rules with every claim in order: accepted.
            let accepted = try await Self.deliver(client, body: body, authorization: try Self.forge(header: hs256, claims: valid))
            #expect(accepted.status == 200)
            #expect(Self.participants(try await Self.voice(client, "Lobby", tokens["owner"])) == ["member"])
        }
    }
}
