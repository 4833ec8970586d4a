import EchoPluginAPI
import EchoPluginTesting
import EchoSubroomStrategies
import Foundation
import Logging
import Testing

@testable import EchoChatServer

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
        StrategyGuard(strategy: strategy, limits: limits, metrics: HostMetrics().strategy, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    static func slot(_ decider: StrategyGuard, revision: String = "capacity:test") -> StrategySlot {
        StrategySlot(ActiveStrategy(decider: decider, instance: decider.strategy, plugin: String(revision.prefix { $0 != ":" }), revision: revision, loadedAt: now))
    }

    @Test("after a swap the next decision is the new strategy's; seats already held are not asked about")
    func swap() async throws {
        let context = PluginTestContext.make(dataDirectory: NSTemporaryDirectory())
        let limits = SubroomLimits(capacity: 3, maxSubrooms: 4)
        let capacity = try await CapacityStrategy(configuration: .init(capacity: 3, maxSubrooms: 4), context: context)
        let slot = Self.slot(Self.guarded(capacity, limits: limits))
        let planner = SeatPlanner(strategy: slot)
        let request = SubroomRequest(userID: UserID(1))
        #expect(planner.plan(request, room: "Lobby", occupancy: Self.occupancy([1: 1]), now: Self.now).decision == .assign(1))
        let weighted = try await LoadWeightedStrategy(configuration: .init(loadLimit: 1, maxSubrooms: 4), context: context)
        let previous = slot.swap(
            to: ActiveStrategy(
                decider: Self.guarded(weighted, limits: weighted.limits(defaults: limits)), instance: weighted, plugin: "load-weighted",
                revision: "load-weighted:test", loadedAt: Self.now))
        #expect(previous.revision == "capacity:test")
        #expect(planner.plan(request, room: "Lobby", occupancy: Self.occupancy([1: 1]), now: Self.now).decision == .assign(2))
    }

    @Test(arguments: cases)
    func plan(_ test: Case) async throws {
        let context = PluginTestContext.make(dataDirectory: NSTemporaryDirectory())
        let capacity: any SubroomStrategy = try await CapacityStrategy(configuration: .init(capacity: 3, maxSubrooms: 2), context: context)
        let strategy: any SubroomStrategy = test.subroomsEnabled ? capacity : SingleSubroomStrategy(wrapping: capacity)
        let planner = SeatPlanner(strategy: Self.slot(Self.guarded(strategy, limits: SubroomLimits(capacity: 3, maxSubrooms: 2))))
        let plan = planner.plan(
            SubroomRequest(userID: UserID(1), preferredIndex: test.preferred), room: "Lobby", occupancy: Self.occupancy(test.seats), now: Self.now)
        #expect(plan == SeatPlanner.Plan(decision: test.decision, opensSubroom: test.opens))
    }

    @Test("the wrapped strategy's cap still reaches LiveKit")
    func cap() async throws {
        let context = PluginTestContext.make(dataDirectory: NSTemporaryDirectory())
        let capacity = try await CapacityStrategy(configuration: .init(capacity: 7, maxSubrooms: 2), context: context)
        #expect(SingleSubroomStrategy(wrapping: capacity).maxParticipants(limits: SubroomLimits(capacity: 7, maxSubrooms: 2)) == 8)
    }
}

/// The host's last word on a decision, whatever the strategy.
@Suite("the strategy guard")
struct StrategyGuardTests {
    /// Always answers `index`, and declares a maximum of `maximum`.
    struct Fixed: SubroomStrategy {
        static let name = "fixed"
        static let apiVersion = PluginAPIVersion(1, 6)
        var index = 1
        var maximum: Int? = nil
        init(configuration: EmptyPluginConfiguration, context: PluginContext) async throws {}
        init(index: Int, maximum: Int?) {
            self.index = index
            self.maximum = maximum
        }
        func maxParticipants(limits: SubroomLimits) -> Int? { maximum }
        func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomDecision { .assign(index) }
    }

    /// Fails every decision; capacity decides instead.
    struct Failing: FallibleSubroomStrategy {
        static let name = "failing"
        static let apiVersion = PluginAPIVersion(1, 6)
        let maximum: Int?
        init(configuration: EmptyPluginConfiguration, context: PluginContext) async throws { maximum = nil }
        init(maximum: Int?) { self.maximum = maximum }
        var fallback: (any SubroomStrategy)? { CapacityStrategy(configuration: .init()) }
        func maxParticipants(limits: SubroomLimits) -> Int? { maximum }
        func attempt(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomAttempt {
            SubroomAttempt(.failure(.trap("unreachable")), fuel: 17)
        }
        func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomDecision { .refuse("failed") }
    }

    static let limits = SubroomLimits(capacity: 5, maxSubrooms: 3)

    func decide(_ strategy: any SubroomStrategy, _ seats: [Int: Int]) -> Result<SubroomDecision, SubroomStrategyFailure> {
        SeatPlannerTests.guarded(strategy, limits: Self.limits).decide(
            SubroomRequest(userID: UserID(1)), in: SubroomSnapshot(room: "Lobby", subrooms: SeatPlannerTests.occupancy(seats), limits: Self.limits),
            now: SeatPlannerTests.now)
    }

    @Test("a native strategy's answer beyond max_subrooms or into a full sub-room is a failure")
    func caps() {
        #expect(decide(Fixed(index: 4, maximum: nil), [:]).failureReason == "beyond_max_subrooms")
        #expect(decide(Fixed(index: 2, maximum: 2), [2: 2]).failureReason == "subroom_full")
        #expect(decide(Fixed(index: 2, maximum: 2), [2: 1]) == .success(.assign(2)))
        #expect(decide(Fixed(index: 3, maximum: nil), [3: 9]) == .success(.assign(3)), "no declared maximum, no cap")
    }

    @Test("the fallback decides within the failed strategy's declared maximum")
    func fallback() {
        #expect(decide(Failing(maximum: 2), [1: 2]) == .success(.assign(2)))
        #expect(decide(Failing(maximum: nil), [1: 2]) == .success(.assign(1)))
        #expect(decide(Failing(maximum: 2), [1: 2, 2: 2, 3: 2]) == .success(.refuse("all 3 sub-rooms of Lobby have 2 participants")))
    }

    @Test("five failures in a row set the strategy aside; it is not asked until the pause ends")
    func streak() {
        let guarded = SeatPlannerTests.guarded(Fixed(index: 9, maximum: nil), limits: Self.limits)
        let snapshot = SubroomSnapshot(room: "Lobby", subrooms: [], limits: Self.limits)
        let reasons = (0..<7).map { _ in guarded.decide(SubroomRequest(userID: UserID(1)), in: snapshot, now: SeatPlannerTests.now).failureReason }
        #expect(reasons == Array(repeating: "beyond_max_subrooms", count: 5) + ["suspended", "suspended"])
        let streak = FailureStreak(threshold: 2, pause: .seconds(10))
        let start = ContinuousClock.now
        streak.record(failed: true, at: start)
        #expect(streak.suspension(at: start) == nil)
        streak.record(failed: true, at: start)
        #expect(streak.suspension(at: start + .seconds(9)) == start + .seconds(10))
        #expect(streak.suspension(at: start + .seconds(10)) == nil)
        streak.record(failed: false)
        streak.record(failed: true, at: start + .seconds(11))
        #expect(streak.suspension(at: start + .seconds(11)) == nil, "one success ends the streak")
    }
}

extension Result where Failure == SubroomStrategyFailure {
    var failureReason: String? {
        if case .failure(let failure) = self { return failure.reason }
        return nil
    }
}
