import EchoPluginAPI
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Publishes rooms' `voice.occupancy` events, coalesced: while a room waits to be published,
/// further requests for it add nothing, and a request that comes while it is being read queues
/// it once more. A burst of 500 tokens thus reads the seats a handful of times, not 500, and
/// the last event still shows the final state.
final class OccupancyPublisher: Service {
    private let storage: any Storage
    private let names: LiveKitRoomNames
    private let bus: any EventBus
    private let logger: Logger
    private let waiting = Mutex<[RoomID: Room]>([:])
    private let wakeUps: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(storage: any Storage, names: LiveKitRoomNames, bus: any EventBus, logger: Logger) {
        self.storage = storage
        self.names = names
        self.bus = bus
        self.logger = logger
        (wakeUps, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for the room's occupancy to be published soon.
    func publish(_ room: Room) {
        waiting.withLock { $0[room.id] = room }
        wake.yield()
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeUps {
                let rooms = waiting.withLock { rooms in
                    defer { rooms.removeAll() }
                    return Array(rooms.values)
                }
                await withDiscardingTaskGroup { group in
                    for room in rooms { group.addTask(operation: { await self.publishNow(room) }) }
                }
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
    }

    private func publishNow(_ room: Room) async {
        do {
            await bus.publish(.voiceOccupancy(try await occupancy(of: room), room: room))
        } catch {
            logger.warning("could not read voice occupancy", metadata: ["room": "\(room.name)", "error": "\(error)"])
        }
    }

    /// Who is in each sub-room of the room, and how many seats wait for a join.
    func occupancy(of room: Room) async throws -> [SubroomBody] {
        let seats = try await storage.voiceSeats(in: room.id, at: Date())
        let users = try await storage.users(ids: Set(seats.map(\.userID)))
        let names = Dictionary(users.map { ($0.id, $0.displayName) }, uniquingKeysWith: { first, _ in first })
        return Dictionary(grouping: seats, by: \.subroom).sorted { $0.key < $1.key }.map { index, seats in
            SubroomBody(
                index: index, livekitRoom: self.names.name(of: room.name, subroom: index),
                participants: seats.filter { $0.state == .joined }.map { seat in
                    SubroomBody.Participant(
                        username: seat.identity, displayName: names[seat.userID] ?? seat.identity,
                        publishing: seat.publishing.map(\.rawValue).sorted())
                },
                reserved: seats.filter { $0.state == .reserved }.count)
        }
    }
}
