import EchoTestSupport
import Foundation
import Testing

/// One post of the restart test: when it was answered, and how.
private struct TimedPost: Sendable {
    let index: Int
    let status: Int
    let id: Int?
    let at: ContinuousClock.Instant
}

/// Several EchoChat instances on one PostgreSQL database, each the real composition root on its
/// own port, as a load balancer would see them.
@Suite("instances sharing PostgreSQL")
struct PostgresInstancesTests {
    static func plugins(_ url: String, extra: [String: Any] = [:]) -> [String: Any] {
        var plugins: [String: Any] = [
            "storage": ["plugin": "postgres", "config": ["url": url, "pool_size": 10, "operation_timeout_ms": 120000]],
            "auth": [TestServer.fastLocalAuth],
        ]
        plugins.merge(extra) { $1 }
        return plugins
    }

    static var quietLimits: [String: Any] { ["rate_limit_login_per_address": "off", "rate_limit_register": "off"] }

    /// Runs `body` with two instances, A and B, on a fresh database of `server`.
    static func twoInstances(
        on server: PostgresServer? = nil, config: [String: Any] = quietLimits, plugins extra: [String: Any] = [:],
        _ body: @Sendable (HTTPTestClient, HTTPTestClient) async throws -> Void
    ) async throws {
        let shared = try await PostgresServer.shared()
        let server = server ?? shared
        let url = server.url(database: try server.createDatabase())
        // Read-only dictionaries handed to both instances' set-up.
        nonisolated(unsafe) let plugins = Self.plugins(url, extra: extra)
        nonisolated(unsafe) let config = config
        try await TestServer.run(config: config, plugins: plugins) { a, _ in
            try await TestServer.run(config: config, plugins: plugins) { b, _ in
                try await body(a, b)
            }
        }
    }

