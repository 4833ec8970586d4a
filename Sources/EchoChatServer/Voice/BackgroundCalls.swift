import Logging
import ServiceLifecycle

/// LiveKit calls nobody waits for (a participant removed again after a webhook, a room created
/// while LiveKit was down), run by one service so that none outlives the server.
final class BackgroundCalls: Service {
    typealias Call = @Sendable () async -> Void

    private let calls: AsyncStream<Call>
    private let queue: AsyncStream<Call>.Continuation

    init() {
        (calls, queue) = AsyncStream.makeStream(of: Call.self)
    }

    /// Runs `call` soon, beside the others; `false` (and nothing runs) once the server is stopping.
    @discardableResult
    func submit(_ call: @escaping Call) -> Bool {
        if case .terminated = queue.yield(call) { return false }
        return true
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await call in calls {
                    group.addTask(operation: { await call() })
                }
            }
        } onGracefulShutdown: {
            self.queue.finish()
        }
    }
}
