import AsyncHTTPClient
import Foundation
import ServiceLifecycle

/// Runs ``VoiceService/reconcile()`` every `livekit_reconcile_interval_seconds`.
struct VoiceReconciler: Service {
    let voice: VoiceService

    func run() async throws {
        guard voice.config.enabled else {
            // A service that returns would stop the server: wait for the shutdown instead.
            try? await gracefulShutdown()
            return
        }
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(voice.config.reconcileInterval)) }
            } catch is CancellationError {
                return
            }
            await voice.reconcile()
        }
    }
}

/// Shuts an HTTP client down when the server stops.
struct HTTPClientShutdown: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
