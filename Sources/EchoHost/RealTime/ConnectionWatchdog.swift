import EchoPluginAPI
import Foundation
import Logging
import ServiceLifecycle

/// Ends real-time connections whose access token expired (checked every second), and re-checks
/// the sessions behind open connections every `revalidationInterval`, so that revocations made
/// where no event reaches this instance (the operator CLI, another instance) take effect too.
/// One timer for all connections, rather than one per connection.
struct ConnectionWatchdog: Service {
    let hub: ConnectionHub
    let storage: any Storage
    let logger: Logger
    var revalidationInterval: TimeInterval = 30

    func run() async throws {
        var lastRevalidation = Date()
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            } catch is CancellationError {
                return
            }
            let now = Date()
            hub.closeExpired(at: now)
            if now.timeIntervalSince(lastRevalidation) >= revalidationInterval {
                lastRevalidation = now
                await revalidate(at: now)
            }
        }
    }

    private func revalidate(at now: Date) async {
        for (sessionID, userID) in hub.openSessions {
            do {
                let session = try await storage.session(id: sessionID)
                let user = try await storage.user(id: userID)
                if session?.isActive(at: now) != true {
                    hub.end(.sessionEnded(sessionID))
                } else if user?.isDisabled != false {
                    hub.end(.userDisabled(userID))
                }
            } catch {
                logger.debug("session re-check failed; will retry", metadata: ["error": "\(error)"])
                return
            }
        }
    }
}
