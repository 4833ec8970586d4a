public import Foundation

/// Why a strategy gave no usable answer: a sandboxed module trapped, ran out of fuel or memory,
/// answered something that is not a decision, or chose a sub-room the host will not seat anyone
/// in. The host never seats anyone on a failed decision; it asks the strategy's fallback, or
/// answers the request with 503 `strategy_failed`.
///
/// ```swift
/// throw SubroomStrategyFailure.trap("spread.wasm: unreachable executed in echochat_decide")
/// ```
///
/// - Note: Added in EchoPluginAPI 1.6.
public struct SubroomStrategyFailure: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: String, Hashable, Sendable {
        case trap
        case outOfFuel = "out_of_fuel"
        case memory
        case badAnswer = "bad_answer"
        case beyondMaxSubrooms = "beyond_max_subrooms"
        case subroomFull = "subroom_full"
        case suspended
    }

    private let code: Code
    /// What happened, for the log: which module, which call, which answer. Never a user's data.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The strategy trapped (an `unreachable`, an out-of-bounds access, a stack overflow).
    public static func trap(_ message: String) -> Self { .init(.trap, message) }
    /// The decision used up its instruction budget.
    public static func outOfFuel(_ message: String) -> Self { .init(.outOfFuel, message) }
    /// The decision tried to grow memory past its cap.
    public static func memory(_ message: String) -> Self { .init(.memory, message) }
    /// The answer is not a decision (a negative number, say).
    public static func badAnswer(_ message: String) -> Self { .init(.badAnswer, message) }
    /// The answer is a sub-room beyond the room's `max_subrooms`.
    public static func beyondMaxSubrooms(_ message: String) -> Self { .init(.beyondMaxSubrooms, message) }
    /// The answer is a sub-room already holding the strategy's declared maximum of participants.
    public static func subroomFull(_ message: String) -> Self { .init(.subroomFull, message) }

    /// The strategy failed so many decisions in a row that it is not asked for a while.
    public static func suspended(_ message: String) -> Self { .init(.suspended, message) }

    /// A stable snake_case name of the kind of failure (`out_of_fuel`, `subroom_full`, …), as
    /// logs and the `reason` label of `/metrics` show it.
    public var reason: String { code.rawValue }

    public var description: String { "\(reason): \(message)" }
}

/// A strategy whose decisions can fail, as a sandboxed WebAssembly module's can: the host asks
/// ``attempt(_:in:now:)`` instead of ``SubroomStrategy/decide(_:in:now:)``, counts and logs each
/// failure, and lets ``fallback`` decide instead (or answers 503 `strategy_failed` when it is `nil`).
///
/// ```swift
/// public func attempt(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomAttempt {
///     do {
///         return SubroomAttempt(.success(try module.decide(request, snapshot, now)), fuel: module.lastFuel)
///     } catch {
///         return SubroomAttempt(.failure(.trap("\(error)")))
///     }
/// }
/// ```
///
/// - Note: Added in EchoPluginAPI 1.6.
public protocol FallibleSubroomStrategy: SubroomStrategy {
    /// Decides, or says why it could not, with what the decision cost.
    func attempt(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomAttempt

    /// The strategy that decides when an attempt fails; `nil` refuses the request with 503.
    /// The default is `nil`.
    var fallback: (any SubroomStrategy)? { get }
}

extension FallibleSubroomStrategy {
    public var fallback: (any SubroomStrategy)? { nil }
}

/// One attempt at a decision: the answer or the failure, and the instructions it took when the
/// strategy meters them.
///
/// - Note: Added in EchoPluginAPI 1.6.
public struct SubroomAttempt: Hashable, Sendable {
    /// The decision, or why there is none.
    public var result: Result<SubroomDecision, SubroomStrategyFailure>
    /// The fuel (about one unit per WebAssembly instruction) the attempt used, when metered.
    public var fuel: UInt64?

    /// Creates an attempt.
    public init(_ result: Result<SubroomDecision, SubroomStrategyFailure>, fuel: UInt64? = nil) {
        self.result = result
        self.fuel = fuel
    }
}
