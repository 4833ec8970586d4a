public import EchoPluginAPI
import EchoSubroomStrategies
public import Foundation

/// `subrooms.wasm`: a strategy written by anyone, as a WebAssembly module that imports nothing,
/// run sandboxed by WasmKit. Each decision gets `fuel` instructions and at most
/// `max_memory_pages` of memory, and starts from the state the module had right after
/// `echochat_configure`; a trap, running out of fuel or memory, or an answer that is not a
/// decision is a ``SubroomStrategyFailure``, after which `on_failure` decides. The ABI is written
/// down in docs/STRATEGIES.md.
public struct WasmStrategy: FallibleSubroomStrategy, ContentIdentified, CustomStringConvertible {
    public static let name = "wasm"
    public static let apiVersion = PluginAPIVersion(1, 7)

    let configuration: Configuration
    let image: StrategyModuleImage
    let pool: StrategySandboxPool
    public let fallback: (any SubroomStrategy)?

    /// The module's file name, as logs and metrics name it.
    public var moduleName: String { image.name }
    /// The module's path as resolved.
    public var modulePath: String { image.path }
    /// `wasm spread.wasm`, as logs name the strategy.
    public var description: String { "\(Self.name) \(image.name)" }
    /// The module file's SHA-256: a new file is a new revision, even under the same name.
    public var contentDigest: String { image.digest }
    /// The instruction budget of one decision.
    public var fuelBudget: UInt64 { configuration.effectiveFuel }

    public init(configuration: Configuration, context: PluginContext) async throws {
        // Reading, validating and instantiating a module (and running its configure) is CPU
        // work: on the blocking pool, not the server's cooperative threads (a reload runs it
        // while the server serves).
        let directory = context.configurationDirectory
        self = try await context.blocking.run { try WasmStrategy(configuration: configuration, resolvingAgainst: directory) }
    }

    /// Loads the module directly, for tests, the conformance kit and the simulator; a relative
    /// `module` path resolves against `directory`.
    public init(configuration: Configuration, resolvingAgainst directory: String?) throws {
        self.configuration = configuration
        let path = PluginContext.resolve(configuredPath: configuration.module, against: directory)
        image = try StrategyModuleImage.load(path, maxPages: configuration.effectiveMaxMemoryPages)
        let settings = try JSONEncoder().encode(configuration.settings ?? .object([:]))
        pool = try StrategySandboxPool(
            image: image, maxPages: configuration.effectiveMaxMemoryPages, fuel: configuration.effectiveFuel, settings: [UInt8](settings),
            keep: max(2, ProcessInfo.processInfo.activeProcessorCount * 2))
        fallback = configuration.fallbackName.map(Self.builtin(named:))
    }

    static func builtin(named name: String) -> any SubroomStrategy {
        switch name {
        case "load-weighted": LoadWeightedStrategy(configuration: .init())
        default: CapacityStrategy(configuration: .init())
        }
    }

    public func limits(defaults: SubroomLimits) -> SubroomLimits {
        SubroomLimits(capacity: configuration.capacity ?? defaults.capacity, maxSubrooms: configuration.maxSubrooms ?? defaults.maxSubrooms)
    }

    /// What the module's `echochat_max_participants` declared; `nil` when it has no fixed number.
    public func maxParticipants(limits: SubroomLimits) -> Int? {
        pool.maxParticipants
    }

    public func attempt(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomAttempt {
        let input = SubroomDecisionInput(request: request, snapshot: snapshot, now: now).json
        let module = image.name
        do throws(StrategySandbox.Fault) {
            return try pool.withSandbox { sandbox in
                do throws(StrategySandbox.Fault) {
                    let (answer, message) = try sandbox.decide(input)
                    let (fuel, reusable) = (sandbox.fuelUsed, !sandbox.isSpent)
                    switch answer {
                    case 1...: return (SubroomAttempt(.success(.assign(Int(answer))), fuel: fuel), reusable)
                    case 0: return (SubroomAttempt(.success(.refuse(message ?? "\(module) refused")), fuel: fuel), reusable)
                    default: return (SubroomAttempt(.failure(.badAnswer("\(module) answered \(answer)")), fuel: fuel), reusable)
                    }
                } catch {
                    return (SubroomAttempt(.failure(Self.failure(error, module: module)), fuel: sandbox.fuelUsed), false)
                }
            }
        } catch {
            return SubroomAttempt(.failure(Self.failure(error, module: module)))
        }
    }

    /// Decides as the host would without a fallback: a failure refuses.
    public func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomDecision {
        switch attempt(request, in: snapshot, now: now).result {
        case .success(let decision): decision
        case .failure(let failure): fallback?.decide(request, in: snapshot, now: now) ?? .refuse("the strategy failed: \(failure)")
        }
    }

    static func failure(_ fault: StrategySandbox.Fault, module: String) -> SubroomStrategyFailure {
        switch fault {
        case .trap(let message): .trap("\(module) trapped in echochat_decide: \(message)")
        case .outOfFuel: .outOfFuel("\(module) used up its fuel in echochat_decide")
        case .memory: .memory("\(module) tried to grow its memory past max_memory_pages in echochat_decide")
        case .badAnswer(let message): .badAnswer("\(module): \(message)")
        }
    }
}
