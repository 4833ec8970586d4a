/// One problem found in a configuration file: where it is and what is wrong.
///
/// The host fills in ``file`` and prefixes ``keyPath`` with the plugin's position in
/// `plugins.json`; a plugin reports paths relative to its own `config` object.
public struct ConfigIssue: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file the value came from (`plugins.json`, `server_config.json`), when known.
    public var file: String?
    /// The plugin whose configuration this is, when it belongs to one.
    public var plugin: PluginID?
    /// The path to the offending key, outermost first (`["storage", "config", "synchronous"]`).
    public var keyPath: [String]
    /// What is wrong, for humans.
    public var message: String

    /// Creates an issue for the key at `keyPath`.
    public init(file: String? = nil, plugin: PluginID? = nil, keyPath: [String], message: String) {
        self.file = file
        self.plugin = plugin
        self.keyPath = keyPath
        self.message = message
    }

    /// Creates an issue for one key of a plugin's own configuration.
    ///
    /// ```swift
    /// guard (1...500).contains(poolSize) else {
    ///     throw ConfigIssue(key: "pool_size", "must be between 1 and 500")
    /// }
    /// ```
    public init(key: String, _ message: String) {
        self.init(keyPath: [key], message: message)
    }

    /// The dotted key path, with array positions in brackets (`auth[0].config.uris`).
    public var keyPathDescription: String {
        var text = ""
        for component in keyPath {
            if component.first == "[" {
                text += component
            } else {
                text += text.isEmpty ? component : "." + component
            }
        }
        return text
    }

    /// The issue with `prefix` put in front of its key path and file and plugin filled in.
    public func located(file: String?, plugin: PluginID? = nil, under prefix: [String]) -> ConfigIssue {
        ConfigIssue(file: self.file ?? file, plugin: self.plugin ?? plugin, keyPath: prefix + keyPath, message: message)
    }

    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if !keyPath.isEmpty { parts.append(keyPathDescription) }
        var text = parts.joined(separator: ": ")
        if let plugin { text += " (\(plugin))" }
        return (text.isEmpty ? "" : text + ": ") + message
    }
}

/// Every problem found while reading a configuration; start-up reports them all at once.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The problems, in the order they were found.
    public var issues: [ConfigIssue]

    /// Creates an error from its issues.
    public init(issues: [ConfigIssue]) { self.issues = issues }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
