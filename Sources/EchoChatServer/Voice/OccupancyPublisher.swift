import EchoPluginAPI
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Publishes rooms' `voice.occupancy` events, coalesced per room: while a publication for a room
/// is running, further requests only mark it stale, and it runs once more when done. A burst of
/// 500 tokens thus reads the seats a handful of times, not 500, the last event still shows the
/// final state, and a slow read for one room holds up no other.
final class OccupancyPublisher: Service {
    private let roster: VoiceRoster
    private let bus: any EventBus
    private let logger: Logger
    /// The rooms being published, and whether each went stale meanwhile.
    private let runs = Mutex<[RoomID: (room: Room, isStale: Bool)]>([:])
    private let starts: AsyncStream<RoomID>
    private let start: AsyncStream<RoomID>.Continuation
    private let seatsChanged = Mutex<(@Sendable (Room) -> Void)?>(nil)

    init(storage: any Storage, names: LiveKitRoomNames, bus: any EventBus, logger: Logger) {
        self.roster = VoiceRoster(storage: storage, names: names)
        self.bus = bus
        self.logger = logger
        (starts, start) = AsyncStream.makeStream(of: RoomID.self)
    }

    /// Asks for the room's occupancy to be published soon.
    func publish(_ room: Room) {
        let isNew = runs.withLock { runs in
            guard runs[room.id] == nil else {
                runs[room.id] = (room, true)
                return false
            }
            runs[room.id] = (room, false)
            return true
        }
        if isNew { start.yield(room.id) }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await id in starts {
                    group.addTask(operation: { await self.publishWhileStale(id) })
                }
            }
        } onGracefulShutdown: {
            self.start.finish()
        }
    }

    private func publishWhileStale(_ id: RoomID) async {
        var next = runs.withLock { $0[id]?.room }
        while let room = next {
            await publishNow(room)
            next = runs.withLock { runs in
                guard let run = runs[id], run.isStale else {
                    runs[id] = nil
                    return nil
                }
                runs[id] = (run.room, false)
                return run.room
            }
        }
    }

    private func publishNow(_ room: Room) async {
        do {
            let snapshot = try await roster.read(room)
            await bus.publish(.voiceOccupancy(snapshot.subrooms, room: room))
            await bus.publish(.voiceRoster(snapshot.subrooms, queueLength: snapshot.queue.count, room: room))
        } catch {
            logger.warning("could not read voice occupancy", metadata: ["room": "\(room.name)", "error": "\(error)"])
        }
        seatsChanged.withLock { $0 }?(room)
    }

    /// Who is in each sub-room of the room, who is joining, and the room's queue.
    func occupancy(of room: Room) async throws -> VoiceRoster.Snapshot {
        try await roster.read(room)
    }

    /// Called after each publication, for the queue to offer seats that freed up.
    func onSeatsChanged(_ action: @escaping @Sendable (Room) -> Void) {
        seatsChanged.withLock { $0 = action }
    }
}
