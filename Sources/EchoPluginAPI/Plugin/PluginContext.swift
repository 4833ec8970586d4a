public import Logging

/// What the host hands a plugin while constructing it.
///
/// ```swift
/// public init(configuration: Configuration, context: PluginContext) async throws {
///     guard let accounts = context.accounts else {
///         throw PluginError.missingContext("auth.\(Self.name) keeps its users in the host's storage, and the host gave it none")
///     }
///     self.accounts = accounts
///     self.logger = context.logger
/// }
/// ```
public struct PluginContext: Sendable {
    /// A logger labelled with the plugin's identity. Never log secrets.
    public var logger: Logger
    /// The host's data directory (`data_dir`); it exists and is writable. Resolve relative paths
    /// of your own files against it.
    public var dataDirectory: String
    /// Runs blocking work (C libraries, password hashing) on the host's thread pool, off the
    /// event loops.
    public var blocking: any BlockingExecutor
    /// The configured storage's users and credentials: all an auth plugin needs of it. Set for
    /// auth plugins and sub-room strategies; `nil` while the storage plugin itself is being
    /// constructed.
    ///
    /// - Note: Added in EchoPluginAPI 1.4.
    public var accounts: (any AccountStore)?
    /// The configured storage, whole. Set for auth plugins and sub-room strategies; `nil` while
    /// the storage plugin itself is being constructed.
    ///
    /// Deprecated: use ``accounts``; removed in 2.0.
    @available(*, deprecated, message: "use accounts; removed in 2.0")
    public var storage: (any Storage)? {
        get { wholeStorage }
        set { wholeStorage = newValue }
    }
    private var wholeStorage: (any Storage)?
    /// The folder holding `plugins.json`, against which paths in a plugin's configuration
    /// resolve (a WebAssembly strategy's `module`, say); `nil` when the plugins come from the
    /// embedded defaults, and then relative paths resolve against the working directory.
    ///
    /// - Note: Added in EchoPluginAPI 1.6.
    public var configurationDirectory: String?

    /// Creates a context; ``accounts`` is `storage`.
    public init(logger: Logger, dataDirectory: String, blocking: any BlockingExecutor, storage: (any Storage)?) {
        self.init(logger: logger, dataDirectory: dataDirectory, blocking: blocking, accounts: storage, storage: storage)
    }

    /// Creates a context whose ``accounts`` may be a narrower store than `storage`, as in a test
    /// of an auth plugin.
    ///
    /// - Note: Added in EchoPluginAPI 1.4.
    public init(
        logger: Logger, dataDirectory: String, blocking: any BlockingExecutor, accounts: (any AccountStore)?, storage: (any Storage)?
    ) {
        self.logger = logger
        self.dataDirectory = dataDirectory
        self.blocking = blocking
        self.accounts = accounts
        self.wholeStorage = storage
    }

    /// Resolves `path` from a plugin's configuration: absolute paths stay, relative ones are
    /// taken from ``configurationDirectory``.
    ///
    /// - Note: Added in EchoPluginAPI 1.6.
    public func resolve(configuredPath path: String) -> String {
        Self.resolve(configuredPath: path, against: configurationDirectory)
    }

    /// Resolves `path` against `directory` as ``resolve(configuredPath:)`` does.
    ///
    /// - Note: Added in EchoPluginAPI 1.6.
    public static func resolve(configuredPath path: String, against directory: String?) -> String {
        guard !path.hasPrefix("/"), let directory, !directory.isEmpty else { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
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
