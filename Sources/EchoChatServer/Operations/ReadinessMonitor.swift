import EchoPluginAPI
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Whether this instance should be sent traffic (`GET /readyz`), kept current in the background
/// so that a load balancer's frequent probes cost nothing: storage must commit a write (a full
/// disk or a read-only database fails writes while reads go on), LiveKit's RoomService must
/// answer when voice is on, and the server must not be shutting down.
final class ReadinessMonitor: Service {
    struct Status: Equatable, Sendable {
        /// What fails, by name (`storage`, `livekit`, `shutting_down`), with a short public reason
        /// (the details go to the log).
        var failing: [String: String] = [:]
        var isReady: Bool { failing.isEmpty }
    }

    private let storage: any Storage
    private let roomService: RoomServiceClient?
    private let logger: Logger
    private let storageInterval: Duration
    private let livekitInterval: Duration
    private let status = Mutex(Status())
    /// When a request last failed because storage could not write: a probe can pass (a write
    /// into space the database already holds) while writes that need more space fail.
    private let lastWriteFailure = Mutex<ContinuousClock.Instant?>(nil)
    /// How long a failed write keeps the instance not ready.
    let writeFailureWindow: Duration = .seconds(10)

    init(storage: any Storage, roomService: RoomServiceClient?, logger: Logger, storageInterval: Duration = .seconds(2), livekitInterval: Duration = .seconds(10)) {
        self.storage = storage
        self.roomService = roomService
        self.logger = logger
        self.storageInterval = storageInterval
        self.livekitInterval = livekitInterval
    }

    var current: Status {
        var current = status.withLock { $0 }
        if current.failing["storage"] == nil, let last = lastWriteFailure.withLock({ $0 }), ContinuousClock.now - last < writeFailureWindow {
            current.failing["storage"] = "cannot commit writes"
        }
        return current
    }

    /// A request failed because storage could not commit.
    func noteStorageFailure() {
        lastWriteFailure.withLock { $0 = .now }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask(operation: { await self.every(self.storageInterval) { await self.checkStorage() } })
                if let roomService = self.roomService {
                    group.addTask(operation: { await self.every(self.livekitInterval) { await self.checkLiveKit(roomService) } })
                }
            }
        } onGracefulShutdown: {
            self.record("shutting_down", failure: "the server is shutting down")
        }
    }

    private func every(_ interval: Duration, _ check: () async -> Void) async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await check()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }

    private func checkStorage() async {
        do {
            if let probe = storage as? any StorageWriteProbe {
                try await probe.probeWrite(at: Date())
            } else {
                try await storage.checkHealth()
            }
            record("storage", failure: nil)
        } catch {
            record("storage", failure: "cannot commit writes", detail: "\(error)")
        }
    }

    private func checkLiveKit(_ roomService: RoomServiceClient) async {
        var client = roomService
        client.timeout = .seconds(3)
        do {
            try await client.checkReachable()
            record("livekit", failure: nil)
        } catch {
            record("livekit", failure: "LiveKit's RoomService does not answer", detail: "\(error)")
        }
    }

    private func record(_ component: String, failure: String?, detail: String? = nil) {
        let changed = status.withLock { status in
            let before = status.failing[component]
            status.failing[component] = failure
            return before != failure
        }
        guard changed else { return }
        if component == "shutting_down" {
            logger.notice("not ready: the server is shutting down")
        } else if let failure {
            logger.warning("not ready", metadata: ["component": "\(component)", "reason": "\(failure)", "error": "\(detail ?? failure)"])
        } else {
            logger.notice("ready again", metadata: ["component": "\(component)"])
        }
    }
}
