public import Logging

/// What the host hands a plugin while constructing it.
public struct PluginContext: Sendable {
    /// A logger labelled with the plugin's identity. Never log secrets.
    public var logger: Logger
    /// The host's data directory (`data_dir`); it exists and is writable. Resolve relative paths
    /// of your own files against it.
    public var dataDirectory: String
    /// Runs blocking work (C libraries, password hashing) on the host's thread pool, off the
    /// event loops.
    public var blocking: any BlockingExecutor
    /// The configured storage. Set for auth plugins and sub-room strategies; `nil` while the
    /// storage plugin itself is being constructed.
    public var storage: (any Storage)?

    /// Creates a context.
    public init(logger: Logger, dataDirectory: String, blocking: any BlockingExecutor, storage: (any Storage)?) {
        self.logger = logger
        self.dataDirectory = dataDirectory
        self.blocking = blocking
        self.storage = storage
    }
}

/// Runs blocking functions away from the server's event loops.
///
/// ```swift
/// let hash = try await context.blocking.run { try Argon2.hash(password) }
/// ```
public protocol BlockingExecutor: Sendable {
    /// Runs `work` on a thread that may block, and returns its result.
    func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result
}
