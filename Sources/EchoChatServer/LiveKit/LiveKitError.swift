import Foundation

/// What went wrong talking to LiveKit.
enum LiveKitError: Error, CustomStringConvertible {
    /// LiveKit could not be reached (connection refused, timeout, TLS failure).
    case unreachable(String)
    /// LiveKit answered with a Twirp error.
    case twirp(code: String, message: String, status: Int)
    /// LiveKit answered with something that is not what its API describes.
    case invalidResponse(String)

    var description: String {
        switch self {
        case .unreachable(let reason): "LiveKit is unreachable: \(reason)"
        case .twirp(let code, let message, let status): "LiveKit answered \(status) \(code): \(message)"
        case .invalidResponse(let reason): "LiveKit's answer could not be read: \(reason)"
        }
    }

    var isNotFound: Bool {
        if case .twirp(let code, _, _) = self { return code == "not_found" }
        return false
    }

    /// The error for a client: unavailable when LiveKit is down, an upstream failure when it refused.
    var echoError: EchoError {
        switch self {
        case .unreachable: .unavailable("livekit_unavailable", "the voice server (LiveKit) cannot be reached; try again shortly")
        case .twirp(let code, _, let status) where code == "unavailable" || status == 503:
            .unavailable("livekit_unavailable", "the voice server (LiveKit) is unavailable; try again shortly")
        case .twirp(let code, let message, _) where !code.hasPrefix("http_"):
            .upstreamFailed("livekit_error", "LiveKit refused: \(code): \(message)")
        case .twirp(_, _, let status): .upstreamFailed("livekit_error", "LiveKit answered HTTP \(status)")
        case .invalidResponse: .upstreamFailed("livekit_error", "LiveKit's answer could not be read")
        }
    }
}
