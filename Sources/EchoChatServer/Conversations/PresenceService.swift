import ServiceLifecycle

/// Sends this instance's presence changes once a second (all of its users every 30 s) and
/// forgets instances that went quiet.
struct PresenceService: Service {
    let board: PresenceBoard
    let bus: any EventBus
    static let tick: Duration = .seconds(1)
    static let fullEvery = 30

    func run() async throws {
        var ticks = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: Self.tick)
            ticks += 1
            if let batch = board.takeChanges(full: ticks % Self.fullEvery == 0) { await bus.publish(batch) }
            board.purge()
        }
    }
}
