import EchoPluginAPI
import EchoSubroomStrategies
import Foundation
import Testing

@Suite("subrooms.capacity")
struct CapacityStrategyTests {
    static let limits = SubroomLimits(capacity: 3, maxSubrooms: 3)

    static func snapshot(_ counts: [Int], limits: SubroomLimits = limits) -> SubroomSnapshot {
        var next: Int64 = 100
        let subrooms = counts.enumerated().map { index, count in
            SubroomOccupancy(
                index: index + 1,
                seats: (0..<count).map { _ in
                    next += 1
                    return SubroomSeat(userID: UserID(next), state: .joined)
                })
        }
        return SubroomSnapshot(room: "Lobby", subrooms: subrooms, limits: limits)
    }

    @Test(
        "fills sub-room 1, then 2, never above capacity, refuses when all are full",
        arguments: [
            ([], nil as Int?, 1 as Int?),
            ([2], nil, 1),
            ([3], nil, 2),
            ([3, 3], nil, 3),
            ([3, 3, 3], nil, nil),
            ([3, 1, 3], nil, 2),  // a seat freed in the middle is reused first
            ([0, 0], 3, 3),  // a requested sub-room with space is honoured
            ([1, 3], 2, 1),  // a full requested sub-room falls back to the first with space
            ([1], 9, 1),  // beyond max_subrooms: ignored
            ([3, 3, 3], 2, nil),
        ]
    )
    func decisions(counts: [Int], preferred: Int?, expected: Int?) {
        let strategy = CapacityStrategy(configuration: .init())
        let decision = strategy.decide(
            SubroomRequest(userID: UserID(1), preferredIndex: preferred), in: Self.snapshot(counts), now: Date(timeIntervalSince1970: 0))
        #expect(decision.assignedIndex == expected, "\(counts) preferring \(preferred.map(String.init) ?? "-"): \(decision)")
        if expected == nil { #expect(decision.refusalReason != nil) }
    }

    @Test("its own configuration wins over the host defaults")
    func configurationWins() {
        let strategy = CapacityStrategy(configuration: .init(capacity: 1, maxSubrooms: 2))
        // The host resolves the limits once and hands them to every decision.
        let limits = strategy.limits(defaults: Self.limits)
        #expect(limits == SubroomLimits(capacity: 1, maxSubrooms: 2))
        #expect(strategy.maxParticipants(limits: limits) == 2, "the capacity and one seat of moderator headroom")
        let now = Date(timeIntervalSince1970: 0)
        #expect(strategy.decide(SubroomRequest(userID: UserID(1)), in: Self.snapshot([1], limits: limits), now: now).assignedIndex == 2)
        #expect(strategy.decide(SubroomRequest(userID: UserID(1)), in: Self.snapshot([1, 1], limits: limits), now: now).assignedIndex == nil)
    }

    @Test(
        "limits: keys set in plugins.json win, absent ones keep the host defaults",
        arguments: [
            (CapacityStrategy.Configuration(), SubroomLimits(capacity: 3, maxSubrooms: 3)),
            (CapacityStrategy.Configuration(capacity: 7), SubroomLimits(capacity: 7, maxSubrooms: 3)),
            (CapacityStrategy.Configuration(maxSubrooms: 9), SubroomLimits(capacity: 3, maxSubrooms: 9)),
            (CapacityStrategy.Configuration(capacity: 1, maxSubrooms: 2), SubroomLimits(capacity: 1, maxSubrooms: 2)),
        ]
    )
    func limits(configuration: CapacityStrategy.Configuration, expected: SubroomLimits) {
        let strategy = CapacityStrategy(configuration: configuration)
        #expect(strategy.limits(defaults: Self.limits) == expected)
        #expect(strategy.maxParticipants(limits: expected) == expected.capacity + configuration.moderatorHeadroom)
    }

    @Test(
        "a companion's sub-room comes before the usual choice when it has room; a moderator may enter a full sub-room within the headroom",
        arguments: [
            // counts, companions' sub-rooms, role, preferred, expected
            ([3, 2], [2], RoomRole.member, nil as Int?, 2 as Int?),
            ([1, 2, 1], [3, 2, 3], .member, nil, 3),  // where most of them are
            ([1, 2, 2], [3, 2], .member, nil, 2),  // ties to the lower index
            ([1, 3], [2], .member, nil, 1),  // full: the usual choice
            ([1, 3], [2], .moderator, nil, 2),  // a moderator goes within the headroom
            ([1, 4], [2], .owner, nil, 1),  // not beyond it
            ([1, 3, 1], [3], .member, 2, 3),  // a full preferred sub-room gives way to the companions'
            ([2, 1], [2], .member, 1, 1),  // a preferred sub-room with space comes first
            ([3, 3, 3], [], .member, nil, nil),
            ([3, 3, 3], [], .moderator, nil, 1),  // everything full: the headroom, lowest index
            ([3, 3, 3], [], .member, 2, nil),
            ([3, 3, 3], [], .admin, 2, 2),
        ]
    )
    func companionsAndHeadroom(counts: [Int], companions: [Int], role: RoomRole, preferred: Int?, expected: Int?) {
        let strategy = CapacityStrategy(configuration: .init())
        let request = SubroomRequest(userID: UserID(1), preferredIndex: preferred, isListenOnly: false, companionIndices: companions, role: role)
        let decision = strategy.decide(request, in: Self.snapshot(counts), now: Date(timeIntervalSince1970: 0))
        #expect(decision.assignedIndex == expected, "\(counts) with \(companions) as \(role): \(decision)")
        let none = CapacityStrategy(configuration: .init(moderatorHeadroom: 0))
        if role >= .moderator, expected != nil, counts.allSatisfy({ $0 >= 3 }) {
            #expect(none.decide(request, in: Self.snapshot(counts), now: Date(timeIntervalSince1970: 0)).assignedIndex == nil, "no headroom, no seat")
        }
    }

    @Test("reservations count like joined participants")
    func reservationsCount() {
        let seats = (1...3).map { SubroomSeat(userID: UserID(Int64($0)), state: $0 == 1 ? .joined : .reserved) }
        let snapshot = SubroomSnapshot(room: "Lobby", subrooms: [SubroomOccupancy(index: 1, seats: seats)], limits: Self.limits)
        let decision = CapacityStrategy(configuration: .init()).decide(SubroomRequest(userID: UserID(9)), in: snapshot, now: Date())
        #expect(decision.assignedIndex == 2)
    }
}
