import EchoPluginAPI
import HTTPTypes
import Hummingbird
import Foundation

/// `/api/auth/*` and `/api/me`.
struct AuthController {
    let accounts: AccountService
    let trustedProxies: Set<String>

    struct RegisterRequest: Decodable {
        let username: String
        let password: String
        let displayName: String?
    }

    struct LoginRequest: Decodable {
        let username: String
        let password: String
    }

    struct RefreshRequest: Decodable {
        let refreshToken: String
    }

    func addRoutes(to router: Router<EchoRequestContext>) {
        router.post("/api/auth/register") { request, context in
            let body = try await JSONBody.decode(RegisterRequest.self, from: request)
            let user = try await accounts.register(
                username: body.username, password: body.password, displayName: body.displayName, client: client(request, context))
            return JSONBody.response(UserEnvelope(user: UserBody(user)), status: .created)
        }
        router.post("/api/auth/login") { request, context in
            let body = try await JSONBody.decode(LoginRequest.self, from: request)
            let issued = try await accounts.login(username: body.username, password: body.password, client: client(request, context))
            return JSONBody.response(TokensBody(issued))
        }
        router.post("/api/auth/refresh") { request, _ in
            let body = try await JSONBody.decode(RefreshRequest.self, from: request)
            return JSONBody.response(TokensBody(try await accounts.refresh(body.refreshToken)))
        }
        router.post("/api/auth/logout") { request, _ in
            try await accounts.logout(try await principal(request))
            return Response(status: .noContent)
        }
        router.get("/api/auth/sessions") { request, _ in
            let principal = try await principal(request)
            let sessions = try await accounts.sessions(of: principal)
            return JSONBody.response(SessionsBody(sessions: sessions.map { SessionBody($0, current: principal.session.id) }))
        }
        router.delete("/api/auth/sessions/{id}") { request, context in
            let principal = try await principal(request)
            guard let id = context.parameters.get("id"), (1...128).contains(id.count) else {
                throw APIError.notFound("no active session with that id", code: "session_not_found")
            }
            try await accounts.revokeSession(SessionID(id), of: principal)
            return Response(status: .noContent)
        }
        router.get("/api/me") { request, _ in
            JSONBody.response(UserEnvelope(user: UserBody(try await principal(request).user)))
        }
    }

    func principal(_ request: Request) async throws -> Principal {
        try await accounts.principal(bearer: Self.bearerToken(request))
    }

    func client(_ request: Request, _ context: EchoRequestContext) -> ClientInfo {
        ClientInfo(
            address: ClientAddress.resolve(
                peer: context.peerAddress, forwardedFor: request.headers[.xForwardedFor], trustedProxies: trustedProxies),
            userAgent: request.headers[.userAgent])
    }

    /// The token of an `Authorization: Bearer <token>` header.
    static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].utf8.count == 6, parts[0].lowercased() == "bearer" else { return nil }
        // Tokens never contain spaces; trim what a client may have added around it.
        var token = parts[1]
        while let first = token.first, first == " " || first == "\t" { token = token.dropFirst() }
        while let last = token.last, last == " " || last == "\t" { token = token.dropLast() }
        return String(token)
    }
}
