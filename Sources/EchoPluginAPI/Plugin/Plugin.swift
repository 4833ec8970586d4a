/// What every plugin declares: its name, the API version it targets, its configuration type,
/// and how it is constructed and shut down.
///
/// The host builds a plugin in phases: decode its `config` object strictly into
/// ``Configuration``, call ``PluginConfiguration/validate()``, then ``init(configuration:context:)``.
/// A plugin that needs background work (a pool, a timer) also conforms to `Service` from
/// swift-service-lifecycle; the host runs it in its service group and cancels it on shutdown.
public protocol Plugin: Sendable {
    /// The plugin's configuration, decoded from its `config` object in `plugins.json`.
    associatedtype Configuration: PluginConfiguration

    /// The plugin's name within its slot, lowercase (`sqlite`, `ldap`, `load-weighted`).
    static var name: String { get }

    /// The EchoPluginAPI version the plugin was written against. Use the literal version you
    /// compiled against, not ``PluginAPIVersion/current``, so the host can refuse a mismatch.
    static var apiVersion: PluginAPIVersion { get }

    /// Constructs the plugin: open connections, run migrations. Throw with a message naming the
    /// configuration key at fault when something the user configured is wrong.
    init(configuration: Configuration, context: PluginContext) async throws

    /// Releases resources. Called once when the host stops, or when a later plugin failed to start.
    func shutdown() async throws
}

extension Plugin {
    /// Does nothing.
    public func shutdown() async throws {}
}

/// A plugin's configuration: decoded strictly (snake_case keys, unknown keys are errors), then validated.
///
/// A missing `config` object decodes from `{}`, so give every key a default.
///
/// ```swift
/// public struct Configuration: PluginConfiguration {
///     public var capacity = 50
///     public init(from decoder: any Decoder) throws {
///         let container = try decoder.container(keyedBy: CodingKeys.self)
///         capacity = try container.decodeIfPresent(Int.self, forKey: .capacity) ?? 50
///     }
///     public func validate() throws {
///         guard capacity > 0 else { throw ConfigIssue(key: "capacity", "must be at least 1") }
///     }
/// }
/// ```
public protocol PluginConfiguration: Decodable, Sendable {
    /// Checks values that decoded but make no sense together or out of range; throws ``ConfigIssue``.
    func validate() throws
}

extension PluginConfiguration {
    /// Accepts every decoded value.
    public func validate() throws {}
}

/// The configuration of a plugin that takes no settings: any key is unknown.
public struct EmptyPluginConfiguration: PluginConfiguration {
    /// Decodes from an object, reading nothing.
    public init(from decoder: any Decoder) throws {
        _ = try decoder.container(keyedBy: IndexKey.self)
    }
}

/// A plugin whose behaviour depends on content beyond its `config` object (a strategy module's
/// bytes, say) names a digest of that content, so that the host's revision of the plugin (shown
/// after a reload, in `/metrics` and in the audit log) changes exactly when the content does.
///
/// ```swift
/// public var contentDigest: String { moduleSHA256 }
/// ```
///
/// - Note: Added in EchoPluginAPI 1.7.
public protocol ContentIdentified {
    /// A digest of the content (hex SHA-256, say); the same content gives the same digest.
    var contentDigest: String { get }
}
