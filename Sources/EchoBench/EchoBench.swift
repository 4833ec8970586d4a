import ArgumentParser
import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import NIOFoundationCompat
import Synchronization

/// `echochat-bench`: message throughput, send→receive latency, server CPU per message and memory,
/// against a release `echochat` it starts itself on loopback.
@main
struct EchoBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echochat-bench", abstract: "Measure EchoChat's chat path: throughput, latency, CPU and memory.")

    @Option(help: "Concurrent senders, each posting over HTTP keep-alive.") var senders = 8
    @Option(help: "WebSocket listeners in the room.") var listeners = 100
    @Option(help: "Seconds of load.") var duration = 20.0
    @Option(help: "Offered messages per second in total; 0 sends as fast as acknowledgements allow.") var rate = 0.0
    @Option(help: "SQLite synchronous mode: normal or full.") var synchronous = "normal"
    @Option(help: "Run on storage.postgres at this empty database (postgres://…) instead of SQLite.") var postgresURL: String?
    @Option(help: "Idle WebSocket connections to open after the load, to measure memory per connection.") var idleConnections = 0
    @Option(help: "Path to echochat (default: beside this binary).") var server: String?
    @Option(help: "What to measure: chat (messages over HTTP and WebSockets), tokens (LiveKit token minting against /health), logins (LDAP and local logins against /health), unread (the room list with unread counts) or presence (server CPU for presence at community scale).")
    var scenario = "chat"
    @Option(help: "For logins: a JSON file holding the auth.ldap config object.") var ldapConfig: String?
    @Option(help: "For logins: directory users ldapuser0… (and as many local users).") var ldapUsers = 200
    @Option(help: "Users requesting tokens in the tokens scenario.") var tokenUsers = 200
    @Option(help: "For tokens: a .wasm strategy module (capacity's twin, say) deciding instead of the native capacity strategy.")
    var strategyModule: String?
    @Option(help: "For presence: connected users, in rooms of 100.") var presenceUsers = 1000
    @Option(help: "For presence: seconds between each user's idle/online switches.") var presencePeriod = 10.0
    @Option(help: "For unread: rooms the reader belongs to.") var unreadRooms = 200
    @Option(help: "For unread: messages posted in one of them.") var unreadMessages = 10_000
    @Flag(help: "For tokens: every request decides a seat against the room's other seats (the user leaves and rejoins through signed webhooks around it), instead of renewing the user's seat.")
    var decideEveryRequest = false

    func run() async throws {
        raiseFileLimit()
        let executable = server ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("echochat").path
        if scenario == "tokens" { return try await measureTokens(executable: executable) }
        if scenario == "logins" { return try await measureLogins(executable: executable) }
        if scenario == "unread" { return try await measureUnread(executable: executable) }
        if scenario == "presence" { return try await measurePresence(executable: executable) }
        guard scenario == "chat" else { throw ValidationError("--scenario is chat, tokens, logins, unread or presence") }
        let server = try BenchServer(executable: executable, synchronous: synchronous, postgresURL: postgresURL)
        print("echochat at 127.0.0.1:\(server.port); setting up \(senders) senders and \(listeners) listeners…")
        defer { server.stop() }
        let idleRSS = server.memory.current
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(senders, 16))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await measure(server, API(http: http, base: "http://127.0.0.1:\(server.port)"), idleRSS: idleRSS)
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    func measure(_ server: BenchServer, _ api: API, idleRSS: Double) async throws {
        // Set-up: accounts, one room, everybody in it.
        let senderTokens = try await api.users(prefix: "sender", count: senders)
        let listenerTokens = try await api.users(prefix: "listener", count: listeners)
        _ = try await api.call("POST", "/api/rooms", ["name": "Bench"], token: senderTokens[0])
        try await forEach(Array(senderTokens.dropFirst()) + listenerTokens, width: 32) { token in
            _ = try await api.call("POST", "/api/rooms/Bench/join", nil, token: token)
        }
        let histogram = LatencyHistogram()
        let received = Counter()
        let sockets = try await connect(listenerTokens, port: server.port) { text in
            guard let sent = Self.sendTime(in: text) else { return }
            histogram.record(DispatchTime.now().uptimeNanoseconds &- sent)
            received.increment()
        }

        // Load.
        let cpuBefore = server.cpuSeconds
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(duration * 1e9)
        let acknowledged = Counter()
        let failures = Counter()
        let (senders, rate) = (self.senders, self.rate)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, token) in senderTokens.enumerated() {
                group.addTask {
                    let interval = rate > 0 ? Double(senders) / rate : 0
                    var next = Double(start) + interval * 1e9 * Double(index) / Double(senders)
                    var sequence = 0
                    while DispatchTime.now().uptimeNanoseconds < end {
                        if interval > 0 {
                            let wait = next - Double(DispatchTime.now().uptimeNanoseconds)
                            if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait)) }
                            next += interval * 1e9
                        }
                        sequence += 1
                        let body = "t=\(DispatchTime.now().uptimeNanoseconds) sender \(index) #\(sequence)"
                        let status = try await api.status("POST", "/api/rooms/Bench/messages", ["body": body], token: token)
                        if status == 201 { acknowledged.increment() } else { failures.increment() }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let sent = acknowledged.value
        // Let deliveries drain (bounded).
        let expected = sent * listeners
        for _ in 0..<100 where received.value < expected { try await Task.sleep(for: .milliseconds(100)) }
        let cpu = server.cpuSeconds - cpuBefore
        let loadMemory = server.memory

        var idleMemory: Double?
        var idleSockets: [Task<Void, Never>] = []
        if idleConnections > 0 {
            let before = server.memory.current
            idleSockets = try await connectIdle(count: idleConnections, token: listenerTokens.first ?? senderTokens[0], port: server.port)
            try await Task.sleep(for: .seconds(2))
            idleMemory = server.memory.current - before
        }
        for socket in sockets + idleSockets { socket.cancel() }

        let delivered = received.value
        print("")
        print("EchoChat chat path: \(senders) senders, \(listeners) listeners, \(Int(duration)) s, \(postgresURL == nil ? "sqlite synchronous=\(synchronous)" : "postgres"), "
            + (rate > 0 ? "offered \(Int(rate)) msg/s" : "closed loop"))
        row("messages acknowledged", "\(sent) (\(failures.value) failed)")
        row("send throughput", String(format: "%.0f msg/s", Double(sent) / elapsed))
        row("deliveries", "\(delivered) of \(expected) (\(String(format: "%.0f", Double(delivered) / elapsed))/s)")
        row("send→receive p50 / p99", String(format: "%.1f ms / %.1f ms", histogram.percentile(0.5), histogram.percentile(0.99)))
        row("server CPU per message", String(format: "%.3f ms", sent > 0 ? cpu * 1000 / Double(sent) : 0))
        row("server CPU", String(format: "%.1f s in %.1f s (%.0f %% of one core)", cpu, elapsed, cpu / elapsed * 100))
        row("RSS idle / after load / peak", String(format: "%.1f / %.1f / %.1f MB", idleRSS, loadMemory.current, loadMemory.peak))
        if let idleMemory {
            row("\(idleConnections) idle WebSockets", String(format: "+%.1f MB (%.1f KB each)", idleMemory, idleMemory * 1024 / Double(idleConnections)))
        }
    }

    func row(_ name: String, _ value: String) {
        print(name.padding(toLength: 32, withPad: " ", startingAt: 0) + value)
    }

    /// The nanosecond timestamp a sender put in the body (`"body":"t=…`), for message.created frames.
    static func sendTime(in frame: String) -> UInt64? {
        guard frame.contains("\"message.created\""), let marker = frame.range(of: "\"body\":\"t=") else { return nil }
        return UInt64(frame[marker.upperBound...].prefix { $0.isNumber })
    }

    func connect(_ tokens: [String], port: Int, onFrame: @escaping @Sendable (String) -> Void) async throws -> [Task<Void, Never>] {
        let ready = Counter()
        let tasks = tokens.map { token in
            Task {
                _ = try? await WebSocketClient.connect(
                    url: "ws://127.0.0.1:\(port)/api/ws?access_token=\(token)", logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
                ) { inbound, _, _ in
                    ready.increment()
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        if case .text(let text) = message { onFrame(text) }
                    }
                }
            }
        }
        for _ in 0..<600 where ready.value < tokens.count { try await Task.sleep(for: .milliseconds(50)) }
        guard ready.value == tokens.count else { throw BenchError("only \(ready.value) of \(tokens.count) listeners connected") }
        return tasks
    }

    func connectIdle(count: Int, token: String, port: Int) async throws -> [Task<Void, Never>] {
        var tasks: [Task<Void, Never>] = []
        for chunk in stride(from: 0, to: count, by: 500) {
            tasks += try await connect(Array(repeating: token, count: min(500, count - chunk)), port: port) { _ in }
        }
        return tasks
    }

    func forEach<T: Sendable>(_ items: [T], width: Int, _ body: @escaping @Sendable (T) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, item) in items.enumerated() {
                if index >= width { try await group.next() }
                group.addTask { try await body(item) }
            }
            try await group.waitForAll()
        }
    }

    func raiseFileLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// JSON calls to the server under test.
