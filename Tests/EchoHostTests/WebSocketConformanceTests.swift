import Foundation
import Testing

@testable import EchoChatServer

/// RFC 6455 on the server side, tried with hand-made frames.
@Suite("WebSocket protocol conformance")
struct WebSocketConformanceTests {
    /// Opens `/api/ws` by hand and waits for the `ready` frame.
    static func open(port: Int, token: String) async throws -> RawConnection {
        let connection = try #require(RawConnection(port: port))
        connection.send(
            "GET /api/ws?access_token=\(token) HTTP/1.1\r\nHost: chat\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        let text = await connection.read(until: #""type":"ready""#, timeout: .seconds(15))
        #expect(text.hasPrefix("HTTP/1.1 101"), "\(text)")
        #expect(text.contains(#""type":"ready""#), "\(text)")
        return connection
    }

    /// The close code in the first close frame among `bytes` (server frames are unmasked).
    static func closeCode(in bytes: [UInt8]) -> Int? {
        guard let start = bytes.firstIndex(of: 0x88), start + 3 < bytes.count, bytes[start + 1] >= 2 else { return nil }
        return Int(bytes[start + 2]) << 8 | Int(bytes[start + 3])
    }

    static func masked(_ payload: [UInt8], opcode: UInt8 = 0x1) -> [UInt8] {
        let key: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        return [0x80 | opcode, 0x80 | UInt8(payload.count)] + key + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }

    @Test("an unmasked client frame is answered with close 1002 and the connection ends")
    func unmasked() async throws {
        try await TestServer.run { client, _ in
            let connection = try await Self.open(port: client.port, token: try await client.signUp("alice").access)
            connection.send([0x81, 0x10] + Array(#"{"type":"ping"}"#.utf8) + [0x20])
            let (_, bytes, closed) = await connection.readUntilClosed(timeout: .seconds(10))
            #expect(Self.closeCode(in: bytes) == 1002, "\(bytes)")
            #expect(closed)
        }
    }

    @Test("a text frame that is not UTF-8 is answered with close 1007")
    func invalidUTF8() async throws {
        try await TestServer.run { client, _ in
            let connection = try await Self.open(port: client.port, token: try await client.signUp("alice").access)
            connection.send(Self.masked([0x7B, 0xC3, 0x28, 0x7D]))
            let (_, bytes, _) = await connection.readUntilClosed(timeout: .seconds(3))
            #expect(Self.closeCode(in: bytes) == 1007, "\(bytes)")
        }
    }

    @Test("masked frames of valid text are served as before")
    func maskedText() async throws {
        try await TestServer.run { client, _ in
            let connection = try await Self.open(port: client.port, token: try await client.signUp("alice").access)
            connection.send(Self.masked(Array(#"{"type":"ping"}"#.utf8)))
            let text = await connection.read(until: #"{"type":"pong"}"#, timeout: .seconds(10))
            #expect(text.contains(#"{"type":"pong"}"#), "\(text)")
        }
    }
}
