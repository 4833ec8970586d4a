import EchoPluginAPI
import Foundation
import Logging
import ServiceLifecycle

/// Deletes sessions that ended more than a week ago, once an hour, so that the session and
/// refresh-token tables stay bounded. Recently ended ones are kept for the session list and for
/// recognising replayed refresh tokens.
struct SessionJanitor: Service {
    let storage: any Storage
    let logger: Logger
    var interval: Duration = .seconds(3600)
    var retention: TimeInterval = 7 * 86_400

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                let deleted = try await storage.deleteSessions(endedBefore: Date().addingTimeInterval(-retention))
                if deleted > 0 { logger.info("deleted ended sessions", metadata: ["count": "\(deleted)"]) }
            } catch {
                logger.warning("session cleanup failed", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch is CancellationError {
                return  // shutting down
            }
        }
    }
}
