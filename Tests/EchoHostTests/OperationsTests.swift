import EchoTestSupport
import Foundation
import Testing

@testable import EchoChatServer

/// What operators and their monitoring see: liveness and readiness, the metrics listener, and
/// operator commands reaching the running server at once.
@Suite("operating a running server")
struct OperationsTests {
    @Test("/livez and /readyz answer 200 on a healthy server; /readyz says what it checked")
    func healthy() async throws {
        try await TestServer.run { client, _ in
            #expect(try await client.get("/livez").status == 200)
            let ready = try await client.get("/readyz")
            #expect(ready.status == 200)
            #expect(ready.json["status"] as? String == "ready")
            #expect(try await client.get("/health").status == 200)
        }
    }

    @Test("with storage on a full disk, /readyz turns 503 naming storage while /health stays 200, and 200 again once space is freed")
    func readinessFollowsTheDisk() async throws {
        guard getuid() == 0 else {
            try #require(ProcessInfo.processInfo.environment["CI"] != "true", "CI runs as root and must mount the small filesystem")
            return  // mounting a small filesystem needs root
        }
        let directory = try TemporaryDirectory()
        let small = directory.file("small")
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        let mounted = try await ServerProcess.run(["-t", "tmpfs", "-o", "size=6m", "tmpfs", small], in: directory.path, executable: "/bin/mount")
        try #require(mounted.status == 0, "mount: \(mounted.output)")
        defer {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/bin/umount")
            unmount.arguments = ["-l", small]
            try? unmount.run()
            unmount.waitUntilExit()
        }
        try directory.write("server_config.json", json: ["data_dir": small + "/data", "token_signing_secret": TestServer.signingSecret])
        try directory.write("plugins.json", json: ["auth": [TestServer.fastLocalAuth]])
        let server = try ServerProcess(["serve", "--port", "0"], in: directory.path)
        defer { server.signal(SIGKILL) }
        let client = HTTPTestClient(port: try await server.waitForPort())
        _ = try await client.signUp("alice")
        #expect(try await client.get("/readyz").status == 200)

        let filler = small + "/filler"
        _ = FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: filler))
        let chunk = Data(count: 64 * 1024)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        try? handle.close()

        let degraded = try await Self.poll(client, "/readyz", until: 503, within: .seconds(10))
        #expect((degraded.json["failing"] as? [String])?.contains("storage") == true, "\(degraded.text)")
        #expect(try await client.get("/health").status == 200)
        #expect(try await client.get("/livez").status == 200)

        try FileManager.default.removeItem(atPath: filler)
        _ = try await Self.poll(client, "/readyz", until: 200, within: .seconds(20))
        server.signal(SIGTERM)
        _ = try await server.waitForExit()
    }

    static func poll(_ client: HTTPTestClient, _ path: String, until status: Int, within limit: Duration) async throws -> HTTPResult {
        let deadline = ContinuousClock.now + limit
        while true {
            let result = try await client.get(path)
            if result.status == status { return result }
            guard ContinuousClock.now < deadline else {
                Issue.record("\(path) stayed \(result.status): \(result.text)")
                return result
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    @Test("metrics_listen serves /metrics on its own address, and the API listener no longer does")
    func metricsListener() async throws {
        let port = try Self.freePort()
        try await TestServer.run(config: ["metrics_listen": "127.0.0.1:\(port)"]) { client, _ in
            #expect(try await client.get("/metrics").status == 404)
            let metrics = try await HTTPTestClient(port: port).get("/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.text.contains("echochat_"))
        }
    }

    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test("with the server running, `echochat user disable` closes the user's socket within a second", arguments: ["sqlite", "postgres"])
    func disableReachesSockets(storage: String) async throws {
        var plugins: [String: Any] = ["auth": [TestServer.fastLocalAuth]]
        if storage == "postgres" {
            let database = try await PostgresServer.shared()
            plugins = PostgresInstancesTests.plugins(database.url(database: try database.createDatabase()))
        }
        nonisolated(unsafe) let shared = plugins
        try await TestServer.run(plugins: shared) { a, setupA in
            // On PostgreSQL the command reaches instance A, and the socket is on instance B.
            try await TestServer.run(plugins: shared) { b, setupB in
                let other = storage == "postgres" ? b : a
                let token = try await a.signUp("mallory").access
                let socket = TestSocket(port: other.port, query: "access_token=\(token)")
                #expect(await socket.next(type: "ready") != nil)
                let command = try await ServerProcess.run(
                    ["user", "disable", "mallory", "--config", try #require(setupA.configFile), "--plugins", try #require(setupA.pluginsFile)],
                    in: NSTemporaryDirectory())
                #expect(command.status == 0, "\(command.output)")
                #expect(command.output.contains("disabled mallory; ended 1 session"), "\(command.output)")
                #expect(await socket.closed(timeout: .seconds(1)) == 4001)
                #expect(try await a.get("/api/me", token: token).status == 401)
                _ = setupB
            }
        }
    }
}
