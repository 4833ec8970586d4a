import EchoPluginAPI
import Foundation
import Synchronization

/// Counts events per key in a sliding window: a rule `N per period` refuses an event while N
/// events of that key lie within the last period. Memory is at most N timestamps per key, and
/// keys whose window has passed are pruned. A lock rather than an actor: the work is a few
/// array operations, cheaper than a hop to another executor on every request.
///
/// On a ``SharedStorage`` the counts live in storage, so a limit holds across every instance
/// behind a load balancer rather than once per instance; if storage cannot answer, the
/// instance's own count decides.
final class RateLimiter: Sendable {
    private let shared: (any SharedStorage)?

    init(shared: (any SharedStorage)? = nil) {
        self.shared = shared
    }

    /// Records one event for `key` if the rule admits it, counting across instances when the
    /// storage is shared.
    func admit(_ key: String, rule: RateLimitRule?, now: Date = Date()) async -> Decision {
        guard let rule else { return .allowed }
        if let shared {
            do {
                guard let wait = try await shared.consumeRate(key, limit: rule.count, period: rule.period, at: now) else { return .allowed }
                return .limited(retryAfter: max(1, Int(wait.rounded(.up))))
            } catch {
                return consume(key, rule: rule, now: now)
            }
        }
        return consume(key, rule: rule, now: now)
    }

    /// Takes back the latest event recorded for `key` by ``admit(_:rule:now:)``.
    func giveBack(_ key: String) async {
        if let shared, (try? await shared.refundRate(key)) != nil { return }
        refund(key)
    }

    private struct State {
        /// Per key: the times of the events inside the window, oldest first.
        var events: [String: [Double]] = [:]
        var insertsSincePrune = 0
    }

    private let state = Mutex(State())

    enum Decision: Equatable {
        case allowed
        /// Denied; retry after this many seconds.
        case limited(retryAfter: Int)
    }

    /// Records one event for `key` if the rule admits it.
    func consume(_ key: String, rule: RateLimitRule?, now: Date = Date()) -> Decision {
        guard let rule else { return .allowed }
        let now = now.timeIntervalSince1970
        return state.withLock { state in
            var times = state.events[key, default: []]
            times.removeAll { $0 <= now - rule.period }
            if times.count >= rule.count, let oldest = times.first {
                state.events[key] = times
                return .limited(retryAfter: max(1, Int((oldest + rule.period - now).rounded(.up))))
            }
            times.append(now)
            state.events[key] = times
            state.insertsSincePrune += 1
            if state.insertsSincePrune >= 4096 { Self.prune(&state, now: now, longestPeriod: 86_400) }
            return .allowed
        }
    }

    /// Takes back the latest event recorded for `key` (a login that turned out to succeed).
    func refund(_ key: String) {
        state.withLock { state in
            guard var times = state.events[key], !times.isEmpty else { return }
            times.removeLast()
            state.events[key] = times.isEmpty ? nil : times
        }
    }

    private static func prune(_ state: inout State, now: Double, longestPeriod: Double) {
        state.events = state.events.filter { ($0.value.last ?? 0) > now - longestPeriod }
        state.insertsSincePrune = 0
    }
}
