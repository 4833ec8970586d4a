import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The operator commands' side of the control socket: one request, one answer, plain blocking
/// I/O (a command line tool does nothing else meanwhile).
enum ControlClient {
    /// Whether a server answers on `path`.
    static func isServing(at path: String) -> Bool {
        guard let socket = connect(path) else { return false }
        close(socket)
        return true
    }

    /// Sends `request` to the server listening on `path`; `nil` when none listens there.
    static func send(_ request: ControlRequest, to path: String, timeout seconds: Int = 30) throws -> ControlRequest.Answer? {
        guard let socket = connect(path) else { return nil }
        defer { close(socket) }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var line = try JSONEncoder().encode(request)
        line.append(UInt8(ascii: "\n"))
        let written = line.withUnsafeBytes { write(socket, $0.baseAddress, $0.count) }
        guard written == line.count else { throw ControlError("could not send the request to the running server") }
        var answer = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !answer.contains(UInt8(ascii: "\n")) {
            let count = read(socket, &buffer, buffer.count)
            guard count > 0 else { break }
            answer.append(contentsOf: buffer[0..<count])
        }
        guard let decoded = try? JSONDecoder().decode(ControlRequest.Answer.self, from: answer) else {
            throw ControlError("the running server did not answer the request")
        }
        return decoded
    }

    struct ControlError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private static func connect(_ path: String) -> Int32? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return nil }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            return nil
        }
        return socket
    }
}
