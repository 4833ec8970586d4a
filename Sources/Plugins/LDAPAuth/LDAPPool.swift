import EchoPluginAPI
import Logging
import NIOPosix

/// A bounded set of connections over the configured servers, with failover and a circuit breaker.
///
/// At most `size` operations run at once, each on its own thread of the pool's `NIOThreadPool`,
/// so blocking libldap calls never reach an event loop and a hanging server cannot take more
/// threads than that. Servers are tried in `uris` order; one that fails to connect or answer is
/// skipped for `retryAfter`, so a dead server costs one timeout, not one per login.
actor LDAPPool {
    let servers: [LDAPServer]
    private let tls: LDAPTLSSettings
    private let timeouts: LDAPTimeouts
    private let size: Int
    private let retryAfter: Duration
    private let threads: NIOThreadPool
    private let logger: Logger

    private var idle: [LDAPConnection] = []
    private var busy = 0
    /// Tasks waiting for a free slot, by ticket, so that one that waited too long can leave.
    private var waiters: [(ticket: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextTicket = 0
    private var downUntil: [Int: ContinuousClock.Instant] = [:]
    /// Why each server marked down failed, for the errors given while it is skipped.
    private var lastFailure: [Int: String] = [:]
    /// Connections opened (or tried) per server, for operators' diagnostics and the tests.
    private(set) var connectionAttempts: [Int: Int] = [:]
    /// Time spent inside libldap per server, measured on the pool's threads (so scheduling
    /// delays elsewhere do not count): what a dead server costs.
    private(set) var blockingTime: [Int: Duration] = [:]
    /// Idle connections older than this are closed rather than reused (servers drop idle clients).
    private let maxIdleAge: Duration = .seconds(600)

    init(servers: [LDAPServer], tls: LDAPTLSSettings, timeouts: LDAPTimeouts, size: Int, retryAfter: Duration, logger: Logger) {
        self.servers = servers
        self.tls = tls
        self.timeouts = timeouts
        self.size = size
        self.retryAfter = retryAfter
        self.logger = logger
        self.threads = NIOThreadPool(numberOfThreads: size)
        threads.start()
    }

    /// Runs `body` on a connection to the first server that answers, and says which one it was.
    ///
    /// A reused connection that turns out dead is replaced once; a server that cannot be
    /// reached is marked down and the next one is tried. Errors from `body` that are not about
    /// reaching the server (a wrong password) are passed on.
    ///
    /// - Throws: ``AuthError/backendUnavailable(_:)`` when no server answers.
    func perform<Result: Sendable>(_ body: @escaping @Sendable (LDAPConnection) throws -> Result) async throws -> (Result, LDAPServer) {
        guard await acquire() else {
            throw AuthError.backendUnavailable("all \(size) directory connections stayed busy; raise pool_size")
        }
        defer { release() }
        var failures: [String] = []
        let now = ContinuousClock.now
        let candidates = servers.filter { (downUntil[$0.index] ?? now) <= now }
        guard !candidates.isEmpty else {
            let reasons = servers.map { "\($0.uri): \(lastFailure[$0.index] ?? "failed")" }.joined(separator: "; ")
            throw AuthError.backendUnavailable("no directory server answered recently; each is retried \(retryAfter.components.seconds) s after it failed: " + reasons)
        }
        for server in candidates {
            if let connection = takeIdle(for: server) {
                do {
                    let result = try await blocking(on: server) { try body(connection) }
                    keep(connection)
                    return (result, server)
                } catch let failure as LDAPFailure where failure.isUnreachable {
                    // Probably closed by the server while idle: retry on a fresh connection below.
                    retire(connection)
                } catch {
                    keepIfClean(connection, after: error)
                    throw error
                }
            }
            let connection: LDAPConnection
            connectionAttempts[server.index, default: 0] += 1
            do {
                connection = try await blocking(on: server) { [tls, timeouts] in try LDAPConnection.open(server, tls: tls, timeouts: timeouts) }
            } catch let failure as LDAPFailure {
                markDown(server, failure)
                failures.append("\(server.uri): \(failure)")
                continue
            }
            // Anything else (a cancelled task, the pool shutting down) says nothing about the server.
            do {
                let result = try await blocking(on: server) { try body(connection) }
                markUp(server)
                keep(connection)
                return (result, server)
            } catch let failure as LDAPFailure where failure.isUnreachable {
                retire(connection)
                markDown(server, failure)
                failures.append("\(server.uri): \(failure)")
            } catch {
                markUp(server)
                keepIfClean(connection, after: error)
                throw error
            }
        }
        throw AuthError.backendUnavailable("no directory server answered: " + failures.joined(separator: "; "))
    }

    /// Runs `work` on the pool's threads and adds the time it took there to the server's account.
    private func blocking<Value: Sendable>(on server: LDAPServer, _ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        let (result, elapsed) = try await threads.runIfActive { () -> (Result<Value, any Error>, Duration) in
            let clock = ContinuousClock()
            let start = clock.now
            let result = Result { try work() }
            return (result, clock.now - start)
        }
        blockingTime[server.index, default: .zero] += elapsed
        return try result.get()
    }

    /// Closes every connection and stops the threads.
    func shutdown() async {
        for connection in idle { retire(connection) }
        idle.removeAll()
        try? await threads.shutdownGracefully()
    }

    private func takeIdle(for server: LDAPServer) -> LDAPConnection? {
        let now = ContinuousClock.now
        idle.removeAll { connection in
            guard now - connection.opened > maxIdleAge else { return false }
            retire(connection)
            return true
        }
        guard let index = idle.lastIndex(where: { $0.server == server }) else { return nil }
        return idle.remove(at: index)
    }

    private func keep(_ connection: LDAPConnection) {
        if let until = downUntil[connection.server.index], until > .now {
            retire(connection)
            return
        }
        // Prefer connections to better servers: when full, drop one to a worse server.
        if idle.count >= size, let worst = idle.indices.max(by: { idle[$0].server.index < idle[$1].server.index }) {
            retire(idle.remove(at: worst))
        }
        idle.append(connection)
    }

    /// Keeps a connection after an LDAP answer (it is healthy); closes it after anything else.
    private func keepIfClean(_ connection: LDAPConnection, after error: any Error) {
        if error is LDAPFailure { keep(connection) } else { retire(connection) }
    }

    /// Closes a connection on the pool's threads: an unbind writes to the network, which is
    /// no work for the actor's executor.
    private func retire(_ connection: LDAPConnection) {
        threads.submit { _ in connection.close() }
    }

    private func markDown(_ server: LDAPServer, _ error: any Error) {
        if downUntil[server.index] == nil {
            logger.warning("directory server not answering; trying the next one", metadata: ["server": "\(server.uri)", "error": "\(error)"])
        }
        downUntil[server.index] = .now + retryAfter
        lastFailure[server.index] = "\(error)"
        idle.removeAll { connection in
            guard connection.server == server else { return false }
            retire(connection)
            return true
        }
    }

    private func markUp(_ server: LDAPServer) {
        lastFailure[server.index] = nil
        if downUntil.removeValue(forKey: server.index) != nil {
            logger.info("directory server answering again", metadata: ["server": "\(server.uri)"])
        }
    }

    /// Takes a slot, waiting at most the operation timeout for one; `false` when none came.
    private func acquire() async -> Bool {
        if busy < size {
            busy += 1
            return true
        }
        let ticket = nextTicket
        nextTicket += 1
        // Long enough for one borrower to open a connection and run a couple of operations.
        let wait = Duration.milliseconds(timeouts.connectMilliseconds + 2 * timeouts.operationMilliseconds)
        let timer = Task { [weak self] in
            try? await Task.sleep(for: wait)
            await self?.giveUp(ticket)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { waiters.append((ticket, $0)) }
    }

    private func giveUp(_ ticket: Int) {
        guard let index = waiters.firstIndex(where: { $0.ticket == ticket }) else { return }
        waiters.remove(at: index).continuation.resume(returning: false)
    }

    /// Hands the slot to the longest waiter, or frees it.
    private func release() {
        if waiters.isEmpty {
            busy -= 1
        } else {
            waiters.removeFirst().continuation.resume(returning: true)
        }
    }
}
