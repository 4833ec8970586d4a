import EchoPluginAPI
import Foundation

/// Everything start-up needs, read and validated: the server settings and each chosen plugin with
/// its decoded configuration. `check-config`, `serve` and the `user` commands all begin here.
struct HostSetup: Sendable {
    var server: ServerConfig
    var storage: ResolvedPlugin<any StoragePlugin>
    var auth: [ResolvedPlugin<any AuthProvider>]
    var subrooms: ResolvedPlugin<any SubroomStrategy>
    /// The shadow strategy (`subrooms_shadow`), when one is chosen.
    var shadow: ResolvedPlugin<any SubroomStrategy>? = nil
    /// Problems that do not stop start-up (unknown keys in server_config.json).
    var warnings: [ConfigIssue]
    var configFile: String?
    var pluginsFile: String?

    /// The folder of plugins.json, against which plugins resolve relative paths; `nil` (the
    /// working directory) when there is no plugins.json.
    var pluginsDirectory: String? {
        pluginsFile.map { ($0 as NSString).deletingLastPathComponent }.map { $0.isEmpty ? "." : $0 }
    }

    static let defaultConfigPath = "server_config.json"
    static let defaultPluginsPath = "plugins.json"

    /// Reads both files (explicit paths must exist; the default ones may be absent), applies the
    /// environment, and resolves every plugin in `registry`. Throws a ``ConfigurationError``
    /// listing every problem found.
    static func load(
        configPath: String?, pluginsPath: String?, registry: PluginRegistry,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> HostSetup {
        var issues: [ConfigIssue] = []
        let configFile = locate(configPath, default: defaultConfigPath)
        let pluginsFile = locate(pluginsPath, default: defaultPluginsPath)
        let configObject = readObject(configFile, explicit: configPath != nil, issues: &issues)
        let pluginsObject = readObject(pluginsFile, explicit: pluginsPath != nil, issues: &issues)

        let configName = configFile ?? defaultConfigPath
        let pluginsName = pluginsFile ?? defaultPluginsPath
        let (server, warnings, serverIssues) = ServerConfig.load(configObject ?? [:], environment: environment, file: configName)
        issues += serverIssues
        let (plugins, pluginIssues) = PluginsFile.load(pluginsObject ?? [:], file: pluginsName)
        issues += pluginIssues

        let storage = resolve(plugins.storage, registry.storageFactory(named:), registry, file: pluginsName, issues: &issues)
        let auth = plugins.auth.compactMap { resolve($0, registry.authFactory(named:), registry, file: pluginsName, issues: &issues) }
        let subrooms = resolve(plugins.subrooms, registry.subroomsFactory(named:), registry, file: pluginsName, issues: &issues)
        let shadow = plugins.shadow.flatMap { resolve($0, registry.subroomsFactory(named:), registry, file: pluginsName, issues: &issues) }

        guard issues.isEmpty, let storage, let subrooms, auth.count == plugins.auth.count else {
            throw ConfigurationError(issues: issues)
        }
        return HostSetup(
            server: server, storage: storage, auth: auth, subrooms: subrooms, shadow: shadow, warnings: warnings,
            configFile: configFile, pluginsFile: pluginsFile)
    }

    /// The path to read, or `nil` when the default file is absent.
    private static func locate(_ explicit: String?, default path: String) -> String? {
        if let explicit { return explicit }
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    private static func readObject(_ path: String?, explicit: Bool, issues: inout [ConfigIssue]) -> [String: ConfigValue]? {
        guard let path else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            issues.append(ConfigIssue(file: path, keyPath: [], message: "cannot read the file (missing or not readable)"))
            return nil
        }
        let value: ConfigValue
        do {
            value = try JSONDecoder().decode(ConfigValue.self, from: data)
        } catch {
            issues.append(ConfigIssue(file: path, keyPath: [], message: "malformed JSON: \(JSONErrorText.describe(error, in: data))"))
            return nil
        }
        guard case .object(let members) = value else {
            issues.append(ConfigIssue(file: path, keyPath: [], message: "expected a JSON object at the top level, found \(value.typeDescription)"))
            return nil
        }
        return members
    }

    private static func resolve<Product>(
        _ selection: PluginSelection, _ lookup: (String) -> PluginFactory<Product>?, _ registry: PluginRegistry,
        file: String, issues: inout [ConfigIssue]
    ) -> ResolvedPlugin<Product>? {
        guard let factory = lookup(selection.name) else {
            let known = registry.names(in: selection.slot).joined(separator: ", ")
            issues.append(
                ConfigIssue(file: file, keyPath: selection.keyPath + ["plugin"],
                    message: "unknown \(selection.slot) plugin \"\(selection.name)\"; available: \(known)"))
            return nil
        }
        guard PluginAPIVersion.current.canLoad(pluginWrittenFor: factory.apiVersion) else {
            issues.append(
                ConfigIssue(file: file, plugin: factory.id, keyPath: selection.keyPath + ["plugin"],
                    message: "\(factory.id) was written for EchoPluginAPI \(factory.apiVersion), but this EchoChat implements \(PluginAPIVersion.current); it cannot be loaded"))
            return nil
        }
        do {
            let configuration = try factory.configuration(from: selection.config)
            return ResolvedPlugin(factory: factory, configuration: configuration, selection: selection)
        } catch let error as ConfigurationError {
            issues += error.issues.map { $0.located(file: file, plugin: factory.id, under: selection.keyPath + ["config"]) }
        } catch {
            issues.append(ConfigIssue(file: file, plugin: factory.id, keyPath: selection.keyPath + ["config"], message: "\(error)"))
        }
        return nil
    }
}

/// A plugin whose configuration decoded and validated, ready to construct.
struct ResolvedPlugin<Product>: Sendable {
    let factory: PluginFactory<Product>
    let configuration: any PluginConfiguration
    let selection: PluginSelection

    var id: PluginID { factory.id }
}

/// Turns Foundation's JSON parse errors into one line with a position.
enum JSONErrorText {
    static func describe(_ error: any Error, in data: Data) -> String {
        var text = "the file is not valid JSON"
        if case DecodingError.dataCorrupted(let context) = error {
            text = context.debugDescription
            if let underlying = context.underlyingError as NSError?,
                let detail = underlying.userInfo[NSDebugDescriptionErrorKey] as? String
            {
                text = detail
            }
        }
        return text
    }
}
