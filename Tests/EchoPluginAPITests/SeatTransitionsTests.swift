import EchoPluginAPI
import Foundation
import Testing

private let room = RoomID(7)
private let alice = UserID(1)
private let bob = UserID(2)
private let t0 = Date(timeIntervalSince1970: 1_700_000_000)

private func at(_ offset: TimeInterval) -> Date { t0.addingTimeInterval(offset) }

private func reservedSeat(_ user: UserID, subroom: Int = 1, at offset: TimeInterval = 0, until end: TimeInterval = 60, listenOnly: Bool = false) -> VoiceSeat {
    VoiceSeat(
        roomID: room, subroom: subroom, userID: user, identity: user == alice ? "alice" : "bob", state: .reserved, isListenOnly: listenOnly,
        reservedAt: at(offset), expiresAt: at(end))
}

private func joinedSeat(_ user: UserID, _ sid: String, subroom: Int = 1, at offset: TimeInterval = 0, publishing: Set<TrackSource> = []) -> VoiceSeat {
    VoiceSeat(
        roomID: room, subroom: subroom, userID: user, identity: user == alice ? "alice" : "bob", state: .joined, participantSID: sid,
        publishing: publishing, reservedAt: at(offset), joinedAt: at(offset))
}

/// Assigns the first of `maxSubrooms` sub-rooms with fewer than `capacity` seats.
private func fill(capacity: Int, maxSubrooms: Int) -> ([SubroomOccupancy]) -> SubroomDecision {
    { occupancy in
        for index in 1...maxSubrooms where (occupancy.first { $0.index == index }?.seats.count ?? 0) < capacity {
            return .assign(index)
        }
        return .refuse("full")
    }
}

/// One row of a table: a name for the report and the transition's inputs and expected result.
struct Transition<Input: Sendable, Output: Sendable & Equatable>: Sendable, CustomTestStringConvertible {
    let name: String
    let input: Input
    let expected: Output
    var testDescription: String { name }

    init(_ name: String, _ input: Input, _ expected: Output) {
        self.name = name
        self.input = input
        self.expected = expected
    }
}

struct ReserveOutcome: Sendable, Equatable {
    let outcome: SeatOutcome
    let change: SeatChange?
}

@Suite("Seat transitions")
struct SeatTransitionsTests {
    /// Alice asks at 10 s for a reservation until 70 s; sub-rooms take one seat, two at most.
    static let request = SeatRequest(roomID: room, userID: alice, identity: "alice", isListenOnly: true, now: at(10), expiresAt: at(70))
    static var renewed: VoiceSeat {
        var seat = reservedSeat(alice, subroom: 2, until: 30)
        seat.expiresAt = at(70)
        seat.isListenOnly = true
        return seat
    }
    static let fresh = reservedSeat(alice, subroom: 1, at: 10, until: 70, listenOnly: true)
    static let freshInTwo = reservedSeat(alice, subroom: 2, at: 10, until: 70, listenOnly: true)

    static let reservations: [Transition<(VoiceSeat?, [VoiceSeat]), ReserveOutcome>] = [
        Transition("a new reservation goes where the strategy assigns it", (nil, []), ReserveOutcome(outcome: .reserved(fresh), change: .insert(fresh))),
        Transition(
            "an existing reservation is renewed: new expiry, listen-only from the request",
            (reservedSeat(alice, subroom: 2, until: 30), [reservedSeat(alice, subroom: 2, until: 30)]),
            ReserveOutcome(outcome: .existing(renewed), change: .update(renewed))),
        Transition(
            "a joined seat is returned as it is", (joinedSeat(alice, "PA_1", subroom: 2), [joinedSeat(alice, "PA_1", subroom: 2)]),
            ReserveOutcome(outcome: .existing(joinedSeat(alice, "PA_1", subroom: 2)), change: nil)),
        Transition(
            "the strategy's refusal records nothing", (nil, [joinedSeat(bob, "PB", subroom: 1), reservedSeat(UserID(3), subroom: 2)]),
            ReserveOutcome(outcome: .refused("full"), change: nil)),
        Transition(
            "lapsed reservations do not count", (nil, [reservedSeat(bob, subroom: 1, until: 10)]),
            ReserveOutcome(outcome: .reserved(fresh), change: .insert(fresh))),
        Transition(
            "the user's own lapsed reservation is replaced by the new one", (reservedSeat(alice, subroom: 2, until: 5), [joinedSeat(bob, "PB", subroom: 1), reservedSeat(alice, subroom: 2, until: 5)]),
            ReserveOutcome(outcome: .reserved(freshInTwo), change: .update(freshInTwo))),
    ]

    @Test("reserve: renew the user's seat, or ask the strategy", arguments: SeatTransitionsTests.reservations)
    func reservation(_ row: Transition<(VoiceSeat?, [VoiceSeat]), ReserveOutcome>) {
        let (outcome, change) = SeatTransitions.reserve(
            request: Self.request, ownSeat: row.input.0, occupancy: row.input.1, decide: fill(capacity: 1, maxSubrooms: 2))
        #expect(ReserveOutcome(outcome: outcome, change: change) == row.expected)
    }

