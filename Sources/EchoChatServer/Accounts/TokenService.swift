import Crypto
import EchoPluginAPI
import Foundation
import JWTKit
import Synchronization

/// The claims of an EchoChat access token.
struct AccessClaims: JWTPayload {
    static let issuer = "echochat"

    /// The user id.
    var sub: SubjectClaim
    /// The session id, so that revoking a session ends its access tokens at once.
    var sid: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var iss: IssuerClaim

    var userID: UserID? { Int64(sub.value).map { UserID($0) } }
    var sessionID: SessionID { SessionID(sid) }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard iss.value == Self.issuer else {
            throw JWTError.claimVerificationFailure(failedClaim: iss, reason: "unexpected issuer")
        }
    }
}

/// Signs and verifies access tokens (HS256 only), and makes refresh tokens and session ids.
struct TokenService: Sendable {
    /// The one algorithm accepted; a token whose header names another is refused before its
    /// signature is looked at.
    static let algorithm = "HS256"

    private let keys: JWTKeyCollection
    let accessTokenTTL: TimeInterval
    /// Tokens whose signature was already checked; a client presents the same one for minutes.
    private let verified = VerifiedTokenCache(capacity: 10_000)

    init(secret: String, accessTokenTTL: TimeInterval) async {
        self.keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.accessTokenTTL = accessTokenTTL
    }

    func accessToken(for userID: UserID, session: SessionID, now: Date) async throws -> String {
        let now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = AccessClaims(
            sub: SubjectClaim(value: String(userID.rawValue)), sid: session.rawValue, iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: now.addingTimeInterval(accessTokenTTL)), iss: IssuerClaim(value: AccessClaims.issuer))
        return try await keys.sign(claims)
    }

    /// The verified claims, or `nil` for a token that is malformed, forged, expired, or uses
    /// any algorithm but HS256 (including `none`).
    func verifiedClaims(_ token: String) async -> AccessClaims? {
        if let claims = verified.claims(for: token) {
            // Verified before; only the expiry can have changed since.
            return claims.exp.value > Date() ? claims : nil
        }
        guard token.utf8.count <= 4096, Self.headerAlgorithm(of: token) == Self.algorithm else { return nil }
        guard let claims = try? await keys.verify(token, as: AccessClaims.self), claims.userID != nil else { return nil }
        verified.insert(claims, for: token)
        return claims
    }

    /// The `alg` of a compact JWS header, or `nil` when the header cannot be read.
    static func headerAlgorithm(of token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Data(base64URLEncoded: String(parts[0])),
            let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any]
        else { return nil }
        return object["alg"] as? String
    }

    /// A new refresh token: 256 random bits.
    static func newRefreshToken() -> String { "ecr_" + randomBytes(32).base64URLEncodedString() }

    /// A new session id: 128 random bits.
    static func newSessionID() -> SessionID { SessionID(randomBytes(16).map { String(format: "%02x", $0) }.joined()) }

    /// What storage keeps of a refresh token.
    static func hash(refreshToken: String) -> RefreshTokenHash {
        RefreshTokenHash(rawValue: SHA256.hash(data: Data(refreshToken.utf8)).map { String(format: "%02x", $0) }.joined())
    }

    static func randomBytes(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}

/// A bounded map from token text to its verified claims; emptied when full.
final class VerifiedTokenCache: Sendable {
    private let capacity: Int
    private let entries = Mutex<[String: AccessClaims]>([:])

    init(capacity: Int) { self.capacity = capacity }

    func claims(for token: String) -> AccessClaims? { entries.withLock { $0[token] } }

    func insert(_ claims: AccessClaims, for token: String) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = claims
        }
    }
}

extension Data {
    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }

    /// Base64url without padding (RFC 4648, section 5), byte by byte rather than through string replacement.
    func base64URLEncodedString() -> String {
        var bytes = [UInt8](base64EncodedData())
        while bytes.last == UInt8(ascii: "=") { bytes.removeLast() }
        for index in bytes.indices {
            if bytes[index] == UInt8(ascii: "+") {
                bytes[index] = UInt8(ascii: "-")
            } else if bytes[index] == UInt8(ascii: "/") {
                bytes[index] = UInt8(ascii: "_")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
