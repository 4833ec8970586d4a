/// What a service refuses or fails with, in domain terms: the stable API `code` and a message
/// for people. The HTTP layer alone turns it into a status and headers (`APIError.from`).
///
/// Made only through the static members, so a new kind of failure is one new member:
/// `throw EchoError.notFound("no such room", code: "room_not_found")`.
struct EchoError: Error, Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        /// The request itself is wrong.
        case invalid
        /// No valid credentials came with the request (asks for a bearer token).
        case unauthenticated
        /// The credentials given were checked and refused.
        case refused
        case forbidden
        case notFound
        case conflict
        /// Too large to accept (not the request's body: that is the HTTP layer's).
        case tooLarge
        case rateLimited(retryAfter: Int)
        /// A service EchoChat depends on is down, or a feature is off.
        case unavailable
        /// A service EchoChat depends on answered wrongly.
        case upstreamFailed
    }

    let kind: Kind
    let code: String
    let message: String

    private init(_ kind: Kind, _ code: String, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    var description: String { "\(code): \(message)" }

    static func invalid(_ message: String, code: String = "invalid_request") -> EchoError { EchoError(.invalid, code, message) }

    static func unauthenticated(_ code: String, _ message: String) -> EchoError { EchoError(.unauthenticated, code, message) }

    static let invalidCredentials = EchoError(.refused, "invalid_credentials", "wrong username or password")

    static func forbidden(_ code: String, _ message: String) -> EchoError { EchoError(.forbidden, code, message) }

    static func notFound(_ message: String, code: String = "not_found") -> EchoError { EchoError(.notFound, code, message) }

    static func conflict(_ code: String, _ message: String) -> EchoError { EchoError(.conflict, code, message) }

    static func tooLarge(_ code: String, _ message: String) -> EchoError { EchoError(.tooLarge, code, message) }

    static func rateLimited(retryAfter: Int, code: String = "rate_limited", message: String? = nil) -> EchoError {
        EchoError(.rateLimited(retryAfter: retryAfter), code, message ?? "too many requests; retry in \(retryAfter) s")
    }

    static func unavailable(_ code: String, _ message: String) -> EchoError { EchoError(.unavailable, code, message) }

    static func upstreamFailed(_ code: String, _ message: String) -> EchoError { EchoError(.upstreamFailed, code, message) }

    static let storageUnavailable = unavailable("storage_unavailable", "storage is unavailable; try again shortly")

    static let roomNotFound = notFound("no such room", code: "room_not_found")
}
