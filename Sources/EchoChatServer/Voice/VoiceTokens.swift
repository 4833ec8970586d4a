import EchoPluginAPI
import Foundation
import Logging

/// A minted LiveKit token and where it seats its holder.
struct VoiceToken: Sendable, Equatable {
    let url: String
    let livekitRoom: String
    let token: String
    let subroom: Int
    let identity: String
    let expiresAt: Date
}

/// `POST /api/livekit/token`: rate limit, room policy, a seat decided and reserved in one
/// storage transaction, the sub-room created on LiveKit, then the signed token.
struct VoiceTokens: Sendable {
    let config: VoiceConfig
    let storage: any Storage
    let planner: SeatPlanner
    /// Where decisions go for the shadow strategy, once their transaction has committed.
    let shadows: ShadowRunner
    let tokens: LiveKitTokens?
    let provisioner: LiveKitRoomProvisioner
    let publisher: OccupancyPublisher
    let limiter: RateLimiter
    let metrics: HostMetrics
    let logger: Logger

    /// Mints a LiveKit token for `access`'s user, seating them in a sub-room (the one asked for
    /// when it has space, else the strategy's choice; the same one again when they already hold a seat).
    func token(_ access: RoomAccess, preferredSubroom: Int?, companions: [String] = []) async throws -> VoiceToken {
        guard config.enabled, let tokens else { throw VoiceConfig.disabled }
        let user = access.principal.user
        if case .limited(let retryAfter) = await limiter.admit("livekit-token:\(user.id)", rule: config.tokenRateLimit) {
            metrics.recordLiveKitToken("rate_limited")
            throw EchoError.rateLimited(retryAfter: retryAfter)
        }
        do {
            try access.require(.joinVoice)
        } catch {
            metrics.recordLiveKitToken("refused")
            throw error
        }
        let now = Date()
        let restrictions = access.voiceRestrictions
        if restrictions.contains(.kicked) {
            metrics.recordLiveKitToken("refused")
            throw EchoError.forbidden("voice_kicked", "a moderator removed you from this room's voice channel; try again later")
        }
        let listenOnly = restrictions.contains(.muted) || (access.room.isReadonly && !RoomPolicy.isExempt(access.subject, from: .readonly))

        let companionIDs = try await members(named: companions, of: access.room)
        let (seat, plan) = try await reserve(access, user: user, preferred: preferredSubroom, companions: companionIDs, listenOnly: listenOnly, now: now)
        let livekitRoom = config.names.name(of: access.room.name, subroom: seat.subroom)
        await provisioner.ensureCreated(livekitRoom, opensSubroom: plan?.opensSubroom ?? false, now: now)

        let grant = Self.grant(room: livekitRoom, voice: access.room.voice, listenOnly: listenOnly)
        let metadata = Self.metadata(user: user, role: access.membership?.role)
        let (token, expiresAt) = try await tokens.clientToken(
            identity: user.username, name: user.displayName, metadata: metadata, grant: grant, now: now, ttl: config.tokenTTL)
        metrics.recordLiveKitToken("minted")
        if plan != nil { publisher.publish(access.room) }
        return VoiceToken(
            url: config.wsURL, livekitRoom: livekitRoom, token: token, subroom: seat.subroom, identity: user.username, expiresAt: expiresAt)
    }

    /// The grant of a client token: join this one room; publish what the room allows, or nothing
    /// when listen-only. Never `roomCreate`, `roomList` or `roomAdmin`.
    static func grant(room: String, voice: VoiceSettings, listenOnly: Bool) -> LiveKitVideoGrant {
        guard !listenOnly else {
            return LiveKitVideoGrant(roomJoin: true, room: room, canPublish: false, canSubscribe: true, canPublishData: false, canPublishSources: [])
        }
        var sources = [TrackSource.microphone.rawValue]
        if voice.allowVideo { sources.append(TrackSource.camera.rawValue) }
        if voice.allowScreenShare { sources += [TrackSource.screenShare.rawValue, TrackSource.screenShareAudio.rawValue] }
        return LiveKitVideoGrant(roomJoin: true, room: room, canPublish: true, canSubscribe: true, canPublishData: true, canPublishSources: sources)
    }

    /// `{"user_id":42,"role":"member","server_admin":false}`: who the participant is in EchoChat.
    /// Every value is a number, a boolean or a role name, so none needs escaping.
    static func metadata(user: User, role: RoomRole?) -> String {
        #"{"user_id":\#(user.id.rawValue),"role":\#(role.map { "\"\($0.rawValue)\"" } ?? "null"),"server_admin":\#(user.isAdmin)}"#
    }

    /// Decide-and-reserve in one storage transaction; the strategy sees the room's occupancy as
    /// it is inside that transaction. The plan is `nil` when the user already held a seat.
    private func reserve(
        _ access: RoomAccess, user: User, preferred: Int?, companions: [UserID], listenOnly: Bool, now: Date
    ) async throws -> (VoiceSeat, SeatPlanner.Plan?) {
        let (planner, roomName) = (planner, access.room.name)
        let request = SubroomRequest(
            userID: user.id, preferredIndex: preferred, isListenOnly: listenOnly, companionIndices: [], role: access.membership?.role)
        let plans = PlanRecorder()
        let outcome = try await storage.reserveSeat(
            SeatRequest(
                roomID: access.room.id, userID: user.id, identity: user.username, isListenOnly: listenOnly, now: now,
                expiresAt: now.addingTimeInterval(config.reservationTTL))
        ) { occupancy in
            plans.record(planner.plan(request, companions: companions, room: roomName, occupancy: occupancy, now: now)).decision
        }
        // Only the decision that took effect is replayed, not those of retried transactions.
        if case .existing = outcome {} else if let replayed = plans.last?.shadow { shadows.submit(replayed) }
        switch outcome {
        case .existing(let seat):
            return (seat, nil)
        case .reserved(let seat):
            return (seat, plans.last ?? SeatPlanner.Plan(decision: .assign(seat.subroom), opensSubroom: false))
        case .refused where plans.last?.failure != nil:
            metrics.recordLiveKitToken("strategy_failed")
            throw EchoError.unavailable(
                "strategy_failed", "the voice channel's sub-room strategy failed to decide; the server's log has the details")
        case .refused(let reason):
            metrics.recordLiveKitToken("room_full")
            logger.info("voice seat refused", metadata: ["room": "\(roomName)", "user_id": "\(user.id)", "reason": "\(reason)"])
            throw EchoError.conflict("room_full", "the voice channel is full: \(reason)")
        }
    }

    /// The members of `room` among `usernames`, in the order named; anyone else is left out
    /// without saying so (a token request does not tell who is a member).
    private func members(named usernames: [String], of room: Room) async throws -> [UserID] {
        var ids: [UserID] = []
        for name in usernames {
            guard let user = try await storage.user(named: name), !ids.contains(user.id),
                try await storage.membership(of: user.id, in: room.id) != nil
            else { continue }
            ids.append(user.id)
        }
        return ids
    }
}
