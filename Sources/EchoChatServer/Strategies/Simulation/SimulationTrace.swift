import EchoPluginAPI

/// Arrivals, departures and publishing changes of voice users in one room, in the order a
/// simulation applies them: by time, ties in the order given.
struct SimulationTrace: Hashable, Sendable {
    /// What a user does.
    enum Action: Hashable, Sendable {
        /// Asks for a seat, optionally naming a sub-room, optionally to listen only.
        case arrive(preferredIndex: Int?, isListenOnly: Bool)
        /// Gives the seat up.
        case leave
        /// Now publishes exactly these sources.
        case publish(Set<TrackSource>)
    }

    /// One line of a trace.
    struct Event: Hashable, Sendable {
        /// Seconds since the trace began.
        var time: Double
        var user: String
        var action: Action
    }

    let events: [Event]
    /// When the replay ends, in seconds: the later of `end` as given and the last event.
    let end: Double

    init(events: [Event], end: Double? = nil) {
        self.events = events.enumerated()
            .sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
            .map(\.element)
        self.end = max(end ?? 0, self.events.last?.time ?? 0)
    }
}

/// A trace that cannot be read: which file, which line, what is wrong.
struct TraceError: Error, Hashable, Sendable, CustomStringConvertible {
    let file: String
    /// The 1-based line, or `nil` for the file as a whole.
    let line: Int?
    let message: String

    var description: String { "\(file)\(line.map { ", line \($0)" } ?? ""): \(message)" }
}
