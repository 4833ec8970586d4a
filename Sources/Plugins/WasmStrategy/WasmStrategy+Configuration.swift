public import EchoPluginAPI

extension WasmStrategy {
    /// `{"module": "strategies/spread.wasm", "settings": {…}, "fuel": 10000000, "max_memory_pages": 16,
    /// "on_failure": "refuse"}`, and like the built-ins optionally `capacity` and `max_subrooms`.
    public struct Configuration: PluginConfiguration {
        /// The module's path, relative to the folder of plugins.json.
        public var module: String
        /// Any JSON object, handed to the module's `echochat_configure` once at load.
        public var settings: ConfigValue?
        /// The instruction budget of one decision (and of each call at load).
        public var fuel: Int64?
        /// The memory cap, in 64 KiB pages.
        public var maxMemoryPages: Int?
        /// `"refuse"` (a failed decision answers 503 `strategy_failed`) or the name of a built-in
        /// strategy that decides instead.
        public var onFailure: String?
        /// Participants per sub-room, as the module sees it in `limits`; absent means
        /// `livekit_subroom_capacity`.
        public var capacity: Int?
        /// The most sub-rooms one room spreads over; absent means `livekit_max_subrooms`.
        public var maxSubrooms: Int?

        /// The fuel of one decision when `fuel` is absent.
        public static let defaultFuel: Int64 = 10_000_000
        /// The memory cap when `max_memory_pages` is absent: 1 MiB.
        public static let defaultMaxMemoryPages = 16
        /// The largest module file accepted.
        public static let maxModuleBytes = 4 << 20
        /// The built-in strategies `on_failure` may name.
        public static let fallbackNames = ["capacity", "load-weighted"]

        public init(
            module: String, settings: ConfigValue? = nil, fuel: Int64? = nil, maxMemoryPages: Int? = nil, onFailure: String? = nil,
            capacity: Int? = nil, maxSubrooms: Int? = nil
        ) {
            self.module = module
            self.settings = settings
            self.fuel = fuel
            self.maxMemoryPages = maxMemoryPages
            self.onFailure = onFailure
            self.capacity = capacity
            self.maxSubrooms = maxSubrooms
        }

        /// The budget of one decision.
        public var effectiveFuel: UInt64 { UInt64(fuel ?? Self.defaultFuel) }
        /// The memory cap, in pages.
        public var effectiveMaxMemoryPages: Int { maxMemoryPages ?? Self.defaultMaxMemoryPages }
        /// The built-in to fall back to, or `nil` to refuse.
        public var fallbackName: String? { onFailure.flatMap { $0 == "refuse" ? nil : $0 } }

        public func validate() throws {
            if module.isEmpty {
                throw ConfigIssue(key: "module", "must name a .wasm file")
            }
            if let settings, settings.objectValue == nil {
                throw ConfigIssue(key: "settings", "must be a JSON object, not \(settings.typeDescription)")
            }
            if let fuel, !(1_000...10_000_000_000).contains(fuel) {
                throw ConfigIssue(key: "fuel", "must be between 1000 and 10000000000 instructions")
            }
            if let maxMemoryPages, !(1...16_384).contains(maxMemoryPages) {
                throw ConfigIssue(key: "max_memory_pages", "must be between 1 and 16384 pages of 64 KiB (1 GiB)")
            }
            if let onFailure, onFailure != "refuse", !Self.fallbackNames.contains(onFailure) {
                throw ConfigIssue(
                    key: "on_failure", "must be \"refuse\" or a built-in strategy (\(Self.fallbackNames.joined(separator: ", "))), not \"\(onFailure)\"")
            }
            if let capacity, !(1...100_000).contains(capacity) {
                throw ConfigIssue(key: "capacity", "must be between 1 and 100000")
            }
            if let maxSubrooms, !(1...1000).contains(maxSubrooms) {
                throw ConfigIssue(key: "max_subrooms", "must be between 1 and 1000")
            }
        }
    }
}
