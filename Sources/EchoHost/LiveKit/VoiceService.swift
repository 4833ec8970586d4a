import EchoPluginAPI
import Foundation
import HTTPTypes
import Logging
import NIOCore
import Synchronization

/// LiveKit room names of EchoChat rooms: `Lobby`, `Lobby(2)`, `Lobby(3)`, … with
/// `livekit_room_prefix` in front. EchoChat room names never contain parentheses, so a name maps
/// back unambiguously.
struct LiveKitRoomNames: Sendable {
    let prefix: String

    func name(of room: String, subroom: Int) -> String {
        prefix + room + (subroom > 1 ? "(\(subroom))" : "")
    }

    /// `Lobby(3)` → (`Lobby`, 3); `Lobby` → (`Lobby`, 1); `nil` for a name without the prefix.
    func parse(_ livekitName: String) -> (room: String, subroom: Int)? {
        guard livekitName.hasPrefix(prefix) else { return nil }
        return Self.split(String(livekitName.dropFirst(prefix.count)))
    }

    /// A room name with an optional `(N)` suffix (N ≥ 2).
    static func split(_ name: String) -> (room: String, subroom: Int)? {
        guard name.hasSuffix(")"), let open = name.lastIndex(of: "(") else { return name.isEmpty ? nil : (name, 1) }
        let digits = name[name.index(after: open)..<name.index(before: name.endIndex)]
        guard let index = Int(digits), index >= 2, String(index) == digits, open > name.startIndex else { return nil }
        return (String(name[..<open]), index)
    }
}

/// The voice settings of `server_config.json`, as the voice service uses them.
struct VoiceConfig: Sendable {
    var enabled: Bool
    var wsURL: String
    var tokenTTL: TimeInterval
    var names: LiveKitRoomNames
    var subroomsEnabled: Bool
    var limits: SubroomLimits
    var reservationTTL: TimeInterval
    var kickDuration: TimeInterval
    var muteDuration: TimeInterval
    var reconcileInterval: TimeInterval
    var tokenRateLimit: RateLimitRule?

    init(_ server: ServerConfig) {
        enabled = server.livekitEnabled
        wsURL = server.livekitWSURL
        tokenTTL = TimeInterval(server.livekitTokenTTLSeconds)
        names = LiveKitRoomNames(prefix: server.livekitRoomPrefix)
        subroomsEnabled = server.livekitSubroomsEnabled
        limits = SubroomLimits(capacity: server.livekitSubroomCapacity, maxSubrooms: server.livekitMaxSubrooms)
        reservationTTL = TimeInterval(server.livekitReservationSeconds)
        kickDuration = TimeInterval(server.livekitVoiceKickSeconds)
        muteDuration = TimeInterval(server.livekitVoiceMuteSeconds)
        reconcileInterval = TimeInterval(server.livekitReconcileIntervalSeconds)
        tokenRateLimit = server.rateLimitLivekitToken
    }
}

/// The sub-rooms this instance created on LiveKit (CreateRoom is idempotent, so this only saves
/// calls), and whether LiveKit was found unreachable moments ago.
final class LiveKitRoomCache: Sendable {
    private let state = Mutex<(created: Set<String>, downUntil: Date)>(([], .distantPast))
    private let creating = Mutex<[String: Task<Void, Never>]>([:])

    /// Runs `create` for `name` unless an attempt for it is already running, and waits for
    /// that attempt: concurrent first tokens for a sub-room make one CreateRoom call.
    func creating(_ name: String, _ create: @escaping @Sendable () async -> Void) async {
        let task = creating.withLock { running in
            if let task = running[name] { return task }
            let task = Task {
                await create()
                self.creating.withLock { _ = $0.removeValue(forKey: name) }
            }
            running[name] = task
            return task
        }
        await task.value
    }

    func isCreated(_ name: String) -> Bool { state.withLock { $0.created.contains(name) } }
    func created(_ name: String) { state.withLock { _ = $0.created.insert(name) } }
    func finished(_ name: String) { state.withLock { _ = $0.created.remove(name) } }
    var createdNames: Set<String> { state.withLock { $0.created } }

