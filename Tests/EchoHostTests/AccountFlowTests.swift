import Foundation
import HTTPTypes
import Testing

@testable import EchoChatServer

@Suite("Accounts and sessions over HTTP")
struct AccountFlowTests {
    @Test("register, login, /api/me, refresh and logout work end to end")
    func fullFlow() async throws {
        try await TestServer.run { client, _ in
            let registered = try await client.post(
                "/api/auth/register", ["username": "Alice", "password": "correct horse battery", "display_name": "Alice A."])
            #expect(registered.status == 201)
            let user = try #require(registered["user"] as? [String: Any])
            #expect(user["username"] as? String == "alice")
            #expect(user["display_name"] as? String == "Alice A.")
            #expect(user["auth_source"] as? String == "local")
            #expect(user["is_admin"] as? Bool == false)
            #expect(user["id"] is Int)

            let login = try await client.login("ALICE")
            #expect(login.status == 200)
            let access = try #require(login["access_token"] as? String)
            let refresh = try #require(login["refresh_token"] as? String)
            #expect(login["expires_in"] as? Int == 900)
            #expect((login["user"] as? [String: Any])?["username"] as? String == "alice")

            let me = try await client.get("/api/me", token: access)
            #expect(me.status == 200)
            #expect((me["user"] as? [String: Any])?["display_name"] as? String == "Alice A.")

            let refreshed = try await client.post("/api/auth/refresh", ["refresh_token": refresh])
            #expect(refreshed.status == 200)
            let newAccess = try #require(refreshed["access_token"] as? String)
            let newRefresh = try #require(refreshed["refresh_token"] as? String)
            #expect(newRefresh != refresh)
            #expect(try await client.get("/api/me", token: newAccess).status == 200)

            let logout = try await client.post("/api/auth/logout", token: newAccess)
            #expect(logout.status == 204)
            // Logout ends the session: its access tokens and its refresh token stop working at once.
            let afterLogout = try await client.get("/api/me", token: newAccess)
            #expect(afterLogout.status == 401)
            #expect(afterLogout.errorCode == "session_ended")
            #expect(try await client.get("/api/me", token: access).status == 401)
            let refreshAfterLogout = try await client.post("/api/auth/refresh", ["refresh_token": newRefresh])
            #expect(refreshAfterLogout.status == 401)
            #expect(refreshAfterLogout.errorCode == "invalid_refresh_token")
        }
    }

    @Test("usernames are case-folded: Alice and alice are one account")
    func caseFolding() async throws {
        try await TestServer.run { client, _ in
            #expect(try await client.register("Alice").status == 201)
            let again = try await client.register("alice")
            #expect(again.status == 409)
            #expect(again.errorCode == "username_taken")
            #expect(try await client.login("aLiCe").status == 200)
        }
    }

    @Test("session list shows every device; revoking one ends only that one")
    func sessionsListAndRevoke() async throws {
        try await TestServer.run { client, _ in
            let (laptop, _) = try await client.signUp("carol")
            let phoneLogin = try await client.request(
                .post, "/api/auth/login", json: ["username": "carol", "password": "correct horse battery"],
                headers: [.userAgent: "EchoPhone/1.0"])
            let phone = try #require(phoneLogin["access_token"] as? String)
            let phoneSession = try #require(phoneLogin["session_id"] as? String)

            let list = try await client.get("/api/auth/sessions", token: laptop)
            #expect(list.status == 200)
            let sessions = try #require(list["sessions"] as? [[String: Any]])
            #expect(sessions.count == 2)
            #expect(sessions.filter { $0["current"] as? Bool == true }.count == 1)
            #expect(sessions.contains { $0["user_agent"] as? String == "EchoPhone/1.0" })
            #expect(sessions.allSatisfy { $0["client_address"] as? String == "127.0.0.1" })

            #expect(try await client.request(.delete, "/api/auth/sessions/\(phoneSession)", token: laptop).status == 204)
            #expect(try await client.get("/api/me", token: phone).status == 401)
            #expect(try await client.get("/api/me", token: laptop).status == 200)
            #expect(try await client.request(.delete, "/api/auth/sessions/\(phoneSession)", token: laptop).status == 404)

            // Someone else's session id is unknown to me.
            let (dave, _) = try await client.signUp("dave")
            let laptopSession = try #require((list["sessions"] as? [[String: Any]])?.first { $0["current"] as? Bool == true }?["id"] as? String)
            let foreign = try await client.request(.delete, "/api/auth/sessions/\(laptopSession)", token: dave)
            #expect(foreign.status == 404)
            #expect(try await client.get("/api/me", token: laptop).status == 200)
        }
    }