    @Test("the strategy sees the live seats per sub-room, by index, each in reservation order")
    func occupancyOrder() {
        let seats = [reservedSeat(UserID(5), subroom: 2, at: 3), joinedSeat(bob, "PB", subroom: 2, at: 1), reservedSeat(UserID(4), subroom: 1, until: 9)]
        var seen: [SubroomOccupancy] = []
        _ = SeatTransitions.reserve(request: Self.request, ownSeat: nil, occupancy: seats) { occupancy in
            seen = occupancy
            return .refuse("looked")
        }
        #expect(seen == [SubroomOccupancy(index: 2, seats: [joinedSeat(bob, "PB", subroom: 2, at: 1).subroomSeat, reservedSeat(UserID(5), subroom: 2, at: 3).subroomSeat])])
    }

    struct Join: Sendable {
        let existing: VoiceSeat?
        let sid: String
        let subroom: Int
        let at: TimeInterval
        var hasLeft = false
    }

    static var reservedThenJoined: VoiceSeat {
        var seat = reservedSeat(alice, subroom: 2, listenOnly: true)
        (seat.state, seat.participantSID, seat.expiresAt, seat.joinedAt) = (.joined, "PA_1", nil, at(2))
        return seat
    }

    static let joins: [Transition<Join, SeatChange?>] = [
        Transition("a reserved seat becomes joined, keeping when and how it was reserved", Join(existing: reservedSeat(alice, subroom: 2, listenOnly: true), sid: "PA_1", subroom: 2, at: 2), SeatChange.update(reservedThenJoined)),
        Transition("a join nobody reserved takes a new seat", Join(existing: nil, sid: "PA_1", subroom: 3, at: 4), .insert(joinedSeat(alice, "PA_1", subroom: 3, at: 4))),
        Transition("a late join of a sid that already left is ignored", Join(existing: nil, sid: "PA_1", subroom: 1, at: 4, hasLeft: true), nil),
        Transition("a join older than the seat's current join is ignored", Join(existing: joinedSeat(alice, "PA_2", at: 10), sid: "PA_0", subroom: 1, at: 1), nil),
        Transition(
            "a newer join of another sid (a reconnect) takes the seat, and what the old one published goes",
            Join(existing: joinedSeat(alice, "PA_1", at: 1, publishing: [.camera]), sid: "PA_2", subroom: 2, at: 10),
            .update(VoiceSeat(roomID: room, subroom: 2, userID: alice, identity: "alice", state: .joined, participantSID: "PA_2", reservedAt: at(1), joinedAt: at(10)))),
        Transition(
            "the same sid joining again keeps what it publishes", Join(existing: joinedSeat(alice, "PA_1", at: 1, publishing: [.camera]), sid: "PA_1", subroom: 1, at: 3),
            .update(VoiceSeat(roomID: room, subroom: 1, userID: alice, identity: "alice", state: .joined, participantSID: "PA_1", publishing: [.camera], reservedAt: at(1), joinedAt: at(3)))),
    ]

    @Test("joined: a join takes the user's seat unless it is stale", arguments: SeatTransitionsTests.joins)
    func join(_ row: Transition<Join, SeatChange?>) {
        let join = row.input
        let change = SeatTransitions.joined(
            roomID: room, subroom: join.subroom, userID: alice, identity: "alice", participantSID: join.sid, at: at(join.at),
            existing: join.existing, hasLeft: join.hasLeft)
        #expect(change == row.expected)
    }

    static let leaves: [Transition<[VoiceSeat], [SeatChange]>] = [
        Transition("a leave of the current sid frees the seat", [joinedSeat(alice, "PA_1")], [.rememberDeparture(room, participantSID: "PA_1"), .delete(joinedSeat(alice, "PA_1"))]),
        Transition("a leave of a stale sid frees nothing", [joinedSeat(alice, "PA_2")], [.rememberDeparture(room, participantSID: "PA_1")]),
        Transition("a leave from another sub-room frees nothing", [joinedSeat(alice, "PA_1", subroom: 2)], [.rememberDeparture(room, participantSID: "PA_1")]),
        Transition("a leave that overtook its join is remembered", [], [.rememberDeparture(room, participantSID: "PA_1")]),
    ]

    @Test("left: the sid is remembered; the seat is freed only for the sid holding it", arguments: SeatTransitionsTests.leaves)
    func leave(_ row: Transition<[VoiceSeat], [SeatChange]>) {
        #expect(SeatTransitions.left(roomID: room, subroom: 1, identity: "alice", participantSID: "PA_1", seats: row.input) == row.expected)
    }

