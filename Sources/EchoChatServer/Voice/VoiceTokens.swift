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

    /// What a token request got: a token, or a place in the room's queue.
    enum Outcome: Sendable, Equatable {
        case minted(VoiceToken)
        case queued(position: Int)
    }

    /// Mints a LiveKit token for `access`'s user, seating them in a sub-room (the one asked for
    /// when it has space, else the strategy's choice; the same one again when they already hold a
    /// seat). With `queue`, a full room (or one where others already wait) answers with a place
    /// in its queue instead of `room_full`.
    func token(_ access: RoomAccess, preferredSubroom: Int?, companions: [String] = [], queue: Bool = false) async throws -> Outcome {
        guard config.enabled, tokens != nil else { throw VoiceConfig.disabled }
        let user = access.principal.user
        if case .limited(let retryAfter) = await limiter.admit("livekit-token:\(user.id)", rule: config.tokenRateLimit) {
            metrics.recordLiveKitToken("rate_limited")
            throw EchoError.rateLimited(retryAfter: retryAfter)
        }
        do {
            try access.require(.joinVoice)
            try await refuseBanned(user, in: access.room)
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
        let placed = try await reserve(
            access, user: user, preferred: preferredSubroom, companions: companionIDs, listenOnly: listenOnly, queue: queue, now: now)
        let (seat, plan): (VoiceSeat, SeatPlanner.Plan?)
        switch placed {
        case .seat(let held, let made): (seat, plan) = (held, made)
        case .queued(let position):
            metrics.recordLiveKitToken("queued")
            publisher.publish(access.room)  // the roster's queue_length
            return .queued(position: position)
        }
        let minted = try await mint(
            for: user, role: access.membership?.role, in: access.room, subroom: seat.subroom, listenOnly: listenOnly,
            opensSubroom: plan?.opensSubroom ?? false, now: now)
        if plan != nil { publisher.publish(access.room) }
        return .minted(minted)
    }

    /// Creates the sub-room on LiveKit when needed and signs a token for the seat `user` holds in it.
    /// `ttl` defaults to `livekit_token_ttl_seconds`; a token for a seat offered or moved to
    /// lasts as long as that seat's reservation, so that it cannot take the seat after it passed on.
    func mint(
        for user: User, role: RoomRole?, in room: Room, subroom: Int, listenOnly: Bool, opensSubroom: Bool, now: Date, ttl: TimeInterval? = nil
    ) async throws -> VoiceToken {
        guard let tokens else { throw VoiceConfig.disabled }
        let livekitRoom = config.names.name(of: room.name, subroom: subroom)
        await provisioner.ensureCreated(livekitRoom, opensSubroom: opensSubroom, now: now)
        let grant = Self.grant(room: livekitRoom, voice: room.voice, listenOnly: listenOnly)
        let (token, expiresAt) = try await tokens.clientToken(
            identity: user.username, name: user.displayName, metadata: Self.metadata(user: user, role: role), grant: grant, now: now,
            ttl: ttl ?? config.tokenTTL)
        metrics.recordLiveKitToken("minted")
        return VoiceToken(url: config.wsURL, livekitRoom: livekitRoom, token: token, subroom: subroom, identity: user.username, expiresAt: expiresAt)
    }

    /// A voice ban ends token minting (403 `voice_banned`).
    private func refuseBanned(_ user: User, in room: Room) async throws {
        guard let store = storage as? any VoiceChannelStore, let ban = try await store.voiceBan(of: user.id, in: room.id, at: Date()) else { return }
        let until = ban.expiresAt.map { " until \($0.formatted(.iso8601))" } ?? ""
        throw EchoError.forbidden("voice_banned", "a moderator banned you from this room's voice channel\(until)")
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

    /// Where a request ended up: a seat (with the plan that made it, `nil` when it was held
    /// already), or a place in the queue.
    private enum Placement {
        case seat(VoiceSeat, SeatPlanner.Plan?)
        case queued(Int)
    }

    /// Decide-and-reserve in one storage transaction; the strategy sees the room's occupancy as
    /// it is inside that transaction. With `queue` (and a storage that keeps queues) a full room
    /// queues the request instead; moderators pass the queue (their headroom is for trouble).
    private func reserve(
        _ access: RoomAccess, user: User, preferred: Int?, companions: [UserID], listenOnly: Bool, queue: Bool, now: Date
    ) async throws -> Placement {
        let (planner, roomName) = (planner, access.room.name)
        let request = SubroomRequest(
            userID: user.id, preferredIndex: preferred, isListenOnly: listenOnly, companionIndices: [], role: access.membership?.role)
        let plans = PlanRecorder()
        let decide: @Sendable ([SubroomOccupancy]) -> SubroomDecision = { occupancy in
            plans.record(planner.plan(request, companions: companions, room: roomName, occupancy: occupancy, now: now)).decision
        }
        let seatRequest = SeatRequest(
            roomID: access.room.id, userID: user.id, identity: user.username, isListenOnly: listenOnly, now: now,
            expiresAt: now.addingTimeInterval(config.reservationTTL))
        let outcome: SeatOutcome
        if let store = storage as? any VoiceChannelStore {
            // Whether or not this request waits, it does not pass those who do (moderators aside).
            let bypasses = request.isModerator || access.principal.user.isAdmin
            switch try await store.reserveSeatOrQueue(seatRequest, joinsQueue: queue, bypassesQueue: bypasses, decide: decide) {
            case .seat(let seated):
                outcome = seated
            case .queued(let position):
                guard plans.last?.failure == nil else {
                    try await store.leaveVoiceQueue(of: user.id, in: access.room.id)
                    outcome = .refused("the strategy failed")
                    break
                }
                return .queued(position)
            }
        } else {
            outcome = try await storage.reserveSeat(seatRequest, decide: decide)
        }
        // Only the decision that took effect is replayed, not those of retried transactions.
        if case .existing = outcome {} else if let replayed = plans.last?.shadow { shadows.submit(replayed) }
        switch outcome {
        case .existing(let seat):
            return .seat(seat, nil)
        case .reserved(let seat):
            return .seat(seat, plans.last ?? SeatPlanner.Plan(decision: .assign(seat.subroom), opensSubroom: false))
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
