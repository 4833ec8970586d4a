import EchoPluginAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error answered as `{"error": {"code": ..., "message": ...}}` with a fitting status.
struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    static func badRequest(_ message: String, code: String = "invalid_request") -> APIError {
        APIError(.badRequest, code, message)
    }

    static let internalError = APIError(.internalServerError, "internal_error", "the server failed to handle the request")

    var description: String { "\(status.code) \(code): \(message)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONBody.response(ErrorBody(error: .init(code: code, message: message)), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    /// The one mapping from a domain error to HTTP: its status, and the headers its kind needs.
    init(_ error: EchoError) {
        switch error.kind {
        case .invalid: self.init(.badRequest, error.code, error.message)
        case .unauthenticated: self.init(.unauthorized, error.code, error.message, headers: [.wwwAuthenticate: "Bearer"])
        case .refused: self.init(.unauthorized, error.code, error.message)
        case .forbidden: self.init(.forbidden, error.code, error.message)
        case .notFound: self.init(.notFound, error.code, error.message)
        case .conflict: self.init(.conflict, error.code, error.message)
        case .tooLarge: self.init(.contentTooLarge, error.code, error.message)
        case .rateLimited(let retryAfter):
            var headers = HTTPFields()
            headers[.retryAfter] = String(retryAfter)
            self.init(.tooManyRequests, error.code, error.message, headers: headers)
        case .unavailable: self.init(.serviceUnavailable, error.code, error.message)
        case .upstreamFailed: self.init(.badGateway, error.code, error.message)
        }
    }

    /// The API error for anything a handler threw: our own, Hummingbird's, or a backend's.
    static func from(_ error: any Error) -> APIError? {
        switch error {
        case let error as APIError:
            return error
        case let error as EchoError:
            return APIError(error)
        case let error as StorageError where error.isUnavailable || error.isIncompatibleSchema:
            return APIError(.storageUnavailable)
        case let error as StorageError where error.isNotFound:
            return APIError(.notFound("it no longer exists"))
        case let error as StorageError where error.isConflict:
            return APIError(.conflict("conflict", "a concurrent change conflicts with this request; try again"))
        case let error as AuthError where error.isBackendUnavailable:
            return APIError(.serviceUnavailable, "auth_backend_unavailable", "the login backend is unavailable; try again shortly")
        case let error as LiveKitError:
            return APIError(error.echoError)
        case is NIOTooManyBytesError:
            return JSONBody.tooLarge
        case let error as HTTPError:
            switch error.status {
            case .notFound: return APIError(.notFound, "not_found", "no such endpoint")
            case .contentTooLarge: return APIError(.contentTooLarge, "payload_too_large", "the request body is too large")
            case .methodNotAllowed: return APIError(.methodNotAllowed, "method_not_allowed", "method not allowed")
            default:
                let code = error.status.code < 500 ? "invalid_request" : "internal_error"
                return APIError(error.status, code, error.body ?? error.status.reasonPhrase)
            }
        default:
            return nil
        }
    }
}

struct ErrorBody: Encodable {
    struct Detail: Encodable {
        let code: String
        let message: String
    }
    let error: Detail
}
