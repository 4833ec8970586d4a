import EchoPluginAPI
import Foundation

extension StorageConformance {
    static let voiceChecks: [Check] = [
        Check(name: "concurrent seat reservations never put more into a sub-room than the strategy allows", body: concurrentReservations),
        Check(name: "asking again returns the same seat; lapsed reservations free theirs", body: repeatedAndLapsedReservations),
        Check(name: "joins turn reservations into seats; a leave frees a seat only for the current participant sid", body: joinsAndLeaves),
        Check(name: "published tracks, closed sub-rooms and reconciliation update the seats", body: publishingAndReconcile),
        Check(name: "webhook ids are recorded once; voice restrictions lapse", body: webhookIDsAndRestrictions),
    ]

    /// A capacity rule written inline, as a strategy would decide it.
    static func fill(capacity: Int, maxSubrooms: Int) -> @Sendable ([SubroomOccupancy]) -> SubroomDecision {
        { occupancy in
            for index in 1...maxSubrooms where (occupancy.first { $0.index == index }?.seats.count ?? 0) < capacity {
                return .assign(index)
            }
            return .refuse("full")
        }
    }

    static func seatRequest(_ room: RoomID, _ user: User, at offset: TimeInterval = 0, ttl: TimeInterval = 60) -> SeatRequest {
        SeatRequest(
            roomID: room, userID: user.id, identity: user.username, isListenOnly: false, now: t0.addingTimeInterval(offset),
            expiresAt: t0.addingTimeInterval(offset + ttl))
    }

