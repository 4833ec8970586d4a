// The ABI, version 1: the functions the host calls, exported under their ABI names. Each calls
// `ExportedStrategy`, which the strategy's own file names with
// `typealias ExportedStrategy = SomeStrategy`.

/// The settings `echochat_configure` accepted; `.empty` until then.
nonisolated(unsafe) private var configuredSettings = StrategySettings.empty

/// The text `echochat_message` hands out: a refusal reason or why settings were rejected.
nonisolated(unsafe) private var message: UnsafeBufferPointer<UInt8>? = nil

/// The ABI version this SDK implements.
@_expose(wasm, "echochat_abi_version")
@_cdecl("echochat_abi_version")
func echochatABIVersion() -> Int32 { 1 }

/// Reserves `length` bytes for the host's next input; see ``InputBuffer``.
@_expose(wasm, "echochat_alloc")
@_cdecl("echochat_alloc")
func echochatAlloc(_ length: Int32) -> Int32 {
    guard length >= 0, let start = InputBuffer.reserve(Int(length)) else { return 0 }
    return Int32(truncatingIfNeeded: Int(bitPattern: start))
}

/// Reads the settings object, validates it, and keeps it: 0 accepts, 1 means the input is not a
/// JSON object, 2 means the strategy's `validate` rejected it (the reason is in the message).
@_expose(wasm, "echochat_configure")
@_cdecl("echochat_configure")
func echochatConfigure(_ pointer: Int32, _ length: Int32) -> Int32 {
    message = nil
    var reader = InputBuffer.reader(pointer, length)
    guard let settings = try? StrategySettings(reading: &reader), reader.isAtEnd() else {
        setMessage("the settings are not a JSON object")
        return 1
    }
    if let reason = ExportedStrategy.validate(settings) {
        setMessage(reason)
        return 2
    }
    configuredSettings = settings
    return 0
}

/// The strategy's `maxParticipants`, 0 for none; see ``WasmStrategy/maxParticipants(limits:settings:)``.
@_expose(wasm, "echochat_max_participants")
@_cdecl("echochat_max_participants")
func echochatMaxParticipants() -> Int32 {
    let settings = configuredSettings
    let limits = SubroomLimits(capacity: settings.int("capacity") ?? 0, maxSubrooms: settings.int("max_subrooms") ?? 0)
    guard let count = ExportedStrategy.maxParticipants(limits: limits, settings: settings), count > 0 else { return 0 }
    return Int32(clamping: count)
}

/// Decides: n ≥ 1 assigns sub-room n, 0 refuses (the reason is in the message), -1 means the input
/// is malformed or misses a required member, -2 means the strategy assigned an index below 1.
@_expose(wasm, "echochat_decide")
@_cdecl("echochat_decide")
func echochatDecide(_ pointer: Int32, _ length: Int32) -> Int32 {
    message = nil
    var reader = InputBuffer.reader(pointer, length)
    guard let input = try? DecisionInput(reading: &reader) else { return -1 }
    let decision = ExportedStrategy.decide(input.request, in: input.snapshot, settings: configuredSettings)
    guard let index = decision.assignedIndex else {
        setMessage(decision.refusalReason ?? "")
        return 0
    }
    guard index >= 1 else { return -2 }
    return Int32(clamping: index)
}

/// `(pointer << 32) | length` of the last message, or 0 when there is none.
@_expose(wasm, "echochat_message")
@_cdecl("echochat_message")
func echochatMessage() -> Int64 {
    guard let message, let start = message.baseAddress, !message.isEmpty else { return 0 }
    let pointer = UInt64(UInt(bitPattern: start))
    return Int64(bitPattern: pointer << 32 | UInt64(message.count))
}

/// Copies `text` where `echochat_message` can hand it out.
private func setMessage(_ text: String) {
    message = .copying(text)
}
