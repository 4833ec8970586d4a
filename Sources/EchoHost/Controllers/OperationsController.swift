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

    var endpoints: RouteCollection<EchoRequestContext> {
        let routes = RouteCollection(context: EchoRequestContext.self)
        routes.get("/health", use: health)
        routes.get("/metrics", use: renderMetrics)
        return routes
    }

    @Sendable func health(_ request: Request, context: EchoRequestContext) async -> Response {
        do {
            try await storage.checkHealth()
            return JSONBody.response(Health(status: "ok", error: nil))
        } catch {
            logger.warning("health check failed", metadata: ["error": "\(error)"])
            let failure = EchoError.storageUnavailable
            return JSONBody.response(Health(status: "unavailable", error: .init(code: failure.code, message: failure.message)), status: .serviceUnavailable)
        }
    }

    @Sendable func renderMetrics(_ request: Request, context: EchoRequestContext) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: metrics.render()))
    }
}
