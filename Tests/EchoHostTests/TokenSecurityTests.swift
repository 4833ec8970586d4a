import Crypto
import Foundation
import HTTPTypes
import JWTKit
import Testing

@testable import EchoChatServer

@Suite("Access and refresh token security")
struct TokenSecurityTests {
    @Test("presenting a used refresh token revokes the whole session")
    func refreshReuseRevokesSession() async throws {
        try await TestServer.run { client, _ in
            let (access, first) = try await client.signUp("alice")
            let rotated = try await client.post("/api/auth/refresh", ["refresh_token": first])
            #expect(rotated.status == 200)
            let second = try #require(rotated["refresh_token"] as? String)
            let secondAccess = try #require(rotated["access_token"] as? String)

            let replay = try await client.post("/api/auth/refresh", ["refresh_token": first])
            #expect(replay.status == 401)
            #expect(replay.errorCode == "refresh_token_reused")

            // The legitimate holder's newer token and every access token of the session are dead too.
            let afterReplay = try await client.post("/api/auth/refresh", ["refresh_token": second])
            #expect(afterReplay.status == 401)
            #expect(afterReplay.errorCode == "invalid_refresh_token")
            #expect(try await client.get("/api/me", token: access).status == 401)
            #expect(try await client.get("/api/me", token: secondAccess).status == 401)
            // Other sessions of the same user are untouched.
            #expect(try await client.login("alice").status == 200)
        }
    }

    @Test("a made-up refresh token is refused")
    func unknownRefreshToken() async throws {
        try await TestServer.run { client, _ in
            for token in ["ecr_nonsense", "", String(repeating: "x", count: 10_000)] {
                let result = try await client.post("/api/auth/refresh", ["refresh_token": token])
                #expect(result.status == 401)
                #expect(result.errorCode == "invalid_refresh_token")
            }
        }
    }

    @Test("expired, forged, alg:none and wrong-algorithm access tokens get 401; a correctly signed one passes")
    func accessTokenValidation() async throws {
        try await TestServer.run { client, _ in
            _ = try await client.register("bob")
            let login = try await client.login("bob")
            let userID = try #require((login["user"] as? [String: Any])?["id"] as? Int)
            let session = try #require(login["session_id"] as? String)
            let now = Date()
            func claims(exp: Date) -> AccessClaims {
                AccessClaims(
                    sub: .init(value: String(userID)), sid: session, iat: .init(value: now), exp: .init(value: exp),
                    iss: .init(value: AccessClaims.issuer))
            }
            func sign(_ claims: AccessClaims, secret: String, digest: DigestAlgorithm) async throws -> String {
                let keys = JWTKeyCollection()
                await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: digest)
                return try await keys.sign(claims)
            }

            // Positive control: the same construction with the server's secret and HS256 is accepted.
            let valid = try await sign(claims(exp: now.addingTimeInterval(300)), secret: TestServer.signingSecret, digest: .sha256)
            #expect(try await client.get("/api/me", token: valid).status == 200)

            let expired = try await sign(claims(exp: now.addingTimeInterval(-5)), secret: TestServer.signingSecret, digest: .sha256)
            let forged = try await sign(claims(exp: now.addingTimeInterval(300)), secret: "another-secret-0123456789abcdef0123456789", digest: .sha256)
            let hs512 = try await sign(claims(exp: now.addingTimeInterval(300)), secret: TestServer.signingSecret, digest: .sha512)
            let hs384 = try await sign(claims(exp: now.addingTimeInterval(300)), secret: TestServer.signingSecret, digest: .sha384)
            let payload = valid.split(separator: ".")[1]
            let noneHeader = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64URLEncodedString()
            let algNone = "\(noneHeader).\(payload)."
            let noneWithSignature = "\(noneHeader).\(payload).\(valid.split(separator: ".")[2])"
            // HS256 header over a payload naming another user, signature from the valid token.
            let otherPayload = try JSONSerialization.data(withJSONObject: [
                "sub": String(userID + 1), "sid": session, "iat": Int(now.timeIntervalSince1970),
                "exp": Int(now.timeIntervalSince1970) + 300, "iss": "echochat",
            ]).base64URLEncodedString()
            let parts = valid.split(separator: ".")
            let tampered = "\(parts[0]).\(otherPayload).\(parts[2])"

            for (name, token) in [
                ("expired", expired), ("forged", forged), ("HS512", hs512), ("HS384", hs384), ("alg none", algNone),
                ("alg none with signature", noneWithSignature), ("tampered", tampered), ("garbage", "not.a.jwt"),
                ("empty segments", ".."),
            ] {
                let result = try await client.get("/api/me", token: token)
                #expect(result.status == 401, "\(name)")
                #expect(result.errorCode == "invalid_token", "\(name)")
                #expect(result.headers[.wwwAuthenticate] == "Bearer", "\(name)")
            }
        }
    }

    @Test("unknown username and wrong password get the same 401 body")
    func indistinguishableFailures() async throws {
        try await TestServer.run { client, _ in
            _ = try await client.register("carol")
            let wrongPassword = try await client.login("carol", password: "not her password")
            let unknownUser = try await client.login("nobody-here", password: "not her password")
            let invalidName = try await client.login("no such user!", password: "x")
            #expect(wrongPassword.status == 401)
            #expect(unknownUser.status == 401)
            #expect(wrongPassword.body == unknownUser.body)
            #expect(invalidName.body == unknownUser.body)
            #expect(unknownUser.errorCode == "invalid_credentials")
            let empty = try await client.login("carol", password: "")
            #expect(empty.body == unknownUser.body)
        }
    }

    @Test("base64url is RFC 4648's URL alphabet without padding")
    func base64URL() {
        #expect(Data([0xfb, 0xff]).base64URLEncodedString() == "-_8")
        #expect(Data("any carnal pleas".utf8).base64URLEncodedString() == "YW55IGNhcm5hbCBwbGVhcw")
        #expect(Data().base64URLEncodedString() == "")
        #expect(Data(base64URLEncoded: "-_8") == Data([0xfb, 0xff]))
    }
}
