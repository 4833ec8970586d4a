import NIOCore
import NIOHTTP1

/// The answers given at the edge, before a request reaches the router: the one JSON error
/// shape, always with `Connection: close`, since the connection ends right after.
enum EdgeResponse {
    case badRequest(String)
    case headerTooLarge
    case versionNotSupported
    case bodyTooLarge(limit: Int)
    case timeout

    var status: HTTPResponseStatus {
        switch self {
        case .badRequest: .badRequest
        case .headerTooLarge: .requestHeaderFieldsTooLarge
        case .versionNotSupported: .httpVersionNotSupported
        case .bodyTooLarge: .payloadTooLarge
        case .timeout: .requestTimeout
        }
    }

    var code: String {
        switch self {
        case .badRequest: "invalid_request"
        case .headerTooLarge: "header_too_large"
        case .versionNotSupported: "http_version_not_supported"
        case .bodyTooLarge: "payload_too_large"
        case .timeout: "request_timeout"
        }
    }

    var message: String {
        switch self {
        case .badRequest(let why): "the request is not valid HTTP/1.1: \(why)"
        case .headerTooLarge: "the request's header is too large"
        case .versionNotSupported: "this server speaks HTTP/1.1 (and WebSockets over it)"
        case .bodyTooLarge(let limit): "the request body must be at most \(limit / 1024) KiB"
        case .timeout: "the request's header did not arrive in time"
        }
    }

    /// The JSON body: `{"error":{"code":…,"message":…}}`.
    var body: ByteBuffer {
        var text = JSONText(capacity: 128)
        text.raw(#"{"error":{"code":"\#(code)","message":"#)
        text.string(message)
        text.raw("}}")
        return ByteBuffer(bytes: text.bytes)
    }

    var head: HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: "close")
        return HTTPResponseHead(version: .http1_1, status: status, headers: headers)
    }

    /// The whole response as bytes, for a handler in front of the HTTP encoder.
    var bytes: ByteBuffer {
        var out = ByteBuffer()
        out.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        for header in head.headers { out.writeString("\(header.name): \(header.value)\r\n") }
        out.writeString("\r\n")
        var body = body
        out.writeBuffer(&body)
        return out
    }

    /// What a parser error means for the client.
    init(_ error: HTTPParserError) {
        switch error {
        case .headerOverflow: self = .headerTooLarge
        case .invalidVersion: self = .versionNotSupported
        case .invalidMethod: self = .badRequest("unknown method (methods are upper case)")
        case .unexpectedContentLength: self = .badRequest("Content-Length together with Transfer-Encoding")
        case .invalidContentLength: self = .badRequest("an invalid or repeated Content-Length")
        case .lfExpected: self = .badRequest("a line does not end in CRLF")
        case .invalidHeaderToken, .invalidConstant, .invalidCharactersUsed: self = .badRequest("a malformed request line or header")
        default: self = .badRequest("\(error)")
        }
    }
}
