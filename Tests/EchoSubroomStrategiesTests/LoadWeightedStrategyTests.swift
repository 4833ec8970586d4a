import EchoPluginAPI
import EchoSubroomStrategies
import Foundation
import Testing

@Suite("subrooms.load-weighted")
struct LoadWeightedStrategyTests {
    static let limits = SubroomLimits(capacity: 50, maxSubrooms: 3)
    /// Limit 10: a camera (3) + microphone (1) weighs 4, a screen share 4, a listener 0.5.
    static let strategy = LoadWeightedStrategy(configuration: .init(loadLimit: 10))

    static func seat(_ id: Int64, _ publishing: Set<TrackSource> = [], state: SubroomSeat.State = .joined, listenOnly: Bool = false) -> SubroomSeat {
        SubroomSeat(userID: UserID(id), state: state, publishing: publishing, isListenOnly: listenOnly)
    }

    static func snapshot(_ subrooms: [[SubroomSeat]]) -> SubroomSnapshot {
        SubroomSnapshot(
            room: "Lobby", subrooms: subrooms.enumerated().map { SubroomOccupancy(index: $0.offset + 1, seats: $0.element) }, limits: limits)
    }

    func decide(_ subrooms: [[SubroomSeat]], preferred: Int? = nil, listenOnly: Bool = false) -> Int? {
        Self.strategy.decide(
            SubroomRequest(userID: UserID(1), preferredIndex: preferred, isListenOnly: listenOnly), in: Self.snapshot(subrooms), now: Date()
        ).assignedIndex
    }

    @Test("weights: published tracks add up; a silent participant is a listener; a fresh reservation counts as a microphone")
    func weights() {
        let strategy = Self.strategy
        #expect(strategy.weight(of: Self.seat(2, [.camera, .microphone])) == 4)
        #expect(strategy.weight(of: Self.seat(2, [.screenShare, .screenShareAudio])) == 4)
        #expect(strategy.weight(of: Self.seat(2)) == 0.5)
        #expect(strategy.weight(of: Self.seat(2, state: .reserved)) == 1)
        #expect(strategy.weight(of: Self.seat(2, state: .reserved, listenOnly: true)) == 0.5)
        #expect(strategy.maxParticipants(limits: Self.limits) == 21, "the listeners that fit and one of moderator headroom")
    }

