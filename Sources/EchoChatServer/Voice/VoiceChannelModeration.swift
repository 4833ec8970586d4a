import EchoPluginAPI
import Foundation
import Logging
import Synchronization

/// Moderation of a room's voice channel beyond kick and mute: moving someone to another
/// sub-room, muting a whole sub-room, voice bans, and the lists moderators read.
struct VoiceChannelModeration: Sendable {
    let config: VoiceConfig
    let storage: any Storage
    let moderation: VoiceModeration
    let tokens: VoiceTokens
    let strategy: StrategySlot
    let roomService: RoomServiceClient?
    let publisher: OccupancyPublisher
    let queue: VoiceQueue
    let bus: any EventBus
    let logger: Logger

    /// The storage's voice channel features, or 503 `not_supported` when the storage plugin has none.
    private var channel: any VoiceChannelStore {
        get throws {
            guard let channel = storage as? any VoiceChannelStore else {
                throw EchoError.unavailable("not_supported", "the storage plugin in use keeps no voice queues, moves or voice bans")
            }
            return channel
        }
    }

    /// Moves `username`'s seat to sub-room `subroom` (within the strategy's capacity): they get a
    /// `voice.moved` event with a token for it, and LiveKit drops their old connection.
    func move(_ username: String, to subroom: Int, in access: RoomAccess) async throws {
        try Self.checkSubroom(subroom)
        let user = try await moderation.authorize(username, in: access)
        let limits = strategy.active.limits
        guard (1...max(limits.maxSubrooms, 1)).contains(subroom) else {
            throw EchoError.conflict("subroom_unavailable", "the strategy spreads this room over sub-rooms 1 to \(max(limits.maxSubrooms, 1))")
        }
        let now = Date()
        if try await storage.voiceSeats(in: access.room.id, at: now).first(where: { $0.userID == user.id })?.subroom == subroom { return }
        let target = config.names.name(of: access.room.name, subroom: subroom)
        let capacity = limits.capacity
        let wasEmpty = Mutex(false)
        let move = try await channel.moveSeat(
            of: user.id, in: access.room.id, to: subroom, now: now, expiresAt: now.addingTimeInterval(config.reservationTTL),
            audit: AuditRecord(actorID: access.principal.user.id, action: "voice_move", targetID: user.id, detail: target, createdAt: now)
        ) { occupancy in
            let seats = occupancy.first { $0.index == subroom }?.seats.count ?? 0
            wasEmpty.withLock { $0 = seats == 0 }
            return seats < capacity
        }
        switch move {
        case .notSeated:
            throw EchoError.notFound("\(user.username) is not in this room's voice channel", code: "not_in_voice")
        case .refused:
            throw EchoError.conflict("subroom_full", "\(target) is full")
        case .moved(let from, let to):
            let membership = try await storage.membership(of: user.id, in: access.room.id)
            let restrictions = try await storage.voiceRestrictions(of: user.id, in: access.room.id, at: now)
            let minted = try await tokens.mint(
                for: user, role: membership?.role, in: access.room, subroom: to.subroom, listenOnly: to.isListenOnly || restrictions.contains(.muted),
                opensSubroom: wasEmpty.withLock { $0 }, now: now, ttl: config.reservationTTL)
            await bus.publish(.voiceToken("voice.moved", minted, room: access.room, to: user.id))
            publisher.publish(access.room)
            if let roomService {
                let old = config.names.name(of: access.room.name, subroom: from.subroom)
                do {
                    try await roomService.removeParticipant(user.username, from: old)
                } catch {
                    // The seat has moved: the old connection is dropped by the reconciliation if not now.
                    logger.warning("could not end a moved participant's old connection", metadata: ["livekit_room": "\(old)", "error": "\(error)"])
                }
            }
        }
    }

    /// The largest sub-room number a request may name.
    static let maxSubroom = 1000

    /// A sub-room number as the API takes it: 1 to 1000.
    static func checkSubroom(_ subroom: Int) throws {
        guard (1...maxSubroom).contains(subroom) else { throw EchoError.invalid("subroom: a number from 1 to \(maxSubroom)") }
    }

