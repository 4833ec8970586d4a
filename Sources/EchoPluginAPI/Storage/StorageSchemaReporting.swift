/// A storage that can say which schema version its database is at, for `echochat doctor`.
///
/// ```swift
/// extension MyStorage: StorageSchemaReporting {
///     public func schemaVersion() async throws -> String { try await lastAppliedMigration() }
/// }
/// ```
///
/// - Note: Added in EchoPluginAPI 1.3.
public protocol StorageSchemaReporting: Storage {
    /// The newest schema migration applied to the database (an identifier such as `v3_voice`).
    func schemaVersion() async throws -> String
}
