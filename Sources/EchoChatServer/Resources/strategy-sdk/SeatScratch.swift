/// Room for one sub-room's seats while they are read, reused from one sub-room to the next; each
/// sub-room's seats are then copied into an array of exactly their number.
struct SeatScratch {
    private var base: UnsafeMutablePointer<SubroomSeat>
    private var capacity: Int
    /// Seats read so far.
    private(set) var count = 0

    init(capacity: Int = 64) {
        self.base = UnsafeMutablePointer<SubroomSeat>.allocate(capacity: capacity)
        self.capacity = capacity
    }

    /// Adds a seat.
    @inline(__always)
    mutating func append(_ seat: SubroomSeat) {
        if count == capacity { grow() }
        (base + count).initialize(to: seat)
        count &+= 1
    }

    /// Forgets the seats read, for the next sub-room.
    mutating func removeAll() {
        count = 0
    }

    /// The seats read, as an array.
    var seats: [SubroomSeat] {
        // Seats are plain bytes, so the copy is one memory.copy.
        [SubroomSeat](unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.baseAddress?.initialize(from: base, count: count)
            initialized = count
        }
    }

    @inline(never)
    private mutating func grow() {
        let larger = UnsafeMutablePointer<SubroomSeat>.allocate(capacity: capacity * 2)
        larger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = larger
        capacity *= 2
    }
}
