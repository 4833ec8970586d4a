import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore

extension EchoBench {
    /// Presence at community scale: `--presence-users` WebSocket users in rooms of 100, each
    /// switching between idle and online every `--presence-period` seconds (staggered). Server CPU
    /// is measured over `--duration` seconds of that, scaled to a minute, first with presence on,
    /// then on a fresh server with `presence_enabled: false` and the same clients (which, as
    /// `GET /api/config` tells them, send no presence there); and, for each, over the same time
    /// with the clients connected and quiet.
    func measurePresence(executable: String) async throws {
        var results: [(String, Double, Double, Int)] = []
        for enabled in [true, false] {
            let server = try BenchServer(executable: executable, synchronous: synchronous, postgresURL: postgresURL, extraConfig: ["presence_enabled": enabled])
            defer { server.stop() }
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            do {
                let (quiet, busy, frames) = try await measurePresence(server, API(http: http, base: "http://127.0.0.1:\(server.port)"))
                results.append((enabled ? "presence on" : "presence_enabled: false", quiet, busy, frames))
            } catch {
                try await http.shutdown()
                throw error
            }
            try await http.shutdown()
        }
        print("")
        print("EchoChat presence: \(presenceUsers) users in rooms of 100, each toggling idle/online every \(presencePeriod) s, \(Int(duration)) s measured")
        for (name, quiet, busy, frames) in results {
            row(name, String(format: "server CPU %.2f s per minute toggling (%.2f s quiet, so %.2f s for presence); %d presence frames received", busy, quiet, max(0, busy - quiet), frames))
        }
    }

    /// Server CPU seconds per minute with the clients quiet and with them toggling, and the presence frames they received.
    func measurePresence(_ server: BenchServer, _ api: API) async throws -> (Double, Double, Int) {
        let users = presenceUsers
        print("echochat at 127.0.0.1:\(server.port); \(users) users joining rooms of 100…")
        let tokens = try await api.users(prefix: "present", count: users)
        let rooms = (users + 99) / 100
        for room in 0..<rooms { _ = try await api.call("POST", "/api/rooms", ["name": "community-\(room)"], token: tokens[room * 100]) }
        try await forEach(Array(0..<users), width: 16) { index in
            if index % 100 != 0 { _ = try await api.call("POST", "/api/rooms/community-\(index / 100)/join", nil, token: tokens[index]) }
        }
        // A client sends presence only where the server keeps it, as /api/config says.
        let config = try await api.call("GET", "/api/config", nil)
        let sends = config["presence_enabled"] as? Bool ?? true
        let toggling = Counter()
        let frames = Counter()
        let connected = Counter()
        let period = presencePeriod
        let port = server.port
        let tasks = tokens.enumerated().map { index, token in
            Task {
                _ = try? await WebSocketClient.connect(
                    url: "ws://127.0.0.1:\(port)/api/ws?access_token=\(token)", logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
                ) { inbound, outbound, _ in
                    connected.increment()
                    let sender = Task {
                        // Staggered, so that changes arrive evenly rather than all at once.
                        try? await Task.sleep(for: .milliseconds(Int(period * 1000 * Double(index) / Double(users))))
                        var idle = false
                        while !Task.isCancelled {
                            if toggling.value > 0 && sends {
                                idle.toggle()
                                try? await outbound.write(.text(idle ? #"{"type":"presence","status":"idle"}"# : #"{"type":"presence","status":"online"}"#))
                            }
                            try? await Task.sleep(for: .milliseconds(Int(period * 1000)))
                        }
                    }
                    defer { sender.cancel() }
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        if case .text(let text) = message, text.contains("\"presence\"") { frames.increment() }
                    }
                }
            }
        }
        defer { for task in tasks { task.cancel() } }
        for _ in 0..<1200 where connected.value < users { try await Task.sleep(for: .milliseconds(50)) }
        guard connected.value == users else { throw BenchError("only \(connected.value) of \(users) connected") }
        try await Task.sleep(for: .seconds(3))  // the connections' own presence settles
        var before = server.cpuSeconds
        try await Task.sleep(for: .seconds(duration))
        let quiet = (server.cpuSeconds - before) * 60 / duration
        let framesBefore = frames.value
        toggling.increment()
        before = server.cpuSeconds
        try await Task.sleep(for: .seconds(duration))
        let busy = (server.cpuSeconds - before) * 60 / duration
        return (quiet, busy, frames.value - framesBefore)
    }
}
