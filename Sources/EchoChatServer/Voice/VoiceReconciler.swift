import EchoPluginAPI
import Foundation
import Logging
import ServiceLifecycle

/// Every `livekit_reconcile_interval_seconds`, makes the seats of every sub-room with seats (or
/// created by this instance) match LiveKit's participant lists, correcting drift from lost
/// webhooks or restarts. Participants who may not be there (kicked, banned) are removed again.
struct VoiceReconciler: Service {
    let config: VoiceConfig
    let storage: any Storage
    let roomService: RoomServiceClient?
    let provisioner: LiveKitRoomProvisioner
    let publisher: OccupancyPublisher
    let logger: Logger

    func run() async throws {
        guard config.enabled else {
            // A service that returns would stop the server: wait for the shutdown instead.
            try? await gracefulShutdown()
            return
        }
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(config.reconcileInterval)) }
            } catch is CancellationError {
                return
            }
            await reconcile()
        }
    }

    func reconcile() async {
        guard config.enabled, let roomService else { return }
        do {
            var targets = try await storage.occupiedSubrooms(at: Date())
            var rooms: [RoomID: Room] = [:]
            for livekitName in provisioner.createdNames {
                guard let (roomName, subroom) = config.names.parse(livekitName), let room = try await storage.room(named: roomName) else {
                    continue
                }
                rooms[room.id] = room
                targets[room.id, default: []].insert(subroom)
            }
            for (roomID, subrooms) in targets {
                var room = rooms[roomID]
                if room == nil { room = try await storage.room(id: roomID) }
                guard let room else { continue }
                var changed = false
                for subroom in subrooms.sorted() {
                    if try await reconcile(subroom, of: room, through: roomService) { changed = true }
                }
                if changed { publisher.publish(room) }
            }
        } catch {
            logger.warning("voice reconciliation with LiveKit failed; will retry", metadata: ["error": "\(error)"])
        }
    }

    /// One sub-room; whether its seats changed. One LiveKit cannot list does not hold up the others.
    private func reconcile(_ subroom: Int, of room: Room, through roomService: RoomServiceClient) async throws -> Bool {
        let livekitName = config.names.name(of: room.name, subroom: subroom)
        let listed: [LiveKitParticipant]
        let listedAt = Date()
        do {
            listed = try await roomService.listParticipants(livekitName)
        } catch {
            logger.warning("could not list a LiveKit room's participants", metadata: ["livekit_room": "\(livekitName)", "error": "\(error)"])
            return false
        }
        var present: [VoiceParticipant] = []
        for participant in listed {
            guard let user = try await storage.user(named: participant.identity) else { continue }
            let standing = try await VoiceStanding.of(user, in: room, storage: storage)
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
        return try await storage.reconcileSeats(roomID: room.id, subroom: subroom, participants: present, listedAt: listedAt)
    }
}
