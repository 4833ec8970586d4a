import Foundation

/// The parts of LiveKit's `WebhookEvent` (protojson) that EchoChat reads; everything else,
/// including fields LiveKit adds later, is ignored.
struct LiveKitWebhookEvent: Decodable, Sendable {
    struct Room: Decodable, Sendable {
        let name: String?
    }

    struct Participant: Decodable, Sendable {
        let sid: String?
        let identity: String?
        /// Milliseconds since 1970, as a protojson int64 string.
        let joinedAtMs: String?

        var joinedAt: Date? { joinedAtMs.flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) } }
    }

    struct Track: Decodable, Sendable {
        let sid: String?
        let source: String?
        let type: String?
    }

    let event: String?
    let id: String?
    let room: Room?
    let participant: Participant?
    let track: Track?
}
