import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP port that accepts connections (the kernel completes the handshake) and never says a
/// word: a hung directory server.
public final class SilentListener: Sendable {
    public let port: Int
    private let fd: Int32
    private let closed = Mutex(false)

    public init() throws {
        port = try freeLoopbackPort()
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw TestServiceError("cannot listen on \(port)") }
    }

    /// Stops listening; call it at the end of the test (in a `defer`), which also keeps the
    /// listener alive until then.
    public func close() {
        let wasClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        if !wasClosed { Glibc.close(fd) }
    }

    deinit { close() }
}