    func isDown(at now: Date) -> Bool { state.withLock { $0.downUntil > now } }
    func markDown(until date: Date) { state.withLock { $0.downUntil = date } }
}

/// Per room: whether a publication is running, and whether it went stale meanwhile.
final class CoalescedRuns: Sendable {
    private let state = Mutex<[RoomID: Bool]>([:])

    /// True when the caller should start a run; otherwise the running one is marked stale.
    func begin(_ room: RoomID) -> Bool {
        state.withLock { runs in
            if runs[room] != nil {
                runs[room] = true
                return false
            }
            runs[room] = false
            return true
        }
    }

    /// After a run: true (and cleared) when it went stale and must run again; else the run ends.
    func shouldRepeat(_ room: RoomID) -> Bool {
        state.withLock { runs in
            if runs[room] == true {
                runs[room] = false
                return true
            }
            runs[room] = nil
            return false
        }
    }
}

/// `POST /api/livekit/token`'s answer.
struct VoiceTokenBody: Encodable, Sendable {
    let url: String
    let room: String
    let token: String
    let subroom: Int
    let identity: String
    let expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case url, room, token, subroom, identity
        case expiresAt = "expires_at"
    }

    /// The body as JSON text; the same document the encoder would write, without its cost on
    /// every token.
    var json: ByteBuffer {
        var out = JSONText(capacity: 128 + token.utf8.count)
        out.raw("{")
        out.key("expires_at")
        out.string(expiresAt.formatted(.iso8601))
        out.raw(",")
        out.key("identity")
        out.string(identity)
        out.raw(",")
        out.key("room")
        out.string(room)
        out.raw(",\"subroom\":\(subroom),")
        out.key("token")
        out.string(token)
        out.raw(",")
        out.key("url")
        out.string(url)
        out.raw("}")
        return ByteBuffer(bytes: out.bytes)
    }
}

/// One sub-room in `GET /api/rooms/{name}/voice` and `voice.occupancy` events.
struct SubroomBody: Encodable, Sendable, Equatable {
    struct Participant: Encodable, Sendable, Equatable {
        let username: String
        let displayName: String
        let publishing: [String]

        enum CodingKeys: String, CodingKey {
            case username, publishing
            case displayName = "display_name"
        }
    }

    let index: Int
    let livekitRoom: String
    /// Who LiveKit reported joined.
    let participants: [Participant]
    /// Tokens handed out whose holders have not joined yet.
    let reserved: Int

    enum CodingKeys: String, CodingKey {
        case index, participants, reserved
        case livekitRoom = "livekit_room"
    }
}

/// Voice: LiveKit tokens with sub-room seats, LiveKit's webhooks, voice moderation and the
/// periodic reconciliation with LiveKit's participant lists.
struct VoiceService: Sendable {
    let config: VoiceConfig
    let storage: any Storage
    let strategy: any SubroomStrategy
    let tokens: LiveKitTokens?
    let roomService: RoomServiceClient?
    let rooms: RoomService
    let bus: any EventBus
    let limiter: RateLimiter
    let metrics: HostMetrics
    let logger: Logger
    let cache = LiveKitRoomCache()
    let occupancyRuns = CoalescedRuns()
    /// How long a failed CreateRoom keeps later tokens from waiting on LiveKit.
    var outageBackoff: TimeInterval = 10

    // MARK: Tokens

