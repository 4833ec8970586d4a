import EchoPluginAPI
import Foundation
import Synchronization

/// What the shadow strategy made of the real decisions: counts since the current shadow was
/// loaded (a reload that changes it starts them again) and the most recent disagreements.
final class ShadowLedger: Sendable {
    /// The outcomes counted in `/metrics`.
    static let outcomes = ["agreements", "disagreements", "failures", "skipped"]

    /// One decision the two strategies answered differently.
    struct Disagreement: Sendable, Encodable {
        let at: Date
        /// The decision's input, as a module receives it (ABI version 1).
        let snapshot: ConfigValue
        let decision: ShadowAnswer
        let shadowDecision: ShadowAnswer
        let revision: String
        let shadowRevision: String
    }

    struct Counts: Sendable, Equatable {
        var agreements = 0
        var disagreements = 0
        var failures = 0
        var skipped = 0
    }

    private struct State {
        var revision: String?
        var counts = Counts()
        var recent: [Disagreement] = []
        var next = 0
    }

    /// How many disagreements are kept; older ones are dropped.
    let capacity: Int
    private let metrics: StrategyMetrics
    private let state = Mutex(State())

    init(capacity: Int = 100, metrics: StrategyMetrics) {
        self.capacity = max(1, capacity)
        self.metrics = metrics
    }

    /// Starts counting for the shadow `revision` (nil: none); replays of an earlier shadow that
    /// finish afterwards are not counted.
    func follow(_ revision: String?) {
        state.withLock { state in
            guard state.revision != revision else { return }
            state.revision = revision
            state.counts = Counts()
        }
    }

    /// The counts for `revision`, the shadow now loaded (zero when it has decided nothing yet).
    func counts(for revision: String?) -> Counts {
        state.withLock { $0.revision == revision ? $0.counts : Counts() }
    }

    /// The kept disagreements, oldest first.
    var disagreements: [Disagreement] {
        state.withLock { state in
            guard state.recent.count == capacity else { return state.recent }
            return Array(state.recent[state.next...] + state.recent[..<state.next])
        }
    }

    func record(_ replayed: ShadowCase, answer: ShadowAnswer, at date: Date = Date()) {
        guard state.withLock({ $0.revision == replayed.shadow.revision }) else { return }
        let agrees = replayed.decision.agrees(with: answer)
        metrics.recordShadow(agrees ? "agreements" : "disagreements")
        if answer.isFailure { metrics.recordShadow("failures") }
        let entry =
            agrees
            ? nil
            : Disagreement(
                at: date, snapshot: Self.object(replayed.input), decision: replayed.decision, shadowDecision: answer,
                revision: replayed.revision, shadowRevision: replayed.shadow.revision)
        state.withLock { state in
            guard state.revision == replayed.shadow.revision else { return }
            if agrees { state.counts.agreements += 1 } else { state.counts.disagreements += 1 }
            if answer.isFailure { state.counts.failures += 1 }
            guard let entry else { return }
            if state.recent.count < capacity {
                state.recent.append(entry)
            } else {
                state.recent[state.next] = entry
                state.next = (state.next + 1) % capacity
            }
        }
    }

    /// A decision the shadow could not keep up with.
    func skipped(_ replayed: ShadowCase) {
        metrics.recordShadow("skipped")
        state.withLock { state in
            if state.revision == replayed.shadow.revision { state.counts.skipped += 1 }
        }
    }

    private static func object(_ input: SubroomDecisionInput) -> ConfigValue {
        (try? JSONDecoder().decode(ConfigValue.self, from: Data(input.json))) ?? .string(input.text)
    }

}
