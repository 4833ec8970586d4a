import Foundation
import Testing

@testable import EchoChatServer

/// A WebSocket client that completes the handshake and then never reads.
struct StalledSocket: ~Copyable {
    let descriptor: Int32

    init(port: Int, token: String) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var small: Int32 = 4096
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect failed") }
        let request =
            "GET /api/ws?access_token=\(token) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        _ = request.withCString { send(descriptor, $0, strlen($0), 0) }
        // Read the 101 response head, then stop reading.
        var head = [UInt8]()
        var byte: UInt8 = 0
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]), recv(descriptor, &byte, 1, 0) == 1 { head.append(byte) }
        guard String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 101") else { throw TestFailure("no upgrade") }
    }

    /// Drains what the server sent and reports whether the server closed the connection.
    func serverClosed(within timeout: Duration) -> Bool { readUntilClosed(within: timeout).closed }

    /// Reads what the server sends until it closes the connection or `timeout` passes.
    func readUntilClosed(within timeout: Duration) -> (closed: Bool, bytes: [UInt8]) {
        let deadline = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 { return (true, received) }
            if count < 0 { return (errno == ECONNRESET, received) }
            if received.count < 1 << 20 { received += buffer[0..<count] }
        }
        return (false, received)
    }

    deinit { close(descriptor) }
}

/// The memory figures of a running process, from /proc.
struct ProcessMemory {
    /// Resident set size now, and its peak, in bytes.
    let resident: Int
    let peak: Int

    init(pid: Int32) throws {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func kilobytes(_ key: String) throws -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }),
                let value = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({ Int($0) })
            else { throw TestFailure("no \(key) in /proc/\(pid)/status") }
            return value * 1024
        }
        resident = try kilobytes("VmRSS")
        peak = try kilobytes("VmHWM")
    }
}

@Suite("Slow readers")
struct SlowReaderTests {
    @Test("a client that stops reading is disconnected, the others receive everything, and the server's memory stays bounded")
    func stalledClientIsDropped() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("server_config.json", json: ["rate_limit_login_per_address": "off", "message_max_length": 16_000])
        let server = try ServerProcess(["serve", "--port", "0"], in: directory.path)
        let client = HTTPTestClient(port: try await server.waitForPort())
        let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["alice", "bob", "stuck"])
        let stalled = try StalledSocket(port: client.port, token: tokens["stuck"]!)
        let listener = TestSocket(port: client.port, query: "access_token=\(tokens["bob"]!)")
        _ = await listener.next(type: "ready")
        // Warm up the write path, then take the baseline.
        for index in 0..<50 { _ = try await client.post("/api/rooms/Lobby/messages", ["body": "warm-up \(index)"], token: tokens["alice"]) }
        for _ in 0..<50 { _ = await listener.next(type: "message.created") }
        let before = try ProcessMemory(pid: server.pid)

        // 36 MB of events: far more than the kernel's socket buffers and the outbox can hold.
        let body = String(repeating: "x", count: 12_000)
        let total = 3000
        let received = Task {
            var count = 0
            while count < total, await listener.next(type: "message.created") != nil { count += 1 }
            return count
        }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in 0..<4 {
                group.addTask {
                    for index in stride(from: sender, to: total, by: 4) {
                        let result = try await client.post("/api/rooms/Lobby/messages", ["body": "\(index) \(body)"], token: tokens["alice"])
                        guard result.status == 201 else { throw TestFailure("post failed: \(result.status)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(await received.value == total)
        let elapsed = ContinuousClock.now - start
        let closedByServer = stalled.serverClosed(within: .seconds(20))
        #expect(closedByServer)
        let after = try ProcessMemory(pid: server.pid)
        let metrics = try await client.get("/metrics")
        #expect(metrics.text.contains("echochat_realtime_connections 1"))
        #expect(metrics.text.contains("echochat_realtime_slow_disconnects_total 1"))
        // Had the stalled client's events been kept, the server would have grown by more than 36 MB.
        let growth = after.peak - before.resident
        #expect(growth < 20 << 20, "the server grew by \(growth >> 20) MB while a client stalled")
        print("slow reader: \(total) messages of 12 KB delivered in \(elapsed); server RSS \(before.resident >> 20) MB → peak \(after.peak >> 20) MB")
        listener.disconnect()
        server.signal(SIGTERM)
        _ = try await server.waitForExit()
    }

    @Test("a client that stops answering pings is dropped; one that answers stays")
    func heartbeat() async throws {
        try await TestServer.run(config: ["rate_limit_login_per_address": "off", "ws_ping_interval_seconds": 1]) { client, _ in
            let tokens = try await RealTimeTests.setUpRoom(client, "Lobby", ["alice", "bob", "ghost"])
            let start = ContinuousClock.now
            let ghost = try StalledSocket(port: client.port, token: tokens["ghost"]!)
            let listener = TestSocket(port: client.port, query: "access_token=\(tokens["bob"]!)")
            _ = await listener.next(type: "ready")
            let (closed, bytes) = ghost.readUntilClosed(within: .seconds(15))
            #expect(closed)
            let ping: [UInt8] = [0x89, 8] + Array("echochat".utf8)
            #expect(bytes.indices.contains { bytes[$0...].starts(with: ping) }, "the server pinged before giving up")
            #expect(ContinuousClock.now - start >= .seconds(2), "not dropped before two silent intervals")
            // The listener's client library answers pings, so it outlives the ghost and is still served.
            _ = try await client.post("/api/rooms/Lobby/messages", ["body": "still there?"], token: tokens["alice"])
            #expect(await listener.next(type: "message.created") != nil)
            let metrics = try await client.get("/metrics")
            #expect(metrics.text.contains("echochat_realtime_heartbeat_disconnects_total 1"))
            #expect(metrics.text.contains("echochat_realtime_connections 1"))
            listener.disconnect()
        }
    }
}
