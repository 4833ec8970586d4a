import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway OpenLDAP `slapd` for tests: a fresh MDB database under `dc=example,dc=org` with
/// the `memberof` overlay, plain `ldap://` (StartTLS offered) and `ldaps://` on free loopback
/// ports of 127.0.0.1 and 127.0.0.2, a certificate for 127.0.0.1 signed by a test CA made for it,
/// and everything removed at exit.
///
/// Tests share one server and each builds its own subtree (``makeSubtree()``), so they can add,
/// change and delete entries without seeing each other's.
public final class SlapdServer: Sendable {
    public let ldapPort: Int
    public let ldapsPort: Int
    public static let suffix = "dc=example,dc=org"
    public static let adminDN = "cn=admin,dc=example,dc=org"
    public let adminPassword: String
    let root: String
    let slapd: String

    /// `ldap://127.0.0.1:PORT`, the address the server's certificate names.
    public var ldapURI: String { "ldap://127.0.0.1:\(ldapPort)" }
    /// `ldaps://127.0.0.1:PORT`
    public var ldapsURI: String { "ldaps://127.0.0.1:\(ldapsPort)" }
    /// The same server at `127.0.0.2`, an address its certificate does not name.
    public var ldapURIAtOtherAddress: String { "ldap://127.0.0.2:\(ldapPort)" }
    /// `ldaps://127.0.0.2:PORT`, likewise.
    public var ldapsURIAtOtherAddress: String { "ldaps://127.0.0.2:\(ldapsPort)" }
    /// The CA that signed the server's certificate.
    public var caFile: String { root + "/ca.pem" }
    /// A CA that signed nothing the server presents.
    public var otherCAFile: String { root + "/other-ca.pem" }

    /// The server every test shares, started on first use.
    public static func shared() async throws -> SlapdServer {
        try await SharedSlapd.instance.server()
    }

    /// A server of the test's own, for tests that stop and start it. With `anonymousReads`
    /// false, anonymous clients may only bind (as Active Directory and hardened OpenLDAP set-ups do).
    public static func start(anonymousReads: Bool = true) throws -> SlapdServer {
        try SlapdServer(anonymousReads: anonymousReads)
    }

