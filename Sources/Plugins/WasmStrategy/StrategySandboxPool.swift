import EchoPluginAPI
import Synchronization
import WasmKit

/// Configured sandboxes of one module, handed to one decision each. Decisions in different
/// rooms run at once; when every sandbox is busy a new one is set up rather than waited for
/// (a decision runs inside a storage transaction, where waiting would hold the room's lock).
/// A sandbox that faulted is dropped, never reused.
final class StrategySandboxPool: Sendable {
    private let image: StrategyModuleImage
    private let engine: Engine
    private let maxPages: Int
    private let fuel: UInt64
    private let settings: [UInt8]
    private let idle = Mutex<[StrategySandbox]>([])
    private let keep: Int

    /// What loading found out: the declared maximum of participants (`nil` when none).
    let maxParticipants: Int?

    /// Sets up the first sandbox: ABI version, configure, max participants. Every problem is a
    /// ``ConfigIssue``, as at any start-up.
    init(image: StrategyModuleImage, maxPages: Int, fuel: UInt64, settings: [UInt8], keep: Int) throws {
        self.image = image
        self.engine = Engine(configuration: EngineConfiguration(fuelMetering: true))
        self.maxPages = maxPages
        self.fuel = fuel
        self.settings = settings
        self.keep = keep
        let sandbox: StrategySandbox
        do {
            sandbox = try StrategySandbox(image, engine: engine, maxPages: maxPages, fuel: fuel)
        } catch let issue as ConfigIssue {
            throw issue
        } catch {
            throw StrategyModuleImage.issue(image.path, "cannot be instantiated: \(error)")
        }
        func during(_ call: String, _ body: () throws(StrategySandbox.Fault) -> Void) throws {
            do {
                try body()
            } catch {
                throw StrategyModuleImage.issue(image.path, "failed in \(call): \(Self.describe(error))")
            }
        }
        try during("echochat_abi_version") { () throws(StrategySandbox.Fault) in
            let version = try sandbox.abiVersion()
            guard version == 1 else { throw .badAnswer("it speaks ABI version \(version); this server speaks version 1") }
        }
        var rejection: String?
        try during("echochat_configure") { () throws(StrategySandbox.Fault) in rejection = try sandbox.configure(settings) }
        if let rejection {
            throw ConfigIssue(key: "settings", "\(image.path) rejected its settings: \(rejection)")
        }
        var declared: Int32?
        try during("echochat_max_participants") { () throws(StrategySandbox.Fault) in declared = try sandbox.maxParticipants() }
        if let declared, declared < 0 {
            throw StrategyModuleImage.issue(image.path, "answered \(declared) from echochat_max_participants; it must be 0 (no fixed number) or more")
        }
        maxParticipants = declared.flatMap { $0 > 0 ? Int($0) : nil }
        idle.withLock { $0.append(sandbox) }
    }

    /// Runs `body` with a sandbox of its own; `body` answers whether the sandbox may be reused.
    func withSandbox<Result>(_ body: (StrategySandbox) -> (Result, reusable: Bool)) throws(StrategySandbox.Fault) -> Result {
        let sandbox: StrategySandbox
        if let reused = idle.withLock({ $0.popLast() }) {
            sandbox = reused
        } else {
            sandbox = try fresh()
        }
        let (result, reusable) = body(sandbox)
        if reusable {
            idle.withLock { if $0.count < keep { $0.append(sandbox) } }
        }
        return result
    }

    /// A new sandbox set up as the first one was; the module answered the same at load, so a
    /// failure now is the module's fault.
    private func fresh() throws(StrategySandbox.Fault) -> StrategySandbox {
        let sandbox: StrategySandbox
        do {
            sandbox = try StrategySandbox(image, engine: engine, maxPages: maxPages, fuel: fuel)
        } catch {
            throw .trap("a new instance failed to start: \(error)")
        }
        _ = try sandbox.abiVersion()
        if let rejection = try sandbox.configure(settings) {
            throw .badAnswer("a new instance rejected the settings it accepted at load: \(rejection)")
        }
        return sandbox
    }

    static func describe(_ fault: StrategySandbox.Fault) -> String {
        switch fault {
        case .trap(let message): "trapped: \(message)"
        case .outOfFuel: "ran out of fuel"
        case .memory: "tried to grow its memory past max_memory_pages"
        case .badAnswer(let message): message
        }
    }
}