    @Test("a WebSocket client on instance B receives, in order, everything posted on instance A, long messages included")
    func crossInstanceFanOut() async throws {
        var config = Self.quietLimits
        config["message_max_length"] = 16_000
        try await Self.twoInstances(config: config) { a, b in
            let posters = (1...4).map { "poster\($0)" }
            let tokens = try await RealTimeTests.setUpRoom(a, "Busy", ["listener"] + posters)
            let listener = TestSocket(port: b.port, query: "access_token=\(tokens["listener"]!)")
            _ = await listener.next(type: "ready")
            // About 24,000 bytes as a frame, three NOTIFY payloads' worth: travels in chunks.
            let long = String(repeating: "é\"ü ", count: 3000)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for poster in posters {
                    group.addTask {
                        for index in 0..<50 {
                            let body = index == 25 ? long : "\(poster) #\(index)"
                            let result = try await a.post("/api/rooms/Busy/messages", ["body": body], token: tokens[poster])
                            guard result.status == 201 else { throw TestFailure("post failed: \(result.text)") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            var received: [(id: Int, body: String)] = []
            while received.count < 200, let event = await listener.next(type: "message.created") {
                let message = event["message"] as? [String: Any]
                received.append((message?["id"] as? Int ?? -1, message?["body"] as? String ?? ""))
            }
            #expect(received.count == 200)
            #expect(received.map(\.id) == received.map(\.id).sorted(), "in id order")
            #expect(Set(received.map(\.id)).count == 200)
            #expect(received.filter { $0.body == long }.count == 4, "long messages arrive whole")
            // History on B is what A stored.
            let page = try await b.get("/api/rooms/Busy/messages?limit=100", token: tokens["listener"])
            #expect((page["messages"] as? [Any])?.count == 100)
            listener.disconnect()
        }
    }

    @Test("joins, bans and a revoked session on one instance take effect on sockets held by the other")
    func crossInstanceSignals() async throws {
        try await Self.twoInstances { a, b in
            let tokens = try await RealTimeTests.setUpRoom(a, "Lobby", ["olivia", "mark"])
            let socket = TestSocket(port: b.port, query: "access_token=\(tokens["mark"]!)")
            _ = await socket.next(type: "ready")
            _ = try await a.post("/api/rooms/Lobby/messages", ["body": "before"], token: tokens["olivia"])
            #expect(await socket.next(type: "message.created").flatMap { ($0["message"] as? [String: Any])?["body"] as? String } == "before")
            _ = try await a.post("/api/rooms/Lobby/bans", ["username": "mark"], token: tokens["olivia"])
            #expect(await socket.next(type: "member.left") != nil)
            _ = try await a.post("/api/rooms/Lobby/messages", ["body": "after the ban"], token: tokens["olivia"])

            // A join on A subscribes the new member's socket on B.
            let (erin, _) = try await a.signUp("erin")
            let joiner = TestSocket(port: b.port, query: "access_token=\(erin)")
            _ = await joiner.next(type: "ready")
            _ = try await a.post("/api/rooms/Lobby/join", token: erin)
            _ = try await a.post("/api/rooms/Lobby/messages", ["body": "welcome"], token: tokens["olivia"])
            #expect(await joiner.next(type: "message.created").flatMap { ($0["message"] as? [String: Any])?["body"] as? String } == "welcome")
            joiner.disconnect()

            // Logging out on A ends the session's socket on B.
            let (access, refresh) = try await a.signUp("carol")
            let carol = TestSocket(port: b.port, query: "access_token=\(access)")
            _ = await carol.next(type: "ready")
            let logout = try await a.post("/api/auth/logout", ["refresh_token": refresh], token: access)
            #expect(logout.status == 204, "\(logout.text)")
            #expect(await carol.closed() != nil, "the revoked session's socket on the other instance closes")
            // The banned member's socket saw nothing after the ban.
            #expect(await socket.next(type: "message.created", timeout: .milliseconds(500)) == nil)
            socket.disconnect()
        }
    }

    @Test("login failures count against one limit across instances")
    func sharedRateLimit() async throws {
        try await Self.twoInstances(config: ["rate_limit_register": "off", "rate_limit_login": "4 per minute", "rate_limit_login_per_address": "off"]) { a, b in
            _ = try await a.signUp("dana")
            var statuses: [Int] = []
            for index in 0..<6 {
                let instance = index.isMultiple(of: 2) ? a : b
                statuses.append(try await instance.login("dana", password: "wrong password \(index)").status)
            }
            #expect(statuses == [401, 401, 401, 401, 429, 429], "\(statuses)")
        }
    }

    @Test("500 concurrent token requests split across two instances never put more than the capacity into one sub-room")
    func tokensAcrossInstances() async throws {
        let double = try await TwirpDouble()
        let config = LiveKitTests.config(double)
        let strategy: [String: Any] = ["subrooms": ["plugin": "capacity", "config": ["capacity": 20, "max_subrooms": 25]]]
        try await Self.twoInstances(config: config, plugins: strategy) { a, b in
            let (owner, _) = try await a.signUp("owner")
            _ = try await a.post("/api/rooms", ["name": "Lobby"], token: owner)
            let users = (0..<501).map { "user\($0)" }
            let all = try await a.signUpAndJoin(users, room: "Lobby")
            // 500 requests at once queue on two debug-built servers sharing two cores with the
            // rest of the suite: the last answers can take longer than the usual 15 s.
            let (slowA, slowB) = (HTTPTestClient(port: a.port, timeout: .seconds(120)), HTTPTestClient(port: b.port, timeout: .seconds(120)))
            let results = try await withThrowingTaskGroup(of: (String, HTTPResult).self) { group in
                for (index, name) in users.enumerated() {
                    let instance = index.isMultiple(of: 2) ? slowA : slowB
                    group.addTask { (name, try await LiveKitTests.token(instance, "Lobby", all[name])) }
                }
                return try await group.reduce(into: [(String, HTTPResult)]()) { $0.append($1) }
            }
            let granted = results.filter { $0.1.status == 200 }
            let failures = results.filter { $0.1.status != 200 }.map { "\($0.1.status) \($0.1.text)" }
            #expect(granted.count == 500, "granted \(granted.count): \(failures.prefix(3))")
            let refusals = results.filter { $0.1.status == 409 }.map { $0.1.text }
            #expect(refusals.count == 1, "\(refusals.prefix(3))")
            var perRoom: [String: Int] = [:]
            for (_, result) in granted { perRoom[result["room"] as? String ?? "", default: 0] += 1 }
            #expect(perRoom.count == 25 && perRoom.values.allSatisfy { $0 == 20 }, "\(perRoom)")
            let subrooms = try await LiveKitTests.voice(b, "Lobby", owner)
            #expect(subrooms.count == 25 && subrooms.allSatisfy { ($0["reserved"] as? Int ?? 0) == 20 })
        }
    }

    @Test("PostgreSQL restarted mid-traffic: 503s only during the outage, recovery by itself, nothing acknowledged lost, subscribers get everything after")
    func restartMidTraffic() async throws {
        let server = try PostgresServer.start()
        defer { server.destroy() }
        let url = server.url(database: try server.createDatabase())
        nonisolated(unsafe) let plugins: [String: Any] = [
            "storage": ["plugin": "postgres", "config": ["url": url, "pool_size": 4, "operation_timeout_ms": 4000]],
            "auth": [TestServer.fastLocalAuth],
        ]
        nonisolated(unsafe) let config = Self.quietLimits
        try await TestServer.run(config: config, plugins: plugins) { a, _ in
            try await TestServer.run(config: config, plugins: plugins) { b, _ in
                let tokens = try await RealTimeTests.setUpRoom(a, "Ops", ["poster", "listener"])
                let listener = TestSocket(port: b.port, query: "access_token=\(tokens["listener"]!)")
                _ = await listener.next(type: "ready")

                let clock = ContinuousClock()
                let phases = Locked<(stopped: ContinuousClock.Instant?, restarted: ContinuousClock.Instant?)>((nil, nil))
                let log = Locked<[TimedPost]>([])
                let posting = Task {
                    var index = 0
                    while !Task.isCancelled {
                        let result = try await a.post(
                            "/api/rooms/Ops/messages", ["body": "m\(index)", "client_id": "c\(index)"], token: tokens["poster"])
                        let post = TimedPost(index: index, status: result.status, id: (result["id"] as? Int), at: clock.now)
                        log.withLock { $0.append(post) }
                        index += 1
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                try await Task.sleep(for: .seconds(1))
                phases.withLock { $0.stopped = clock.now }
                try server.stop(mode: "fast")
                // Longer than the operation deadline, so that posts fail while it lasts.
                try await Task.sleep(for: .seconds(9))
                try server.start()
                let restart = clock.now
                phases.withLock { $0.restarted = restart }
                // Run on until both instances are healthy and ten posts have gone through after the restart.
                let deadline = clock.now + .seconds(60)
                while clock.now < deadline {
                    try await Task.sleep(for: .milliseconds(500))
                    var recovered = 0
                    for post in log.withLock({ $0 }) where post.status == 201 && post.at > restart { recovered += 1 }
                    if recovered >= 10, (try? await a.get("/health").status) == 200, (try? await b.get("/health").status) == 200 { break }
                }
                posting.cancel()
                _ = await posting.result
                let posts = log.withLock { $0 }
                let (stopped, restarted) = phases.withLock { $0 }
                let stop = try #require(stopped)
                _ = try #require(restarted)

                #expect(posts.allSatisfy { $0.status == 201 || $0.status == 503 }, "\(Set(posts.map(\.status)))")
                var failed: [TimedPost] = []
                for post in posts where post.status == 503 { failed.append(post) }
                #expect(!failed.isEmpty, "the outage was seen")
                let timeline = posts.map { "\($0.index):\($0.status)@\(($0.at - stop).components.seconds).\(($0.at - stop).components.attoseconds / 10_000_000_000_000_000)" }
                let failedEarly = failed.filter { $0.at < stop }.count
                #expect(failedEarly == 0, "no 503 before PostgreSQL stopped: \(timeline)")
                let firstRecovered = try #require(posts.first { $0.status == 201 && $0.at > restart }, "posting recovered without restarting EchoChat")
                let failedLate = failed.filter { $0.index > firstRecovered.index }.count
                #expect(failedLate == 0, "no 503 after recovery: \(timeline)")
                let recoveredPosts = posts.filter { $0.index >= firstRecovered.index }
                #expect(recoveredPosts.count >= 5)

                // Every acknowledged message is stored.
                let acknowledged = Set(posts.compactMap { $0.status == 201 ? $0.id : nil })
                var stored = Set<Int>()
                var before: Int?
                repeat {
                    let page = try await a.get("/api/rooms/Ops/messages?limit=100" + (before.map { "&before=\($0)" } ?? ""), token: tokens["poster"])
                    let ids = (page["messages"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
                    stored.formUnion(ids)
                    before = page["next_before"] as? Int
                } while before != nil
                #expect(acknowledged.isSubset(of: stored), "lost: \(acknowledged.subtracting(stored).sorted())")

                // The subscriber on B has every message acknowledged after recovery.
                let expected = Set(recoveredPosts.compactMap(\.id))
                var received = Set<Int>()
                while !expected.isSubset(of: received), let event = await listener.next(type: "message.created", timeout: .seconds(10)) {
                    if let id = (event["message"] as? [String: Any])?["id"] as? Int { received.insert(id) }
                }
                #expect(expected.isSubset(of: received), "missed after recovery: \(expected.subtracting(received).sorted())")
                listener.disconnect()
            }
        }
    }
}
