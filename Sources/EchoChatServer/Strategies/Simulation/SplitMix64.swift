import Foundation

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny generator whose stream depends on its seed
/// alone, so that a synthetic trace is the same on every machine and toolchain. Not for secrets.
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in [0, 1) from the top 53 bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// An exponentially distributed number with the given mean, by inversion (never infinite:
    /// `1 - unit()` is above 0).
    mutating func exponential(mean: Double) -> Double {
        -mean * log(1 - unit())
    }
}
