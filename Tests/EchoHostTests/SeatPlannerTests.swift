import EchoPluginAPI
import EchoPluginTesting
import EchoSubroomStrategies
import Foundation
import Logging
import Testing

@testable import EchoHost

@Suite("the seat decision inside storage's transaction")
struct SeatPlannerTests {
    static let now = Date(timeIntervalSince1970: 1_765_000_000)

    static func occupancy(_ counts: [Int: Int]) -> [SubroomOccupancy] {
        counts.sorted { $0.key < $1.key }.map { index, count in
            SubroomOccupancy(index: index, seats: (0..<count).map { SubroomSeat(userID: UserID(Int64(index * 1_000 + $0)), state: .joined) })
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let seats: [Int: Int]
        let preferred: Int?
        let subroomsEnabled: Bool
        let decision: SubroomDecision
        let opens: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "an empty room opens sub-room 1", seats: [:], preferred: nil, subroomsEnabled: true, decision: .assign(1), opens: true),
        Case(name: "a seat beside others opens nothing", seats: [1: 2], preferred: nil, subroomsEnabled: true, decision: .assign(1), opens: false),
        Case(name: "a full first sub-room opens the second", seats: [1: 3], preferred: nil, subroomsEnabled: true, decision: .assign(2), opens: true),
        Case(name: "the preferred sub-room with space", seats: [1: 1, 2: 1], preferred: 2, subroomsEnabled: true, decision: .assign(2), opens: false),
        Case(
            name: "every sub-room full is a refusal", seats: [1: 3, 2: 3], preferred: nil, subroomsEnabled: true,
            decision: .refuse("all 2 sub-rooms of Lobby have 3 participants"), opens: false),
        Case(
            name: "sub-rooms off: a full first sub-room is a refusal", seats: [1: 3], preferred: nil, subroomsEnabled: false,
            decision: .refuse("Lobby is full and sub-rooms are turned off"), opens: false),
        Case(name: "sub-rooms off: the first sub-room still seats", seats: [1: 2], preferred: nil, subroomsEnabled: false, decision: .assign(1), opens: false),
    ]

    static func guarded(_ strategy: any SubroomStrategy, limits: SubroomLimits) -> StrategyGuard {
        StrategyGuard(strategy: strategy, limits: limits, metrics: HostMetrics().strategy, logger: Logger(label: "test"))
    }

    @Test(arguments: cases)
    func plan(_ test: Case) async throws {
        let context = PluginTestContext.make(dataDirectory: NSTemporaryDirectory())
        let capacity: any SubroomStrategy = try await CapacityStrategy(configuration: .init(capacity: 3, maxSubrooms: 2), context: context)
        let strategy: any SubroomStrategy = test.subroomsEnabled ? capacity : SingleSubroomStrategy(wrapping: capacity)
        let planner = SeatPlanner(strategy: Self.guarded(strategy, limits: SubroomLimits(capacity: 3, maxSubrooms: 2)))
        let plan = planner.plan(
            SubroomRequest(userID: UserID(1), preferredIndex: test.preferred), room: "Lobby", occupancy: Self.occupancy(test.seats), now: Self.now)
        #expect(plan == SeatPlanner.Plan(decision: test.decision, opensSubroom: test.opens))
    }

    @Test("the wrapped strategy's cap still reaches LiveKit")
    func cap() async throws {
        let context = PluginTestContext.make(dataDirectory: NSTemporaryDirectory())
        let capacity = try await CapacityStrategy(configuration: .init(capacity: 7, maxSubrooms: 2), context: context)
        #expect(SingleSubroomStrategy(wrapping: capacity).maxParticipants(limits: SubroomLimits(capacity: 7, maxSubrooms: 2)) == 7)
    }
}
