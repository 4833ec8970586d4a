import EchoPluginAPI
import Foundation
import Logging

/// Voice kick and mute, and taking someone out of voice when they lose the room (left, kicked,
/// banned): the seat in storage and the connection on LiveKit.
struct VoiceModeration: Sendable {
    let config: VoiceConfig
    let storage: any Storage
    let rooms: RoomService
    let roomService: RoomServiceClient?
    let publisher: OccupancyPublisher
    /// The voice queue: someone kicked or out of the room leaves it too.
    let queue: VoiceQueue
    let logger: Logger

    /// Removes a user from the room's voice channel and keeps them out for `kickDuration`.
    func kick(_ username: String, in access: RoomAccess) async throws {
        let (user, _) = try await restrict(.kicked, username, in: access, audited: "voice_kick") { $0.addingTimeInterval(config.kickDuration) }
        try await queue.leave(user.id, access.room)
        try await evict(user, from: access.room)
    }

    /// Mutes a user's published audio and makes their tokens listen-only until `until`, or until
    /// lifted (`livekit_voice_mute_seconds` when that is set); re-applied on every rejoin.
    func mute(_ username: String, until: Date? = nil, in access: RoomAccess) async throws {
        if let until, until <= Date() {
            // A mute that is already over changes nothing, not even a mute in force; it is
            // checked like any other.
            _ = try await authorize(username, in: access)
            return
        }
        let duration = config.muteDuration
        let (user, now) = try await restrict(.muted, username, in: access, audited: "voice_mute") { now in
            until ?? (duration > 0 ? now.addingTimeInterval(duration) : VoiceModeration.untilLifted)
        }
        publisher.publish(access.room)  // the roster shows who is voice-muted
        guard let roomService, let seat = try await storage.voiceSeats(in: access.room.id, at: now).first(where: { $0.userID == user.id })
        else { return }
        // Reserved or joined here, they may already be connected: ask LiveKit either way.
        let livekitRoom = config.names.name(of: access.room.name, subroom: seat.subroom)
        do {
            guard let participant = try await roomService.participant(user.username, in: livekitRoom) else { return }
            for track in participant.tracks ?? [] where track.type == "AUDIO" && track.muted != true {
                try await roomService.mutePublishedTrack(track.sid, of: user.username, in: livekitRoom)
            }
            // A muted track can be unmuted by its publisher; taking the right to publish cannot.
            try await roomService.setCanPublish(false, identity: user.username, in: livekitRoom)
        } catch let error as LiveKitError {
            throw error.echoError
        }
    }

    /// Lifts a voice mute: tokens may publish again, and a connected participant gets the right
    /// to publish back (their tracks stay muted until they unmute them).
    func unmute(_ username: String, in access: RoomAccess) async throws {
        let (user, now) = try await restrict(.muted, username, in: access, audited: "voice_unmute") { $0 }
        publisher.publish(access.room)
        guard let roomService, let seat = try await storage.voiceSeats(in: access.room.id, at: now).first(where: { $0.userID == user.id })
        else { return }
        let livekitRoom = config.names.name(of: access.room.name, subroom: seat.subroom)
        // What a member's token grants now: nothing in a readonly room, the room's sources otherwise.
        let grant = VoiceTokens.grant(room: livekitRoom, voice: access.room.voice, listenOnly: access.room.isReadonly)
        guard grant.canPublish == true else { return }
        do {
            try await roomService.setCanPublish(
                true, identity: user.username, in: livekitRoom, sources: (grant.canPublishSources ?? []).compactMap(TrackSource.init(rawValue:)))
        } catch let error as LiveKitError {
            throw error.echoError
        }
    }

    /// A restriction with no end: the last moment storage keeps (9999-12-31).
    static let untilLifted = Date(timeIntervalSince1970: 253_402_300_799)

    /// The checks and the record every voice moderation shares: a moderator or above acting on
    /// someone of lower role; the restriction written, ending when `end` says, with its audit
    /// entry.
    private func restrict(
        _ restriction: VoiceRestriction, _ username: String, in access: RoomAccess, audited action: String, until end: (Date) -> Date
    ) async throws -> (User, Date) {
        let user = try await authorize(username, in: access)
        let now = Date()
        try await storage.restrictVoice(
            restriction, of: user.id, in: access.room.id, until: end(now),
            audit: AuditRecord(actorID: access.principal.user.id, action: action, targetID: user.id, createdAt: now))
        return (user, now)
    }

    /// Voice moderation's checks: voice is on, and a moderator or above acts on someone of
    /// lower role.
    func authorize(_ username: String, in access: RoomAccess) async throws -> User {
        guard config.enabled else { throw VoiceConfig.disabled }
        try access.requireRole(.moderator)
        let (user, target) = try await rooms.target(username, in: access)
        try access.require(.moderateVoice, on: target)
        return user
    }

    /// Frees `user`'s seat and disconnects them from LiveKit (a kick, a ban).
    func evict(_ user: User, from room: Room) async throws {
        guard let seat = try await storage.voiceSeats(in: room.id, at: Date()).first(where: { $0.userID == user.id }) else { return }
        // Whether reserved or joined here, they may already be connected (the join's webhook can
        // still be on its way): ask LiveKit either way; someone not there is not an error. LiveKit
        // goes first: while it cannot be reached the seat stays, so asking again asks LiveKit again.
        if let roomService {
            do {
                try await roomService.removeParticipant(user.username, from: config.names.name(of: room.name, subroom: seat.subroom))
            } catch let error as LiveKitError {
                throw error.echoError
            }
        }
        if try await storage.releaseSeat(of: user.id, in: room.id) != nil {
            publisher.publish(room)
        }
    }

    /// Takes someone who is no longer allowed in the room out of its voice channel; a LiveKit
    /// failure is logged (their next `participant_joined` or the reconciliation removes them).
    func leaveVoice(_ user: User, _ room: Room) async {
        do {
            try await queue.leave(user.id, room)
            try await evict(user, from: room)
        } catch {
            logger.warning("could not take a user out of voice", metadata: ["user_id": "\(user.id)", "error": "\(error)"])
        }
    }
}
