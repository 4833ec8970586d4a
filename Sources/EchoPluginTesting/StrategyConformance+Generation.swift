import EchoPluginAPI
import Foundation

/// SplitMix64: a small, fast generator whose sequence is fixed by its seed on every platform.
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `range`.
    mutating func next(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// `true` with probability `percent` / 100.
    mutating func chance(_ percent: Int) -> Bool { next(in: 0...99) < percent }
}

/// Snapshots of every shape a room takes: empty, sparse, sub-rooms one short of full or full,
/// every sub-room full, seats reserved or joined, publishing or listening, and requests with and
/// without a preference.
struct SnapshotGenerator {
    var random: SplitMix64
    let limits: SubroomLimits
    let cap: Int
    let halfCap: Int
    private var count = 0
    private var nextUser: Int64 = 1

    static let start: Int64 = 1_765_000_000_000

    init(seed: UInt64, limits: SubroomLimits, cap: Int, halfCap: Int) {
        random = SplitMix64(seed: seed)
        self.limits = limits
        self.cap = cap
        self.halfCap = halfCap
    }

    mutating func next() -> Case {
        count += 1
        let maxSubrooms = limits.maxSubrooms
        let everyFull = random.chance(3) && maxSubrooms * cap <= 3_000
        let occupied = everyFull ? Array(1...maxSubrooms) : pick(random.next(in: 0...min(maxSubrooms, 6)), of: maxSubrooms)
        var subrooms = occupied.map { index in
            SubroomOccupancy(index: index, seats: seats(everyFull ? cap : size(), listenersOnly: false))
        }
        var preferred: Int?
        if random.chance(60) {
            preferred = random.next(in: 1...(maxSubrooms + (random.chance(10) ? 1 : 0)))
            if let index = preferred, index <= maxSubrooms, !everyFull, random.chance(50) {
                subrooms.removeAll { $0.index == index }
                subrooms.append(SubroomOccupancy(index: index, seats: seats(random.next(in: 0...halfCap), listenersOnly: true)))
            }
        }
        return make(subrooms: subrooms.filter { !$0.seats.isEmpty }, preferred: preferred)
    }

    /// A snapshot of `seats` seats: each sub-room filled to the cap in turn, any rest spread over
    /// them (a room holds more than its cap when an operator lowers the capacity).
    mutating func large(seats total: Int) -> Case {
        let maxSubrooms = limits.maxSubrooms
        var sizes = Array(repeating: 0, count: maxSubrooms)
        var left = total
        for index in sizes.indices where left > 0 {
            sizes[index] = min(cap, left)
            left -= sizes[index]
        }
        for index in 0..<left { sizes[index % maxSubrooms] += 1 }
        let subrooms = sizes.enumerated().filter { $0.element > 0 }.map { SubroomOccupancy(index: $0.offset + 1, seats: seats($0.element, listenersOnly: false)) }
        count += 1
        return make(subrooms: subrooms, preferred: nil)
    }

    private mutating func make(subrooms: [SubroomOccupancy], preferred: Int?) -> Case {
        let request = SubroomRequest(userID: user(), preferredIndex: preferred, isListenOnly: random.chance(10))
        let snapshot = SubroomSnapshot(room: "Lobby", subrooms: subrooms, limits: limits)
        let now = Date(timeIntervalSince1970: Double(Self.start + Int64(count) * 1_000) / 1_000)
        return Case(input: SubroomDecisionInput(request: request, snapshot: snapshot, now: now))
    }

    /// How many seats a sub-room holds: none, one, half, one short of the cap, the cap, or any.
    private mutating func size() -> Int {
        let sizes = [0, 1, halfCap, cap - 1, cap, random.next(in: 0...cap), random.next(in: 0...cap)]
        return max(0, min(sizes[random.next(in: 0...(sizes.count - 1))], 300))
    }

    private mutating func seats(_ count: Int, listenersOnly: Bool) -> [SubroomSeat] {
        (0..<count).map { _ in
            if listenersOnly { return SubroomSeat(userID: user(), state: .joined) }
            let sources = TrackSource.allCases.filter { _ in random.chance(20) }
            return SubroomSeat(
                userID: user(), state: random.chance(80) ? .joined : .reserved, publishing: Set(sources), isListenOnly: random.chance(10))
        }
    }

    private mutating func pick(_ count: Int, of maxSubrooms: Int) -> [Int] {
        var chosen = Set<Int>()
        while chosen.count < count { chosen.insert(random.next(in: 1...maxSubrooms)) }
        return chosen.sorted()
    }

    private mutating func user() -> UserID {
        defer { nextUser += 1 }
        return UserID(nextUser)
    }
}