    /// Mutes the published audio of everyone in the sub-room the moderator outranks; returns how many.
    func muteAll(subroom: Int, in access: RoomAccess) async throws -> Int {
        guard config.enabled else { throw VoiceConfig.disabled }
        try access.requireRole(.moderator)
        try Self.checkSubroom(subroom)
        let channel = try channel
        let livekitRoom = config.names.name(of: access.room.name, subroom: subroom)
        let seats = try await storage.voiceSeats(in: access.room.id, at: Date()).filter { $0.subroom == subroom && $0.state == .joined }
        var muted = 0
        for seat in seats where seat.userID != access.principal.user.id {
            guard let (_, target) = try? await moderation.rooms.target(seat.identity, in: access), (try? access.require(.moderateVoice, on: target)) != nil,
                let roomService
            else { continue }
            do {
                guard let participant = try await roomService.participant(seat.identity, in: livekitRoom) else { continue }
                var didMute = false
                for track in participant.tracks ?? [] where track.type == "AUDIO" && track.muted != true {
                    try await roomService.mutePublishedTrack(track.sid, of: seat.identity, in: livekitRoom)
                    didMute = true
                }
                if didMute { muted += 1 }
            } catch let error as LiveKitError {
                throw error.echoError
            }
        }
        try await channel.recordVoiceAudit(
            AuditRecord(actorID: access.principal.user.id, action: "voice_mute_all", detail: "\(livekitRoom): \(muted)", createdAt: Date()),
            in: access.room.id)
        return muted
    }

    /// Bans `username` from the room's voice channel until `until` (or until lifted): no more
    /// tokens, out of voice and out of the queue now, and removed again should they join with an old token.
    func ban(_ username: String, reason: String?, until: Date?, in access: RoomAccess) async throws -> VoiceBanBody {
        let user = try await moderation.authorize(username, in: access)
        let now = Date()
        let ban = VoiceBan(roomID: access.room.id, userID: user.id, reason: reason, bannedBy: access.principal.user.id, createdAt: now, expiresAt: until)
        let body = VoiceBanBody(
            username: user.username, displayName: user.displayName, reason: reason, expiresAt: until, createdAt: now,
            bannedBy: access.principal.user.username)
        // A ban that is already over changes nothing, not even a ban in force.
        if let until, until <= now { return body }
        try await channel.banFromVoice(
            ban, audit: AuditRecord(actorID: access.principal.user.id, action: "voice_ban", targetID: user.id, detail: reason, createdAt: now))
        try await queue.leave(user.id, access.room)
        try await moderation.evict(user, from: access.room)
        return body
    }

    /// Lifts `username`'s voice ban; 404 when there is none.
    func liftBan(_ username: String, in access: RoomAccess) async throws {
        let user = try await moderation.authorize(username, in: access)
        let now = Date()
        let lifted = try await channel.liftVoiceBan(
            of: user.id, in: access.room.id, at: now,
            audit: AuditRecord(actorID: access.principal.user.id, action: "voice_unban", targetID: user.id, createdAt: now))
        guard lifted else { throw EchoError.notFound("\(user.username) is not banned from this room's voice channel", code: "not_found") }
    }

    /// The room's voice bans in force (moderators and up).
    func bans(in access: RoomAccess) async throws -> [VoiceBanBody] {
        guard config.enabled else { throw VoiceConfig.disabled }
        try access.requireRole(.moderator)
        let bans = try await channel.voiceBans(in: access.room.id, at: Date())
        let users = try await names(Set(bans.map(\.userID) + bans.compactMap(\.bannedBy)))
        return bans.compactMap { ban in
            users[ban.userID].map { user in
                VoiceBanBody(
                    username: user.username, displayName: user.displayName, reason: ban.reason, expiresAt: ban.expiresAt, createdAt: ban.createdAt,
                    bannedBy: ban.bannedBy.flatMap { users[$0]?.username })
            }
        }
    }

    /// The room's voice mutes in force (moderators and up); `expires_at` is null for a mute until lifted.
    func mutes(in access: RoomAccess) async throws -> [VoiceMuteBody] {
        guard config.enabled else { throw VoiceConfig.disabled }
        try access.requireRole(.moderator)
        let mutes = try await channel.voiceRestrictions(in: access.room.id, at: Date()).filter { $0.restriction == .muted }
        let users = try await names(Set(mutes.map(\.userID)))
        return mutes.compactMap { mute in
            users[mute.userID].map { user in
                VoiceMuteBody(
                    username: user.username, displayName: user.displayName,
                    expiresAt: mute.until >= VoiceModeration.untilLifted.addingTimeInterval(-1) ? nil : mute.until)
            }
        }
    }

    private func names(_ ids: Set<UserID>) async throws -> [UserID: User] {
        Dictionary(try await storage.users(ids: ids).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
