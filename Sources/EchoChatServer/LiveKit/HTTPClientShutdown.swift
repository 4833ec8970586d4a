import AsyncHTTPClient
import ServiceLifecycle

/// Shuts an HTTP client down when the server stops.
struct HTTPClientShutdown: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
