import Foundation
import HTTPTypes
import Testing

@testable import EchoChatServer

/// The connection edge, tried with raw sockets: every request that cannot be served is answered
/// (where there is a request to answer) and closed within the header deadline, and connection
/// floods are refused at once.
@Suite("where EchoChat meets the network", .serialized)
struct EdgeTests {
    /// A short header deadline keeps these tests quick; production's default is 10 s.
    static var config: [String: Any] { ["http_header_timeout_seconds": 2, "max_connections_per_address": 50] }
    /// Room for a loaded two-core CI machine: a connection left open would still fail, since
    /// nothing else ever closes it.
    static let slack: Duration = .seconds(8)

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        /// The status answered, or nil when there is no HTTP request to answer.
        let status: Int?
        var testDescription: String { name }

        init(_ name: String, _ text: String, status: Int?) {
            self.init(name, Array(text.utf8), status: status)
        }

        init(_ name: String, _ bytes: [UInt8], status: Int?) {
            self.name = name
            self.bytes = bytes
            self.status = status
        }
    }

    static let cases: [Case] = [
        Case("a silent connection", "", status: nil),
        Case("a request head that never ends", "GET /health HTTP/1.1\r\nHost: chat\r\nX-Slow: ", status: 408),
        Case("a TLS ClientHello on the plain port", [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03] + Array(repeating: 0x2A, count: 40), status: 400),
        Case("an HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", status: nil),
        Case("an unknown method", "FOO / HTTP/1.1\r\nHost: chat\r\n\r\n", status: 400),
        Case("a lowercase method", "get /health HTTP/1.1\r\nHost: chat\r\n\r\n", status: 400),
        Case("a bare CR in a header", "GET /health HTTP/1.1\r\nHost: chat\rX-Evil: 1\r\n\r\n", status: 400),
        Case(
            "Content-Length with Transfer-Encoding", "POST /api/auth/login HTTP/1.1\r\nHost: chat\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            status: 400),
        Case("two different Content-Lengths", "POST /api/auth/login HTTP/1.1\r\nHost: chat\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", status: 400),
        Case("a header block over 64 KiB", "GET /health HTTP/1.1\r\nHost: chat\r\nX-Big: " + String(repeating: "a", count: 100_000) + "\r\n\r\n", status: 431),
    ]

    @Test(arguments: cases)
    func answeredAndClosed(_ test: Case) async throws {
        try await TestServer.run(config: Self.config) { client, _ in
            let connection = try #require(RawConnection(port: client.port))
            let start = ContinuousClock.now
            connection.send(test.bytes)
            let (text, _, closed) = await connection.readUntilClosed(timeout: .seconds(2) + Self.slack)
            let elapsed = ContinuousClock.now - start
            print("edge: \(test.name): \(RawConnection.status(of: text).map(String.init) ?? "no answer"), closed after \(elapsed)")
            #expect(closed, "the connection stayed open")
            #expect(elapsed < .seconds(2) + Self.slack)
            if let status = test.status {
                #expect(RawConnection.status(of: text) == status, "\(text.prefix(300))")
                #expect(text.contains("\r\nconnection: close\r\n") || text.contains("\r\nConnection: close\r\n"))
                #expect(text.contains(#"{"error":{"code":"#), "\(text.prefix(300))")
            } else if test.name.contains("HTTP/2") {
                // No HTTP/1.1 request to answer, or a 505/400 naming the version.
                if let status = RawConnection.status(of: text) { #expect([400, 505].contains(status)) }
            } else {
                #expect(text.isEmpty)
            }
        }
    }

    @Test("a header trickled a byte at a time gets 408 within the header deadline of its first byte")
    func trickle() async throws {
        try await TestServer.run(config: Self.config) { client, _ in
            let connection = try #require(RawConnection(port: client.port))
            let start = ContinuousClock.now
            for byte in "GET /health HTTP/1.1\r\nHost: chat\r\n".utf8.prefix(8) {
                connection.send([byte])
                try await Task.sleep(for: .milliseconds(400))
            }
            let (text, _, closed) = await connection.readUntilClosed(timeout: Self.slack)
            #expect(closed)
            #expect(RawConnection.status(of: text) == 408, "\(text)")
            #expect(ContinuousClock.now - start < .seconds(2) + Self.slack)
        }
    }

    @Test("a body declared larger than any route takes gets 413 at once, from the header")
    func declaredTooLarge() async throws {
        try await TestServer.run(config: Self.config) { client, _ in
            for path in ["/api/auth/login", "/api/livekit/webhook", "/api/rooms"] {
                let connection = try #require(RawConnection(port: client.port))
                let start = ContinuousClock.now
                connection.send("POST \(path) HTTP/1.1\r\nHost: chat\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{\"a\":")
                let (text, _, closed) = await connection.readUntilClosed(timeout: .seconds(1))
                #expect(RawConnection.status(of: text) == 413, "\(path): \(text.prefix(200))")
                #expect(closed)
                #expect(ContinuousClock.now - start < .seconds(1))
            }
            // Over a JSON route's 64 KiB but within what the webhook takes: refused from the header as well.
            let connection = try #require(RawConnection(port: client.port))
            connection.send("POST /api/auth/login HTTP/1.1\r\nHost: chat\r\nContent-Length: 100000\r\n\r\n{")
            let (text, _, _) = await connection.readUntilClosed(timeout: .seconds(1))
            #expect(RawConnection.status(of: text) == 413, "\(text.prefix(200))")
        }
    }

    @Test("keep-alive and WebSocket upgrades still work behind the edge")
    func ordinaryClientsUnaffected() async throws {
        try await TestServer.run(config: Self.config) { client, _ in
            let connection = try #require(RawConnection(port: client.port))
            connection.send("GET /health HTTP/1.1\r\nHost: chat\r\n\r\n")
            try await Task.sleep(for: .seconds(3))  // longer than the header deadline, between requests
            connection.send("GET /health HTTP/1.1\r\nHost: chat\r\nConnection: close\r\n\r\n")
            let (text, _, closed) = await connection.readUntilClosed(timeout: .seconds(5))
            #expect(closed)
            #expect(text.components(separatedBy: "HTTP/1.1 200").count == 3, "\(text)")

            let token = try await client.signUp("alice").access
            let socket = TestSocket(port: client.port, query: "access_token=\(token)")
            #expect(await socket.next(type: "ready") != nil)
            try await Task.sleep(for: .seconds(3))  // WebSockets have no header deadline
            try socket.send(["type": "ping"])
            #expect(await socket.next(type: "pong") != nil)
            socket.disconnect()
        }
    }

    @Test("2,000 silent connections from one address: beyond its cap refused at once, while another address is served as usual")
    func connectionFlood() async throws {
        // A server process of its own: a flood handled by the test process's event loops would hold
        // up every other test's server.
        let directory = try TemporaryDirectory()
        try directory.write(
            "server_config.json",
            json: ["data_dir": directory.file("data"), "http_header_timeout_seconds": 30, "max_connections_per_address": 50])
        try directory.write("plugins.json", json: ["auth": [TestServer.fastLocalAuth]])
        let server = try ServerProcess(["serve", "--port", "0"], in: directory.path)
        defer { server.signal(SIGKILL) }
        let port = try await server.waitForPort()
        func healthLatency(from source: String) async throws -> Duration {
            let connection = try #require(RawConnection(port: port, from: source))
            let start = ContinuousClock.now
            connection.send("GET /health HTTP/1.1\r\nHost: chat\r\nConnection: close\r\n\r\n")
            let (text, _, _) = await connection.readUntilClosed(timeout: .seconds(5))
            #expect(RawConnection.status(of: text) == 200, "\(text.prefix(200))")
            return ContinuousClock.now - start
        }
        func medianLatency() async throws -> Duration {
            var samples: [Duration] = []
            for _ in 0..<21 { samples.append(try await healthLatency(from: "127.0.0.2")) }
            return samples.sorted()[10]
        }
        let before = try await medianLatency()
        var flood: [RawConnection] = []
        for _ in 0..<2_000 { if let connection = RawConnection(port: port, from: "127.0.0.1") { flood.append(connection) } }
        // Refused ones are closed by the server as it accepts them; the first 50 stay open and silent.
        func refusals() async throws -> Int {
            let metrics = try #require(RawConnection(port: port, from: "127.0.0.3"))
            metrics.send("GET /metrics HTTP/1.1\r\nHost: chat\r\nConnection: close\r\n\r\n")
            let (text, _, _) = await metrics.readUntilClosed(timeout: .seconds(5))
            let line = text.split(separator: "\n").first { $0.hasPrefix(#"echochat_connections_refused_total{reason="per_address"}"#) }
            return line.flatMap { $0.split(separator: " ").last }.flatMap { Int($0) } ?? 0
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while try await refusals() < 1_950 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        try await Task.sleep(for: .milliseconds(500))  // the last closes on their way to this side
        var open = 0
        for connection in flood where await !connection.readUntilClosed(timeout: .milliseconds(1)).closed {
            if await !connection.readUntilClosed(timeout: .milliseconds(20)).closed { open += 1 }
        }
        #expect(open == 50, "connections left open from one address: \(open)")
        let during = try await medianLatency()
        print("edge: /health median from another address: \(before) before, \(during) during a 2,000-connection flood")
        #expect(during < before + .milliseconds(50))
        #expect(try await refusals() == 1_950)
        flood.removeAll()
    }

    @Test("a JSON body naming a key twice is refused")
    func duplicateKeys() async throws {
        try await TestServer.run { client, _ in
            let result = try await client.request(.post, "/api/auth/login", rawBody: #"{"username":"a","password":"x","username":"b"}"#)
            #expect(result.status == 400)
            #expect(result.errorCode == "invalid_json")
        }
    }
}
