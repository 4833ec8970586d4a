import EchoPluginAPI
import Hummingbird

/// `/api/auth/*` and `/api/me`.
struct AuthController {
    let accounts: AccountService
    let sessions: SessionService
    let dms: DirectMessageService
    let guards: RouteGuards
    let trustedProxies: Set<String>

    var endpoints: RouteCollection<EchoRequestContext> {
        let routes = RouteCollection(context: EchoRequestContext.self)
        routes.post("/api/auth/register", use: register)
        routes.post("/api/auth/login", use: login)
        routes.post("/api/auth/refresh", use: refresh)
        routes.add(middleware: guards.authenticated).add(middleware: guards.signedIn)
        routes.post("/api/auth/logout", use: logout)
        routes.get("/api/auth/sessions", use: listSessions)
        routes.delete("/api/auth/sessions/{id}", use: revokeSession)
        routes.get("/api/me", use: me)
        return routes
    }

    @Sendable func register(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(RegisterRequest.self, from: request)
        let user = try await accounts.register(
            username: body.username, password: body.password, displayName: body.displayName, client: client(request, context))
        return JSONBody.response(UserEnvelope(user: UserBody(user)), status: .created)
    }

    @Sendable func login(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(LoginRequest.self, from: request)
        return JSONBody.response(TokensBody(try await accounts.login(username: body.username, password: body.password, client: client(request, context))))
    }

    @Sendable func refresh(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(RefreshRequest.self, from: request)
        return JSONBody.response(TokensBody(try await sessions.refresh(body.refreshToken)))
    }

    @Sendable func logout(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try await sessions.logout(try context.requirePrincipal())
        return Response(status: .noContent)
    }

    @Sendable func listSessions(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let list = try await sessions.sessions(of: principal)
        return JSONBody.response(SessionsBody(sessions: list.map { SessionBody($0, current: principal.session.id) }))
    }

    @Sendable func revokeSession(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard let id = context.parameters.get("id"), (1...128).contains(id.count) else {
            throw EchoError.notFound("no active session with that id", code: "session_not_found")
        }
        try await sessions.revokeSession(SessionID(id), of: principal)
        return Response(status: .noContent)
    }

    @Sendable func me(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        return JSONBody.response(MeBody(user: UserBody(principal.user), dmPolicy: try await dms.policy(of: principal)))
    }

    private func client(_ request: Request, _ context: EchoRequestContext) -> ClientInfo {
        ClientInfo(
            address: ClientAddress.resolve(peer: context.peerAddress, forwardedFor: request.headers[.xForwardedFor], trustedProxies: trustedProxies),
            userAgent: request.headers[.userAgent])
    }
}
