/// The version of EchoPluginAPI a plugin was written against, or that a host implements.
///
/// Versions follow semantic versioning on the API alone: a host implementing `1.m` loads any
/// plugin written for `1.n` with `n <= m`, because minor versions only add requirements that come
/// with default implementations. A different major version is never loaded.
///
/// ```swift
/// public static let apiVersion = PluginAPIVersion(1, 0)
/// ```
public struct PluginAPIVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Incremented for changes that break existing plugins.
    public let major: Int
    /// Incremented for additions that existing plugins keep compiling and running against.
    public let minor: Int

    /// Creates a version.
    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// The version this copy of EchoPluginAPI implements.
    public static let current = PluginAPIVersion(1, 11)

    /// Whether a host implementing `self` can load a plugin written for `pluginVersion`.
    public func canLoad(pluginWrittenFor pluginVersion: PluginAPIVersion) -> Bool {
        pluginVersion.major == major && pluginVersion.minor <= minor
    }

    public var description: String { "\(major).\(minor)" }

    public static func < (lhs: PluginAPIVersion, rhs: PluginAPIVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }
}
