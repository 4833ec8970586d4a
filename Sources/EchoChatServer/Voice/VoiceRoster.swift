import EchoPluginAPI
import Foundation

/// Who is in a room's voice channel, per sub-room: joined and joining (reserved) participants
/// with their role and whether they are muted, and the room's queue.
struct VoiceRoster: Sendable {
    /// The roster, and the queue in order.
    struct Snapshot: Sendable {
        let subrooms: [SubroomBody]
        let queue: [VoiceQueueEntry]

        /// `user`'s 1-based place in the queue, if they wait.
        func position(of user: UserID) -> Int? {
            queue.first { $0.userID == user }?.position
        }
    }

    let storage: any Storage
    let names: LiveKitRoomNames

    /// Above this many seats the roles are read with the member list in one query rather than one
    /// query a seat.
    static let seatsReadOneByOne = 16

    func read(_ room: Room) async throws -> Snapshot {
        let now = Date()
        let seats = try await storage.voiceSeats(in: room.id, at: now)
        var people: [UserID: (name: String, role: RoomRole?)] = [:]
        if seats.count > Self.seatsReadOneByOne {
            for member in try await storage.members(of: room.id) { people[member.user.id] = (member.user.displayName, member.membership.role) }
        }
        let unknown = Set(seats.map(\.userID)).subtracting(people.keys)
        if !unknown.isEmpty {
            for user in try await storage.users(ids: unknown) {
                people[user.id] = (user.displayName, try await storage.membership(of: user.id, in: room.id)?.role)
            }
        }
        let channel = storage as? any VoiceChannelStore
        let voiceMuted = Set(try await channel?.voiceRestrictions(in: room.id, at: now).filter { $0.restriction == .muted }.map(\.userID) ?? [])
        let queue = try await channel?.voiceQueue(in: room.id) ?? []
        let subrooms = Dictionary(grouping: seats, by: \.subroom).sorted { $0.key < $1.key }.map { index, seats in
            // Joined first, then those still joining; each in the order they took their seat.
            let ordered = seats.filter { $0.state == .joined } + seats.filter { $0.state == .reserved }
            return SubroomBody(
                index: index, livekitRoom: names.name(of: room.name, subroom: index),
                participants: ordered.map { seat in
                    let isVoiceMuted = voiceMuted.contains(seat.userID)
                    return SubroomBody.Participant(
                        username: seat.identity, displayName: people[seat.userID]?.name ?? seat.identity,
                        publishing: seat.publishing.map(\.rawValue).sorted(), role: people[seat.userID]?.role?.rawValue,
                        state: seat.state.rawValue, muted: isVoiceMuted || !seat.publishing.contains(.microphone), voiceMuted: isVoiceMuted)
                },
                reserved: seats.filter { $0.state == .reserved }.count)
        }
        return Snapshot(subrooms: subrooms, queue: queue)
    }
}