    @Test("the newcomer goes to the open sub-room with the lowest load that fits; ties go to the lower index")
    func lowestLoad() {
        // Loads 4 and 1: the second is lighter.
        #expect(decide([[Self.seat(2, [.camera, .microphone])], [Self.seat(3, [.microphone])]]) == 2)
        // Equal loads: the lower index.
        #expect(decide([[Self.seat(2, [.microphone])], [Self.seat(3, [.microphone])]]) == 1)
        // The lighter one would go over the limit with a microphone (9.5 + 1); the heavier fits (9 + 1).
        #expect(decide([[Self.seat(2, [.screenShare]), Self.seat(3, [.screenShare]), Self.seat(4, [.microphone])], [
            Self.seat(5, [.screenShare]), Self.seat(6, [.screenShare]), Self.seat(7, [.microphone]), Self.seat(8),
        ]]) == 1)
    }

    @Test("a new sub-room opens only when no open one can take the newcomer; at max_subrooms the request is refused")
    func opensAndRefuses() {
        let full = (0..<5).map { Self.seat(Int64(10 + $0), [.microphone, .microphone]) } + [Self.seat(20, [.camera, .microphone]), Self.seat(21, [.microphone])]
        // 5 + 4 + 1 = 10: full for anyone but nothing.
        #expect(decide([full]) == 2)
        #expect(decide([]) == 1)
        #expect(decide([full, full]) == 3)
        #expect(decide([full, full, full]) == nil)
        // A listener (0.5) still fits where a speaker (1) does not.
        let almost = Array(full.dropLast()) + [Self.seat(22)]  // 9.5
        #expect(decide([almost, full, full]) == nil)
        #expect(decide([almost, full, full], listenOnly: true) == 1)
        // An emptied sub-room in the middle is the next to open.
        #expect(decide([full, [], full]) == 2)
    }

    @Test("a companion's sub-room comes first when it can take the newcomer; a moderator may go one newcomer beyond the limit")
    func companionsAndHeadroom() {
        func decide(_ subrooms: [[SubroomSeat]], companions: [Int], role: RoomRole = .member, preferred: Int? = nil) -> Int? {
            Self.strategy.decide(
                SubroomRequest(userID: UserID(1), preferredIndex: preferred, isListenOnly: false, companionIndices: companions, role: role),
                in: Self.snapshot(subrooms), now: Date()
            ).assignedIndex
        }
        let light = [Self.seat(2, [.microphone])]  // 1
        let heavy = [Self.seat(3, [.camera, .microphone]), Self.seat(4, [.screenShare])]  // 8
        let full = heavy + [Self.seat(5, [.microphone]), Self.seat(6, [.microphone])]  // 10
        // The lightest would be 1; the companions sit in 2, which can take a microphone (8 + 1).
        #expect(decide([light, heavy], companions: [2]) == 2)
        // Where most of them are; ties to the lower index.
        #expect(decide([light, heavy, light], companions: [3, 2, 3]) == 3)
        #expect(decide([light, heavy, light], companions: [3, 1]) == 1)
        // Their sub-room is full: the usual choice, unless a moderator (10 + 1 within 10 + 1).
        #expect(decide([heavy, full], companions: [2]) == 1)
        #expect(decide([heavy, full], companions: [2], role: .moderator) == 2)
        // Everything full and open: a moderator squeezes into the lightest.
        #expect(decide([full, full, full], companions: []) == nil)
        #expect(decide([full, full, full], companions: [], role: .admin) == 1)
        // Not beyond one newcomer's worth.
        #expect(decide([full + [Self.seat(7, [.microphone])]], companions: [1], role: .owner) == 2)

        // Nor beyond the number of people LiveKit is told (20 listeners + 2 of headroom), however
        // light they are: a speaking moderator's load would fit (11 + 1 ≤ 10 + 2), a 23rd seat not.
        let wide = LoadWeightedStrategy(configuration: .init(loadLimit: 10, moderatorHeadroom: 2))
        #expect(wide.maxParticipants(limits: Self.limits) == 22)
        let crowd = (0..<22).map { Self.seat(Int64(100 + $0)) }  // load 11
        let moderator = SubroomRequest(userID: UserID(1), preferredIndex: 1, isListenOnly: false, companionIndices: [1], role: .moderator)
        #expect(wide.decide(moderator, in: Self.snapshot([crowd]), now: Date()).assignedIndex == 2)
        #expect(wide.decide(moderator, in: Self.snapshot([crowd, crowd, crowd]), now: Date()).assignedIndex == nil)
    }

    @Test("limits: max_subrooms in plugins.json wins over the host default; the capacity stays the host's")
    func limits() {
        #expect(Self.strategy.limits(defaults: Self.limits) == Self.limits)
        let narrow = LoadWeightedStrategy(configuration: .init(loadLimit: 10, maxSubrooms: 1))
        let limits = narrow.limits(defaults: Self.limits)
        #expect(limits == SubroomLimits(capacity: 50, maxSubrooms: 1))
        let full = SubroomSnapshot(room: "Lobby", subrooms: [SubroomOccupancy(index: 1, seats: (2...11).map { Self.seat(Int64($0), [.microphone]) })], limits: limits)
        #expect(narrow.decide(SubroomRequest(userID: UserID(1)), in: full, now: Date()).assignedIndex == nil)
    }

    @Test("a requested sub-room is honoured when the newcomer fits there")
    func preferred() {
        #expect(decide([[Self.seat(2)], [Self.seat(3)]], preferred: 2) == 2)
        #expect(decide([[Self.seat(2)]], preferred: 3) == 3)
        #expect(decide([[Self.seat(2)]], preferred: 4) == 1, "beyond max_subrooms: ignored")
    }

    @Test("the same snapshot always gives the same answer")
    func deterministic() {
        let snapshot = [[Self.seat(2, [.camera])], [Self.seat(3, [.camera])], [Self.seat(4, [.microphone, .camera])]]
        let first = decide(snapshot)
        for _ in 0..<20 { #expect(decide(snapshot) == first) }
        #expect(first == 1)
    }

    @Test("its configuration is checked")
    func configuration() throws {
        #expect(throws: ConfigIssue.self) { try LoadWeightedStrategy.Configuration(loadLimit: 0).validate() }
        #expect(throws: ConfigIssue.self) {
            try LoadWeightedStrategy.Configuration(loadLimit: 10, weights: .init(listener: 0)).validate()
        }
        #expect(throws: ConfigIssue.self) { try LoadWeightedStrategy.Configuration(loadLimit: 10, weights: .init(camera: 11)).validate() }
        try LoadWeightedStrategy.Configuration().validate()
    }
}
