import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection for tests that speak bytes the way an attacker or a broken client
/// would: no HTTP library in between.
final class RawConnection {
    let socket: Int32

    /// Connects to 127.0.0.1:`port`, from `source` (another loopback address) when given; `nil`
    /// when the connection cannot be made.
    init?(port: Int, from source: String? = nil) {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return nil }
        if let source {
            var local = Self.address(source, port: 0)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(socket)
                return nil
            }
        }
        var remote = Self.address("127.0.0.1", port: port)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            return nil
        }
    }

    deinit { close(socket) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until the server closes the connection or `timeout` passes: what arrived, and
    /// whether the connection was closed. Polls without blocking, so that neither the
    /// concurrency pool (which an in-process server needs) nor a dispatch thread is held.
    func readUntilClosed(timeout: Duration) async -> (text: String, bytes: [UInt8], closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 0) > 0 else {
                try? await Task.sleep(for: .milliseconds(2))
                continue
            }
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { return (String(decoding: received, as: UTF8.self), received, true) }
            received += buffer[0..<count]
        }
        return (String(decoding: received, as: UTF8.self), received, false)
    }

    /// Reads until what arrived contains `marker`, the server closes, or `timeout` passes.
    func read(until marker: String, timeout: Duration) async -> String {
        let deadline = ContinuousClock.now + timeout
        var text = ""
        while ContinuousClock.now < deadline && !text.contains(marker) {
            let (more, _, closed) = await readUntilClosed(timeout: .milliseconds(50))
            text += more
            if closed { break }
        }
        return text
    }

    /// The status code of the first HTTP response in `text`.
    static func status(of text: String) -> Int? {
        guard text.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }

    private static func address(_ host: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }
}
