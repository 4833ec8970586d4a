import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore

/// A stand-in for LiveKit's RoomService that accepts every call, so that token minting is
/// measured with its CreateRoom succeeding rather than failing.
struct AcceptingLiveKit {
    /// Starts it on a free loopback port; returns the port and the task serving it.
    static func start() async throws -> (port: Int, task: Task<Void, any Error>) {
        let router = Router()
        router.post("/twirp/livekit.RoomService/{method}") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: Logger(label: "bench-livekit") { _ in SwiftLogNoOpLogHandler() })
        let task = Task { try await application.runService() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw BenchError("the LiveKit stand-in did not start") }
        return (port, task)
    }
}

extension EchoBench {
    /// Token minting (with its durable seat reservation) against `/health` on the same server,
    /// each for half the duration with the same concurrency.
    func measureTokens(executable: String) async throws {
        let (livekitPort, livekit) = try await AcceptingLiveKit.start()
        defer { livekit.cancel() }
        let server = try BenchServer(
            executable: executable, synchronous: synchronous, postgresURL: postgresURL,
            extraConfig: [
                "livekit_enabled": true, "livekit_api_key": "bench-key", "livekit_api_secret": "bench-secret-bench-secret-bench-secret",
                "livekit_api_url": "http://127.0.0.1:\(livekitPort)", "rate_limit_livekit_token": "100000 per second",
            ],
            subrooms: tokenStrategy)
        defer { server.stop() }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(senders, 16))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await measureTokens(server, API(http: http, base: "http://127.0.0.1:\(server.port)"))
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    func measureTokens(_ server: BenchServer, _ api: API) async throws {
        print("echochat at 127.0.0.1:\(server.port); setting up \(tokenUsers) users…")
        let users = try await api.users(prefix: "voice", count: tokenUsers)
        _ = try await api.call("POST", "/api/rooms", ["name": "Bench"], token: users[0])
        try await forEach(Array(users.dropFirst()), width: 32) { token in
            _ = try await api.call("POST", "/api/rooms/Bench/join", nil, token: token)
        }

        let phase = duration / 2
        let health = try await closedLoop(seconds: phase) { worker, sequence in
            try await api.status("GET", "/health", nil, token: nil) == 200
        }
        let churn = decideEveryRequest ? try await SeatChurn.start(api: api, users: users, room: "Bench") : nil
        let cpuBefore = server.cpuSeconds
        let concurrency = senders
        let tokens = try await closedLoop(seconds: phase) { worker, sequence in
            // Each worker cycles through its own share of the users: one seat per user, renewed on every
            // request, or given up and decided again around it.
            let index = (worker + sequence * concurrency) % users.count
            guard let churn else { return try await api.status("POST", "/api/livekit/token", ["room": "Bench"], token: users[index]) == 200 }
            return try await churn.cycle(index)
        }
        let cpu = server.cpuSeconds - cpuBefore
        let decisions = try await server.strategyDecisions(api)

        print("")
        print("EchoChat LiveKit tokens: \(senders) concurrent clients, \(tokenUsers) users, \(Int(phase)) s each, \(postgresURL == nil ? "sqlite synchronous=\(synchronous)" : "postgres")")
        print("strategy: \(strategyModule.map { "module \(($0 as NSString).lastPathComponent)" } ?? "capacity (native)")\(decideEveryRequest ? "; every token decides a seat beside the other \(tokenUsers - 1) (two signed webhooks per token)" : "; seats renewed")")
        row("/health", String(format: "%.0f req/s, p50 %.2f ms, p99 %.2f ms (%d failed)", health.rate, health.p50, health.p99, health.failed))
        row("POST /api/livekit/token", String(format: "%.0f req/s, p50 %.2f ms, p99 %.2f ms (%d failed)", tokens.rate, tokens.p50, tokens.p99, tokens.failed))
        row("tokens / health", String(format: "%.0f %%", tokens.rate / max(health.rate, 1) * 100))
        row("server CPU per token", String(format: "%.3f ms", tokens.count > 0 ? cpu * 1000 / Double(tokens.count) : 0))
        row("strategy decisions", decisions.summary)
    }

    /// The subrooms entry: capacity with room for everyone in one sub-room, native or as a module.
    var tokenStrategy: [String: Any] {
        guard let strategyModule else { return ["plugin": "capacity", "config": ["capacity": 100_000, "max_subrooms": 1]] }
        let path = URL(fileURLWithPath: strategyModule).standardizedFileURL.path
        return [
            "plugin": "wasm",
            "config": [
                "module": path, "capacity": 100_000, "max_subrooms": 1, "settings": ["capacity": 100_000, "max_subrooms": 1],
            ] as [String: Any],
        ]
    }

    struct LoopResult {
        let count: Int
        let failed: Int
        let rate: Double
        let p50: Double
        let p99: Double
    }

    /// `senders` workers each repeating `request` for `seconds`; counts successes and latencies.
    func closedLoop(seconds: Double, _ request: @escaping @Sendable (_ worker: Int, _ sequence: Int) async throws -> Bool) async throws -> LoopResult {
        let histogram = LatencyHistogram()
        let succeeded = Counter()
        let failed = Counter()
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(seconds * 1e9)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<senders {
                group.addTask {
                    var sequence = 0
                    while DispatchTime.now().uptimeNanoseconds < end {
                        let began = DispatchTime.now().uptimeNanoseconds
                        let ok = try await request(worker, sequence)
                        histogram.record(DispatchTime.now().uptimeNanoseconds - began)
                        if ok { succeeded.increment() } else { failed.increment() }
                        sequence += 1
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return LoopResult(
            count: succeeded.value, failed: failed.value, rate: Double(succeeded.value) / elapsed, p50: histogram.percentile(0.5),
            p99: histogram.percentile(0.99))
    }
}
