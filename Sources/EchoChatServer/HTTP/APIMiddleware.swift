import EchoPluginAPI
import Hummingbird
import Logging

/// The outermost middleware: turns every error into the JSON error format, counts and times
/// each request by route, and logs it without its query string (which may carry a token).
struct APIMiddleware: RouterMiddleware {
    typealias Context = EchoRequestContext

    let metrics: HostMetrics
    let readiness: ReadinessMonitor
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            if let storageError = error as? StorageError, storageError.isUnavailable { readiness.noteStorageFailure() }
            if let apiError = APIError.from(error) {
                response = try apiError.response(from: request, context: context)
            } else {
                logger.error(
                    "request failed", metadata: ["method": "\(request.method)", "route": "\(context.endpointPath ?? request.uri.path)", "error": "\(error)"])
                response = try APIError.internalError.response(from: request, context: context)
            }
        }
        let duration = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(method: request.method.rawValue, route: route, status: response.status.code, duration: duration)
        logger.log(
            level: response.status.code >= 500 ? .error : .debug, "request",
            metadata: [
                "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
                "duration_ms": "\(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)",
            ])
        return response
    }
}
