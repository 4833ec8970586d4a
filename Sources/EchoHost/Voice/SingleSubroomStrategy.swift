import EchoPluginAPI
import Foundation

/// The configured strategy with sub-rooms turned off (`livekit_subrooms_enabled: false`): its
/// choice of the first sub-room stands, and any other becomes a refusal. The host wraps the
/// strategy in it once at start-up, so a decision is never edited after the fact.
struct SingleSubroomStrategy: SubroomStrategy {
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
        let decision = wrapped.decide(request, in: snapshot, now: now)
        guard let index = decision.assignedIndex, index > 1 else { return decision }
        return .refuse("\(snapshot.room) is full and sub-rooms are turned off")
    }

    func maxParticipants(limits: SubroomLimits) -> Int? { wrapped.maxParticipants(limits: limits) }

    func limits(defaults: SubroomLimits) -> SubroomLimits { wrapped.limits(defaults: defaults) }
}
