import EchoPluginAPI
import Foundation
import Logging
import NIOCore

/// `POST /api/livekit/webhook`: checks the signature against the raw body, drops duplicates
/// (by event id), and applies joins, leaves, closed rooms and tracks to the seats.
struct VoiceWebhookHandler: Sendable {
    let config: VoiceConfig
    let storage: any Storage
    let tokens: LiveKitTokens?
    let roomService: RoomServiceClient?
    let provisioner: LiveKitRoomProvisioner
    let publisher: OccupancyPublisher
    let background: BackgroundCalls
    let metrics: HostMetrics
    let logger: Logger

    /// Webhook ids are remembered this long; LiveKit drops events older than 30 s and a webhook
    /// token is valid for 5 minutes, so a replay after this is refused by its expiry instead.
    static let webhookMemory: TimeInterval = 3600

    static let handled: Set<String> = [
        "participant_joined", "participant_left", "participant_connection_aborted", "room_finished", "track_published", "track_unpublished",
    ]

    func receive(authorization: String?, body: ByteBuffer) async throws {
        guard config.enabled, let tokens else { throw VoiceConfig.disabled }
        guard await tokens.verifyWebhook(authorization: authorization, body: body.readableBytesView) else {
            metrics.recordLiveKitWebhook("unknown", outcome: "rejected")
            logger.warning("refused a LiveKit webhook with a bad signature")
            throw EchoError.unauthenticated("invalid_webhook_signature", "the webhook's signature does not match its body")
        }
        guard let event = try? JSONDecoder().decode(LiveKitWebhookEvent.self, from: Data(body.readableBytesView)) else {
            throw EchoError.invalid("the webhook body is not a LiveKit event", code: "invalid_webhook")
        }
        let kind = event.event ?? "unknown"
        guard Self.handled.contains(kind), let livekitName = event.room?.name, let (roomName, subroom) = config.names.parse(livekitName),
            let room = try await storage.room(named: roomName), room.name == roomName
        else {
            metrics.recordLiveKitWebhook(Self.handled.contains(kind) ? kind : "other", outcome: "ignored")
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
        if changed { publisher.publish(room) }
    }

    private func apply(_ kind: String, _ event: LiveKitWebhookEvent, room: Room, subroom: Int, livekitName: String) async throws -> Bool {
        let identity = event.participant?.identity ?? ""
        let sid = event.participant?.sid ?? ""
        switch kind {
        case "participant_joined":
            guard !identity.isEmpty, !sid.isEmpty, let user = try await storage.user(named: identity) else { return false }
            let standing = try await VoiceStanding.of(user, in: room, storage: storage)
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
            provisioner.finished(livekitName)
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
        background.submit { [logger] in
            do {
                _ = try await call(roomService)
            } catch {
                logger.warning("could not \(what) on LiveKit", metadata: ["livekit_room": "\(livekitName)", "error": "\(error)"])
            }
        }
    }
}