    /// Mints a LiveKit token for `access`'s user, seating them in a sub-room (the one asked for
    /// when it has space, else the strategy's choice; the same one again when they already hold a seat).
    func token(_ access: RoomAccess, preferredSubroom: Int?) async throws -> VoiceTokenBody {
        guard config.enabled, let tokens else { throw Self.disabled }
        let user = access.principal.user
        if case .limited(let retryAfter) = await limiter.admit("livekit-token:\(user.id)", rule: config.tokenRateLimit) {
            metrics.recordLiveKitToken("rate_limited")
            throw APIError.rateLimited(retryAfter: retryAfter)
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
            throw APIError.forbidden("voice_kicked", "a moderator removed you from this room's voice channel; try again later")
        }
        let isModerator = access.subject.isServerAdmin || (access.membership?.role ?? .member) >= .moderator
        let listenOnly = restrictions.contains(.muted) || (access.room.isReadonly && !isModerator)

        let seat = try await reserve(access, user: user, preferred: preferredSubroom, listenOnly: listenOnly, now: now)
        let livekitRoom = config.names.name(of: access.room.name, subroom: seat.seat.subroom)
        await ensureCreated(livekitRoom, firstSeat: seat.opensSubroom, now: now)

        let grant = Self.grant(room: livekitRoom, voice: access.room.voice, listenOnly: listenOnly)
        let metadata = Self.metadata(user: user, role: access.membership?.role)
        let (token, expiresAt) = try await tokens.clientToken(
            identity: user.username, name: user.displayName, metadata: metadata, grant: grant, now: now, ttl: config.tokenTTL)
        metrics.recordLiveKitToken("minted")
        if seat.isNew { await publishOccupancy(of: access.room) }
        return VoiceTokenBody(
            url: config.wsURL, room: livekitRoom, token: token, subroom: seat.seat.subroom, identity: user.username, expiresAt: expiresAt)
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

    private struct Reservation {
        let seat: VoiceSeat
        let isNew: Bool
        /// Whether the sub-room was empty before this seat: its LiveKit room may not exist yet.
        let opensSubroom: Bool
    }

    /// Decide-and-reserve in one storage transaction; the strategy sees the room's occupancy as
    /// it is inside that transaction.
    private func reserve(_ access: RoomAccess, user: User, preferred: Int?, listenOnly: Bool, now: Date) async throws -> Reservation {
        let strategy = strategy
        let limits = config.limits
        let subroomsEnabled = config.subroomsEnabled
        let roomName = access.room.name
        let opened = Mutex(false)
        let request = SubroomRequest(userID: user.id, preferredIndex: preferred, isListenOnly: listenOnly)
        let outcome = try await storage.reserveSeat(
            SeatRequest(
                roomID: access.room.id, userID: user.id, identity: user.username, isListenOnly: listenOnly, now: now,
                expiresAt: now.addingTimeInterval(config.reservationTTL))
        ) { occupancy in
            let snapshot = SubroomSnapshot(room: roomName, subrooms: occupancy, limits: limits)
            let decision = strategy.decide(request, in: snapshot, now: now)
            if let index = decision.assignedIndex, !subroomsEnabled && index > 1 {
                return .refuse("\(roomName) is full and sub-rooms are turned off")
            }
            if let index = decision.assignedIndex {
                opened.withLock { $0 = snapshot.occupancy(of: index).seats.isEmpty }
            }
            return decision
        }
        switch outcome {
        case .existing(let seat):
            return Reservation(seat: seat, isNew: false, opensSubroom: false)
        case .reserved(let seat):
            return Reservation(seat: seat, isNew: true, opensSubroom: opened.withLock { $0 })
        case .refused(let reason):
            metrics.recordLiveKitToken("room_full")
            logger.info("voice seat refused", metadata: ["room": "\(roomName)", "user_id": "\(user.id)", "reason": "\(reason)"])
            throw APIError.conflict("room_full", "the voice channel is full: \(reason)")
        }
    }

    /// Creates the sub-room on LiveKit with the strategy's cap as `max_participants`, so the
    /// media server enforces it too. LiveKit being down never stops a token: the failure is
    /// logged and counted, and for `outageBackoff` later tokens do not wait on it.
    private func ensureCreated(_ livekitRoom: String, firstSeat: Bool, now: Date) async {
        guard let roomService, firstSeat || !cache.isCreated(livekitRoom) else { return }
        let cap = strategy.maxParticipants(limits: config.limits) ?? 0
        let (cache, logger, backoff) = (cache, logger, outageBackoff)
        let attempt: @Sendable () async -> Void = {
            do {
                try await roomService.createRoom(livekitRoom, maxParticipants: cap, timeout: .seconds(3))
                cache.created(livekitRoom)
            } catch {
                cache.markDown(until: Date().addingTimeInterval(backoff))
                logger.warning(
                    "could not create the LiveKit room; tokens are issued anyway",
                    metadata: ["livekit_room": "\(livekitRoom)", "error": "\(error)"])
            }
        }
        if cache.isDown(at: now) {
            // LiveKit failed moments ago: the token does not wait on it. One attempt per
            // sub-room runs in the background; later tokens try again until one succeeds.
            Task { await cache.creating(livekitRoom, attempt) }
        } else {
            await cache.creating(livekitRoom, attempt)
        }
    }

    // MARK: Occupancy

    func occupancy(of room: Room) async throws -> [SubroomBody] {
        let seats = try await storage.voiceSeats(in: room.id, at: Date())
        let users = try await rooms.usersByID(Set(seats.map(\.userID)))
        return Dictionary(grouping: seats, by: \.subroom).sorted { $0.key < $1.key }.map { index, seats in
            SubroomBody(
                index: index, livekitRoom: config.names.name(of: room.name, subroom: index),
                participants: seats.filter { $0.state == .joined }.map { seat in
                    SubroomBody.Participant(
                        username: seat.identity, displayName: users[seat.userID]?.displayName ?? seat.identity,
                        publishing: seat.publishing.map(\.rawValue).sorted())
                },
                reserved: seats.filter { $0.state == .reserved }.count)
        }
    }

    /// Publishes the room's `voice.occupancy`. Requests coalesce: while one publication for a
    /// room is running, further ones only mark it stale, and it runs once more when done. A burst
    /// of 500 tokens thus reads the seats a handful of times, not 500, and the last event still
    /// shows the final state.
    func publishOccupancy(of room: Room) async {
        guard occupancyRuns.begin(room.id) else { return }
        Task { [self] in
            repeat {
                do {
                    await bus.publish(RoomEvent.make("voice.occupancy", room: room, key: "subrooms", payload: try await occupancy(of: room)))
                } catch {
                    logger.warning("could not read voice occupancy", metadata: ["room": "\(room.name)", "error": "\(error)"])
                }
            } while occupancyRuns.shouldRepeat(room.id)
        }
    }

    // MARK: Moderation

    /// Removes a user from the room's voice channel and keeps them out for `kickDuration`.
    func kick(_ username: String, in access: RoomAccess) async throws {
        let (user, _) = try await restrict(.kicked, username, in: access, for: config.kickDuration, audited: "voice_kick")
        try await evict(user, from: access.room)
    }

    /// Mutes a user's published audio and makes their tokens listen-only for `muteDuration`.
    func mute(_ username: String, in access: RoomAccess) async throws {
        let (user, now) = try await restrict(.muted, username, in: access, for: config.muteDuration, audited: "voice_mute")
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
            throw error.apiError
        }
    }

