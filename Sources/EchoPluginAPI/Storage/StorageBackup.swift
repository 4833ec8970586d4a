/// A storage that can write a consistent copy of itself while the server runs, for
/// `echochat backup PATH`.
///
/// - Note: Added in EchoPluginAPI 1.1.
public protocol StorageBackup: Storage {
    /// Writes a copy of all data to `path`, which must not exist yet, consistent as of one moment
    /// even while the server keeps writing. Returns a one-line description of what was written
    /// and how to restore it.
    func backup(to path: String) async throws -> String
}