    static func concurrentReservations(_ storage: any Storage) async throws {
        let owner = try await storage.createUser(newUser("owner"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: owner.id)
        var users: [User] = []
        for index in 0..<60 { users.append(try await storage.createUser(newUser("user\(index)"), credential: nil)) }
        let decide = fill(capacity: 5, maxSubrooms: 10)
        let outcomes = try await withThrowingTaskGroup(of: SeatOutcome.self) { group in
            for user in users {
                group.addTask { try await storage.reserveSeat(seatRequest(lobby.id, user), decide: decide) }
            }
            return try await group.reduce(into: [SeatOutcome]()) { $0.append($1) }
        }
        let reserved = outcomes.compactMap { outcome -> VoiceSeat? in
            if case .reserved(let seat) = outcome { return seat }
            return nil
        }
        try expect(reserved.count == 50, "50 seats reserved, got \(reserved.count)")
        try expect(outcomes.filter { if case .refused = $0 { true } else { false } }.count == 10, "10 refused")
        let seats = try await storage.voiceSeats(in: lobby.id, at: t0)
        try expect(seats.count == 50 && Set(seats.map(\.userID)).count == 50, "one seat per user")
        let perSubroom = Dictionary(grouping: seats, by: \.subroom).mapValues(\.count)
        try expect(perSubroom.keys.sorted() == Array(1...10) && perSubroom.values.allSatisfy { $0 == 5 }, "5 in each of 10 sub-rooms, got \(perSubroom)")
        try expect(try await storage.occupiedSubrooms(at: t0)[lobby.id] == Set(1...10), "the occupied sub-rooms")
    }

    static func repeatedAndLapsedReservations(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let bob = try await storage.createUser(newUser("bob"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice.id)
        let decide = fill(capacity: 1, maxSubrooms: 2)
        guard case .reserved(let first) = try await storage.reserveSeat(seatRequest(lobby.id, alice), decide: decide) else {
            throw ConformanceFailure("alice gets a seat")
        }
        try expect(first.subroom == 1 && first.state == .reserved && first.identity == "alice", "a reservation in sub-room 1")
        guard case .existing(let again) = try await storage.reserveSeat(seatRequest(lobby.id, alice, at: 30), decide: decide) else {
            throw ConformanceFailure("asking again returns the existing seat")
        }
        try expect(again.subroom == 1 && again.expiresAt == t0.addingTimeInterval(90), "same sub-room, expiry renewed")
        guard case .reserved(let bobs) = try await storage.reserveSeat(seatRequest(lobby.id, bob, at: 31), decide: decide) else {
            throw ConformanceFailure("bob gets a seat")
        }
        try expect(bobs.subroom == 2, "bob goes to sub-room 2")
        // At 100 s alice's renewed reservation (to 90 s) has lapsed; bob's (to 91 s) too.
        try expect(try await storage.voiceSeats(in: lobby.id, at: t0.addingTimeInterval(100)).isEmpty, "lapsed reservations are not listed")
        guard case .reserved(let bobAgain) = try await storage.reserveSeat(seatRequest(lobby.id, bob, at: 100), decide: decide) else {
            throw ConformanceFailure("a lapsed reservation is made anew")
        }
        try expect(bobAgain.subroom == 1, "the freed sub-room 1 is used")
    }

    static func joinsAndLeaves(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let bob = try await storage.createUser(newUser("bob"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice.id)
        _ = try await storage.reserveSeat(seatRequest(lobby.id, alice), decide: fill(capacity: 5, maxSubrooms: 2))
        let joined = try await storage.seatJoined(
            roomID: lobby.id, subroom: 1, userID: alice.id, identity: "alice", participantSID: "PA_1", at: t0.addingTimeInterval(2))
        try expect(joined?.state == .joined && joined?.expiresAt == nil && joined?.participantSID == "PA_1", "joined")
        try expect(try await storage.voiceSeats(in: lobby.id, at: t0.addingTimeInterval(1000)).count == 1, "a joined seat does not lapse")
        // A reconnect: the new sid joins before the old one's leave arrives; the stale leave changes nothing.
        _ = try await storage.seatJoined(
            roomID: lobby.id, subroom: 1, userID: alice.id, identity: "alice", participantSID: "PA_2", at: t0.addingTimeInterval(10))
        try expect(try await storage.seatLeft(roomID: lobby.id, subroom: 1, identity: "alice", participantSID: "PA_1") == false, "stale leave ignored")
        // The old sid's join arriving late (after its own leave, and older than the current join) changes nothing.
        try expect(
            try await storage.seatJoined(
                roomID: lobby.id, subroom: 1, userID: alice.id, identity: "alice", participantSID: "PA_1", at: t0.addingTimeInterval(2)) == nil,
            "a late join of a departed sid is ignored")
        try expect(
            try await storage.seatJoined(
                roomID: lobby.id, subroom: 1, userID: alice.id, identity: "alice", participantSID: "PA_0", at: t0.addingTimeInterval(1)) == nil,
            "a join older than the current one is ignored")
        try expect(try await storage.voiceSeats(in: lobby.id, at: t0).first?.participantSID == "PA_2", "the seat is the new sid's")
        try expect(try await storage.seatLeft(roomID: lobby.id, subroom: 1, identity: "alice", participantSID: "PA_2"), "current leave frees")
        try expect(try await storage.voiceSeats(in: lobby.id, at: t0).isEmpty, "seat freed")
        try expect(try await storage.seatLeft(roomID: lobby.id, subroom: 1, identity: "alice", participantSID: "PA_2") == false, "freed once")
        // A leave that overtakes its own join: the join, when it arrives, seats nobody.
        try expect(try await storage.seatLeft(roomID: lobby.id, subroom: 2, identity: "bob", participantSID: "PA_early") == false, "nothing to free")
        try expect(
            try await storage.seatJoined(roomID: lobby.id, subroom: 2, userID: bob.id, identity: "bob", participantSID: "PA_early", at: t0) == nil,
            "the overtaken join is ignored")
        // A join nobody reserved (a token minted before a restart) still takes a seat.
        let unreserved = try await storage.seatJoined(
            roomID: lobby.id, subroom: 2, userID: bob.id, identity: "bob", participantSID: "PA_3", at: t0)
        try expect(unreserved?.subroom == 2 && unreserved?.state == .joined, "unreserved join seated")
        try expect(try await storage.releaseSeat(of: bob.id, in: lobby.id)?.participantSID == "PA_3", "released")
        try expect(try await storage.releaseSeat(of: bob.id, in: lobby.id) == nil, "released once")
    }

    static func publishingAndReconcile(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let bob = try await storage.createUser(newUser("bob"), credential: nil)
        let carol = try await storage.createUser(newUser("carol"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice.id)
        _ = try await storage.seatJoined(roomID: lobby.id, subroom: 1, userID: alice.id, identity: "alice", participantSID: "PA_a", at: t0)
        _ = try await storage.seatJoined(roomID: lobby.id, subroom: 1, userID: bob.id, identity: "bob", participantSID: "PA_b", at: t0)
        _ = try await storage.reserveSeat(seatRequest(lobby.id, carol), decide: fill(capacity: 5, maxSubrooms: 2))
        try expect(
            try await storage.setPublishing(.camera, true, roomID: lobby.id, subroom: 1, identity: "alice", participantSID: "PA_a"),
            "camera published")
        _ = try await storage.setPublishing(.microphone, true, roomID: lobby.id, subroom: 1, identity: "alice", participantSID: "PA_a")
        _ = try await storage.setPublishing(.camera, false, roomID: lobby.id, subroom: 1, identity: "alice", participantSID: "PA_a")
        try expect(
            try await storage.setPublishing(.camera, true, roomID: lobby.id, subroom: 1, identity: "alice", participantSID: "PA_old") == false,
            "a stale sid publishes nothing")
        let alices = try await storage.voiceSeats(in: lobby.id, at: t0).first { $0.userID == alice.id }
        try expect(alices?.publishing == [.microphone], "publishing tracked, got \(String(describing: alices?.publishing))")
        // A list read before the latest changes leaves the changed seats alone.
        try expect(
            try await storage.reconcileSeats(roomID: lobby.id, subroom: 1, participants: [], listedAt: Date().addingTimeInterval(-60)) == false,
            "seats changed after the list was read stay")
        // LiveKit lists alice (now also on camera) and not bob: bob's seat goes, carol's reservation stays.
        try await Task.sleep(for: .milliseconds(5))
        try expect(
            try await storage.reconcileSeats(
                roomID: lobby.id, subroom: 1,
                participants: [VoiceParticipant(userID: alice.id, identity: "alice", participantSID: "PA_a", publishing: [.microphone, .camera])],
                listedAt: Date()),
            "reconcile changed something")
        let after = try await storage.voiceSeats(in: lobby.id, at: t0)
        try expect(Set(after.map(\.userID)) == [alice.id, carol.id], "bob gone, carol's reservation kept")
        try expect(after.first { $0.userID == alice.id }?.publishing == [.microphone, .camera], "publishing from LiveKit")
        try expect(
            try await storage.reconcileSeats(
                roomID: lobby.id, subroom: 1,
                participants: [VoiceParticipant(userID: alice.id, identity: "alice", participantSID: "PA_a", publishing: [.microphone, .camera])],
                listedAt: Date()) == false,
            "reconciling again changes nothing")
        try expect(try await storage.clearJoinedSeats(roomID: lobby.id, subroom: 1) == 1, "the closed sub-room's joined seat freed")
        try expect(try await storage.voiceSeats(in: lobby.id, at: t0).map(\.userID) == [carol.id], "the reservation stays")
    }

    static func webhookIDsAndRestrictions(_ storage: any Storage) async throws {
        try expect(try await storage.recordWebhookEvent("EV_1", at: t0, pruneBefore: t0.addingTimeInterval(-600)), "new id")
        try expect(try await storage.recordWebhookEvent("EV_1", at: t0.addingTimeInterval(1), pruneBefore: t0.addingTimeInterval(-600)) == false, "duplicate")
        try expect(try await storage.recordWebhookEvent("EV_2", at: t0.addingTimeInterval(700), pruneBefore: t0.addingTimeInterval(100)), "another id")
        try await storage.forgetWebhookEvent("EV_2")
        try expect(try await storage.recordWebhookEvent("EV_2", at: t0.addingTimeInterval(700), pruneBefore: t0.addingTimeInterval(100)), "a forgotten id is new again")
        try expect(
            try await storage.recordWebhookEvent("EV_1", at: t0.addingTimeInterval(701), pruneBefore: t0.addingTimeInterval(100)),
            "a pruned id is new again")
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice.id)
        try await storage.restrictVoice(
            .kicked, of: alice.id, in: lobby.id, until: t0.addingTimeInterval(60),
            audit: AuditRecord(actorID: alice.id, action: "voice_kick", targetID: alice.id, detail: nil, createdAt: t0))
        try await storage.restrictVoice(.muted, of: alice.id, in: lobby.id, until: t0.addingTimeInterval(120), audit: nil)
        try expect(try await storage.auditLog(of: lobby.id, before: nil, limit: 10).map(\.action) == ["voice_kick"], "the kick is audited")
        try expect(try await storage.voiceRestrictions(of: alice.id, in: lobby.id, at: t0) == [.kicked, .muted], "both in force")
        try expect(try await storage.voiceRestrictions(of: alice.id, in: lobby.id, at: t0.addingTimeInterval(90)) == [.muted], "kick lapsed")
        try expect(try await storage.voiceRestrictions(of: alice.id, in: lobby.id, at: t0.addingTimeInterval(200)).isEmpty, "all lapsed")
    }
}
