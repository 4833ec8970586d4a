import EchoPluginAPI
import Foundation
import Logging
import ServiceLifecycle

extension StrategyReloader {
    /// One reload: what it did, and the strategies it replaced (for the caller to retire).
    func reloadNow(trigger: String) async -> (Report, [any SubroomStrategy]) {
        let (report, replaced) = await attempt()
        for line in report.lines {
            if report.ok { logger.notice("reload: \(line)", metadata: ["trigger": "\(trigger)"]) } else {
                logger.warning("reload: \(line)", metadata: ["trigger": "\(trigger)"])
            }
        }
        if report.swapped != nil || report.shadowChanged != nil || !report.ok {
            // Structured facts only: a failure's text can quote configuration values.
            let active = slot.active
            var details = ["plugin": active.plugin, "revision": active.revision]
            if let shadow = active.shadow { details["shadow_revision"] = shadow.revision }
            if let failedSlot = report.failedSlot { details["failed"] = failedSlot }
            if !report.restartNeeded.isEmpty { details["restart_needed"] = report.restartNeeded.joined(separator: ", ") }
            let action = !report.ok ? "strategy.reload_failed" : report.swapped != nil ? "strategy.swapped" : "strategy.shadow_changed"
            await audit.record(actor: trigger, action: action, details: details)
        }
        return (report, replaced)
    }

    private func attempt() async -> (Report, [any SubroomStrategy]) {
        var report = Report()
        var setup: HostSetup
        do {
            setup = try HostSetup.load(configPath: startup.configFile, pluginsPath: startup.pluginsFile, registry: registry)
        } catch {
            report.failure = "\(error)"
            report.failedSlot = "configuration"
            return (report, [])
        }
        // What is live is what the last reload loaded; storage and auth are what start-up loaded.
        if !Self.same(setup.storage.selection, startup.storage.selection) { report.restartNeeded.append("the storage slot") }
        if setup.auth.count != startup.auth.count || !zip(setup.auth, startup.auth).allSatisfy({ Self.same($0.selection, $1.selection) }) {
            report.restartNeeded.append("the auth chain")
        }
        setup.server = startup.server  // server_config.json is read at start only
        let previous = slot.active
        var discarded: [any SubroomStrategy] = []
        defer { if !discarded.isEmpty { retireNow(discarded) } }

        let strategy: any SubroomStrategy
        do {
            strategy = try await LoadedPlugins.strategy(setup, storage: storage, logger: logger, blocking: ThreadPoolExecutor())
        } catch {
            report.failure = "\(error)"
            report.failedSlot = setup.subrooms.id.description
            return (report, [])
        }
        var next = previous
        let candidate = activation.activate(strategy, selection: setup.subrooms.selection)
        if candidate.revision == previous.revision {
            discarded.append(strategy)
        } else if strategy is any Service || previous.instance is any Service {
            discarded.append(strategy)
            report.restartNeeded.append("the subrooms slot (its plugin runs in the background)")
        } else {
            let trial = try? await ThreadPoolExecutor().run { StrategyActivation.trial(candidate) }
            if let failure = trial ?? nil {
                discarded.append(strategy)
                report.failure = "\(setup.subrooms.id) failed on a sample room: \(failure)"
                report.failedSlot = setup.subrooms.id.description
                return (report, [])
            }
            next = candidate
        }

        var shadow = previous.shadow
        if let plugin = setup.shadow {
            do {
                let built = try await LoadedPlugins.strategy(setup, plugin, storage: storage, logger: logger, blocking: ThreadPoolExecutor())
                let made = activation.shadow(built, selection: plugin.selection)
                if made.revision == previous.shadow?.revision { discarded.append(built) } else { shadow = made }
            } catch {
                // The live strategy still changes; the shadow stays as it was.
                report.failure = "the shadow strategy: \(error)"
                report.failedSlot = "\(PluginsFile.shadowKey) (\(plugin.id))"
            }
        } else {
            shadow = nil
        }
        next.shadow = shadow
        let swapsStrategy = next.revision != previous.revision
        let changesShadow = shadow?.revision != previous.shadow?.revision
        guard swapsStrategy || changesShadow else {
            if report.ok { report.unchanged = true }
            return (report, [])
        }
        shadows.follow(shadow?.revision)
        slot.swap(to: next)
        var replaced: [any SubroomStrategy] = []
        if swapsStrategy {
            replaced.append(previous.instance)
            activation.metrics.recordRevision(next.revision, plugin: next.plugin, replacing: previous.revision, plugin: previous.plugin)
            report.swapped = "the sub-room strategy is now \(next.revision) (was \(previous.revision))"
            if next.maxParticipants != previous.maxParticipants {
                report.notes.append(
                    "sub-rooms open now keep LiveKit's max_participants of \(previous.maxParticipants.map(String.init) ?? "none") until they empty")
            }
        }
        if changesShadow {
            if let old = previous.shadow { replaced.append(old.instance) }
            report.shadowChanged =
                shadow.map { "the shadow strategy is now \($0.revision) (was \(previous.shadow?.revision ?? "none"))" }
                ?? "the shadow strategy \(previous.shadow?.revision ?? "") was removed"
        }
        return (report, replaced)
    }

    private static func same(_ a: PluginSelection, _ b: PluginSelection) -> Bool {
        a.name == b.name && a.config == b.config
    }
}
