public import EchoPluginAPI
import EchoLDAPAuth
import EchoLocalAuth
import EchoPostgresStorage
import EchoSQLiteStorage
import EchoSubroomStrategies
import EchoWasmStrategy

extension PluginRegistry {
    /// A registry holding every plugin that ships with EchoChat.
    public static var builtin: PluginRegistry {
        var registry = PluginRegistry()
        registry.register(storage: SQLiteStorage.self)
        registry.register(storage: PostgresStorage.self)
        registry.register(auth: LocalAuth.self)
        registry.register(auth: LDAPAuth.self)
        registry.register(subrooms: CapacityStrategy.self)
        registry.register(subrooms: LoadWeightedStrategy.self)
        registry.register(subrooms: WasmStrategy.self)
        return registry
    }
}
