public import Foundation

/// A storage that can show it still commits writes, for the host's readiness check
/// (`GET /readyz`): a full disk, a read-only file or a database in recovery fail every write
/// while reads go on working.
///
/// ```swift
/// extension MyStorage: StorageWriteProbe {
///     public func probeWrite(at date: Date) async throws {
///         try await execute("UPDATE health_probe SET written_at = ?", date.millisecondsSince1970)
///     }
/// }
/// ```
///
/// - Note: Added in EchoPluginAPI 1.5.
public protocol StorageWriteProbe: Sendable {
    /// Commits one tiny write, as durably as any other, and throws (a ``StorageError``) when it
    /// cannot. Called every few seconds; it must not grow the data.
    func probeWrite(at date: Date) async throws
}
