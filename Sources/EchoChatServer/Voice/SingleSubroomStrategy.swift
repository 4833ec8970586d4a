import EchoPluginAPI
import Foundation

/// The configured strategy with sub-rooms turned off (`livekit_subrooms_enabled: false`): its
/// choice of the first sub-room stands, and any other becomes a refusal. The host wraps the
/// strategy in it once at start-up, so a decision is never edited after the fact.
struct SingleSubroomStrategy: FallibleSubroomStrategy, CustomStringConvertible {
    static let name = "single-subroom"
    static let apiVersion = PluginAPIVersion.current

    let wrapped: any SubroomStrategy

    init(wrapping strategy: any SubroomStrategy) {
        wrapped = strategy
    }

    init(configuration: EmptyPluginConfiguration, context: PluginContext) async throws {
        preconditionFailure("the host builds this around a configured strategy; it is never named in plugins.json")
    }

    func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomDecision {
        Self.firstOnly(wrapped.decide(request, in: snapshot, now: now), room: snapshot.room)
    }

    /// The wrapped strategy's attempt, when it can fail, with its choice limited to the first sub-room.
    func attempt(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomAttempt {
        guard let fallible = wrapped as? any FallibleSubroomStrategy else {
            return SubroomAttempt(.success(decide(request, in: snapshot, now: now)))
        }
        var attempt = fallible.attempt(request, in: snapshot, now: now)
        attempt.result = attempt.result.map { Self.firstOnly($0, room: snapshot.room) }
        return attempt
    }

    /// The wrapped strategy's fallback, limited to the first sub-room too.
    var fallback: (any SubroomStrategy)? {
        (wrapped as? any FallibleSubroomStrategy)?.fallback.map { SingleSubroomStrategy(wrapping: $0) }
    }

    var description: String { StrategyGuard.name(of: wrapped) }

    private static func firstOnly(_ decision: SubroomDecision, room: String) -> SubroomDecision {
        guard let index = decision.assignedIndex, index > 1 else { return decision }
        return .refuse("\(room) is full and sub-rooms are turned off")
    }

    func maxParticipants(limits: SubroomLimits) -> Int? { wrapped.maxParticipants(limits: limits) }

    func limits(defaults: SubroomLimits) -> SubroomLimits { wrapped.limits(defaults: defaults) }
}
