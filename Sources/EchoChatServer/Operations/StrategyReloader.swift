import EchoPluginAPI
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// `SIGHUP` and `echochat reload`: plugins.json is read again and the `subrooms` and
/// `subrooms_shadow` slots swapped live, the way Caddy reloads: the new strategy is built,
/// configured and tried on sample rooms before one atomic swap publishes it; if any of that
/// fails, the old one keeps deciding and the reason is logged. The storage and auth slots are
/// never swapped live: a change there is reported as needing a restart. Seats already held stay
/// where they are.
///
/// Reloads run one after another (one asked for while another runs waits its turn), as this
/// service takes them from a queue. It also owns the strategies reloads built: a replaced one
/// is shut down once decisions that began with it have had time to end, the live ones when the
/// server stops.
final class StrategyReloader: Service, Sendable {
    /// What one reload did.
    struct Report: Sendable, Equatable {
        var swapped: String?
        var shadowChanged: String?
        var unchanged: Bool = false
        var restartNeeded: [String] = []
        var notes: [String] = []
        var failure: String?
        /// What the audit log keeps of a failure: which slot, never the configuration's text.
        var failedSlot: String?

        var ok: Bool { failure == nil }

        var lines: [String] {
            var lines: [String] = []
            if let failure { lines.append("the sub-room strategy was not changed: \(failure)") }
            if let swapped { lines.append(swapped) }
            if let shadowChanged { lines.append(shadowChanged) }
            if unchanged { lines.append("the sub-room strategy is unchanged") }
            lines += notes
            if !restartNeeded.isEmpty {
                lines.append("plugins.json changes \(restartNeeded.joined(separator: " and ")), which take effect after a restart; nothing of them was applied")
            }
            return lines
        }
    }

    private struct Request: Sendable {
        let trigger: String
        let answer: CheckedContinuation<Report, Never>
    }

    let startup: HostSetup
    let registry: PluginRegistry
    let slot: StrategySlot
    let activation: StrategyActivation
    let shadows: ShadowLedger
    let storage: any Storage
    let audit: ServerAudit
    let logger: Logger
    /// How long a replaced strategy is kept before its shutdown, for decisions begun with it.
    let grace: Duration
    private let requests: AsyncStream<Request>
    private let enqueue: AsyncStream<Request>.Continuation
    private let retirements: AsyncStream<(any SubroomStrategy, ContinuousClock.Instant)>
    private let retiring: AsyncStream<(any SubroomStrategy, ContinuousClock.Instant)>.Continuation

    init(
        startup: HostSetup, registry: PluginRegistry, slot: StrategySlot, activation: StrategyActivation, shadows: ShadowLedger, storage: any Storage,
        audit: ServerAudit, logger: Logger, grace: Duration = .seconds(10)
    ) {
        self.startup = startup
        self.registry = registry
        self.slot = slot
        self.activation = activation
        self.shadows = shadows
        self.storage = storage
        self.audit = audit
        self.logger = logger
        self.grace = grace
        (requests, enqueue) = AsyncStream.makeStream(of: Request.self)
        (retirements, retiring) = AsyncStream.makeStream(of: (any SubroomStrategy, ContinuousClock.Instant).self)
    }

    /// Reloads once the reloads before it have run; `trigger` says who asked (`SIGHUP`,
    /// `echochat reload`), for the log and the audit.
    func reload(trigger: String) async -> Report {
        await withCheckedContinuation { answer in
            if case .terminated = enqueue.yield(Request(trigger: trigger, answer: answer)) {
                answer.resume(returning: Report(failure: "the server is stopping"))
            }
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await request in self.requests {
                        let (report, replaced) = await self.reloadNow(trigger: request.trigger)
                        request.answer.resume(returning: report)
                        self.retire(replaced)
                    }
                    self.retiring.finish()
                }
                group.addTask { await self.shutDownRetired() }
            }
        } onGracefulShutdown: { [enqueue] in
            enqueue.finish()
        }
    }

    /// Strategies built and not put in place: nothing decided with them.
    func retireNow(_ strategies: [any SubroomStrategy]) {
        for strategy in strategies { retiring.yield((strategy, ContinuousClock.now)) }
    }

    /// Replaced strategies, shut down after `grace`, in the order they were replaced.
    private func retire(_ strategies: [any SubroomStrategy]) {
        let due = ContinuousClock.now + grace
        for strategy in strategies {
            retiring.yield((strategy, due))
        }
    }

    private func shutDownRetired() async {
        var stopping = false
        for await (strategy, due) in retirements {
            // Once the server stops, the rest are shut down at once.
            if !stopping {
                do {
                    try await cancelWhenGracefulShutdown { try await ContinuousClock().sleep(until: due) }
                } catch {
                    stopping = true
                }
            }
            await shutDown(strategy)
        }
    }

    /// Shuts down the live strategy and shadow, when the server stops (replaced ones were shut
    /// down as they retired).
    func shutDownLive() async {
        let active = slot.active
        await shutDown(active.instance)
        if let shadow = active.shadow { await shutDown(shadow.instance) }
    }

    func shutDown(_ strategy: any SubroomStrategy) async {
        do {
            try await strategy.shutdown()
        } catch {
            logger.warning("a sub-room strategy failed to shut down", metadata: ["error": "\(error)"])
        }
    }
}
