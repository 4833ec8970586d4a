import Foundation

/// Counts events per key in a sliding window: a rule `N per period` refuses an event while N
/// events of that key lie within the last period. Memory is at most N timestamps per key, and
/// keys whose window has passed are pruned.
actor RateLimiter {
    /// Per key: the times of the events inside the window, oldest first.
    private var events: [String: [Double]] = [:]
    private var insertsSincePrune = 0

    enum Decision: Equatable {
        case allowed
        /// Denied; retry after this many seconds.
        case limited(retryAfter: Int)
    }

    /// Records one event for `key` if the rule admits it.
    func consume(_ key: String, rule: RateLimitRule?, now: Date = Date()) -> Decision {
        guard let rule else { return .allowed }
        let now = now.timeIntervalSince1970
        var times = events[key, default: []]
        times.removeAll { $0 <= now - rule.period }
        if times.count >= rule.count, let oldest = times.first {
            events[key] = times
            return .limited(retryAfter: max(1, Int((oldest + rule.period - now).rounded(.up))))
        }
        times.append(now)
        events[key] = times
        insertsSincePrune += 1
        if insertsSincePrune >= 4096 { prune(now: now, longestPeriod: 86_400) }
        return .allowed
    }

    /// Takes back the latest event recorded for `key` (a login that turned out to succeed).
    func refund(_ key: String) {
        guard var times = events[key], !times.isEmpty else { return }
        times.removeLast()
        events[key] = times.isEmpty ? nil : times
    }

    private func prune(now: Double, longestPeriod: Double) {
        events = events.filter { ($0.value.last ?? 0) > now - longestPeriod }
        insertsSincePrune = 0
    }
}
