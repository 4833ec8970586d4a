import EchoPluginAPI
import Foundation

/// A participant as LiveKit's RoomService lists it.
struct LiveKitParticipant: Decodable, Sendable {
    struct Track: Decodable, Sendable {
        let sid: String
        let type: String?
        let source: String?
        let muted: Bool?

        var trackSource: TrackSource? { source.flatMap { TrackSource(rawValue: $0.lowercased()) } }
    }

    struct Permission: Decodable, Sendable {
        let canPublish: Bool?
        enum CodingKeys: String, CodingKey {
            case canPublish = "can_publish"
        }
    }

    let sid: String
    let identity: String
    let tracks: [Track]?
    let permission: Permission?
}
