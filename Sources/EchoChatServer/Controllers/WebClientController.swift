import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The browser client at `/`, the settings it starts from (`GET /api/config`), and the API's
/// OpenAPI description (`GET /api/openapi.json`).
struct WebClientController {
    /// `GET /api/config`: what the browser client needs before anyone signs in.
    struct ClientConfigBody: Encodable {
        let registrationEnabled: Bool
        let livekitEnabled: Bool
        let livekitClientURL: String
        let version: String
        /// Whether the server keeps presence: clients send no presence frames where it does not.
        var presenceEnabled = true

        enum CodingKeys: String, CodingKey {
            case registrationEnabled = "registration_enabled", livekitEnabled = "livekit_enabled"
            case livekitClientURL = "livekit_client_url", version, presenceEnabled = "presence_enabled"
        }
    }

    /// `nil` when the web client is switched off or its files were not found.
    let assets: WebAssets?
    /// The OpenAPI document's bytes, when the resource bundle has it.
    let openAPI: ByteBuffer?
    let config: ClientConfigBody
    /// Sent with every page of the client.
    let securityHeaders: HTTPFields

    init(assets: WebAssets?, openAPI: ByteBuffer?, config: ClientConfigBody, livekitWSURL: String?) {
        self.assets = assets
        self.openAPI = openAPI
        self.config = config
        var headers = HTTPFields()
        headers[.contentSecurityPolicy] = Self.contentSecurityPolicy(livekitClientURL: config.livekitClientURL, livekitWSURL: livekitWSURL)
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
        headers[.xFrameOptions] = "DENY"
        headers[.cacheControl] = "no-cache"
        securityHeaders = headers
    }

    var endpoints: RouteCollection<EchoRequestContext> {
        let routes = RouteCollection(context: EchoRequestContext.self)
        routes.get("/api/config", use: clientConfig)
        routes.get("/api/openapi.json", use: openAPIDocument)
        for (path, asset) in assets?.assets ?? [:] {
            for route in path == "/index.html" ? ["/", path] : [path] {
                routes.get(RouterPath(route)) { request, _ in serve(asset, to: request) }
            }
        }
        return routes
    }

    @Sendable func clientConfig(_ request: Request, context: EchoRequestContext) -> Response {
        JSONBody.response(config)
    }

    @Sendable func openAPIDocument(_ request: Request, context: EchoRequestContext) throws -> Response {
        guard let openAPI else { throw EchoError.notFound("this build has no OpenAPI document", code: "openapi_missing") }
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"], body: .init(byteBuffer: openAPI))
    }

    private func serve(_ asset: WebAssets.Asset, to request: Request) -> Response {
        var headers = securityHeaders
        headers[.eTag] = asset.etag
        if let tags = request.headers[.ifNoneMatch], tags.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == asset.etag }) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        headers[.contentLength] = String(asset.body.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.body))
    }

    /// Scripts from this server and the one LiveKit client file only (not the rest of its CDN);
    /// connections to this server (its API and WebSocket) and to LiveKit.
    static func contentSecurityPolicy(livekitClientURL: String, livekitWSURL: String?) -> String {
        var scripts = ["'self'"]
        if origin(of: livekitClientURL) != nil, let url = URL(string: livekitClientURL), url.query == nil, !livekitClientURL.contains(";"),
            !livekitClientURL.contains(" ")
        {
            scripts.append(livekitClientURL)
        } else if let origin = origin(of: livekitClientURL) {
            scripts.append(origin)
        }
        var connections = ["'self'"]
        if let livekitWSURL, let origin = origin(of: livekitWSURL) {
            connections.append(origin)
            // LiveKit's client asks the same host over HTTP(S) why a connection failed.
            if let http = origin.replacingPrefix("wss://", with: "https://") ?? origin.replacingPrefix("ws://", with: "http://") {
                connections.append(http)
            }
        }
        return [
            "default-src 'self'", "script-src \(scripts.joined(separator: " "))", "connect-src \(connections.joined(separator: " "))",
            "img-src 'self' data: blob:", "media-src 'self' blob: mediastream:", "style-src 'self'", "worker-src 'self' blob:",
            "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    /// `scheme://host[:port]` of an absolute URL.
    static func origin(of text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else { return nil }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return url.port.map { "\(scheme)://\(bracketed):\($0)" } ?? "\(scheme)://\(bracketed)"
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String, with replacement: String) -> String? {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : nil
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
}
