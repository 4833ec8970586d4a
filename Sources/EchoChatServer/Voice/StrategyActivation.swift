import Crypto
import EchoPluginAPI
import Foundation
import Logging

/// Makes a constructed strategy live: wrapped when sub-rooms are off, its limits resolved
/// against server_config.json's defaults, guarded, and named by its revision. Start-up and every
/// reload go through here, so a swapped-in strategy is set up exactly as the first one was.
struct StrategyActivation: Sendable {
    let defaults: SubroomLimits
    let subroomsEnabled: Bool
    let metrics: StrategyMetrics
    let logger: Logger

    func activate(_ strategy: any SubroomStrategy, selection: PluginSelection, at date: Date = Date()) -> ActiveStrategy {
        let wrapped: any SubroomStrategy = subroomsEnabled ? strategy : SingleSubroomStrategy(wrapping: strategy)
        let limits = wrapped.limits(defaults: defaults)
        return ActiveStrategy(
            decider: StrategyGuard(strategy: wrapped, limits: limits, metrics: metrics, logger: logger), instance: strategy, plugin: selection.name,
            revision: Self.revision(selection, strategy), loadedAt: date)
    }

    /// The shadow strategy of `subrooms_shadow`, set up as the live one would be.
    func shadow(_ strategy: any SubroomStrategy, selection: PluginSelection, at date: Date = Date()) -> ShadowStrategy {
        let wrapped: any SubroomStrategy = subroomsEnabled ? strategy : SingleSubroomStrategy(wrapping: strategy)
        return ShadowStrategy(
            judge: SimulatedStrategy(wrapped, defaults: defaults), instance: strategy, plugin: selection.name, revision: Self.revision(selection, strategy),
            loadedAt: date)
    }

    /// `name:` and the first 16 hex digits of the SHA-256 of the plugin's name, its config
    /// (keys sorted) and the digest of the content it loaded.
    static func revision(_ selection: PluginSelection, _ strategy: any SubroomStrategy) -> String {
        var hash = SHA256()
        hash.update(data: Data(selection.name.utf8))
        hash.update(data: Data([0]))
        hash.update(data: canonical(selection.config))
        hash.update(data: Data([0]))
        hash.update(data: Data(((strategy as? any ContentIdentified)?.contentDigest ?? "").utf8))
        let hex = hash.finalize().map { String(format: "%02x", $0) }.joined()
        return "\(selection.name):\(hex.prefix(16))"
    }

    private static func canonical(_ config: ConfigValue) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(config)) ?? Data(config.description.utf8)
    }

    /// Whether `active` decides a few sample rooms without failing: an empty room, and one with
    /// a few seats (joined and reserved, one publishing a camera). Nothing is logged or counted.
    static func trial(_ active: ActiveStrategy) -> SubroomStrategyFailure? {
        let seats = [
            SubroomSeat(userID: UserID(900_011), state: .joined, publishing: [.microphone]),
            SubroomSeat(userID: UserID(900_012), state: .joined, publishing: [.camera, .microphone]),
            SubroomSeat(userID: UserID(900_013), state: .reserved),
        ]
        let rooms = [[], [SubroomOccupancy(index: 1, seats: seats)]]
        let now = Date()
        for (number, occupancy) in rooms.enumerated() {
            let snapshot = SubroomSnapshot(room: "Lobby", subrooms: occupancy, limits: active.limits)
            let request = SubroomRequest(userID: UserID(900_000 + Int64(number)), preferredIndex: nil)
            if case .failure(let failure) = active.decider.attempt(request, in: snapshot, now: now).result.flatMap({ active.decider.check($0, in: snapshot) }) {
                return failure
            }
        }
        return nil
    }
}
