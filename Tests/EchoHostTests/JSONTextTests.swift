import Foundation
import NIOCore
import Testing

@testable import EchoChatServer

@Suite("Hand-written JSON")
struct JSONTextTests {
    @Test("strings are escaped so that any JSON parser reads them back unchanged", arguments: [
        "plain", "Zoë \"Z\" \\ O'Neil 🎧", "line\nbreak\ttab\rreturn", "\u{01}\u{1F}\u{7F}", "</script>", "",
    ])
    func escaping(_ value: String) throws {
        var out = JSONText()
        out.raw("{")
        out.key("value")
        out.string(value)
        out.raw("}")
        let parsed = try JSONSerialization.jsonObject(with: Data(out.bytes)) as? [String: Any]
        #expect(parsed?["value"] as? String == value)
    }

    @Test("the token response is the document the encoder writes")
    func tokenBody() throws {
        let body = VoiceTokenBody(
            url: "wss://livekit.example.com", room: "Lobby(2)", token: "a.b.c", subroom: 2, identity: "alice",
            expiresAt: Date(timeIntervalSince1970: 1_800_000_000))
        let direct = try JSONSerialization.jsonObject(with: Data(body.json.readableBytesView)) as? NSDictionary
        let encoded = try JSONSerialization.jsonObject(with: WireJSON.encoder.encode(body)) as? NSDictionary
        #expect(direct != nil && direct == encoded)
    }

    @Test("LiveKit claims are the document the encoder writes, absent claims left out")
    func claims() throws {
        let claims = LiveKitClaims(
            iss: "key", sub: "zoë", nbf: 1, exp: 2, name: "Zoë \"Z\"", metadata: #"{"user_id":1}"#,
            video: LiveKitVideoGrant(roomJoin: true, room: "Lobby", canPublish: false, canSubscribe: true, canPublishSources: []))
        let direct = try JSONSerialization.jsonObject(with: Data(claims.json)) as? NSDictionary
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(claims)) as? NSDictionary
        #expect(direct != nil && direct == encoded)
        #expect(String(decoding: claims.json, as: UTF8.self).contains("roomCreate") == false)
    }
}
