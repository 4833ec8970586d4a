/// A storage whose data can be copied to another backend with `echochat migrate-storage`.
///
/// Data moves as rows of the tables in ``TransferTable/all``, in the canonical form those tables
/// declare: every backend maps its own schema to them. Ids are kept, so sessions, references
/// and message ids stay valid.
///
/// ```swift
/// extension MyStorage: StorageTransfer {
///     public func withTransferSnapshot<T: Sendable>(_ body: @Sendable (any TransferReader) async throws -> T) async throws -> T { … }
///     public func importTransfer(_ body: @Sendable (any TransferWriter) async throws -> Void) async throws { … }
/// }
/// ```
///
/// - Note: Added in EchoPluginAPI 1.1.
public protocol StorageTransfer: Storage {
    /// Runs `body` with a reader over one consistent snapshot of the data (writes made meanwhile
    /// are not seen), valid until `body` returns.
    func withTransferSnapshot<T: Sendable>(_ body: @Sendable (any TransferReader) async throws -> T) async throws -> T

    /// Runs `body` with a writer inside one transaction: when `body` returns, everything written
    /// is committed; when it throws, nothing is. Throws ``StorageError/conflict(_:)`` before
    /// writing anything if the storage already holds data.
    func importTransfer(_ body: @Sendable (any TransferWriter) async throws -> Void) async throws
}

/// Reads a snapshot's tables.
///
/// - Note: Added in EchoPluginAPI 1.1.
public protocol TransferReader: Sendable {
    /// The number of rows in `table`.
    func count(of table: TransferTable) async throws -> Int

    /// Up to `limit` rows of `table` whose primary key comes after `after` (the key values of the
    /// last row of the previous page; `nil` for the first page), in primary-key order. Each row
    /// holds one value per column of ``TransferTable/columns``, in that order.
    func rows(of table: TransferTable, after: [TransferValue]?, limit: Int) async throws -> [[TransferValue]]
}

/// Writes rows inside an import's transaction, and reads back what the transaction holds (so
/// that the copy can be verified before it is committed).
///
/// - Note: Added in EchoPluginAPI 1.1.
public protocol TransferWriter: TransferReader {
    /// Inserts `rows` (values in ``TransferTable/columns`` order) into `table`, ids as given.
    func insert(_ rows: [[TransferValue]], into table: TransferTable) async throws
}

/// One value of a transferred row.
///
/// - Note: Added in EchoPluginAPI 1.1.
public enum TransferValue: Hashable, Sendable {
    case null
    case integer(Int64)
    case text(String)
    case boolean(Bool)
}

/// A table as it moves between backends: its name, its columns in order, and its primary key.
///
/// - Note: Added in EchoPluginAPI 1.1.
public struct TransferTable: Hashable, Sendable, CustomStringConvertible {
    /// A column and the kind of value it holds.
    public struct Column: Hashable, Sendable {
        public enum Kind: Hashable, Sendable {
            case integer, text, boolean
        }

        public let name: String
        public let kind: Kind
        public let isNullable: Bool

        public init(_ name: String, _ kind: Kind, nullable: Bool = false) {
            self.name = name
            self.kind = kind
            self.isNullable = nullable
        }
    }

    public let name: String
    public let columns: [Column]
    public let primaryKey: [String]

