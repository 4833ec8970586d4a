/// The host's table of known plugins: slot and name → factory.
///
/// The built-in plugins register in one place; a host that bundles outside plugins registers
/// them the same way before start-up.
///
/// ```swift
/// var registry = PluginRegistry()
/// registry.register(storage: SQLiteStorage.self)
/// registry.register(auth: LocalAuth.self)
/// registry.register(subrooms: CapacityStrategy.self)
/// ```
public struct PluginRegistry: Sendable {
    private var storage: [String: PluginFactory<any StoragePlugin>] = [:]
    private var auth: [String: PluginFactory<any AuthProvider>] = [:]
    private var subrooms: [String: PluginFactory<any SubroomStrategy>] = [:]

    /// An empty registry.
    public init() {}

    /// Registers a storage plugin. Registering a name twice is a programming error.
    public mutating func register<P: StoragePlugin>(storage plugin: P.Type) {
        insert(PluginFactory(P.self, slot: .storage) { $0 as any StoragePlugin }, into: &storage)
    }

    /// Registers an auth plugin.
    public mutating func register<P: AuthProvider>(auth plugin: P.Type) {
        insert(PluginFactory(P.self, slot: .auth) { $0 as any AuthProvider }, into: &auth)
    }

    /// Registers a sub-room strategy.
    public mutating func register<P: SubroomStrategy>(subrooms plugin: P.Type) {
        insert(PluginFactory(P.self, slot: .subrooms) { $0 as any SubroomStrategy }, into: &subrooms)
    }

    private func insert<Product>(_ factory: PluginFactory<Product>, into table: inout [String: PluginFactory<Product>]) {
        precondition(PluginID.isValidName(factory.id.name), "invalid plugin name '\(factory.id.name)'")
        precondition(table[factory.id.name] == nil, "plugin \(factory.id) registered twice")
        table[factory.id.name] = factory
    }

    /// The storage plugin called `name`.
    public func storageFactory(named name: String) -> PluginFactory<any StoragePlugin>? { storage[name] }
    /// The auth plugin called `name`.
    public func authFactory(named name: String) -> PluginFactory<any AuthProvider>? { auth[name] }
    /// The sub-room strategy called `name`.
    public func subroomsFactory(named name: String) -> PluginFactory<any SubroomStrategy>? { subrooms[name] }

    /// The names registered for `slot`, sorted.
    public func names(in slot: PluginSlot) -> [String] {
        switch slot {
        case .storage: storage.keys.sorted()
        case .auth: auth.keys.sorted()
        case .subrooms: subrooms.keys.sorted()
        }
    }
}

/// Builds one plugin from its configuration: the type-erased form of a ``Plugin`` type.
public struct PluginFactory<Product>: Sendable {
    /// The plugin's identity.
    public let id: PluginID
    /// The API version the plugin was written against.
    public let apiVersion: PluginAPIVersion
    private let decode: @Sendable (ConfigValue) throws -> any PluginConfiguration
    private let build: @Sendable (any PluginConfiguration, PluginContext) async throws -> Product

    init<P: Plugin>(_ type: P.Type, slot: PluginSlot, erase: @escaping @Sendable (P) -> Product) {
        self.id = PluginID(slot: slot, name: P.name)
        self.apiVersion = P.apiVersion
        self.decode = { value in
            let configuration = try ConfigDecoder().decode(P.Configuration.self, from: value)
            do {
                try configuration.validate()
            } catch let issue as ConfigIssue {
                throw ConfigurationError(issues: [issue])
            }
            return configuration
        }
        self.build = { configuration, context in
            erase(try await P(configuration: configuration as! P.Configuration, context: context))
        }
    }

    /// Decodes and validates a `config` object (`.null` or absent means `{}`).
    ///
    /// - Throws: ``ConfigurationError`` whose key paths are relative to the `config` object.
    public func configuration(from value: ConfigValue) throws -> any PluginConfiguration {
        try decode(value == .null ? .object([:]) : value)
    }

    /// Constructs the plugin from a configuration this factory decoded.
    public func make(_ configuration: any PluginConfiguration, context: PluginContext) async throws -> Product {
        try await build(configuration, context)
    }
}
