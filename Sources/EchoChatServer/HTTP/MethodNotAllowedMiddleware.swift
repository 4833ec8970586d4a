import HTTPTypes
import Hummingbird

/// Answers a path the API has, asked with a method it does not have, with 405 and `Allow`
/// instead of the router's 404. Added after every route, so only unmatched requests reach it.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = EchoRequestContext

    /// Each route's path split into segments, `nil` where a `{parameter}` matches any one segment.
    private let routes: [(segments: [String?], method: HTTPRequest.Method)]

    init(routes: [Router<EchoRequestContext>.RouteDescription]) {
        self.routes = routes.map { route in
            let segments = route.path.description.split(separator: "/", omittingEmptySubsequences: true).map { segment in
                segment.hasPrefix("{") && segment.hasSuffix("}") ? nil : String(segment)
            }
            return (segments, route.method)
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = allowedMethods(for: request.uri.path)
            guard !allowed.isEmpty else { throw error }
            let list = allowed.joined(separator: ", ")
            throw APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed here; allowed: \(list)", headers: [.allow: list])
        }
    }

    /// The methods `path` answers, HEAD included wherever GET is.
    func allowedMethods(for path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var methods = Set<String>()
        for route in routes where route.segments.count == segments.count {
            let matches = zip(route.segments, segments).allSatisfy { template, segment in template.map { $0 == segment } ?? true }
            if matches { methods.insert(route.method.rawValue) }
        }
        if methods.contains("GET") { methods.insert("HEAD") }
        return methods.sorted()
    }
}
