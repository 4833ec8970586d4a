public import EchoPluginAPI
public import Foundation
import Logging
import PostgresNIO

extension PostgresStorage: SharedStorage {
    /// The channel every instance LISTENs on.
    static let channel = "echochat_events"

    /// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
    public var maxBroadcastBytes: Int { 7_900 }

    public func broadcast(_ payloads: [String]) async throws {
        guard !payloads.isEmpty else { return }
        // One statement, so the payloads are one transaction's notifications: delivered together,
        // in this order, after every notification of transactions committed before.
        _ = try await rows(
            """
            SELECT pg_notify(\(Self.channel), payload) FROM unnest(\(payloads)::text[]) WITH ORDINALITY AS t(payload, n) ORDER BY n
            """)
    }

    public func receiveBroadcasts(_ handle: @escaping @Sendable (BroadcastEvent) async -> Void) async throws {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await listenOnce(handle)
                delay = .milliseconds(100)
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning(
                    "lost the PostgreSQL LISTEN connection; reconnecting",
                    metadata: ["database": "\(settings.location)", "error": "\(Self.translate(error, location: settings.location))"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// Listens on one connection until it fails. A probe every 15 s notices a connection that
    /// died without closing (a network partition), which would otherwise wait forever.
    private func listenOnce(_ handle: @escaping @Sendable (BroadcastEvent) async -> Void) async throws {
        let connection = try await PostgresConnection.connect(configuration: connectionConfiguration, id: 1, logger: Self.quiet(logger))
        let logger = self.logger
        let outcome: Result<Void, any Error>
        do {
            try await connection.listen(on: Self.channel) { notifications in
                await handle(.listening)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await notification in notifications { await handle(.payload(notification.payload)) }
                        throw StorageError.unavailable("the LISTEN connection closed")
                    }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: .seconds(15))
                            try await withProbeDeadline(closing: connection) {
                                _ = try await connection.query("SELECT 1", logger: logger).collect()
                            }
                        }
                    }
                    defer { group.cancelAll() }
                    try await group.next()
                }
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try? await connection.close()
        try outcome.get()
    }

    public func messages(after id: MessageID, limit: Int) async throws -> [Message] {
        try await rows("SELECT * FROM messages WHERE id > \(id.rawValue) ORDER BY id LIMIT \(Int64(limit))").map(Message.init(row:))
    }

    public func latestMessageID() async throws -> MessageID? {
        try await row("SELECT max(id) AS id FROM messages")?.value("id", as: Int64?.self).map(MessageID.init(rawValue:))
    }

    public func consumeRate(_ key: String, limit: Int, period: TimeInterval, at now: Date) async throws -> TimeInterval? {
        let wait = try await row(
            """
            SELECT echochat_consume_rate(\(key), \(now.storageMilliseconds), \(Int64((period * 1000).rounded())), \(Int64(limit))) AS wait
            """)?.value("wait", as: Int64.self) ?? 0
        return wait > 0 ? TimeInterval(wait) / 1000 : nil
    }

    public func refundRate(_ key: String) async throws {
        _ = try await rows(
            """
            DELETE FROM rate_limit_events WHERE (key, at, seq) IN (
                SELECT key, at, seq FROM rate_limit_events WHERE key = \(key) ORDER BY at DESC, seq DESC LIMIT 1)
            """)
    }
}

/// Fails `work` when it takes longer than 10 s, closing `connection` first: a query on a dead
/// connection cannot be interrupted otherwise, and closing fails it at once.
private func withProbeDeadline(closing connection: PostgresConnection, _ work: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await work() }
        group.addTask {
            try await Task.sleep(for: .seconds(10))
            try? await connection.close()
            throw StorageError.unavailable("the LISTEN connection stopped answering")
        }
        defer { group.cancelAll() }
        try await group.next()
    }
}
