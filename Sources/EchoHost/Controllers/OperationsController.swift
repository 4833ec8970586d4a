import EchoPluginAPI
import Hummingbird
import Logging

/// `/health` and `/metrics`.
struct OperationsController {
    let storage: any Storage
    let metrics: HostMetrics
    let logger: Logger

    struct Health: Encodable {
        let status: String
        let error: ErrorBody.Detail?
    }

    func addRoutes(to router: Router<EchoRequestContext>) {
        router.get("/health") { _, _ in
            do {
                try await storage.checkHealth()
                return JSONBody.response(Health(status: "ok", error: nil))
            } catch {
                logger.warning("health check failed", metadata: ["error": "\(error)"])
                let failure = APIError.storageUnavailable
                return JSONBody.response(
                    Health(status: "unavailable", error: .init(code: failure.code, message: failure.message)), status: .serviceUnavailable)
            }
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: metrics.render()))
        }
    }
}
