import EchoPluginAPI
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// Keeps the real-time connections honest: every second it runs the heartbeat (silent connections
/// are pinged, and dropped when they stay silent) and ends connections whose access token expired;
/// every `revalidationInterval` it re-checks
/// the sessions behind open connections, so that revocations made
/// where no event reaches this instance (the operator CLI, another instance) take effect too.
/// One timer for all connections, rather than one per connection.
struct ConnectionWatchdog: Service {
    let hub: ConnectionHub
    let storage: any Storage
    let logger: Logger
    let metrics: HostMetrics
    var pingInterval: TimeAmount = .seconds(30)
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
            let dropped = hub.heartbeat(at: .now(), interval: pingInterval)
            if dropped > 0 {
                metrics.recordHeartbeatDisconnects(dropped)
                logger.info("dropped real-time connections that stopped answering pings", metadata: ["count": "\(dropped)"])
            }
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
