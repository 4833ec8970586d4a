public import EchoPluginAPI
import Dispatch
import Foundation
public import Logging

/// Builds the ``PluginContext`` a host would hand a plugin, for tests of a plugin on its own.
///
/// ```swift
/// let context = PluginTestContext.make(dataDirectory: directory)
/// let storage = try await MyStorage(configuration: .init(), context: context)
/// ```
public enum PluginTestContext {
    /// A context with a silent logger, a dispatch-based blocking executor and optional storage;
    /// ``PluginContext/accounts`` is `accounts` when given (an auth plugin's test can hand it a
    /// store of its own), else `storage`.
    public static func make(
        dataDirectory: String, storage: (any Storage)? = nil, accounts: (any AccountStore)? = nil, logger: Logger? = nil
    ) -> PluginContext {
        PluginContext(
            logger: logger ?? Logger(label: "echochat-plugin-test") { _ in SwiftLogNoOpLogHandler() },
            dataDirectory: dataDirectory, blocking: DispatchBlockingExecutor(), accounts: accounts ?? storage, storage: storage)
    }
}

/// Runs blocking work on Dispatch's global queue: enough for tests of a plugin outside the host.
public struct DispatchBlockingExecutor: BlockingExecutor {
    /// Creates an executor.
    public init() {}

    /// Runs `work` on a global Dispatch queue.
    public func run<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    continuation.resume(returning: try work())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
