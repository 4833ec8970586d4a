public import Foundation

/// A storage that several EchoChat instances can share at once: it carries the instances'
/// real-time events between them and keeps their rate-limit counters.
///
/// A storage plugin adopts it when one database may serve several instances behind a load
/// balancer (`storage.postgres` does; `storage.sqlite`, one file on one machine, does not). The
/// host then publishes every room event through ``broadcast(_:)`` as well as to its own
/// connections, and delivers what other instances broadcast to its connections.
///
/// ```swift
/// extension MyStorage: SharedStorage {
///     public var maxBroadcastBytes: Int { 7_900 }
///     public func broadcast(_ payloads: [String]) async throws { /* NOTIFY each, in order */ }
///     public func receiveBroadcasts(_ handle: @escaping @Sendable (BroadcastEvent) async -> Void) async throws {
///         /* LISTEN; handle(.listening) after each (re)connect, then handle(.payload(…)) */
///     }
///     …
/// }
/// ```
///
/// - Note: Added in EchoPluginAPI 1.1.
public protocol SharedStorage: Storage {
    /// The longest payload, in UTF-8 bytes, that ``broadcast(_:)`` accepts. The host splits
    /// longer events into several payloads.
    var maxBroadcastBytes: Int { get }

    /// Sends `payloads`, in order, to every instance receiving broadcasts (this one included).
    /// Payloads are text without NUL characters.
    func broadcast(_ payloads: [String]) async throws

    /// Delivers broadcasts to `handle` until the calling task is cancelled. Calls
    /// `handle(.listening)` each time reception (re)starts: anything broadcast while reception was
    /// down is lost, and the host then catches up from storage. Connection failures are retried
    /// here, with a backoff; the method returns only when cancelled.
    func receiveBroadcasts(_ handle: @escaping @Sendable (BroadcastEvent) async -> Void) async throws

    /// Messages whose ids are above `id`, in every room and including deleted ones, oldest first:
    /// how an instance catches up on messages it may have missed.
    func messages(after id: MessageID, limit: Int) async throws -> [Message]

    /// The highest message id stored, or `nil` when there are no messages.
    func latestMessageID() async throws -> MessageID?

    /// Records one event under `key` if fewer than `limit` events of that key lie within the last
    /// `period` seconds before `now`, atomically across instances. Returns `nil` when recorded,
    /// or the seconds until the oldest event in the window leaves it.
    func consumeRate(_ key: String, limit: Int, period: TimeInterval, at now: Date) async throws -> TimeInterval?

    /// Takes back the latest event recorded under `key`.
    func refundRate(_ key: String) async throws
}

/// What ``SharedStorage/receiveBroadcasts(_:)`` reports.
///
/// - Note: Added in EchoPluginAPI 1.1.
public enum BroadcastEvent: Hashable, Sendable {
    /// Reception started or restarted; broadcasts sent from now on arrive.
    case listening
    /// One payload another instance (or this one) broadcast.
    case payload(String)
}
