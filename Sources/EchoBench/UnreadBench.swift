import AsyncHTTPClient
import Foundation
import NIOCore

extension EchoBench {
    /// The room list with unread counts: one reader in `--unread-rooms` rooms, one of which holds
    /// `--unread-messages` messages by others (every tenth mentioning the reader); `GET /api/rooms`
    /// is then timed one request at a time, and its counts checked against what was posted.
    func measureUnread(executable: String) async throws {
        let server = try BenchServer(executable: executable, synchronous: synchronous, postgresURL: postgresURL)
        defer { server.stop() }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await measureUnread(server, API(http: http, base: "http://127.0.0.1:\(server.port)"))
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    func measureUnread(_ server: BenchServer, _ api: API) async throws {
        let rooms = unreadRooms
        let messages = unreadMessages
        print("echochat at 127.0.0.1:\(server.port); one reader in \(rooms) rooms, \(messages) messages in one of them…")
        let tokens = try await api.users(prefix: "unread", count: 2)
        let (reader, writer) = (tokens[0], tokens[1])
        try await forEach(Array(0..<rooms), width: 16) { index in
            _ = try await api.call("POST", "/api/rooms", ["name": "room-\(index)"], token: writer)
            _ = try await api.call("POST", "/api/rooms/room-\(index)/join", nil, token: reader)
        }
        let started = Date()
        try await forEach(Array(0..<messages), width: 16) { index in
            let body = index % 10 == 0 ? "message \(index) for @unread0" : "message \(index)"
            _ = try await api.call("POST", "/api/rooms/room-0/messages", ["body": body], token: writer)
        }
        let posting = Date().timeIntervalSince(started)

        // Checked: the counts are exact.
        let list = try await api.call("GET", "/api/rooms", nil, token: reader)
        let busy = (list["rooms"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "room-0" }
        let (unread, mentions) = (busy?["unread_count"] as? Int ?? -1, busy?["mention_count"] as? Int ?? -1)
        guard unread == messages, mentions == (messages + 9) / 10 else {
            throw BenchError("room-0 lists \(unread) unread and \(mentions) mentions; \(messages) and \((messages + 9) / 10) were posted")
        }
        // Timed: one request at a time, so each figure is the list's own latency.
        let histogram = LatencyHistogram()
        let cpuBefore = server.cpuSeconds
        let requests = 500
        for _ in 0..<requests {
            let start = ContinuousClock.now
            guard try await api.status("GET", "/api/rooms", nil, token: reader) == 200 else { throw BenchError("GET /api/rooms failed") }
            let elapsed = (ContinuousClock.now - start).components
            histogram.record(UInt64(elapsed.seconds) * 1_000_000_000 + UInt64(elapsed.attoseconds / 1_000_000_000))
        }
        let cpu = (server.cpuSeconds - cpuBefore) * 1000 / Double(requests)
        print("")
        print("EchoChat room list with unread counts: \(rooms) rooms, \(messages) messages in one (posted at \(Int(Double(messages) / posting))/s)")
        row("counts", "\(unread) unread, \(mentions) mentions (exact)")
        row("GET /api/rooms", String(format: "p50 %.2f ms, p99 %.2f ms, server CPU %.2f ms/request", histogram.percentile(0.5), histogram.percentile(0.99), cpu))
    }
}