    static let publications: [Transition<(TrackSource, Bool, [VoiceSeat]), SeatChange?>] = [
        Transition("a published track is added", (.camera, true, [joinedSeat(alice, "PA_1", publishing: [.microphone])]), SeatChange.update(joinedSeat(alice, "PA_1", publishing: [.microphone, .camera]))),
        Transition("an unpublished track is removed", (.microphone, false, [joinedSeat(alice, "PA_1", publishing: [.microphone])]), .update(joinedSeat(alice, "PA_1"))),
        Transition("publishing a track again changes nothing", (.microphone, true, [joinedSeat(alice, "PA_1", publishing: [.microphone])]), nil),
        Transition("unpublishing a track not published changes nothing", (.camera, false, [joinedSeat(alice, "PA_1")]), nil),
        Transition("a stale sid publishes nothing", (.camera, true, [joinedSeat(alice, "PA_2")]), nil),
    ]

    @Test("publishing: the seat of the sid follows its tracks", arguments: SeatTransitionsTests.publications)
    func publication(_ row: Transition<(TrackSource, Bool, [VoiceSeat]), SeatChange?>) {
        let (source, published, seats) = row.input
        #expect(SeatTransitions.publishing(source, published, subroom: 1, identity: "alice", participantSID: "PA_1", seats: seats) == row.expected)
    }

    struct Listing: Sendable {
        let seats: [StoredSeat]
        let participants: [VoiceParticipant]
        var departed: Set<String> = []
    }

    /// LiveKit's list of sub-room 1 was read at 100 s; rows written before then are older than it.
    static func stored(_ seat: VoiceSeat, writtenAt offset: TimeInterval = 50) -> StoredSeat { StoredSeat(seat, updatedAt: at(offset)) }
    static func listed(_ user: UserID, _ sid: String, _ publishing: Set<TrackSource> = []) -> VoiceParticipant {
        VoiceParticipant(userID: user, identity: user == alice ? "alice" : "bob", participantSID: sid, publishing: publishing)
    }
    static var carolsReservationJoined: VoiceSeat {
        var seat = reservedSeat(UserID(3), listenOnly: true)
        (seat.identity, seat.state, seat.participantSID, seat.expiresAt, seat.joinedAt) = ("carol", .joined, "PC", nil, at(100))
        return seat
    }

    static let reconciliations: [Transition<Listing, [SeatChange]>] = [
        Transition("a listed participant nobody seated gets a joined seat", Listing(seats: [], participants: [listed(alice, "PA")]), [.insert(joinedSeat(alice, "PA", at: 100))]),
        Transition("a joined seat of someone no longer listed is freed", Listing(seats: [stored(joinedSeat(bob, "PB"))], participants: []), [.delete(joinedSeat(bob, "PB"))]),
        Transition("reservations stay", Listing(seats: [stored(reservedSeat(bob))], participants: []), []),
        Transition("joined seats of other sub-rooms stay", Listing(seats: [stored(joinedSeat(bob, "PB", subroom: 2))], participants: []), []),
        Transition("a seat written after the list was read stays", Listing(seats: [stored(joinedSeat(bob, "PB"), writtenAt: 100)], participants: []), []),
        Transition(
            "a listed participant whose seat changed after the list was read keeps it",
            Listing(seats: [stored(joinedSeat(alice, "PA", publishing: [.camera]), writtenAt: 101)], participants: [listed(alice, "PA")]), []),
        Transition("a participant whose sid has left is not seated again", Listing(seats: [], participants: [listed(alice, "PA")], departed: ["PA"]), []),
        Transition(
            "what LiveKit says a seat publishes wins; the join time stays",
            Listing(seats: [stored(joinedSeat(alice, "PA", publishing: [.microphone]))], participants: [listed(alice, "PA", [.microphone, .camera])]),
            [.update(joinedSeat(alice, "PA", publishing: [.microphone, .camera]))]),
        Transition("a seat that matches the list changes nothing", Listing(seats: [stored(joinedSeat(alice, "PA"))], participants: [listed(alice, "PA")]), []),
        Transition(
            "a listed reservation becomes a joined seat, keeping when and how it was reserved",
            Listing(seats: [stored(reservedSeat(UserID(3), listenOnly: true))], participants: [VoiceParticipant(userID: UserID(3), identity: "carol", participantSID: "PC", publishing: [])]),
            [.update(carolsReservationJoined)]),
        Transition(
            "a listed participant seated in another sub-room moves here",
            Listing(seats: [stored(joinedSeat(alice, "PA", subroom: 2))], participants: [listed(alice, "PA")]), [.update(joinedSeat(alice, "PA"))]),
    ]

    @Test("reconcile: joined seats follow LiveKit's list, unless newer than it", arguments: SeatTransitionsTests.reconciliations)
    func reconciliation(_ row: Transition<Listing, [SeatChange]>) {
        let changes = SeatTransitions.reconcile(
            roomID: room, subroom: 1, participants: row.input.participants, listedAt: at(100), seats: row.input.seats, departed: row.input.departed)
        #expect(changes == row.expected)
    }
}
