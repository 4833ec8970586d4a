import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage, the peer's address, and who is calling
/// as the authentication middleware found it (after hummingbird-auth's `AuthRequestContext`).
struct EchoRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The TCP peer (a reverse proxy when one is in front).
    let peerAddress: SocketAddress?
    /// The verified claims of the bearer token, on routes behind ``AuthenticationMiddleware``.
    var claims: AccessClaims?
    /// The signed-in caller, on routes behind ``PrincipalMiddleware`` or ``RoomAccessMiddleware``.
    var principal: Principal?
    /// The caller's access to the `{name}` room, on routes behind ``RoomAccessMiddleware``.
    var roomAccess: RoomAccess?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress
    }

    var maxUploadSize: Int { JSONBody.maxRequestBytes }

    func requireClaims() throws -> AccessClaims {
        guard let claims else { throw Self.notSignedIn }
        return claims
    }

    func requirePrincipal() throws -> Principal {
        guard let principal else { throw Self.notSignedIn }
        return principal
    }

    func requireRoomAccess() throws -> RoomAccess {
        guard let roomAccess else { throw Self.notSignedIn }
        return roomAccess
    }

    private static let notSignedIn = EchoError.unauthenticated("unauthorized", "sign in first: send Authorization: Bearer <access_token>")
}
