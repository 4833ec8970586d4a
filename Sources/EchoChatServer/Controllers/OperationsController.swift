import EchoPluginAPI
import Hummingbird
import Logging

/// `/health`, `/livez`, `/readyz` and `/metrics`.
struct OperationsController {
    let storage: any Storage
    let metrics: HostMetrics
    let readiness: ReadinessMonitor
    /// Whether `/metrics` is served here (not when `metrics_listen` gives it a listener of its own).
    let servesMetrics: Bool
    let logger: Logger

    struct Readiness: Encodable {
        let status: String
        let failing: [String]
        let reasons: [String: String]
    }

    struct Health: Encodable {
        let status: String
        let error: ErrorBody.Detail?
    }

    var endpoints: RouteCollection<EchoRequestContext> {
        let routes = RouteCollection(context: EchoRequestContext.self)
        routes.get("/health", use: health)
        routes.get("/livez", use: live)
        routes.get("/readyz", use: ready)
        if servesMetrics { routes.get("/metrics", use: renderMetrics) }
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

    /// Liveness: the process answers. Restarting it is the only cure for a no here.
    @Sendable func live(_ request: Request, context: EchoRequestContext) -> Response {
        JSONBody.response(Health(status: "ok", error: nil))
    }

    /// Readiness: whether to send this instance traffic now.
    @Sendable func ready(_ request: Request, context: EchoRequestContext) -> Response {
        let status = readiness.current
        guard !status.isReady else { return JSONBody.response(Readiness(status: "ready", failing: [], reasons: [:])) }
        return JSONBody.response(Readiness(status: "degraded", failing: status.failing.keys.sorted(), reasons: status.failing), status: .serviceUnavailable)
    }

    @Sendable func renderMetrics(_ request: Request, context: EchoRequestContext) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: metrics.render()))
    }
}
