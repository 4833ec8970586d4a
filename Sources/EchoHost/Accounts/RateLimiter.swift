import Foundation

/// Counts events per key with the generic cell rate algorithm: `N per period` admits a burst of
/// N, then one more every period/N. O(1) memory per key; idle keys are pruned.
actor RateLimiter {
    /// Per key: the theoretical arrival time of the next event.
    private var arrivals: [String: Double] = [:]
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
        let interval = rule.period / Double(rule.count)
        let next = max(arrivals[key] ?? now, now) + interval
        let excess = next - now - rule.period
        if excess > 1e-9 {
            return .limited(retryAfter: max(1, Int(excess.rounded(.up))))
        }
        arrivals[key] = next
        insertsSincePrune += 1
        if insertsSincePrune >= 4096 { prune(now: now) }
        return .allowed
    }

    /// Gives back one event recorded by ``consume(_:rule:now:)`` (a login that turned out to succeed).
    func refund(_ key: String, rule: RateLimitRule?, now: Date = Date()) {
        guard let rule, let arrival = arrivals[key] else { return }
        let remaining = arrival - rule.period / Double(rule.count)
        if remaining <= now.timeIntervalSince1970 {
            arrivals[key] = nil
        } else {
            arrivals[key] = remaining
        }
    }

    private func prune(now: Double) {
        arrivals = arrivals.filter { $0.value > now }
        insertsSincePrune = 0
    }

    var trackedKeys: Int { arrivals.count }
}