    /// The checks and the record every voice moderation shares: a moderator or above acting on
    /// someone of lower role; the restriction written with its audit entry.
    private func restrict(
        _ restriction: VoiceRestriction, _ username: String, in access: RoomAccess, for duration: TimeInterval, audited action: String
    ) async throws -> (User, Date) {
        guard config.enabled else { throw Self.disabled }
        try access.requireRole(.moderator)
        let (user, target) = try await rooms.target(username, in: access)
        try access.require(.moderateVoice, on: target)
        let now = Date()
        try await storage.restrictVoice(
            restriction, of: user.id, in: access.room.id, until: now.addingTimeInterval(duration),
            audit: AuditRecord(actorID: access.principal.user.id, action: action, targetID: user.id, createdAt: now))
        return (user, now)
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
                throw error.apiError
            }
        }
        if try await storage.releaseSeat(of: user.id, in: room.id) != nil {
            await publishOccupancy(of: room)
        }
    }

    static let disabled = APIError(.serviceUnavailable, "livekit_disabled", "voice is not enabled on this server")
}

extension RoomServiceClient {
    func createRoom(_ name: String, maxParticipants: Int, timeout: TimeAmount) async throws {
        var client = self
        client.timeout = timeout
        try await client.createRoom(name, maxParticipants: maxParticipants)
    }
}