struct API: Sendable {
    let http: HTTPClient
    let base: String

    func call(_ method: String, _ path: String, _ body: [String: Any]?, token: String? = nil) async throws -> [String: Any] {
        let (status, data) = try await send(method, path, body, token: token)
        guard (200..<300).contains(status) else { throw BenchError("\(method) \(path): \(status) \(String(decoding: data, as: UTF8.self))") }
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    func status(_ method: String, _ path: String, _ body: [String: Any]?, token: String?) async throws -> Int {
        try await send(method, path, body, token: token).0
    }

    /// A GET's body as text.
    func text(_ path: String) async throws -> String {
        String(decoding: try await send("GET", path, nil, token: nil).1, as: UTF8.self)
    }

    /// Sends `body` as it is, with `headers`; answers the status.
    func raw(_ method: String, _ path: String, body: Data, headers: [String: String]) async throws -> Int {
        var request = HTTPClientRequest(url: base + path)
        request.method = .RAW(value: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(data: body))
        let response = try await http.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    private func send(_ method: String, _ path: String, _ body: [String: Any]?, token: String?) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: base + path)
        request.method = .RAW(value: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body))) }
        let response = try await http.execute(request, timeout: .seconds(30))
        let data = Data(buffer: try await response.body.collect(upTo: 1 << 20))
        return (Int(response.status.code), data)
    }

    /// Registers and signs in `count` users; returns their access tokens.
    func users(prefix: String, count: Int) async throws -> [String] {
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var tokens = [String](repeating: "", count: count)
            for index in 0..<count {
                group.addTask {
                    let name = "\(prefix)\(index)"
                    _ = try await call("POST", "/api/auth/register", ["username": name, "password": "bench password \(index)"])
                    let login = try await call("POST", "/api/auth/login", ["username": name, "password": "bench password \(index)"])
                    guard let token = login["access_token"] as? String else { throw BenchError("no token for \(name)") }
                    return (index, token)
                }
                if index >= 32, let (done, token) = try await group.next() { tokens[done] = token }
            }
            for try await (index, token) in group { tokens[index] = token }
            return tokens
        }
    }
}

/// A shared counter for the load's tasks.
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)
    func increment() { atomic.add(1, ordering: .relaxed) }
    var value: Int { atomic.load(ordering: .relaxed) }
}
