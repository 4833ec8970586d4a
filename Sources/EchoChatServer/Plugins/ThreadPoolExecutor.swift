import EchoPluginAPI
import NIOPosix

/// Runs plugins' blocking work (password hashing, C client libraries) on NIO's shared thread
/// pool, never on an event loop.
struct ThreadPoolExecutor: BlockingExecutor {
    let pool: NIOThreadPool

    init(pool: NIOThreadPool = .singleton) {
        self.pool = pool
    }

    func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await pool.runIfActive(work)
    }
}
