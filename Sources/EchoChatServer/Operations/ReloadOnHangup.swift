import ServiceLifecycle
import UnixSignals

/// SIGHUP reloads plugins.json's strategy slots (what `systemctl reload` sends), instead of
/// ending the server as the signal's default action would.
struct ReloadOnHangup: Service {
    let reloader: StrategyReloader

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            _ = await reloader.reload(trigger: "SIGHUP")
        }
    }
}
