import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `data_dir/echochat.pid`: the running server's process id, for `echochat reload` to signal.
struct PIDFile: Sendable {
    let path: String

    init(dataDirectory: String) {
        path = URL(fileURLWithPath: dataDirectory).appendingPathComponent("echochat.pid").path
    }

    func write(logger: Logger) {
        do {
            try "\(getpid())\n".write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            logger.warning("cannot write the pid file; echochat reload will not find this server", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// Removed on the way out, unless another server has written its own since.
    func remove() {
        guard read() == getpid() else { return }
        unlink(path)
    }

    /// Whether process `pid` runs the same program as this one, so that a pid file left by a
    /// crash never gets another process signalled.
    static func isEchoChat(_ pid: pid_t) -> Bool {
        let theirs = URL(fileURLWithPath: "/proc/\(pid)/exe").resolvingSymlinksInPath().lastPathComponent
        let ours = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().lastPathComponent
        return theirs == ours
    }

    /// The process id written there, if any.
    func read() -> pid_t? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