    private init(anonymousReads: Bool = true) throws {
        guard let slapd = ["/usr/sbin/slapd", "/usr/local/sbin/slapd"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw TestServiceError("slapd is not installed (the README's test command installs the slapd package)")
        }
        self.slapd = slapd
        root = FileManager.default.temporaryDirectory.appendingPathComponent("echochat-slapd-\(UUID().uuidString)").path
        adminPassword = UUID().uuidString
        ldapPort = try freeLoopbackPort()
        ldapsPort = try freeLoopbackPort()
        try FileManager.default.createDirectory(atPath: root + "/db", withIntermediateDirectories: true)
        try makeCertificates()
        let modules = ["/usr/lib/ldap", "/usr/lib/x86_64-linux-gnu/ldap", "/usr/lib/aarch64-linux-gnu/ldap"].first {
            FileManager.default.fileExists(atPath: $0 + "/memberof.so") || FileManager.default.fileExists(atPath: $0 + "/memberof.la")
        } ?? "/usr/lib/ldap"
        let config = """
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            include /etc/ldap/schema/nis.schema
            modulepath \(modules)
            moduleload back_mdb
            moduleload memberof
            pidfile \(root)/slapd.pid
            TLSCACertificateFile \(root)/ca.pem
            TLSCertificateFile \(root)/server.pem
            TLSCertificateKeyFile \(root)/server.key
            sizelimit 500
            database mdb
            maxsize 104857600
            suffix "\(Self.suffix)"
            rootdn "\(Self.adminDN)"
            rootpw \(adminPassword)
            directory \(root)/db
            overlay memberof
            \(anonymousReads ? "" : "access to * by users read by anonymous auth")

            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: root + "/slapd.conf"))
        Cleanup.shared.register { [root] in
            Self.kill(root: root)
            try? FileManager.default.removeItem(atPath: root)
        }
        try resume()
        try watchForTestProcessExit()
        try add(
            """
            dn: \(Self.suffix)
            objectClass: dcObject
            objectClass: organization
            o: Example
            dc: example
            """)
    }

    private func makeCertificates() throws {
        let openssl = "/usr/bin/openssl"
        try run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", root + "/ca.key", "-out", root + "/ca.pem", "-days", "2", "-subj", "/CN=EchoChat Test CA"])
        try run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", root + "/other-ca.key", "-out", root + "/other-ca.pem", "-days", "2", "-subj", "/CN=Some Other CA"])
        try run([openssl, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", root + "/server.key", "-out", root + "/server.csr", "-subj", "/CN=localhost"])
        // An address, not "localhost": libldap checks "localhost" against the machine's own host name.
        try Data("subjectAltName=IP:127.0.0.1\n".utf8).write(to: URL(fileURLWithPath: root + "/san.cnf"))
        try run([
            openssl, "x509", "-req", "-in", root + "/server.csr", "-CA", root + "/ca.pem", "-CAkey", root + "/ca.key", "-CAcreateserial",
            "-out", root + "/server.pem", "-days", "2", "-extfile", root + "/san.cnf",
        ])
    }

    private func waitUntilAnswering() throws {
        for _ in 0..<100 {
            if (try? run(["/usr/bin/ldapwhoami", "-x", "-H", ldapURI, "-D", Self.adminDN, "-w", adminPassword])) != nil { return }
            usleep(100_000)
        }
        throw TestServiceError("slapd did not start on \(ldapURI)")
    }

    /// Stops slapd when the test process is gone without running its exit handlers.
    private func watchForTestProcessExit() throws {
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; kill $(cat '\(root)/slapd.pid') 2>/dev/null; sleep 1; rm -rf '\(root)'"
        try spawnDetached(["/bin/sh", "-c", script])
    }

    /// Stops the server; its data stays for ``resume()``.
    public func pause() {
        Self.kill(root: root)
    }

    /// Starts the server (again) and waits until it answers.
    public func resume() throws {
        try run([slapd, "-f", root + "/slapd.conf", "-h", "\(ldapURI)/ \(ldapsURI)/ \(ldapURIAtOtherAddress)/ \(ldapsURIAtOtherAddress)/"])
        try waitUntilAnswering()
    }

    private static func kill(root: String) {
        guard let text = try? String(contentsOfFile: root + "/slapd.pid", encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return }
        Glibc.kill(pid, SIGTERM)
        for _ in 0..<100 where isRunning(pid) { usleep(50_000) }
        if isRunning(pid) { Glibc.kill(pid, SIGKILL) }
    }

    /// Alive and not a zombie (where no init process reaps, an exited daemon lingers as one).
    private static func isRunning(_ pid: pid_t) -> Bool {
        guard Glibc.kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
        return !stat[close...].hasPrefix(") Z")
    }

    /// Adds entries (LDIF) as the directory administrator.
    public func add(_ ldif: String) throws {
        try ldapTool("/usr/bin/ldapadd", ldif)
    }

    /// Applies changes (LDIF with `changetype`) as the directory administrator.
    public func modify(_ ldif: String) throws {
        try ldapTool("/usr/bin/ldapmodify", ldif)
    }

    /// Deletes entries, children first when `recursive`.
    public func delete(_ dn: String, recursive: Bool = false) throws {
        try run(["/usr/bin/ldapdelete", "-x", "-H", ldapURI, "-D", Self.adminDN, "-w", adminPassword] + (recursive ? ["-r"] : []) + [dn])
    }

    /// Renames an entry (its whole subtree moves with it, in one operation).
    public func rename(_ dn: String, to rdn: String) throws {
        try run(["/usr/bin/ldapmodrdn", "-x", "-H", ldapURI, "-D", Self.adminDN, "-w", adminPassword, "-r", dn, rdn])
    }

    /// A new empty organizational unit under the suffix for one test, e.g. `ou=t1a2b3c4,dc=example,dc=org`.
    public func makeSubtree() throws -> String {
        let name = "t" + UUID().uuidString.prefix(8).lowercased()
        let dn = "ou=\(name),\(Self.suffix)"
        try add("dn: \(dn)\nobjectClass: organizationalUnit\nou: \(name)\n")
        return dn
    }

    private func ldapTool(_ tool: String, _ ldif: String) throws {
        let file = root + "/change-\(UUID().uuidString).ldif"
        try Data(ldif.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        try run([tool, "-x", "-H", ldapURI, "-D", Self.adminDN, "-w", adminPassword, "-f", file])
    }

    @discardableResult
    private func run(_ argv: [String]) throws -> String {
        let output = root + "/command-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let status = try spawnAndWait(argv, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], outputPath: output)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw TestServiceError("\(URL(fileURLWithPath: argv[0]).lastPathComponent) exited with \(status): \(text.suffix(2000))")
        }
        return text
    }
}

private actor SharedSlapd {
    static let instance = SharedSlapd()
    private var started: Result<SlapdServer, any Error>?

    func server() throws -> SlapdServer {
        if let started { return try started.get() }
        let result = Result { try SlapdServer.makeForSharing() }
        started = result
        return try result.get()
    }
}

extension SlapdServer {
    fileprivate static func makeForSharing() throws -> SlapdServer { try SlapdServer() }
}

/// A test service (PostgreSQL, slapd) could not be set up.
public struct TestServiceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs the registered clean-ups when the test process exits.
private final class Cleanup: Sendable {
    static let shared = Cleanup()
    private let actions = Mutex<[@Sendable () -> Void]>([])

    private init() {
        atexit { Cleanup.shared.runAll() }
    }

    func register(_ action: @escaping @Sendable () -> Void) {
        actions.withLock { $0.append(action) }
    }

    func runAll() {
        let all = actions.withLock { actions in
            defer { actions = [] }
            return actions
        }
        for action in all { action() }
    }
}
