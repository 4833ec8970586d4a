public import EchoPluginAPI
import Foundation

extension StorageConformance {
    /// The behaviours the host relies on from a ``VoiceChannelStore``.
    ///
    /// ```swift
    /// @Test(arguments: StorageConformance.voiceChannelChecks.map(\.name))
    /// func voiceChannel(_ name: String) async throws {
    ///     try await StorageConformance.runVoiceChannel(name) { try await MyStorage(configuration: .init(), context: context) }
    /// }
    /// ```
    public static var voiceChannelChecks: [VoiceChannelCheck] {
        [
            VoiceChannelCheck(name: "a full room queues requests in order; a freed seat goes to the head of the queue", body: queueOrder),
            VoiceChannelCheck(name: "concurrent requests and offers never overfill a sub-room or seat anyone twice", body: concurrentQueue),
            VoiceChannelCheck(name: "leaving the queue, moving a seat, and the seat counts", body: leavingAndMoving),
            VoiceChannelCheck(name: "voice bans are recorded, listed, lapse and are lifted once", body: voiceBans),
        ]
    }

    /// A named behaviour of a storage with voice channel features.
    public struct VoiceChannelCheck: Sendable {
        /// What the check shows.
        public let name: String
        let body: @Sendable (any VoiceChannelStore) async throws -> Void
    }

    /// Runs the voice channel check called `name` against a fresh storage.
    public static func runVoiceChannel(_ name: String, makeStorage: () async throws -> any VoiceChannelStore) async throws {
        guard let check = voiceChannelChecks.first(where: { $0.name == name }) else { throw ConformanceFailure("no check named \(name)") }
        let storage = try await makeStorage()
        try await withRunningStorage(storage) { _ in try await check.body(storage) }
    }

    static func users(_ count: Int, _ storage: any VoiceChannelStore) async throws -> [User] {
        var users: [User] = []
        for index in 0..<count { users.append(try await storage.createUser(newUser("user\(index)"), credential: nil)) }
        return users
    }

    static func queueOrder(_ storage: any VoiceChannelStore) async throws {
        let people = try await users(6, storage)
        let lobby = try await storage.createRoom(room("Lobby"), owner: people[0].id)
        let decide = fill(capacity: 2, maxSubrooms: 1)
        var outcomes: [QueuedSeatOutcome] = []
        for (index, user) in people.enumerated() {
            outcomes.append(try await storage.reserveSeatOrQueue(seatRequest(lobby.id, user, at: Double(index)), joinsQueue: true, bypassesQueue: false, decide: decide))
        }
        try expect(outcomes.prefix(2).allSatisfy { if case .seat(.reserved) = $0 { true } else { false } }, "the first two seated: \(outcomes)")
        try expect(Array(outcomes.dropFirst(2)) == (1...4).map { QueuedSeatOutcome.queued(position: $0) }, "the rest queued at 1–4: \(outcomes)")
        let again = try await storage.reserveSeatOrQueue(seatRequest(lobby.id, people[3], at: 7), joinsQueue: true, bypassesQueue: false, decide: decide)
        try expect(again == .queued(position: 2), "asking again keeps the place: \(again)")
        let queue = try await storage.voiceQueue(in: lobby.id)
        try expect(queue.map(\.userID) == people[2...].map(\.id) && queue.map(\.position) == [1, 2, 3, 4], "the queue in order")
        try expect(try await storage.roomsWithVoiceQueues() == [lobby.id], "the room is listed as having a queue")

        // Nothing frees: an offer pass seats nobody.
        try expect(try await storage.offerQueuedSeats(in: lobby.id, now: t0.addingTimeInterval(8), expiresAt: t0.addingTimeInterval(68), limit: 10) {
            decide($1)
        }.isEmpty, "no offer while the room is full")
        // A newcomer with people ahead waits even when a seat is free.
        try await storage.releaseSeat(of: people[0].id, in: lobby.id)
        let late = try await storage.createUser(newUser("late"), credential: nil)
        let passing = try await storage.reserveSeatOrQueue(seatRequest(lobby.id, late, at: 9), joinsQueue: false, bypassesQueue: false, decide: decide)
        guard case .seat(.refused) = passing else { throw ConformanceFailure("a request that does not queue is refused while others wait: \(passing)") }
        let lateOutcome = try await storage.reserveSeatOrQueue(seatRequest(lobby.id, late, at: 9), joinsQueue: true, bypassesQueue: false, decide: decide)
        try expect(lateOutcome == .queued(position: 5), "a newcomer goes to the back: \(lateOutcome)")
        let offers = try await storage.offerQueuedSeats(in: lobby.id, now: t0.addingTimeInterval(10), expiresAt: t0.addingTimeInterval(16), limit: 10) {
            decide($1)
        }
        try expect(offers.map(\.userID) == [people[2].id] && offers.first?.state == .reserved, "the head is offered the seat: \(offers)")
        try expect(offers.first?.expiresAt == t0.addingTimeInterval(16), "the offer lapses when asked")
        try expect(try await storage.voiceQueue(in: lobby.id).map(\.position) == [1, 2, 3, 4], "positions close up")
        // The offer not taken lapses, and the next pass offers the seat to the next in line.
        let next = try await storage.offerQueuedSeats(in: lobby.id, now: t0.addingTimeInterval(17), expiresAt: t0.addingTimeInterval(23), limit: 10) {
            decide($1)
        }
        try expect(next.map(\.userID) == [people[3].id], "a lapsed offer passes on: \(next)")
        // The head of the queue asking for a token while a seat is free gets it directly.
        try await storage.releaseSeat(of: people[1].id, in: lobby.id)
        let head = try await storage.reserveSeatOrQueue(seatRequest(lobby.id, people[4], at: 18), joinsQueue: true, bypassesQueue: false, decide: decide)
        guard case .seat(.reserved(let seat)) = head else { throw ConformanceFailure("the head takes a free seat: \(head)") }
        try expect(seat.userID == people[4].id, "the head's seat")
        try expect(try await storage.voiceQueue(in: lobby.id).map(\.userID) == [people[5].id, late.id], "the head left the queue")
    }

