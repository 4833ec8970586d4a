import EchoPluginAPI
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// A room's voice queue, served first come, first served: when seats free up (a leave, a kick,
/// an offer or reservation that lapsed) the people at the head of the queue are offered them,
/// each with a token in a `voice.seat_offered` event, and everyone still waiting is told their
/// new place. The offer is a reservation: not taken within `livekit_reservation_seconds`, it
/// lapses and the next pass offers the seat to the next in line.
///
/// Passes run per room, coalesced like the occupancy events; every second the rooms with a
/// queue get a pass too, which catches lapsed offers and seats freed on other instances. A user
/// whose last socket on this instance closes leaves every queue after a grace (a page reload
/// keeps its place).
final class VoiceQueue: Service {
    private let channel: (any VoiceChannelStore)?
    private let storage: any Storage
    private let tokens: VoiceTokens
    private let planner: SeatPlanner
    private let publisher: OccupancyPublisher
    private let bus: any EventBus
    private let hub: ConnectionHub
    private let reservationTTL: TimeInterval
    private let logger: Logger
    private let runs = Mutex<[RoomID: (room: Room, isStale: Bool)]>([:])
    private let departures = Mutex<[UserID: Date]>([:])
    /// The places this instance last told each room's queue, so that a pass tells only changes.
    private let told = Mutex<[RoomID: [UserID: Int]]>([:])
    private let starts: AsyncStream<RoomID>
    private let start: AsyncStream<RoomID>.Continuation

    /// How long a user without a socket keeps their places.
    static let disconnectGrace: TimeInterval = 15
    /// The most seats one pass offers.
    static let offersPerPass = 50

    init(
        storage: any Storage, tokens: VoiceTokens, planner: SeatPlanner, publisher: OccupancyPublisher, bus: any EventBus, hub: ConnectionHub,
        reservationTTL: TimeInterval, logger: Logger
    ) {
        self.storage = storage
        self.channel = storage as? any VoiceChannelStore
        self.tokens = tokens
        self.planner = planner
        self.publisher = publisher
        self.bus = bus
        self.hub = hub
        self.reservationTTL = reservationTTL
        self.logger = logger
        (starts, start) = AsyncStream.makeStream(of: RoomID.self)
    }

