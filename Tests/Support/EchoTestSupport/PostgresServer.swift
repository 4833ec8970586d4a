import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL cluster for tests: `initdb` into a temporary directory, a server on a
/// free loopback port, password (SCRAM) authentication for the `echochat` role, and everything
/// removed at `stop()` or when the test process exits.
///
/// PostgreSQL refuses to run as root; when the tests run as root (as in CI), every PostgreSQL
/// command runs as the unprivileged `postgres` account through `runuser`, and the cluster's
/// directory belongs to that account.
public final class PostgresServer: Sendable {
    public let port: Int
    public let user = "echochat"
    public let password: String
    let root: String
    let binDirectory: String
    let runAs: String?

    /// The server every test shares, started on first use; each test creates its own database.
    public static func shared() async throws -> PostgresServer {
        try await SharedServer.instance.server()
    }

    /// Starts a new cluster. Throws with a clear message when PostgreSQL is not installed (the
    /// README's test command installs it).
    public static func start() throws -> PostgresServer {
        try PostgresServer()
    }

    private init() throws {
        binDirectory = try Self.findBinDirectory()
        runAs = getuid() == 0 ? "postgres" : nil
        password = UUID().uuidString
        root = FileManager.default.temporaryDirectory.appendingPathComponent("echochat-pg-\(UUID().uuidString)").path
        port = try freeLoopbackPort()
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let passwordFile = root + "/password"
        try Data(password.utf8).write(to: URL(fileURLWithPath: passwordFile))
        if let runAs {
            try run("/bin/chown", ["-R", runAs, root], asPostgres: false)
        }
        try run(
            binDirectory + "/initdb",
            [
                "-D", dataDirectory, "-U", user, "--pwfile=\(passwordFile)", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C",
                "--no-sync",
            ])
        try start()
        Cleanup.shared.register(self)
        try watchForTestProcessExit()
    }

    /// A shell that stops the cluster and removes it when the test process is gone without
    /// running its exit handlers (killed, crashed).
    private func watchForTestProcessExit() throws {
        let stop = (runAs.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []) + [binDirectory + "/pg_ctl", "-D", dataDirectory, "-m", "immediate", "stop"]
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; \(stop.map { "'\($0)'" }.joined(separator: " ")) >/dev/null 2>&1; rm -rf '\(root)'"
        try spawnDetached(["/bin/sh", "-c", script])
    }

    var dataDirectory: String { root + "/data" }

    /// `postgres://echochat:…@127.0.0.1:PORT/database`
    public func url(database: String) -> String {
        "postgres://\(user):\(password)@127.0.0.1:\(port)/\(database)"
    }

    /// Creates a new empty database and returns its name.
    public func createDatabase(_ name: String = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()) throws
        -> String
    {
        try psql("CREATE DATABASE \(name)", database: "postgres")
        return name
    }

    /// Runs SQL through `psql` and returns its unaligned output.
    @discardableResult
    public func psql(_ sql: String, database: String) throws -> String {
        try run(
            binDirectory + "/psql",
            ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", database, "-c", sql],
            environment: ["PGPASSWORD": password])
    }

    /// Restores a `pg_dump --format=custom` archive into `database`.
    public func restore(archive: String, into database: String) throws {
        try run(
            binDirectory + "/pg_restore",
            ["--no-owner", "--exit-on-error", "-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", database, archive],
            environment: ["PGPASSWORD": password], asPostgres: false)
    }

    /// Starts the server (again, after ``stop(mode:)``).
    public func start() throws {
        let options = [
            "-p \(port)", "-k \(root)", "-c listen_addresses=127.0.0.1", "-c max_connections=400", "-c fsync=off",
            "-c full_page_writes=off", "-c shared_buffers=32MB",
        ].joined(separator: " ")
        try run(binDirectory + "/pg_ctl", ["-D", dataDirectory, "-o", options, "-l", root + "/server.log", "-w", "-t", "60", "start"])
    }

    /// Stops the server: `fast` ends sessions and shuts down cleanly, `immediate` is a crash.
    public func stop(mode: String = "fast") throws {
        try run(binDirectory + "/pg_ctl", ["-D", dataDirectory, "-m", mode, "-w", "-t", "60", "stop"])
    }

    /// Stops the server and removes the cluster.
    public func destroy() {
        _ = try? stop(mode: "immediate")
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The server's log, for failure messages.
    public var log: String { (try? String(contentsOfFile: root + "/server.log", encoding: .utf8)) ?? "" }

    /// Runs a command to completion. `posix_spawn` and `waitpid` rather than Foundation's
    /// `Process`, whose exit monitoring was seen to miss children started from many test tasks
    /// at once.
    @discardableResult
    func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], asPostgres: Bool = true) throws -> String {
        var argv: [String]
        if asPostgres, let runAs {
            argv = ["/usr/sbin/runuser", "-u", runAs, "--", "/usr/bin/env"] + environment.map { "\($0.key)=\($0.value)" } + [executable] + arguments
        } else {
            argv = [executable] + arguments
        }
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("echochat-pg-cmd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let status = try spawnAndWait(argv, environment: env, outputPath: outputPath)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw PostgresServerError(
                "\(URL(fileURLWithPath: executable).lastPathComponent) \(arguments.prefix(3).joined(separator: " ")) failed (\(status)): \(text)")
        }
        return text
    }

    static func findBinDirectory() throws -> String {
        if let configured = ProcessInfo.processInfo.environment["ECHOCHAT_TEST_PG_BIN"] { return configured }
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted()
        for version in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(base)/\(version)/bin/initdb") {
            return "\(base)/\(version)/bin"
        }
        throw PostgresServerError("PostgreSQL is not installed (no \(base)/*/bin/initdb); run the tests with scripts/test, which installs it")
    }
}

public struct PostgresServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Starts the shared server once, even when many tests ask at the same moment.
private actor SharedServer {
    static let instance = SharedServer()
    private var started: Result<PostgresServer, any Error>?

    func server() throws -> PostgresServer {
        if let started { return try started.get() }
        let result = Result { try PostgresServer.start() }
        started = result
        return try result.get()
    }
}

/// Stops every cluster still running when the test process exits.
private final class Cleanup: Sendable {
    static let shared = Cleanup()
    private let servers = Mutex<[PostgresServer]>([])

    private init() {
        atexit {
            Cleanup.shared.destroyAll()
        }
    }

    func register(_ server: PostgresServer) {
        servers.withLock { $0.append(server) }
    }

    func destroyAll() {
        let all = servers.withLock { servers in
            defer { servers = [] }
            return servers
        }
        for server in all { server.destroy() }
    }
}

/// Spawns `argv` with stdin from /dev/null and stdout and stderr into `outputPath`, and waits
/// for it; returns its exit status (128 + signal when killed).
func spawnAndWait(_ argv: [String], environment: [String], outputPath: String) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let pid = try spawnChild(argv, environment: environment, actions: &actions)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { throw PostgresServerError("waitpid failed for \(argv[0])") }
    }
    return exitCode(fromWaitStatus: status)
}

/// Starts `argv` in the background with no standard streams and does not wait for it.
func spawnDetached(_ argv: [String]) throws {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for descriptor in Int32(0)...2 { posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_RDWR, 0) }
    _ = try spawnChild(argv, actions: &actions)
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw PostgresServerError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw PostgresServerError("bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw PostgresServerError("getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