    @Test("registration validates its input and can be switched off")
    func registrationRules() async throws {
        try await TestServer.run { client, _ in
            #expect(try await client.register("bad name!").errorCode == "invalid_username")
            #expect(try await client.register(String(repeating: "a", count: 65)).errorCode == "invalid_username")
            let short = try await client.register("erin", password: "short")
            #expect(short.status == 400)
            #expect(short.errorCode == "weak_password")
            for spoof in ["\u{202E}nimda", "a\u{200B}b", "", String(repeating: "x", count: 65), "tab\there"] {
                let result = try await client.post("/api/auth/register", ["username": "erin", "password": "long enough", "display_name": spoof])
                #expect(result.errorCode == "invalid_display_name", "\(spoof.unicodeScalars.map { String($0.value, radix: 16) })")
            }
            #expect(try await client.post("/api/auth/register", ["username": "emoji", "password": "long enough", "display_name": "Ann 👩‍💻"]).status == 201)
            let missing = try await client.post("/api/auth/register", ["username": "erin"])
            #expect(missing.status == 400)
            #expect((missing.json["error"] as? [String: Any])?["message"] as? String == "missing field \"password\"")
        }
        let closed: [String: Any] = ["auth": [["plugin": "local", "config": ["allow_registration": false]]]]
        try await TestServer.run(plugins: closed) { client, _ in
            // However often someone asks, the answer is that registration is off, not a rate limit.
            for _ in 0..<35 {
                let refused = try await client.register("frank")
                #expect(refused.status == 403)
                #expect(refused.errorCode == "registration_disabled")
            }
        }
    }

    @Test("bad input gets a JSON error, never a crash or an empty 500")
    func badInput() async throws {
        try await TestServer.run { client, _ in
            let cases: [(String, Int, String)] = [
                ("{", 400, "invalid_json"),
                ("[]", 400, "invalid_request"),
                (#"{"username": 5, "password": "x"}"#, 400, "invalid_request"),
                (#"{"username": null, "password": "x"}"#, 400, "invalid_request"),
                ("", 400, "invalid_json"),
                ("\u{0}\u{1}", 400, "invalid_json"),
            ]
            for (body, status, code) in cases {
                let result = try await client.request(.post, "/api/auth/login", rawBody: body)
                #expect(result.status == status, "body \(body.debugDescription)")
                #expect(result.errorCode == code, "body \(body.debugDescription)")
            }
            let huge = try await client.request(
                .post, "/api/auth/register", rawBody: #"{"username":"x","password":""# + String(repeating: "a", count: 200_000) + #""}"#)
            #expect(huge.status == 413)
            #expect(huge.errorCode == "payload_too_large")
            let unknown = try await client.get("/api/nothing-here")
            #expect(unknown.status == 404)
            #expect(unknown.errorCode == "not_found")
            #expect(unknown.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(try await client.get("/api/me").errorCode == "unauthorized")
        }
    }

    @Test("/health answers ok and /metrics counts requests per route and login outcomes")
    func operations() async throws {
        try await TestServer.run { client, _ in
            let health = try await client.get("/health")
            #expect(health.status == 200)
            #expect(health["status"] as? String == "ok")
            _ = try await client.signUp("gina")
            _ = try await client.login("gina", password: "wrong password")
            let metrics = try await client.get("/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.text.contains(#"echochat_logins_total{outcome="success"} 1"#))
            #expect(metrics.text.contains(#"echochat_logins_total{outcome="invalid_credentials"} 1"#))
            #expect(metrics.text.contains(#"echochat_http_requests_total{method="POST",route="/api/auth/login",status="200"} 1"#))
            #expect(metrics.text.contains("echochat_http_request_duration_seconds_bucket"))
        }
    }
}
