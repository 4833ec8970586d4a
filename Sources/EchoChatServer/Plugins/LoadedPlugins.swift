import EchoPluginAPI
import Logging
import ServiceLifecycle

/// The constructed plugins for one host process.
struct LoadedPlugins: Sendable {
    let storage: any StoragePlugin
    /// The auth chain in `plugins.json` order, with each plugin's name.
    let auth: [(name: String, provider: any AuthProvider)]
    let subrooms: any SubroomStrategy
    /// The shadow strategy (`subrooms_shadow`), when one is chosen.
    var shadow: (any SubroomStrategy)? = nil
    let ids: [PluginID]

    /// The plugins that run background work, for the service group.
    var services: [any Service] {
        ([storage as Any] + auth.map { $0.provider as Any } + [subrooms as Any] + (shadow.map { [$0 as Any] } ?? [])).compactMap { $0 as? any Service }
    }

    /// Runs `body` while the plugins' background services run (a storage's connection pool,
    /// say), as operator commands need outside the server's service group; then stops them.
    func withServices<Value>(_ body: () async throws -> Value) async throws -> Value {
        let services = self.services
        guard !services.isEmpty else { return try await body() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask(operation: { try await service.run() }) }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    var summary: String { ids.map(\.description).joined(separator: ", ") }

    /// Constructs storage first (auth plugins get its accounts in their context), then the auth
    /// chain, then the strategy, whose limits are resolved once. If one fails, those already
    /// built are shut down before the error is rethrown.
    static func start(
        _ setup: HostSetup, logger: Logger, blocking: any BlockingExecutor, startAuth: Bool = true
    ) async throws -> LoadedPlugins {
        func context(_ id: PluginID, storage: (any Storage)?) -> PluginContext {
            Self.context(for: id, setup: setup, storage: storage, logger: logger, blocking: blocking)
        }
        let storage = try await build(setup.storage, setup: setup) {
            try await setup.storage.factory.make(setup.storage.configuration, context: context(setup.storage.id, storage: nil))
        }
        var built: [any Plugin] = [storage]
        do {
            var auth: [(name: String, provider: any AuthProvider)] = []
            for plugin in setup.auth where startAuth {
                let provider = try await build(plugin, setup: setup) {
                    try await plugin.factory.make(plugin.configuration, context: context(plugin.id, storage: storage))
                }
                built.append(provider)
                auth.append((plugin.selection.name, provider))
            }
            let subrooms = try await strategy(setup, storage: storage, logger: logger, blocking: blocking)
            built.append(subrooms)
            let shadow = try await setup.shadow.asyncMap { try await strategy(setup, $0, storage: storage, logger: logger, blocking: blocking) }
            return LoadedPlugins(
                storage: storage, auth: auth, subrooms: subrooms, shadow: shadow,
                ids: [setup.storage.id] + setup.auth.map(\.id) + [setup.subrooms.id] + (setup.shadow.map { [$0.id] } ?? []))
        } catch {
            await shutdown(built.reversed(), logger: logger)
            throw error
        }
    }

    /// Builds the sub-room strategy alone (or `plugin`, the shadow), as `check-config` does to
    /// load a module and hear whether it accepts its settings; `storage` is `nil` there.
    static func strategy(
        _ setup: HostSetup, _ plugin: ResolvedPlugin<any SubroomStrategy>? = nil, storage: (any Storage)?, logger: Logger,
        blocking: any BlockingExecutor
    ) async throws -> any SubroomStrategy {
        let plugin = plugin ?? setup.subrooms
        let context = context(for: plugin.id, setup: setup, storage: storage, logger: logger, blocking: blocking)
        return try await build(plugin, setup: setup) {
            try await plugin.factory.make(plugin.configuration, context: context)
        }
    }

    private static func context(
        for id: PluginID, setup: HostSetup, storage: (any Storage)?, logger: Logger, blocking: any BlockingExecutor
    ) -> PluginContext {
        var pluginLogger = logger
        pluginLogger[metadataKey: "plugin"] = "\(id)"
        var context = PluginContext(
            logger: pluginLogger, dataDirectory: setup.server.dataDirectory, blocking: blocking, accounts: storage, storage: storage)
        context.configurationDirectory = setup.pluginsDirectory
        return context
    }

    /// Shuts every plugin down, last built first; the strategies only when `strategies` (a
    /// running server's reloads own them).
    func shutdown(logger: Logger, strategies: Bool = true) async {
        let plugins: [any Plugin] = [storage] + auth.map(\.provider) + (strategies ? [subrooms] + (shadow.map { [$0] } ?? []) : [])
        await Self.shutdown(plugins.reversed(), logger: logger)
    }

    private static func shutdown(_ plugins: [any Plugin], logger: Logger) async {
        for plugin in plugins {
            do {
                try await plugin.shutdown()
            } catch {
                logger.warning("plugin shutdown failed", metadata: ["plugin": "\(type(of: plugin).name)", "error": "\(error)"])
            }
        }
    }

    private static func build<Product, Result>(
        _ plugin: ResolvedPlugin<Product>, setup: HostSetup, _ make: () async throws -> Result
    ) async throws -> Result {
        do {
            return try await make()
        } catch let issue as ConfigIssue {
            throw ConfigurationError(issues: [
                issue.located(file: setup.pluginsFile ?? HostSetup.defaultPluginsPath, plugin: plugin.id, under: plugin.selection.keyPath + ["config"])
            ])
        } catch {
            throw PluginStartError(plugin: plugin.id, underlying: error)
        }
    }
}

/// A plugin's constructor failed for a reason other than its configuration.
struct PluginStartError: Error, CustomStringConvertible {
    let plugin: PluginID
    let underlying: any Error

    var description: String { "\(plugin) failed to start: \(underlying)" }
}

extension Optional {
    /// `map` with an asynchronous, throwing transform.
    func asyncMap<Mapped>(_ transform: (Wrapped) async throws -> Mapped) async rethrows -> Mapped? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
