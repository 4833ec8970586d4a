import Hummingbird

/// Verifies the bearer token once, before the body is read, and puts its claims in the context:
/// a 401 costs no storage read.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = EchoRequestContext
    let resolver: AccessResolver

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.claims = try await resolver.claims(bearer: BearerToken.parse(request.headers))
        return try await next(request, context)
    }
}

/// Puts the signed-in caller (session and account, read once) in the context.
struct PrincipalMiddleware: RouterMiddleware {
    typealias Context = EchoRequestContext
    let resolver: AccessResolver

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.principal = try await resolver.principal(try context.requireClaims())
        return try await next(request, context)
    }
}

/// Puts the caller's access to the `{name}` room in the context: session, account and standing
/// in the room in one storage read.
struct RoomAccessMiddleware: RouterMiddleware {
    typealias Context = EchoRequestContext
    let resolver: AccessResolver

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let claims = try context.requireClaims()
        guard let name = context.parameters.get("name").flatMap(RoomNames.fromPath), RoomNames.isValid(name) else {
            _ = try await resolver.principal(claims)  // not signed in is said before no such room
            throw EchoError.roomNotFound
        }
        let access = try await resolver.access(claims, room: name)
        context.principal = access.principal
        context.roomAccess = access
        return try await next(request, context)
    }
}

/// The middleware a controller puts in front of its routes.
struct RouteGuards: Sendable {
    let resolver: AccessResolver

    var authenticated: AuthenticationMiddleware { AuthenticationMiddleware(resolver: resolver) }
    var signedIn: PrincipalMiddleware { PrincipalMiddleware(resolver: resolver) }
    var inRoom: RoomAccessMiddleware { RoomAccessMiddleware(resolver: resolver) }
}
