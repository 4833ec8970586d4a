/// A media source a participant can publish, named as in LiveKit's grants.
public enum TrackSource: UInt8, CaseIterable, Hashable {
    /// Audio from a microphone.
    case microphone
    /// Video from a camera.
    case camera
    /// A shared screen's video.
    case screenShare
    /// A shared screen's audio.
    case screenShareAudio

    /// The name in the ABI's JSON: `"microphone"`, `"camera"`, `"screen_share"`, `"screen_share_audio"`.
    public var name: StaticString {
        switch self {
        case .microphone: "microphone"
        case .camera: "camera"
        case .screenShare: "screen_share"
        case .screenShareAudio: "screen_share_audio"
        }
    }
}

/// What one participant publishes: a set of ``TrackSource`` kept in one byte.
///
/// It reads like the `Set<TrackSource>` of the native API (`isEmpty`, `contains`, `count`,
/// `for source in publishing`, `reduce`) without hashing or allocating.
///
/// ```swift
/// let isPresenting = seat.publishing.contains(.screenShare)
/// ```
public struct TrackSourceSet: Hashable, Sequence, ExpressibleByArrayLiteral {
    /// One bit per source, at the source's raw value.
    public private(set) var bits: UInt8

    /// The empty set.
    public init() {
        bits = 0
    }

    /// The set whose members are the set bits of `bits`, at each source's raw value.
    public init(bits: UInt8) {
        self.bits = bits & 0x0F
    }

    /// A set of the given sources.
    public init(arrayLiteral sources: TrackSource...) {
        bits = 0
        for source in sources { insert(source) }
    }

    /// Whether nothing is published.
    @inline(__always)
    public var isEmpty: Bool { bits == 0 }

    /// How many sources are published.
    public var count: Int { bits.nonzeroBitCount }

    /// Whether `source` is published.
    @inline(__always)
    public func contains(_ source: TrackSource) -> Bool {
        bits & 1 << source.rawValue != 0
    }

    /// Adds `source`.
    @inline(__always)
    public mutating func insert(_ source: TrackSource) {
        bits |= 1 << source.rawValue
    }

    /// Removes `source`.
    public mutating func remove(_ source: TrackSource) {
        bits &= ~(1 << source.rawValue)
    }

    /// The sources in declaration order.
    public func makeIterator() -> Iterator {
        Iterator(remaining: bits)
    }

    /// Walks the set bits, lowest first.
    public struct Iterator: IteratorProtocol {
        var remaining: UInt8

        /// The next source, or `nil` after the last.
        public mutating func next() -> TrackSource? {
            guard remaining != 0 else { return nil }
            let bit = UInt8(remaining.trailingZeroBitCount)
            remaining &= remaining &- 1
            return TrackSource(rawValue: bit)
        }
    }
}