    public init(_ name: String, columns: [Column], primaryKey: [String]) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
    }

    public var description: String { name }

    /// The positions of the primary-key columns in ``columns``.
    public var primaryKeyIndices: [Int] { primaryKey.compactMap { key in columns.firstIndex { $0.name == key } } }

    /// Every table that moves, parents before children. Times are milliseconds since 1970.
    public static let all: [TransferTable] = [
        TransferTable(
            "users",
            columns: [
                .init("id", .integer), .init("username", .text), .init("display_name", .text), .init("email", .text, nullable: true),
                .init("auth_source", .text), .init("is_admin", .boolean), .init("is_disabled", .boolean), .init("created_at", .integer),
                .init("updated_at", .integer),
            ], primaryKey: ["id"]),
        TransferTable(
            "credentials",
            columns: [.init("user_id", .integer), .init("kind", .text), .init("secret", .text), .init("updated_at", .integer)],
            primaryKey: ["user_id", "kind"]),
        TransferTable(
            "sessions",
            columns: [
                .init("id", .text), .init("user_id", .integer), .init("created_at", .integer), .init("last_used_at", .integer),
                .init("expires_at", .integer), .init("revoked_at", .integer, nullable: true), .init("user_agent", .text, nullable: true),
                .init("client_address", .text, nullable: true),
            ], primaryKey: ["id"]),
        TransferTable(
            "refresh_tokens",
            columns: [
                .init("token_hash", .text), .init("session_id", .text), .init("issued_at", .integer), .init("used_at", .integer, nullable: true),
            ], primaryKey: ["token_hash"]),
        TransferTable(
            "rooms",
            columns: [
                .init("id", .integer), .init("name", .text), .init("name_key", .text), .init("topic", .text), .init("visibility", .text),
                .init("is_readonly", .boolean), .init("slowmode_seconds", .integer), .init("voice_enabled", .boolean),
                .init("voice_allow_video", .boolean), .init("voice_allow_screen_share", .boolean), .init("created_at", .integer),
            ], primaryKey: ["id"]),
        TransferTable(
            "memberships",
            columns: [.init("room_id", .integer), .init("user_id", .integer), .init("role", .text), .init("joined_at", .integer)],
            primaryKey: ["room_id", "user_id"]),
        TransferTable(
            "invites",
            columns: [.init("room_id", .integer), .init("user_id", .integer), .init("invited_by", .integer), .init("created_at", .integer)],
            primaryKey: ["room_id", "user_id"]),
        TransferTable(
            "bans",
            columns: [
                .init("room_id", .integer), .init("user_id", .integer), .init("banned_by", .integer), .init("reason", .text, nullable: true),
                .init("created_at", .integer),
            ], primaryKey: ["room_id", "user_id"]),
        TransferTable(
            "messages",
            columns: [
                .init("id", .integer), .init("room_id", .integer), .init("author_id", .integer), .init("body", .text),
                .init("client_id", .text, nullable: true), .init("created_at", .integer), .init("edited_at", .integer, nullable: true),
                .init("deleted_at", .integer, nullable: true),
            ], primaryKey: ["id"]),
        TransferTable(
            "audit_log",
            columns: [
                .init("id", .integer), .init("room_id", .integer), .init("actor_id", .integer), .init("action", .text),
                .init("target_id", .integer, nullable: true), .init("detail", .text, nullable: true), .init("created_at", .integer),
            ], primaryKey: ["id"]),
        TransferTable(
            "voice_seats",
            columns: [
                .init("room_id", .integer), .init("user_id", .integer), .init("subroom", .integer), .init("identity", .text),
                .init("state", .text), .init("participant_sid", .text, nullable: true), .init("publishing", .text),
                .init("listen_only", .boolean), .init("reserved_at", .integer), .init("expires_at", .integer, nullable: true),
                .init("joined_at", .integer, nullable: true), .init("updated_at", .integer),
            ], primaryKey: ["room_id", "user_id"]),
        TransferTable(
            "voice_restrictions",
            columns: [.init("room_id", .integer), .init("user_id", .integer), .init("kind", .text), .init("until", .integer)],
            primaryKey: ["room_id", "user_id", "kind"]),
    ]

    /// The server-wide audit log, moved only between two storages that keep one
    /// (``ServerAuditStore``); ``all`` leaves it out, so storages written before it move as they did.
    ///
    /// - Note: Added in EchoPluginAPI 1.7.
    public static let serverAudit = TransferTable(
        "server_audit",
        columns: [.init("id", .integer), .init("actor", .text), .init("action", .text), .init("details", .text), .init("created_at", .integer)],
        primaryKey: ["id"])

    /// Voice bans, moved only between two storages that keep them (``VoiceChannelStore``);
    /// ``all`` leaves them out. Queue entries are not moved: they belong to the running server.
    ///
    /// - Note: Added in EchoPluginAPI 1.9.
    public static let voiceBans = TransferTable(
        "voice_bans",
        columns: [
            .init("room_id", .integer), .init("user_id", .integer), .init("reason", .text, nullable: true),
            .init("banned_by", .integer, nullable: true), .init("created_at", .integer), .init("expires_at", .integer, nullable: true),
        ],
        primaryKey: ["room_id", "user_id"])

    /// Emoji reactions, moved only between two storages that keep them (``ReactionStore``).
    ///
    /// - Note: Added in EchoPluginAPI 1.10.
    public static let reactions = TransferTable(
        "reactions",
        columns: [.init("message_id", .integer), .init("emoji", .text), .init("user_id", .integer), .init("created_at", .integer)],
        primaryKey: ["message_id", "emoji", "user_id"])

    /// Which message replies to which, moved only between two storages that keep threads (``ThreadStore``).
    ///
    /// - Note: Added in EchoPluginAPI 1.10.
    public static let messageReplies = TransferTable(
        "message_replies", columns: [.init("message_id", .integer), .init("reply_to", .integer)], primaryKey: ["message_id"])

    /// Each parent's reply count and latest reply, moved with ``messageReplies``.
    ///
    /// - Note: Added in EchoPluginAPI 1.10.
    public static let messageThreads = TransferTable(
        "message_threads",
        columns: [.init("message_id", .integer), .init("reply_count", .integer), .init("last_reply_at", .integer, nullable: true)],
        primaryKey: ["message_id"])
}
