import EchoPluginAPI
import Synchronization
@_spi(Fuzzing) import WasmKit

/// One instance of a strategy module, used by one decision at a time. It is set up once
/// (instantiated, its ABI version read, configured) and its memory copied; every decision then
/// starts from that copy, so no decision sees what an earlier one left behind and the same input
/// always meets the same state.
final class StrategySandbox: @unchecked Sendable {
    // @unchecked: a sandbox is owned by one caller at a time (``StrategySandboxPool`` hands it
    // out and takes it back), so its store, stack and functions are never used concurrently.

    /// What one call into the module did.
    enum Fault: Error {
        case trap(String)
        case outOfFuel
        case memory
        case badAnswer(String)
    }

    private let store: Store
    private let memory: Memory
    private let limiter: MemoryCap
    private var stack: ExecutionStack
    private let abiVersionFunction: Function
    private let alloc: Function
    private let decideFunction: Function
    private let configureFunction: Function?
    private let maxParticipantsFunction: Function?
    private let messageFunction: Function?
    private var pristine: [UInt8] = []
    private let fuel: UInt64

    /// The fuel the last call chain used.
    private(set) var fuelUsed: UInt64 = 0
    /// Whether a call trapped after its answer was in (in `echochat_message`): the answer
    /// stands, but the instance's stack may be left anywhere, so it is not used again.
    private(set) var isSpent = false

    /// Instantiates `image` in a store of its own; nothing runs yet but a start function, within `fuel`.
    init(_ image: StrategyModuleImage, engine: Engine, maxPages: Int, fuel: UInt64) throws {
        store = Store(engine: engine)
        limiter = MemoryCap(maxBytes: maxPages * 65_536)
        store.resourceLimiter = limiter
        store.fuel = Fuel(remaining: fuel)
        self.fuel = fuel
        stack = ExecutionStack(engine: engine)
        let instance = try image.module.instantiate(store: store)
        func function(_ name: String, _ type: FunctionType, required: Bool) throws -> Function? {
            guard let function = instance.exports[function: name] else {
                if required { throw StrategyModuleImage.issue(image.path, "does not export \(name) as a function") }
                return nil
            }
            guard function.type == type else {
                throw StrategyModuleImage.issue(image.path, "exports \(name) with the type \(function.type); ABI version 1 wants \(type)")
            }
            return function
        }
        let required = try StrategyModuleImage.requiredFunctions.map { try function($0.0, $0.1, required: true)! }
        let optional = try StrategyModuleImage.optionalFunctions.map { try function($0.0, $0.1, required: false) }
        guard let memory = instance.exports[memory: "memory"] else {
            throw StrategyModuleImage.issue(image.path, "does not export its memory as \"memory\"")
        }
        self.memory = memory
        (abiVersionFunction, alloc, decideFunction) = (required[0], required[1], required[2])
        (configureFunction, maxParticipantsFunction, messageFunction) = (optional[0], optional[1], optional[2])
    }

    /// `echochat_abi_version()`.
    func abiVersion() throws(Fault) -> Int32 {
        try call(abiVersionFunction, [])
    }

    /// `echochat_configure(settings)`: `nil` when the module accepted them (or takes none), else
    /// its message. Then the memory is copied as the state every decision starts from.
    func configure(_ settings: [UInt8]) throws(Fault) -> String? {
        defer { pristine = memory.withUnsafeBufferPointer(offset: 0, count: memory.byteCount) { Array($0) } }
        guard let configureFunction else { return nil }
        let answer = try call(configureFunction, input: settings)
        return answer == 0 ? nil : message() ?? "echochat_configure answered \(answer)"
    }

    /// `echochat_max_participants()`, or `nil` when not exported.
    func maxParticipants() throws(Fault) -> Int32? {
        guard let maxParticipantsFunction else { return nil }
        return try call(maxParticipantsFunction, [])
    }

    /// `echochat_decide(input)`: the answer, and the refusal reason after a `0`. On return the
    /// memory is as configure left it; after a fault the sandbox must not be used again.
    func decide(_ input: [UInt8]) throws(Fault) -> (answer: Int32, message: String?) {
        let answer = try call(decideFunction, input: input)
        let reason = answer == 0 ? message() : nil
        restore()
        return (answer, reason)
    }

