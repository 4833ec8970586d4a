import EchoPluginAPI
import Foundation
import Logging
import NIOCore

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

extension VoiceService {
    /// Webhook ids are remembered this long; LiveKit drops events older than 30 s and a webhook
    /// token is valid for 5 minutes, so a replay after this is refused by its expiry instead.
    static let webhookMemory: TimeInterval = 3600

    /// `POST /api/livekit/webhook`: checks the signature against the raw body, drops duplicates
    /// (by event id), and applies joins, leaves, closed rooms and tracks to the seats.
    func receiveWebhook(authorization: String?, body: ByteBuffer) async throws {
        guard config.enabled, let tokens else { throw Self.disabled }
        guard await tokens.verifyWebhook(authorization: authorization, body: body.readableBytesView) else {
            metrics.recordLiveKitWebhook("unknown", outcome: "rejected")
            logger.warning("refused a LiveKit webhook with a bad signature")
            throw APIError.unauthorized("invalid_webhook_signature", "the webhook's signature does not match its body")
        }
        guard let event = try? JSONDecoder().decode(LiveKitWebhookEvent.self, from: Data(body.readableBytesView)) else {
            throw APIError.badRequest("the webhook body is not a LiveKit event", code: "invalid_webhook")
        }
        let kind = event.event ?? "unknown"
        let handled: Set<String> = [
            "participant_joined", "participant_left", "participant_connection_aborted", "room_finished", "track_published",
            "track_unpublished",
        ]
        guard handled.contains(kind), let livekitName = event.room?.name, let (roomName, subroom) = config.names.parse(livekitName),
            let room = try await storage.room(named: roomName), room.name == roomName
        else {
            metrics.recordLiveKitWebhook(handled.contains(kind) ? kind : "other", outcome: "ignored")
            return
        }
        let id = event.id.flatMap { $0.isEmpty ? nil : $0 }
        if let id {
            let now = Date()
            guard try await storage.recordWebhookEvent(id, at: now, pruneBefore: now.addingTimeInterval(-Self.webhookMemory)) else {
                metrics.recordLiveKitWebhook(kind, outcome: "duplicate")
                return
            }
        }
        let changed: Bool
        do {
            changed = try await apply(kind, event, room: room, subroom: subroom, livekitName: livekitName)
        } catch {
            // The answer is an error, so LiveKit retries: that retry must not count as a duplicate.
            if let id { try? await storage.forgetWebhookEvent(id) }
            throw error
        }
        metrics.recordLiveKitWebhook(kind, outcome: changed ? "applied" : "ignored")
        if changed { await publishOccupancy(of: room) }
    }

    private func apply(_ kind: String, _ event: LiveKitWebhookEvent, room: Room, subroom: Int, livekitName: String) async throws -> Bool {
        let identity = event.participant?.identity ?? ""
        let sid = event.participant?.sid ?? ""
        switch kind {
        case "participant_joined":
            guard !identity.isEmpty, !sid.isEmpty, let user = try await storage.user(named: identity) else { return false }
            let standing = try await voiceStanding(user, in: room)
            if standing.isMuted {
                // Joined with a token from before the mute: take the right to publish.
                inBackground("mute a participant", on: livekitName) { try await $0.setCanPublish(false, identity: identity, in: livekitName) }
            }
            guard standing.mayStay else {
                // LiveKit does not revoke tokens: someone kicked, banned or gone from the room is removed again.
                logger.info("removing a participant who may not be in voice", metadata: ["livekit_room": "\(livekitName)", "user_id": "\(user.id)"])
                inBackground("remove a participant", on: livekitName) { try await $0.removeParticipant(identity, from: livekitName) }
                return false
            }
            let seated = try await storage.seatJoined(
                roomID: room.id, subroom: subroom, userID: user.id, identity: identity, participantSID: sid,
                at: event.participant?.joinedAt ?? Date())
            return seated != nil
        case "participant_left", "participant_connection_aborted":
            guard !identity.isEmpty, !sid.isEmpty else { return false }
            return try await storage.seatLeft(roomID: room.id, subroom: subroom, identity: identity, participantSID: sid)
        case "room_finished":
            cache.finished(livekitName)
            return try await storage.clearJoinedSeats(roomID: room.id, subroom: subroom) > 0
        case "track_published", "track_unpublished":
            guard !identity.isEmpty, !sid.isEmpty, let source = event.track?.source.flatMap({ TrackSource(rawValue: $0.lowercased()) }) else {
                return false
            }
            return try await storage.setPublishing(
                source, kind == "track_published", roomID: room.id, subroom: subroom, identity: identity, participantSID: sid)
        default:
            return false
        }
    }

