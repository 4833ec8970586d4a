import EchoPluginAPI
import Foundation
import Synchronization

/// The strategy decisions are made with, as one value: the guarded strategy, its limits and
/// declared maximum, which revision it is, and the shadow strategy that accompanies it.
struct ActiveStrategy: Sendable {
    /// The strategy as the host guards it.
    let decider: StrategyGuard
    /// The plugin as it was built, to shut down once it is replaced.
    let instance: any SubroomStrategy
    /// The plugin's name in plugins.json (`capacity`, `wasm`).
    let plugin: String
    /// The plugin's name and a digest of its configuration and what it loaded (a module's bytes):
    /// `wasm:3f2a9c0d1e2b4a5f`. The same plugins.json gives the same revision.
    let revision: String
    let loadedAt: Date
    /// The strategy asked beside this one on every decision without acting on its answer.
    var shadow: ShadowStrategy? = nil

    var limits: SubroomLimits { decider.limits }
    var maxParticipants: Int? { decider.maxParticipants }
}

/// The one place the live strategy is kept. A reload publishes a new one with a single swap, so
/// every decision (which reads the slot once) uses the old strategy or the new, never a mix.
final class StrategySlot: Sendable {
    private let current: Mutex<ActiveStrategy>

    init(_ strategy: ActiveStrategy) {
        current = Mutex(strategy)
    }

    var active: ActiveStrategy { current.withLock { $0 } }

    /// Publishes `strategy`; answers the one it replaced.
    @discardableResult
    func swap(to strategy: ActiveStrategy) -> ActiveStrategy {
        current.withLock { current in
            let previous = current
            current = strategy
            return previous
        }
    }
}
