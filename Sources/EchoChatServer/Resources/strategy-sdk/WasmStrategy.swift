/// A sub-room strategy compiled to WebAssembly: the module form of the native `SubroomStrategy`.
///
/// Write one type that conforms, and name it in your file with
/// `typealias ExportedStrategy = YourType`; the SDK exports the ABI functions the host calls
/// (`echochat_configure`, `echochat_decide`, …) and decodes the JSON they carry. Build with
/// `echochat strategy build my-strategy.swift -o my-strategy.wasm`.
///
/// A strategy is a pure function of its inputs: the host restores the module's memory before
/// every decision, so nothing one decision leaves behind reaches the next. `now` is in the
/// snapshot, not on a clock.
///
/// ```swift
/// struct TenPerRoom: WasmStrategy {
///     static func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, settings: StrategySettings) -> SubroomDecision {
///         let perRoom = settings.int("per_room") ?? 10
///         for index in 1...max(snapshot.limits.maxSubrooms, 1) where snapshot.occupancy(of: index).seats.count < perRoom {
///             return .assign(index)
///         }
///         return .refuse("every sub-room of \(snapshot.room) has \(perRoom) people")
///     }
///
///     static func maxParticipants(limits: SubroomLimits, settings: StrategySettings) -> Int? {
///         settings.int("per_room") ?? 10
///     }
/// }
///
/// typealias ExportedStrategy = TenPerRoom
/// ```
public protocol WasmStrategy {
    /// Picks a sub-room for `request`, or refuses.
    ///
    /// `snapshot.limits` are the host's limits (`livekit_subroom_capacity`,
    /// `livekit_max_subrooms`); `settings` is the `settings` object from plugins.json, which
    /// ``validate(_:)`` accepted. A strategy whose settings can override the limits applies them
    /// here, as a native strategy does in `limits(defaults:)`.
    static func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, settings: StrategySettings) -> SubroomDecision

    /// Checks the settings once, when the host loads the module: `nil` accepts them, a message
    /// rejects them (the host reports it and does not use the module). The default accepts
    /// anything.
    static func validate(_ settings: StrategySettings) -> String?

    /// The most participants one sub-room can ever hold under this strategy, or `nil` for no
    /// fixed number; the host creates each sub-room on LiveKit with it as `max_participants`.
    /// Asked once, right after the settings are accepted. The default is `nil`.
    ///
    /// The host's limits are not known to the module at that moment, so `limits` are read from
    /// the settings: `capacity` and `max_subrooms` when the settings have them as integers, 0
    /// otherwise. A strategy whose cap follows the host's capacity answers `nil` when
    /// `limits.capacity` is 0, and the host then uses its own capacity.
    static func maxParticipants(limits: SubroomLimits, settings: StrategySettings) -> Int?
}

extension WasmStrategy {
    /// Accepts any settings.
    public static func validate(_ settings: StrategySettings) -> String? { nil }

    /// No fixed number.
    public static func maxParticipants(limits: SubroomLimits, settings: StrategySettings) -> Int? { nil }
}
