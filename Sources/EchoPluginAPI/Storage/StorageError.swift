/// An error a storage plugin reports to the host, translated from the backend's own errors.
///
/// ```swift
/// catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
///     throw StorageError.conflict("username is taken")
/// }
/// ```
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case conflict, notFound, unavailable, incompatibleSchema, invalidData, unsupported
    }

    private let code: Code
    /// A description for logs; it must not contain secrets or full connection strings.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A uniqueness constraint was violated (a username is taken, an id exists).
    public static func conflict(_ message: String) -> StorageError { .init(.conflict, message) }
    /// The record to change does not exist.
    public static func notFound(_ message: String) -> StorageError { .init(.notFound, message) }
    /// The backend cannot be reached or is not answering; the host answers 503.
    public static func unavailable(_ message: String) -> StorageError { .init(.unavailable, message) }
    /// The database was migrated by a newer release, or is not an EchoChat database.
    public static func incompatibleSchema(_ message: String) -> StorageError { .init(.incompatibleSchema, message) }
    /// A stored value could not be read back.
    public static func invalidData(_ message: String) -> StorageError { .init(.invalidData, message) }
    /// The storage does not offer an optional capability.
    ///
    /// - Note: Added in EchoPluginAPI 1.2.
    public static func unsupported(_ message: String) -> StorageError { .init(.unsupported, message) }

    /// Whether this is a ``conflict(_:)``.
    public var isConflict: Bool { code == .conflict }
    /// Whether this is a ``notFound(_:)``.
    public var isNotFound: Bool { code == .notFound }
    /// Whether this is an ``unavailable(_:)``.
    public var isUnavailable: Bool { code == .unavailable }
    /// Whether this is an ``incompatibleSchema(_:)``.
    public var isIncompatibleSchema: Bool { code == .incompatibleSchema }
    /// Whether this is ``unsupported(_:)``.
    ///
    /// - Note: Added in EchoPluginAPI 1.2.
    public var isUnsupported: Bool { code == .unsupported }

    public var description: String { "storage: \(message)" }
}