    /// Asks for a pass over the room's queue soon.
    func nudge(_ room: Room) {
        guard channel != nil else { return }
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

    /// The user's last socket on this instance closed.
    func disconnected(_ user: UserID) {
        guard channel != nil else { return }
        departures.withLock { $0[user] = Date().addingTimeInterval(Self.disconnectGrace) }
    }

    /// `DELETE /api/rooms/{name}/voice/queue`, or the user left the room (or was banned from it or its voice).
    func leave(_ user: UserID, _ room: Room) async throws {
        guard let channel, try await channel.leaveVoiceQueue(of: user, in: room.id) else { return }
        await left(user, room)
    }

    /// After `user` left the room's queue: they are told, the people behind move up, the roster's
    /// `queue_length` changes.
    private func left(_ user: UserID, _ room: Room) async {
        _ = told.withLock { $0[room.id]?.removeValue(forKey: user) }
        await bus.publish(.voiceQueue(nil, room: room, to: user))
        publisher.publish(room)
        nudge(room)
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask(operation: { await self.sweep() })
                for await id in starts {
                    group.addTask(operation: { await self.passWhileStale(id) })
                }
            }
        } onGracefulShutdown: {
            self.start.finish()
        }
    }

    /// Every second: a pass for each room with a queue, and the departures whose grace ran out.
    private func sweep() async {
        guard let channel else { return }
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            } catch {
                return
            }
            do {
                for id in try await channel.roomsWithVoiceQueues() {
                    if let room = try await storage.room(id: id) { nudge(room) }
                }
                let now = Date()
                let due = departures.withLock { departures in
                    let due = departures.filter { $0.value <= now }.map(\.key)
                    for user in due { departures[user] = nil }
                    return due
                }
                for user in due where !hub.isConnected(user) {
                    for id in try await channel.leaveVoiceQueues(of: user) {
                        if let room = try await storage.room(id: id) { await left(user, room) }
                    }
                }
            } catch {
                logger.warning("the voice queue's sweep failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func passWhileStale(_ id: RoomID) async {
        var next = runs.withLock { $0[id]?.room }
        while let room = next {
            await pass(room)
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

    /// Offers the seats that are free to the head of the queue, then tells everyone still waiting their place.
    private func pass(_ room: Room) async {
        guard let channel else { return }
        let (planner, name) = (planner, room.name)
        let opened = Mutex<Set<UserID>>([])
        do {
            let now = Date()
            let offers = try await channel.offerQueuedSeats(
                in: room.id, now: now, expiresAt: now.addingTimeInterval(reservationTTL), limit: Self.offersPerPass
            ) { entry, occupancy in
                let request = SubroomRequest(
                    userID: entry.userID, preferredIndex: nil, isListenOnly: entry.isListenOnly, companionIndices: [], role: nil)
                let plan = planner.plan(request, room: name, occupancy: occupancy, now: now)
                if plan.opensSubroom { opened.withLock { _ = $0.insert(entry.userID) } }
                return plan.decision
            }
            for seat in offers {
                await offer(seat, in: room, opensSubroom: opened.withLock { $0.contains(seat.userID) }, now: now)
            }
            if !offers.isEmpty { publisher.publish(room) }
            await announcePositions(in: room)
        } catch {
            logger.warning("offering queued voice seats failed", metadata: ["room": "\(room.name)", "error": "\(error)"])
        }
    }

    /// Sends the person offered a seat their token. Should that fail, the reservation lapses and
    /// the seat goes to the next in line.
    private func offer(_ seat: VoiceSeat, in room: Room, opensSubroom: Bool, now: Date) async {
        do {
            guard let user = try await storage.user(id: seat.userID) else { return }
            // Banned, kicked or out of the room since they queued: the seat goes back.
            let standing = try await VoiceStanding.of(user, in: room, storage: storage)
            guard standing.mayStay else {
                await withdraw(seat, in: room)
                return
            }
            let membership = try await storage.membership(of: user.id, in: room.id)
            let subject = PolicySubject(isServerAdmin: user.isAdmin, role: membership?.role, isBanned: false)
            let listenOnly = standing.isMuted || (room.isReadonly && !RoomPolicy.isExempt(subject, from: .readonly))
            let minted = try await tokens.mint(
                for: user, role: membership?.role, in: room, subroom: seat.subroom, listenOnly: listenOnly, opensSubroom: opensSubroom, now: now,
                ttl: reservationTTL)
            await bus.publish(.voiceToken("voice.seat_offered", minted, room: room, to: user.id))
            logger.info("offered a queued voice seat", metadata: ["room": "\(room.name)", "user_id": "\(user.id)", "subroom": "\(seat.subroom)"])
        } catch {
            logger.warning("could not offer a queued voice seat", metadata: ["room": "\(room.name)", "user_id": "\(seat.userID)", "error": "\(error)"])
            await withdraw(seat, in: room)
        }
    }

    /// An offer that cannot be made: the seat goes to the next pass, and its holder is told they no longer wait.
    private func withdraw(_ seat: VoiceSeat, in room: Room) async {
        do {
            try await storage.releaseSeat(of: seat.userID, in: room.id)
        } catch {
            logger.warning("could not withdraw a voice seat offer", metadata: ["room": "\(room.name)", "error": "\(error)"])
        }
        await bus.publish(.voiceQueue(nil, room: room, to: seat.userID))
        publisher.publish(room)
    }

    /// Tells everyone in the room's queue whose place changed since this instance last told them.
    private func announcePositions(in room: Room) async {
        guard let channel else { return }
        do {
            let queue = try await channel.voiceQueue(in: room.id)
            let places = Dictionary(queue.map { ($0.userID, $0.position) }, uniquingKeysWith: { first, _ in first })
            let changed = told.withLock { told in
                let before = told[room.id] ?? [:]
                told[room.id] = places.isEmpty ? nil : places
                return queue.filter { before[$0.userID] != $0.position }
            }
            for entry in changed {
                await bus.publish(.voiceQueue(entry.position, room: room, to: entry.userID))
            }
        } catch {
            logger.warning("could not read the voice queue", metadata: ["room": "\(room.name)", "error": "\(error)"])
        }
    }
}
