import Crypto
import Foundation
import JWTKit

extension LiveKitClaims {
    /// The claims as JSON text, absent ones left out, in the order LiveKit's SDKs write them.
    var json: [UInt8] {
        var out = JSONText()
        out.raw("{")
        out.key("iss")
        out.string(iss)
        out.member("sub", sub)
        if let nbf { out.raw(",\"nbf\":\(nbf)") }
        if let exp { out.raw(",\"exp\":\(exp)") }
        out.member("name", name)
        out.member("metadata", metadata)
        if let video {
            out.raw(",")
            out.key("video")
            video.write(into: &out)
        }
        out.member("sha256", sha256)
        out.raw("}")
        return out.bytes
    }
}

extension LiveKitVideoGrant {
    func write(into out: inout JSONText) {
        var first = true
        func separator(_ out: inout JSONText) {
            if !first { out.raw(",") }
            first = false
        }
        out.raw("{")
        for (key, value) in [
            ("roomCreate", roomCreate), ("roomList", roomList), ("roomAdmin", roomAdmin), ("roomJoin", roomJoin),
        ] {
            guard let value else { continue }
            separator(&out)
            out.key(key)
            out.raw(value ? "true" : "false")
        }
        if let room {
            separator(&out)
            out.key("room")
            out.string(room)
        }
        for (key, value) in [("canPublish", canPublish), ("canSubscribe", canSubscribe), ("canPublishData", canPublishData)] {
            guard let value else { continue }
            separator(&out)
            out.key(key)
            out.raw(value ? "true" : "false")
        }
        if let canPublishSources {
            separator(&out)
            out.key("canPublishSources")
            out.raw("[")
            for (index, source) in canPublishSources.enumerated() {
                if index > 0 { out.raw(",") }
                out.string(source)
            }
            out.raw("]")
        }
        out.raw("}")
    }
}

/// LiveKit's `video` grant, with its camelCase keys; absent grants are left out of the token.
struct LiveKitVideoGrant: Codable, Sendable, Equatable {
    var roomCreate: Bool?
    var roomList: Bool?
    var roomAdmin: Bool?
    var roomJoin: Bool?
    var room: String?
    var canPublish: Bool?
    var canSubscribe: Bool?
    var canPublishData: Bool?
    var canPublishSources: [String]?
}

/// The claims of a LiveKit access token, as LiveKit's own SDKs write them.
struct LiveKitClaims: JWTPayload {
    var iss: String
    var sub: String?
    var nbf: Int?
    var exp: Int?
    var name: String?
    var metadata: String?
    var video: LiveKitVideoGrant?
    /// Webhook tokens only: base64 of SHA-256 over the body.
    var sha256: String?

    /// LiveKit checks `exp` (required) and `nbf` with a minute of leeway.
    static let leeway: TimeInterval = 60

    func verify(using algorithm: some JWTAlgorithm) async throws {
        let now = Date().timeIntervalSince1970
        guard let exp else {
            throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "the token has no exp")
        }
        guard Double(exp) + Self.leeway > now else {
            throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "the token expired")
        }
        if let nbf, Double(nbf) - Self.leeway > now {
            throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "the token is not valid yet")
        }
    }
}

/// Signs LiveKit tokens (for browsers and for EchoChat's own RoomService calls) and verifies
/// LiveKit's webhook tokens, all HS256 with `livekit_api_secret`.
struct LiveKitTokens: Sendable {
    let apiKey: String
    private let keys: JWTKeyCollection
    /// jwt-kit's HS256 signer, held directly: signing a token is then a plain call rather than a
    /// hop through the key collection's actor on every request.
    private let signer: any JWTAlgorithm
    private static let header = Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8).base64URLEncodedString()

    init(apiKey: String, apiSecret: String) async throws {
        self.apiKey = apiKey
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Self.hmacKeyBytes(apiSecret)), digestAlgorithm: .sha256)
        signer = try await keys.getKey()
    }

    /// A compact JWS: base64url(header) . base64url(claims) . base64url(HS256 signature).
    private func sign(_ claims: LiveKitClaims) throws -> String {
        let input = Self.header + "." + Data(claims.json).base64URLEncodedString()
        let signature = try signer.sign(Array(input.utf8))
        return input + "." + Data(signature).base64URLEncodedString()
    }

    /// The secret's bytes as the HMAC key. HMAC pads a key shorter than the hash's block size
    /// (64 bytes for SHA-256) with zero bytes (RFC 2104, section 2), so a short secret padded with
    /// zeros to 32 bytes signs exactly as the secret itself does — as LiveKit signs with, say, its
    /// development secret `secret` — while meeting the signing library's 32-byte floor.
    static func hmacKeyBytes(_ secret: String) -> [UInt8] {
        var bytes = Array(secret.utf8)
        if bytes.count < 32 { bytes += [UInt8](repeating: 0, count: 32 - bytes.count) }
        return bytes
    }

    /// A browser's token: join one room, as `identity`.
    func clientToken(identity: String, name: String, metadata: String, grant: LiveKitVideoGrant, now: Date, ttl: TimeInterval)
        async throws -> (token: String, expiresAt: Date)
    {
        let issued = Int(now.timeIntervalSince1970.rounded(.down))
        let expires = issued + Int(ttl)
        let claims = LiveKitClaims(iss: apiKey, sub: identity, nbf: issued, exp: expires, name: name, metadata: metadata, video: grant)
        return (try sign(claims), Date(timeIntervalSince1970: Double(expires)))
    }

    /// A token for one RoomService call, with just the grant that call needs.
    func serverToken(grant: LiveKitVideoGrant, now: Date = Date()) async throws -> String {
        let issued = Int(now.timeIntervalSince1970.rounded(.down))
        return try sign(LiveKitClaims(iss: apiKey, nbf: issued, exp: issued + 600, video: grant))
    }

    /// Checks a webhook's `Authorization` value (the bare JWT; a `Bearer ` prefix is accepted
    /// too) against the raw body: HS256 signature with this key, `iss` = the API key, `exp` and
    /// `nbf` with a minute of leeway, and the `sha256` claim equal to base64(SHA-256(body)).
    func verifyWebhook(authorization: String?, body: some DataProtocol) async -> Bool {
        guard var token = authorization?.trimmingCharacters(in: .whitespaces), !token.isEmpty, token.utf8.count <= 8192 else { return false }
        if token.lowercased().hasPrefix("bearer ") { token = String(token.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
        guard TokenService.headerAlgorithm(of: token) == "HS256", let claims = try? await keys.verify(token, as: LiveKitClaims.self),
            claims.iss == apiKey,
            let claimed = claims.sha256.flatMap({ Data(base64Encoded: $0) })
        else { return false }
        let digest = Data(SHA256.hash(data: Data(body)))
        // Constant time: the comparison does not stop at the first differing byte.
        guard claimed.count == digest.count else { return false }
        return zip(claimed, digest).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
