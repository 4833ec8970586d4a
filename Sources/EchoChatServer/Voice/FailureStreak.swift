import Synchronization

/// A strategy that failed `threshold` decisions in a row is not asked for `pause`, so that a
/// broken module (an endless loop burning its whole budget inside every room's lock) cannot hold
/// up a burst of joins; after the pause it is asked again, and one success ends the streak.
final class FailureStreak: Sendable {
    private struct State {
        var failures = 0
        var suspendedUntil: ContinuousClock.Instant?
    }

    let threshold: Int
    let pause: Duration
    private let state = Mutex(State())

    init(threshold: Int = 5, pause: Duration = .seconds(10)) {
        self.threshold = threshold
        self.pause = pause
    }

    /// When the module is suspended, until when; `nil` when it may run.
    func suspension(at now: ContinuousClock.Instant = .now) -> ContinuousClock.Instant? {
        state.withLock { state in
            guard let until = state.suspendedUntil, now < until else { return nil }
            return until
        }
    }

    /// Records one decision's outcome.
    func record(failed: Bool, at now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            guard failed else {
                state = State()
                return
            }
            state.failures += 1
            if state.failures >= threshold { state.suspendedUntil = now + pause }
        }
    }
}
