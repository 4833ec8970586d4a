import EchoPluginAPI
import Foundation

/// The strategy of `subrooms_shadow`: asked beside the live one, answers only compared. It is
/// asked as the simulator asks (the host's caps and its fallback apply, nothing is logged per
/// decision), off the token path.
struct ShadowStrategy: Sendable {
    let judge: SimulatedStrategy
    /// The plugin as it was built, to shut down once it is replaced.
    let instance: any SubroomStrategy
    let plugin: String
    let revision: String
    let loadedAt: Date
}

/// One real decision to replay through the shadow: its input, what the live strategy made of it,
/// and the shadow as it stood when the decision was made.
struct ShadowCase: Sendable, Hashable {
    let input: SubroomDecisionInput
    let decision: ShadowAnswer
    let revision: String
    let shadow: ShadowStrategy

    static func == (a: ShadowCase, b: ShadowCase) -> Bool {
        a.input == b.input && a.decision == b.decision && a.revision == b.revision && a.shadow.revision == b.shadow.revision
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(input)
        hasher.combine(shadow.revision)
    }
}

/// What a strategy made of one request, as the disagreement log shows it:
/// `{"subroom": 2}`, `{"refused": "…"}` or `{"failed": "out_of_fuel: …"}`.
enum ShadowAnswer: Sendable, Hashable, Encodable {
    case subroom(Int)
    case refused(String)
    case failed(String)

    init(_ result: Result<SubroomDecision, SubroomStrategyFailure>) {
        switch result {
        case .success(let decision):
            if let index = decision.assignedIndex { self = .subroom(index) } else { self = .refused(decision.refusalReason ?? "") }
        case .failure(let failure):
            self = .failed(failure.description)
        }
    }

    /// Two answers agree when they seat in the same sub-room or both refuse; the reasons of a
    /// refusal may differ. A failure agrees with nothing.
    func agrees(with other: ShadowAnswer) -> Bool {
        switch (self, other) {
        case (.subroom(let a), .subroom(let b)): return a == b
        case (.refused, .refused): return true
        default: return false
        }
    }

    var isFailure: Bool {
        if case .failed = self { return true }
        return false
    }

    private enum Key: String, CodingKey { case subroom, refused, failed }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .subroom(let index): try container.encode(index, forKey: .subroom)
        case .refused(let reason): try container.encode(reason, forKey: .refused)
        case .failed(let failure): try container.encode(failure, forKey: .failed)
        }
    }
}
