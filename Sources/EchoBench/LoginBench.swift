import AsyncHTTPClient
import Foundation
import NIOCore

extension EchoBench {
    /// Login throughput and latency for directory (LDAP) and local users on one server, against
    /// `/health` as the ceiling, each for a third of the duration at the same concurrency. Local
    /// accounts use the production Argon2id cost; directory users bind against the directory given
    /// in `--ldap-config` (a `plugins.json` config object for `auth.ldap`), where `ldapuser0`…
    /// `ldapuserN-1` have the password `bench password`.
    func measureLogins(executable: String) async throws {
        guard let ldapConfig else { throw BenchError("--scenario logins needs --ldap-config FILE") }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ldapConfig)))
        let server = try BenchServer(
            executable: executable, synchronous: synchronous, postgresURL: postgresURL,
            auth: [["plugin": "ldap", "config": config], ["plugin": "local"]])
        defer { server.stop() }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(senders, 16))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await measureLogins(server, API(http: http, base: "http://127.0.0.1:\(server.port)"))
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    func measureLogins(_ server: BenchServer, _ api: API) async throws {
        let users = ldapUsers
        print("echochat at 127.0.0.1:\(server.port); registering \(users) local users and signing in \(users) directory users once…")
        try await forEach(Array(0..<users), width: 16) { index in
            _ = try await api.call("POST", "/api/auth/register", ["username": "localuser\(index)", "password": "bench password"])
            // The first directory login creates the account; the measured ones are the everyday kind.
            _ = try await api.call("POST", "/api/auth/login", ["username": "ldapuser\(index)", "password": "bench password"])
        }
        let phase = duration / 3
        let health = try await closedLoop(seconds: phase) { _, _ in
            try await api.status("GET", "/health", nil, token: nil) == 200
        }
        let concurrency = senders
        func logins(_ prefix: String) async throws -> (LoopResult, Double) {
            let cpuBefore = server.cpuSeconds
            let result = try await closedLoop(seconds: phase) { worker, sequence in
                let user = "\(prefix)\((worker + sequence * concurrency) % users)"
                return try await api.status("POST", "/api/auth/login", ["username": user, "password": "bench password"], token: nil) == 200
            }
            let cpu = server.cpuSeconds - cpuBefore
            return (result, result.count > 0 ? cpu * 1000 / Double(result.count) : 0)
        }
        let (local, localCPU) = try await logins("localuser")
        let (ldap, ldapCPU) = try await logins("ldapuser")

        print("")
        print("EchoChat logins: \(senders) concurrent clients, \(users) users of each kind, \(Int(phase)) s each")
        row("/health", String(format: "%.0f req/s, p50 %.2f ms, p99 %.2f ms (%d failed)", health.rate, health.p50, health.p99, health.failed))
        row("login, local (Argon2id)", String(format: "%.0f req/s, p50 %.2f ms, p99 %.2f ms (%d failed); server CPU %.2f ms/login", local.rate, local.p50, local.p99, local.failed, localCPU))
        row("login, LDAP", String(format: "%.0f req/s, p50 %.2f ms, p99 %.2f ms (%d failed); server CPU %.2f ms/login", ldap.rate, ldap.p50, ldap.p99, ldap.failed, ldapCPU))
        row("LDAP / local", String(format: "%.2f× throughput", ldap.rate / max(local.rate, 1)))
    }
}
