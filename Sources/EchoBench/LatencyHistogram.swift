import Synchronization

/// Send→receive latencies in logarithmic buckets (about 2 % wide), from 1 µs to about 100 s.
final class LatencyHistogram: Sendable {
    private static let bucketCount = 1000
    private let buckets = Mutex([Int](repeating: 0, count: LatencyHistogram.bucketCount))

    private static func bucket(_ nanoseconds: UInt64) -> Int {
        let micros = max(1, Double(nanoseconds) / 1000)
        return min(bucketCount - 1, Int(log(micros) / log(1.02)))
    }

    func record(_ nanoseconds: UInt64) {
        let index = Self.bucket(nanoseconds)
        buckets.withLock { $0[index] += 1 }
    }

    var count: Int { buckets.withLock { $0.reduce(0, +) } }

    /// The latency at `quantile` (0…1), in milliseconds.
    func percentile(_ quantile: Double) -> Double {
        let counts = buckets.withLock { $0 }
        let total = counts.reduce(0, +)
        guard total > 0 else { return 0 }
        let rank = Int((Double(total) * quantile).rounded(.up))
        var seen = 0
        for (index, count) in counts.enumerated() {
            seen += count
            if seen >= rank { return pow(1.02, Double(index + 1)) / 1000 }
        }
        return 0
    }
}

import Foundation
