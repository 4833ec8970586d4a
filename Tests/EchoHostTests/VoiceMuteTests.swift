import Foundation
import HTTPTypes
import Testing

/// Voice mutes that stick: until lifted or until `expires_at`, re-applied on every token.
@Suite("Voice mutes")
struct VoiceMuteTests {
    static func canPublish(_ client: HTTPTestClient, _ token: String?) async throws -> Bool? {
        let minted = try await LiveKitTests.token(client, "Lobby", token)
        let claims = try await LiveKitInterop.verify([minted["token"] as? String ?? ""])
        return (claims[0]["video"] as? [String: Any])?["can_publish"] as? Bool
    }

    @Test("a mute lasts until lifted or until expires_at; lifting it gives the room's sources back on LiveKit; only moderators lift it")
    func muteUntilLifted() async throws {
        let double = try await TwirpDouble()
        try await TestServer.run(config: LiveKitTests.config(double)) { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["owner", "member", "other"])
            #expect(try await Self.canPublish(client, tokens["member"]) == true)
            try await double.addParticipant(room: "Lobby", identity: "member", sid: "PA_m", sources: ["microphone"])
            let joined = try await LiveKitInterop.webhook(LiveKitTests.event("participant_joined", id: "EV_m", room: "Lobby", identity: "member", sid: "PA_m"))
            #expect(try await LiveKitTests.deliver(client, body: joined.body, authorization: joined.authorization).status == 200)

            // Without expires_at: until lifted.
            #expect(try await client.post("/api/rooms/Lobby/voice/mute", ["username": "member"], token: tokens["owner"]).status == 204)
            #expect(try await Self.canPublish(client, tokens["member"]) == false)
            #expect(try await client.request(.delete, "/api/rooms/Lobby/voice/mutes/member", token: tokens["other"]).status == 403)
            #expect(try await Self.canPublish(client, tokens["member"]) == false, "a member cannot lift it")
            #expect(try await client.request(.delete, "/api/rooms/Lobby/voice/mutes/member", token: tokens["owner"]).status == 204)
            #expect(try await Self.canPublish(client, tokens["member"]) == true)
            let updates = try await double.calls("UpdateParticipant")
            let restored = (updates.last?["request"] as? [String: Any])?["permission"] as? [String: Any]
            #expect(restored?["can_publish"] as? Bool == true, "\(updates)")
            // What the room allows, as a token grants it.
            let claims = try await LiveKitInterop.verify([try await LiveKitTests.token(client, "Lobby", tokens["member"])["token"] as? String ?? ""])
            let granted = ((claims[0]["video"] as? [String: Any])?["can_publish_sources"] as? [String] ?? []).map { $0.uppercased() }
            #expect(!granted.isEmpty && (restored?["can_publish_sources"] as? [String]) == granted, "\(updates) vs \(granted)")

            // With expires_at: over by itself.
            let soon = Date().addingTimeInterval(2).formatted(.iso8601)
            #expect(try await client.post("/api/rooms/Lobby/voice/mute", ["username": "member", "expires_at": soon], token: tokens["owner"]).status == 204)
            #expect(try await Self.canPublish(client, tokens["member"]) == false)
            try await Task.sleep(for: .milliseconds(2600))
            #expect(try await Self.canPublish(client, tokens["member"]) == true)

            for bad in ["tomorrow", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-12-31 18:00:00"] {
                let refused = try await client.post("/api/rooms/Lobby/voice/mute", ["username": "member", "expires_at": bad], token: tokens["owner"])
                #expect(refused.status == 400 && refused.errorCode == "invalid_request", "\(bad): \(refused.text)")
            }
            // A mute that ended in the past mutes nothing; any RFC 3339 spelling is understood.
            #expect(try await client.post("/api/rooms/Lobby/voice/mute", ["username": "member", "expires_at": "2020-01-01T00:00:00Z"], token: tokens["owner"]).status == 204)
            #expect(try await Self.canPublish(client, tokens["member"]) == true)
            // The offset's sign: UTC's clock an hour ahead, written at +02:00, was an hour ago (over);
            // at -02:00 it is three hours ahead (in force).
            var utc = Calendar(identifier: .gregorian)
            utc.timeZone = TimeZone(secondsFromGMT: 0)!
            let clock = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date().addingTimeInterval(3600))
            let spelled = String(
                format: "%04d-%02d-%02dt%02d:%02d:%02d.250000", clock.year!, clock.month!, clock.day!, clock.hour!, clock.minute!, clock.second!)
            #expect(try await client.post("/api/rooms/Lobby/voice/mute", ["username": "member", "expires_at": spelled + "+02:00"], token: tokens["owner"]).status == 204)
            #expect(try await Self.canPublish(client, tokens["member"]) == true, "an hour ago: over")
            #expect(try await client.post("/api/rooms/Lobby/voice/mute", ["username": "member", "expires_at": spelled + "-02:00"], token: tokens["owner"]).status == 204)
            #expect(try await Self.canPublish(client, tokens["member"]) == false, "three hours ahead: in force")
            // A mute already over leaves one in force alone.
            #expect(try await client.post("/api/rooms/Lobby/voice/mute", ["username": "member", "expires_at": "2020-01-01T00:00:00Z"], token: tokens["owner"]).status == 204)
            #expect(try await Self.canPublish(client, tokens["member"]) == false)
            let audit = try await client.get("/api/rooms/Lobby/audit", token: tokens["owner"])
            let actions = (audit["entries"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(actions.filter { $0 == "voice_mute" }.count == 3 && actions.contains("voice_unmute"), "\(actions)")
        }
    }
}