    /// A RoomService call the webhook's answer does not wait for; a failure is logged.
    private func inBackground(
        _ what: String, on livekitName: String, _ call: @escaping @Sendable (RoomServiceClient) async throws -> some Sendable
    ) {
        guard let roomService else { return }
        Task { [logger] in
            do {
                _ = try await call(roomService)
            } catch {
                logger.warning("could not \(what) on LiveKit", metadata: ["livekit_room": "\(livekitName)", "error": "\(error)"])
            }
        }
    }

    /// Whether the user may be in the room's voice channel now (a member or server admin, not
    /// banned, not voice-kicked, voice still on for the room), and whether they are voice-muted.
    func voiceStanding(_ user: User, in room: Room) async throws -> (mayStay: Bool, isMuted: Bool) {
        guard !user.isDisabled, let standing = try await storage.roomStanding(named: room.name, of: user.id, at: Date()) else {
            return (false, false)
        }
        let subject = PolicySubject(isServerAdmin: user.isAdmin, role: standing.membership?.role, isBanned: standing.isBanned)
        let policyRoom = PolicyRoom(visibility: room.visibility, isReadonly: room.isReadonly, voiceEnabled: room.voice.enabled)
        guard case .allow = RoomPolicy.decide(.joinVoice, by: subject, in: policyRoom) else { return (false, false) }
        return (!standing.voiceRestrictions.contains(.kicked), standing.voiceRestrictions.contains(.muted))
    }

    // MARK: Reconciliation

    /// Makes the seats of every sub-room with seats (or created by this instance) match LiveKit's
    /// participant lists, correcting drift from lost webhooks or restarts. Participants who may
    /// not be there (kicked, banned) are removed again.
    func reconcile() async {
        guard config.enabled, let roomService else { return }
        let now = Date()
        do {
            var targets = try await storage.occupiedSubrooms(at: now)
            var names: [RoomID: Room] = [:]
            for livekitName in cache.createdNames {
                guard let (roomName, subroom) = config.names.parse(livekitName), let room = try await storage.room(named: roomName) else {
                    continue
                }
                names[room.id] = room
                targets[room.id, default: []].insert(subroom)
            }
            for (roomID, subrooms) in targets {
                var room = names[roomID]
                if room == nil { room = try await storage.room(id: roomID) }
                guard let room else { continue }
                var changed = false
                for subroom in subrooms.sorted() {
                    let livekitName = config.names.name(of: room.name, subroom: subroom)
                    let listed: [LiveKitParticipant]
                    let listedAt = Date()
                    do {
                        listed = try await roomService.listParticipants(livekitName)
                    } catch {
                        // One sub-room LiveKit cannot list does not hold up the others.
                        logger.warning("could not list a LiveKit room's participants", metadata: ["livekit_room": "\(livekitName)", "error": "\(error)"])
                        continue
                    }
                    var present: [VoiceParticipant] = []
                    for participant in listed {
                        guard let user = try await storage.user(named: participant.identity) else { continue }
                        let standing = try await voiceStanding(user, in: room)
                        guard standing.mayStay else {
                            _ = try? await roomService.removeParticipant(participant.identity, from: livekitName)
                            continue
                        }
                        if standing.isMuted && participant.permission?.canPublish != false {
                            _ = try? await roomService.setCanPublish(false, identity: participant.identity, in: livekitName)
                        }
                        present.append(
                            VoiceParticipant(
                                userID: user.id, identity: participant.identity, participantSID: participant.sid,
                                publishing: Set((participant.tracks ?? []).compactMap(\.trackSource))))
                    }
                    if try await storage.reconcileSeats(roomID: room.id, subroom: subroom, participants: present, listedAt: listedAt) {
                        changed = true
                    }
                }
                if changed { await publishOccupancy(of: room) }
            }
        } catch {
            logger.warning("voice reconciliation with LiveKit failed; will retry", metadata: ["error": "\(error)"])
        }
    }
}