    /// The text `echochat_message` points at, at most 1,000 bytes of it, or `nil`.
    private func message() -> String? {
        guard let messageFunction else { return nil }
        let results: [Value]
        do {
            results = try messageFunction.invoke([], on: &stack)
        } catch {
            isSpent = true
            return nil
        }
        guard case .i64(let packed)? = results.first else { return nil }
        let (pointer, length) = (UInt(packed >> 32), Int(packed & 0xFFFF_FFFF))
        guard length > 0, let bytes = read(pointer, count: min(length, 1_000)) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func read(_ pointer: UInt, count: Int) -> [UInt8]? {
        guard pointer.addingReportingOverflow(UInt(count)).partialValue <= UInt(memory.byteCount), pointer <= UInt(memory.byteCount) else {
            return nil
        }
        return memory.withUnsafeBufferPointer(offset: pointer, count: count) { Array($0) }
    }

    /// Allocates `input.count` bytes with `echochat_alloc`, writes `input` there and calls
    /// `function(pointer, length)`.
    private func call(_ function: Function, input: [UInt8]) throws(Fault) -> Int32 {
        fuelUsed = 0
        let pointer = UInt(UInt32(bitPattern: try call(alloc, [.i32(UInt32(input.count))], resetFuel: true)))
        guard pointer + UInt(input.count) <= UInt(memory.byteCount) else {
            throw .badAnswer("echochat_alloc(\(input.count)) answered \(pointer), outside its \(memory.byteCount) bytes of memory")
        }
        memory.withUnsafeMutableBufferPointer(offset: pointer, count: input.count) { $0.copyBytes(from: input) }
        return try call(function, [.i32(UInt32(pointer)), .i32(UInt32(input.count))], resetFuel: false)
    }

    /// Calls `function` within the fuel budget (shared with the calls before it unless
    /// `resetFuel`), turning traps into faults.
    private func call(_ function: Function, _ arguments: [Value], resetFuel: Bool = true) throws(Fault) -> Int32 {
        if resetFuel { store.fuel = Fuel(remaining: fuel) }
        limiter.reset()
        let results: [Value]
        do {
            results = try function.invoke(arguments, on: &stack)
        } catch {
            fuelUsed = fuel - (store.fuel?.remaining ?? 0)
            if store.fuel?.remaining == 0 || "\(error)".contains("out of fuel") { throw .outOfFuel }
            if limiter.denied { throw .memory }
            throw .trap(Self.firstLine(of: "\(error)"))
        }
        fuelUsed = fuel - (store.fuel?.remaining ?? 0)
        if limiter.denied { throw .memory }
        guard case .i32(let value)? = results.first else { throw .badAnswer("answered \(results) instead of one i32") }
        return Int32(bitPattern: value)
    }

    /// Puts the memory back as configure left it; pages grown since are zeroed.
    private func restore() {
        memory.withUnsafeMutableBufferPointer(offset: 0, count: memory.byteCount) { buffer in
            pristine.withUnsafeBytes { saved in
                buffer.copyMemory(from: saved)
            }
            if buffer.count > pristine.count {
                buffer[pristine.count...].initializeMemory(as: UInt8.self, repeating: 0)
            }
        }
    }

    private static func firstLine(of text: String) -> String {
        String(text.split(separator: "\n", maxSplits: 1).first ?? "")
    }
}

/// Holds a store's memory to its cap and remembers a refused growth, which fails the decision
/// even when the module copes with it.
final class MemoryCap: ResourceLimiter {
    private let maxBytes: Int
    private let refused = Atomic<Bool>(false)

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    var denied: Bool { refused.load(ordering: .relaxed) }

    func reset() { refused.store(false, ordering: .relaxed) }

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        guard desired <= maxBytes else {
            refused.store(true, ordering: .relaxed)
            return false
        }
        return true
    }

    func limitTableGrowth(to desired: Int) throws -> Bool { desired <= 10_000 }
}
