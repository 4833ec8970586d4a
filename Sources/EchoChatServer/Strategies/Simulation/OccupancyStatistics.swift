/// Seats per sub-room over a replay: the change points of each sub-room's count (for the chart)
/// and time-weighted sums, kept up to date as the replay advances.
struct OccupancyStatistics: Hashable, Sendable {
    /// A sub-room's count from `time` on.
    struct Sample: Hashable, Sendable {
        var time: Double
        var seats: Int
    }

    /// Times a sub-room went from empty to occupied.
    private(set) var opened = 0
    /// The most seats one sub-room held at once.
    private(set) var peakSeats = 0
    /// The most sub-rooms occupied at once.
    private(set) var peakOpen = 0
    /// Each sub-room's counts (sub-room 1 first), starting from 0 at time 0; at most one
    /// sample per instant.
    private(set) var series: [[Sample]] = []

    private var now = 0.0
    /// Seconds with at least one sub-room occupied.
    private var occupiedTime = 0.0
    /// ∫ occupied sub-rooms dt.
    private var subroomTime = 0.0
    /// ∫ seats dt.
    private var seatTime = 0.0
    /// ∫ (largest − smallest occupied sub-room) dt.
    private var spreadTime = 0.0

    /// Seats per occupied sub-room, each sub-room weighted by how long it was occupied:
    /// ∫ seats dt / ∫ occupied sub-rooms dt. `nil` when nobody was ever seated.
    var meanSeats: Double? { subroomTime > 0 ? seatTime / subroomTime : nil }

    /// The time-weighted mean of (most − fewest seats among occupied sub-rooms), over the time
    /// anyone was seated. `nil` when nobody was ever seated.
    var imbalance: Double? { occupiedTime > 0 ? spreadTime / occupiedTime : nil }

    /// Accounts for the time from the last call until `time`, during which the occupied
    /// sub-rooms held `counts` seats.
    mutating func advance(to time: Double, counts: some Collection<Int>) {
        let elapsed = time - now
        guard elapsed > 0 else { return }
        now = time
        guard let smallest = counts.min(), let largest = counts.max() else { return }
        occupiedTime += elapsed
        subroomTime += elapsed * Double(counts.count)
        seatTime += elapsed * Double(counts.reduce(0, +))
        spreadTime += elapsed * Double(largest - smallest)
    }

    /// Sub-room `index` now holds `seats`, with `open` sub-rooms occupied in all.
    mutating func record(index: Int, seats: Int, open: Int, at time: Double) {
        while series.count < index { series.append([Sample(time: 0, seats: 0)]) }
        if seats == 1, series[index - 1].last?.seats == 0 { opened += 1 }
        if series[index - 1].last?.time == time { series[index - 1].removeLast() }
        if series[index - 1].last?.seats != seats { series[index - 1].append(Sample(time: time, seats: seats)) }
        peakSeats = max(peakSeats, seats)
        peakOpen = max(peakOpen, open)
    }
}
