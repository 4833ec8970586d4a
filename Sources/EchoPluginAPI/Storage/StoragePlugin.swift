/// Everything the host keeps in storage. Auth plugins receive it through ``PluginContext/storage``.
public protocol Storage: AccountStore, SessionStore, RoomStore, MessageStore {
    /// Throws ``StorageError/unavailable(_:)`` when the backend cannot serve requests.
    /// The host's `/health` endpoint answers 503 while it throws.
    func checkHealth() async throws
}

/// A plugin filling the `storage` slot.
///
/// A storage plugin owns its schema: it runs its versioned migrations while it is constructed,
/// and refuses to start on a database a newer release has migrated
/// (``StorageError/incompatibleSchema(_:)``).
///
/// ```swift
/// public struct MyStorage: StoragePlugin {
///     public static let name = "mydb"
///     public static let apiVersion = PluginAPIVersion(1, 0)
///     public struct Configuration: PluginConfiguration { var url: String }
///     public init(configuration: Configuration, context: PluginContext) async throws { … }
///     …
/// }
/// registry.register(storage: MyStorage.self)
/// ```
public protocol StoragePlugin: Plugin, Storage {}