    static func concurrentQueue(_ storage: any VoiceChannelStore) async throws {
        let people = try await users(40, storage)
        let lobby = try await storage.createRoom(room("Lobby"), owner: people[0].id)
        let decide = fill(capacity: 3, maxSubrooms: 2)
        let outcomes = try await withThrowingTaskGroup(of: QueuedSeatOutcome.self) { group in
            for user in people {
                group.addTask { try await storage.reserveSeatOrQueue(seatRequest(lobby.id, user), joinsQueue: true, bypassesQueue: false, decide: decide) }
            }
            return try await group.reduce(into: [QueuedSeatOutcome]()) { $0.append($1) }
        }
        let positions = outcomes.compactMap { if case .queued(let position) = $0 { position } else { nil } }
        try expect(positions.sorted() == Array(1...34), "34 distinct places in the queue: \(positions.sorted())")
        // Seats free up while offer passes and requests race.
        let seated = try await storage.voiceSeats(in: lobby.id, at: t0)
        for seat in seated.prefix(4) { try await storage.releaseSeat(of: seat.userID, in: lobby.id) }
        let offered = try await withThrowingTaskGroup(of: [VoiceSeat].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await storage.offerQueuedSeats(in: lobby.id, now: t0.addingTimeInterval(1), expiresAt: t0.addingTimeInterval(60), limit: 5) {
                        decide($1)
                    }
                }
            }
            return try await group.reduce(into: [VoiceSeat]()) { $0 += $1 }
        }
        try expect(offered.count == 4 && Set(offered.map(\.userID)).count == 4, "4 seats offered, each once: \(offered.map(\.userID))")
        let seats = try await storage.voiceSeats(in: lobby.id, at: t0.addingTimeInterval(1))
        let perSubroom = Dictionary(grouping: seats, by: \.subroom).mapValues(\.count)
        try expect(seats.count == 6 && perSubroom.values.allSatisfy { $0 <= 3 }, "never more than 3 a sub-room: \(perSubroom)")
        try expect(try await storage.voiceQueue(in: lobby.id).count == 30, "30 still wait")
    }

    static func leavingAndMoving(_ storage: any VoiceChannelStore) async throws {
        let people = try await users(4, storage)
        let lobby = try await storage.createRoom(room("Lobby"), owner: people[0].id)
        let other = try await storage.createRoom(room("Other"), owner: people[0].id)
        let decide = fill(capacity: 1, maxSubrooms: 2)
        for user in people { _ = try await storage.reserveSeatOrQueue(seatRequest(lobby.id, user), joinsQueue: true, bypassesQueue: false, decide: decide) }
        _ = try await storage.reserveSeatOrQueue(seatRequest(other.id, people[3]), joinsQueue: true, bypassesQueue: false, decide: fill(capacity: 0, maxSubrooms: 1))
        try expect(try await storage.leaveVoiceQueue(of: people[2].id, in: lobby.id), "people[2] leaves the queue")
        try expect(!(try await storage.leaveVoiceQueue(of: people[2].id, in: lobby.id)), "leaving twice is a no-op")
        try expect(try await storage.leaveVoiceQueues(of: people[3].id) == [lobby.id, other.id], "leaving every queue names the rooms")
        try expect(try await storage.roomsWithVoiceQueues().isEmpty, "no queue left")
        try expect(try await storage.voiceSeatCounts(at: t0) == [lobby.id: 2], "two seats held")

        let audit = AuditRecord(actorID: people[0].id, action: "voice_move", targetID: people[1].id, createdAt: t0)
        let full = try await storage.moveSeat(
            of: people[1].id, in: lobby.id, to: 1, now: t0, expiresAt: t0.addingTimeInterval(30), audit: audit
        ) { ($0.first { $0.index == 1 }?.seats.count ?? 0) < 1 }
        try expect(full == .refused, "no space in sub-room 1: \(full)")
        try expect(try await storage.moveSeat(of: people[2].id, in: lobby.id, to: 1, now: t0, expiresAt: t0, audit: nil) { _ in true } == .notSeated,
            "someone without a seat")
        let moved = try await storage.moveSeat(of: people[0].id, in: lobby.id, to: 2, now: t0, expiresAt: t0.addingTimeInterval(30), audit: audit) {
            ($0.first { $0.index == 2 }?.seats.count ?? 0) < 2
        }
        guard case .moved(let from, let to) = moved else { throw ConformanceFailure("the seat moves: \(moved)") }
        try expect(from.subroom == 1 && to.subroom == 2 && to.state == .reserved, "from 1 to 2 as a reservation")
        let seats = try await storage.voiceSeats(in: lobby.id, at: t0)
        try expect(seats.map(\.subroom) == [2, 2], "both now in sub-room 2: \(seats.map(\.subroom))")
        try expect(try await storage.auditLog(of: lobby.id, before: nil, limit: 10).contains { $0.action == "voice_move" }, "the move is audited")
    }

    static func voiceBans(_ storage: any VoiceChannelStore) async throws {
        let people = try await users(3, storage)
        let lobby = try await storage.createRoom(room("Lobby"), owner: people[0].id)
        let now = t0
        try await storage.banFromVoice(
            VoiceBan(roomID: lobby.id, userID: people[1].id, reason: "shouting", bannedBy: people[0].id, createdAt: now, expiresAt: nil),
            audit: AuditRecord(actorID: people[0].id, action: "voice_ban", targetID: people[1].id, createdAt: now))
        try await storage.banFromVoice(
            VoiceBan(roomID: lobby.id, userID: people[2].id, reason: nil, bannedBy: nil, createdAt: now.addingTimeInterval(1), expiresAt: now.addingTimeInterval(60)),
            audit: nil)
        let bans = try await storage.voiceBans(in: lobby.id, at: now.addingTimeInterval(2))
        try expect(bans.map(\.userID) == [people[1].id, people[2].id], "both listed, oldest first")
        try expect(bans.first?.reason == "shouting" && bans.first?.bannedBy == people[0].id && bans.first?.expiresAt == nil, "kept as recorded")
        try expect(try await storage.voiceBans(in: lobby.id, at: now.addingTimeInterval(61)).map(\.userID) == [people[1].id], "a timed ban lapses")
        try expect(try await storage.voiceBan(of: people[2].id, in: lobby.id, at: now.addingTimeInterval(61)) == nil, "and is not in force")
        try expect(try await storage.voiceBan(of: people[1].id, in: lobby.id, at: now.addingTimeInterval(61)) != nil, "the other one is")
        try expect(try await storage.liftVoiceBan(of: people[1].id, in: lobby.id, at: now, audit: nil), "lifted")
        try expect(!(try await storage.liftVoiceBan(of: people[1].id, in: lobby.id, at: now, audit: nil)), "lifting twice is a no-op")
        try await storage.restrictVoice(.muted, of: people[2].id, in: lobby.id, until: now.addingTimeInterval(30), audit: nil)
        let restrictions = try await storage.voiceRestrictions(in: lobby.id, at: now)
        try expect(restrictions == [VoiceRestrictionEntry(userID: people[2].id, restriction: .muted, until: now.addingTimeInterval(30))], "\(restrictions)")
        try expect(try await storage.voiceRestrictions(in: lobby.id, at: now.addingTimeInterval(31)).isEmpty, "the mute lapses")
        try await storage.recordVoiceAudit(AuditRecord(actorID: people[0].id, action: "voice_mute_all", detail: "Lobby: 2", createdAt: now), in: lobby.id)
        let audit = try await storage.auditLog(of: lobby.id, before: nil, limit: 10)
        try expect(audit.contains { $0.action == "voice_ban" }, "the ban is audited")
        try expect(audit.contains { $0.action == "voice_mute_all" && $0.detail == "Lobby: 2" }, "a voice audit entry is recorded as given")
    }
}
