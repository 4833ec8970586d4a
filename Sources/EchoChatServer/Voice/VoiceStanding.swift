import EchoPluginAPI
import Foundation

/// Whether a user may be in a room's voice channel now, and whether they are voice-muted: what
/// webhooks and the reconciliation check for everyone LiveKit reports.
struct VoiceStanding: Sendable, Equatable {
    let mayStay: Bool
    let isMuted: Bool

    static let outside = VoiceStanding(mayStay: false, isMuted: false)

    /// A member or server admin, not banned, not voice-kicked or voice-banned, voice still on for the room.
    static func of(_ user: User, in room: Room, storage: any Storage) async throws -> VoiceStanding {
        guard !user.isDisabled, let standing = try await storage.roomStanding(named: room.name, of: user.id, at: Date()) else {
            return .outside
        }
        let subject = PolicySubject(isServerAdmin: user.isAdmin, role: standing.membership?.role, isBanned: standing.isBanned)
        let policyRoom = PolicyRoom(visibility: room.visibility, isReadonly: room.isReadonly, voiceEnabled: room.voice.enabled)
        guard case .allow = RoomPolicy.decide(.joinVoice, by: subject, in: policyRoom) else { return .outside }
        var mayStay = !standing.voiceRestrictions.contains(.kicked)
        if mayStay, let channel = storage as? any VoiceChannelStore, try await channel.voiceBan(of: user.id, in: room.id, at: Date()) != nil {
            mayStay = false
        }
        return VoiceStanding(mayStay: mayStay, isMuted: standing.voiceRestrictions.contains(.muted))
    }
}
