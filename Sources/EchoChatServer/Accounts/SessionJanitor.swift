import EchoPluginAPI
import Foundation
import Logging
import ServiceLifecycle

/// Once an hour, deletes sessions that ended more than a week ago and used refresh tokens older
/// than the refresh-token lifetime, so that the session and refresh-token tables stay bounded.
/// A replayed refresh token is recognised (and revokes its session) for that long.
struct SessionJanitor: Service {
    let storage: any Storage
    let logger: Logger
    /// How long used refresh tokens are kept to recognise replays.
    let usedTokenRetention: TimeInterval
    var interval: Duration = .seconds(3600)
    var retention: TimeInterval = 7 * 86_400

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                let now = Date()
                let deleted = try await storage.pruneSessions(
                    endedBefore: now.addingTimeInterval(-retention), usedTokensBefore: now.addingTimeInterval(-usedTokenRetention))
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
