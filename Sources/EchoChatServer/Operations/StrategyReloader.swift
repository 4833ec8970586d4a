import EchoPluginAPI
import Foundation
import Logging
import Synchronization

/// `SIGHUP` and `echochat reload`: plugins.json is read again and the `subrooms` slot swapped
/// live, the way Caddy reloads: the new strategy is built, configured and tried on sample rooms
/// before one atomic swap publishes it; if any of that fails, the old one keeps deciding and the
/// reason is logged. The storage and auth slots are never swapped live: a change there is
/// reported as needing a restart. Seats already held stay where they are.
final class StrategyReloader: Sendable {
    /// What one reload did.
    struct Report: Sendable, Equatable {
        var swapped: String?
        var shadowChanged: String?
        var unchanged: Bool = false
        var restartNeeded: [String] = []
        var failure: String?

        var ok: Bool { failure == nil }

        var lines: [String] {
            var lines: [String] = []
            if let failure { lines.append("the sub-room strategy was not changed: \(failure)") }
            if let swapped { lines.append(swapped) }
            if let shadowChanged { lines.append(shadowChanged) }
            if unchanged { lines.append("the sub-room strategy is unchanged") }
            if !restartNeeded.isEmpty {
                lines.append("plugins.json changes \(restartNeeded.joined(separator: " and ")), which take effect after a restart; nothing of them was applied")
            }
            return lines
        }
    }

    private let startup: HostSetup
    private let registry: PluginRegistry
    private let slot: StrategySlot
    private let activation: StrategyActivation
    private let storage: any Storage
    private let audit: ServerAudit
    private let logger: Logger
    /// One reload at a time: one asked for while another runs is refused.
    private let running = Mutex(false)

    init(
        startup: HostSetup, registry: PluginRegistry, slot: StrategySlot, activation: StrategyActivation, storage: any Storage, audit: ServerAudit,
        logger: Logger
    ) {
        self.startup = startup
        self.registry = registry
        self.slot = slot
        self.activation = activation
        self.storage = storage
        self.audit = audit
        self.logger = logger
    }

    /// Reloads; `trigger` says who asked (`SIGHUP`, `echochat reload`), for the log and the audit.
    func reload(trigger: String) async -> Report {
        let acquired = running.withLock { busy -> Bool in
            guard !busy else { return false }
            busy = true
            return true
        }
        guard acquired else { return Report(failure: "another reload is under way; try again when it has finished") }
        defer { running.withLock { $0 = false } }
        let report = await attempt()
        for line in report.lines {
            if report.ok { logger.notice("reload: \(line)", metadata: ["trigger": "\(trigger)"]) } else {
                logger.warning("reload: \(line)", metadata: ["trigger": "\(trigger)"])
            }
        }
        if report.swapped != nil || report.shadowChanged != nil || !report.ok {
            let active = slot.active
            let action = !report.ok ? "strategy.reload_failed" : report.swapped != nil ? "strategy.swapped" : "strategy.shadow_changed"
            var details = ["plugin": active.plugin, "revision": active.revision, "result": report.lines.joined(separator: "; ")]
            if let shadow = active.shadow { details["shadow_revision"] = shadow.revision }
            await audit.record(actor: trigger, action: action, details: details)
        }
        return report
    }

    private func attempt() async -> Report {
        var report = Report()
        let setup: HostSetup
        do {
            setup = try HostSetup.load(configPath: startup.configFile, pluginsPath: startup.pluginsFile, registry: registry)
        } catch {
            report.failure = "\(error)"
            return report
        }
        if !Self.same(setup.storage.selection, startup.storage.selection) { report.restartNeeded.append("the storage slot") }
        // What is live is what the last reload loaded; storage and auth are what start-up loaded.
        if setup.auth.count != startup.auth.count || !zip(setup.auth, startup.auth).allSatisfy({ Self.same($0.selection, $1.selection) }) {
            report.restartNeeded.append("the auth chain")
        }
        let built: (strategy: any SubroomStrategy, shadow: (any SubroomStrategy)?)
        do {
            var current = setup
            current.server = startup.server  // server_config.json is read at start only
            let strategy = try await LoadedPlugins.strategy(current, storage: storage, logger: logger, blocking: ThreadPoolExecutor())
            let shadow = try await current.shadow.asyncMap {
                try await LoadedPlugins.strategy(current, $0, storage: storage, logger: logger, blocking: ThreadPoolExecutor())
            }
            built = (strategy, shadow)
        } catch {
            report.failure = "\(error)"
            return report
        }
        let candidate = activation.activate(built.strategy, selection: setup.subrooms.selection)
        var shadow: ShadowStrategy?
        if let strategy = built.shadow, let selection = setup.shadow?.selection { shadow = activation.shadow(strategy, selection: selection) }
        let previous = slot.active
        let swapsStrategy = candidate.revision != previous.revision
        let changesShadow = shadow?.revision != previous.shadow?.revision
        guard swapsStrategy || changesShadow else {
            report.unchanged = true
            return report
        }
        // The shadow is not tried: its failures are what it is there to show, and never reach a
        // real answer.
        if swapsStrategy, let failure = StrategyActivation.trial(candidate) {
            report.failure = "\(setup.subrooms.id) failed on a sample room: \(failure)"
            return report
        }
        var next = swapsStrategy ? candidate : previous
        next.shadow = shadow
        // Strategies hold no resources (they are pure), so the replaced one needs no shutdown;
        // decisions already under way finish with it.
        slot.swap(to: next)
        if swapsStrategy {
            activation.metrics.recordRevision(candidate.revision, plugin: candidate.plugin, replacing: previous.revision, plugin: previous.plugin)
            report.swapped = "the sub-room strategy is now \(candidate.revision) (was \(previous.revision))"
        }
        if changesShadow {
            report.shadowChanged =
                shadow.map { "the shadow strategy is now \($0.revision) (was \(previous.shadow?.revision ?? "none"))" }
                ?? "the shadow strategy \(previous.shadow?.revision ?? "") was removed"
        }
        return report
    }

    private static func same(_ a: PluginSelection, _ b: PluginSelection) -> Bool {
        a.name == b.name && a.config == b.config
    }
}
