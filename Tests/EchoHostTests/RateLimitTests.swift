import Foundation
import HTTPTypes
import NIOCore
import Testing

@testable import EchoChatServer

@Suite("Rate limits")
struct RateLimitTests {
    @Test("the 11th failed login for one username within a minute gets 429 with Retry-After; others are unaffected")
    func failedLoginsPerUsername() async throws {
        try await TestServer.run { client, _ in
            _ = try await client.register("alice")
            _ = try await client.register("bob")
            for attempt in 1...10 {
                let result = try await client.login("alice", password: "guess \(attempt)")
                #expect(result.status == 401, "attempt \(attempt)")
            }
            let eleventh = try await client.login("alice", password: "guess 11")
            #expect(eleventh.status == 429)
            #expect(eleventh.errorCode == "rate_limited")
            let retryAfter = try #require(eleventh.headers[.retryAfter].flatMap(Int.init))
            #expect((1...60).contains(retryAfter))
            // Even the right password waits: the limit is checked before the password.
            #expect(try await client.login("alice").status == 429)
            // Another user from the same address is not affected.
            #expect(try await client.login("bob").status == 200)
            #expect(try await client.login("bob", password: "wrong").status == 401)
        }
    }

    @Test("successful logins do not use up the failure budget")
    func successesAreFree() async throws {
        try await TestServer.run(config: ["rate_limit_login": "3 per minute"]) { client, _ in
            _ = try await client.register("carol")
            for _ in 1...6 { #expect(try await client.login("carol").status == 200) }
            for _ in 1...3 { #expect(try await client.login("carol", password: "nope").status == 401) }
            #expect(try await client.login("carol", password: "nope").status == 429)
        }
    }

    @Test("per-address limits count failed logins and every registration attempt")
    func perAddressLimits() async throws {
        let config: [String: Any] = ["rate_limit_login_per_address": "4 per minute", "rate_limit_register": "2 per hour"]
        try await TestServer.run(config: config) { client, _ in
            #expect(try await client.register("u1").status == 201)
            #expect(try await client.register("u2").status == 201)
            let third = try await client.register("u3")
            #expect(third.status == 429)
            #expect(third.headers[.retryAfter].flatMap(Int.init).map { $0 > 1000 } == true)
            // Successful logins from a busy office do not use up its address budget.
            for _ in 1...6 { #expect(try await client.login("u1").status == 200) }
            // Failures against any usernames do.
            for name in ["x1", "x2", "x3", "x4"] { #expect(try await client.login(name).status == 401) }
            let limited = try await client.login("u2")
            #expect(limited.status == 429)
            #expect(limited.headers[.retryAfter] != nil)
        }
    }

    @Test("\"off\" disables a limit")
    func off() async throws {
        try await TestServer.run(config: ["rate_limit_login": "off", "rate_limit_login_per_address": "off"]) { client, _ in
            _ = try await client.register("dave")
            for _ in 1...15 { #expect(try await client.login("dave", password: "nope").status == 401) }
        }
    }

    @Test("the window admits N events per period, and the N+1th within the period waits", arguments: [(10, 60.0), (3, 1.0), (30, 3600.0)])
    func slidingWindow(count: Int, period: Double) async {
        let limiter = RateLimiter()
        let rule = RateLimitRule(count: count, period: period)
        let start = Date(timeIntervalSince1970: 1_000_000)
        // Spread the N events over most of the period: the next one still waits for the oldest to leave.
        let step = period * 0.9 / Double(count)
        for index in 0..<count {
            #expect(limiter.consume("k", rule: rule, now: start.addingTimeInterval(Double(index) * step)) == .allowed)
        }
        let last = start.addingTimeInterval(period * 0.95)
        #expect(limiter.consume("k", rule: rule, now: last) == .limited(retryAfter: max(1, Int((period * 0.05).rounded(.up)))))
        #expect(limiter.consume("other", rule: rule, now: last) == .allowed)
        // Once the oldest leaves the window one more is admitted, and then no more.
        let afterOldest = start.addingTimeInterval(period + 0.001)
        #expect(limiter.consume("k", rule: rule, now: afterOldest) == .allowed)
        #expect(limiter.consume("k", rule: rule, now: afterOldest) != .allowed)
        // A refund gives the latest event back.
        limiter.refund("k")
        #expect(limiter.consume("k", rule: rule, now: afterOldest) == .allowed)
    }

    @Test("the 11th failure within the minute is refused even when the failures are spread out")
    func spreadOutFailures() async {
        let limiter = RateLimiter()
        let rule = RateLimitRule(count: 10, period: 60)
        let start = Date(timeIntervalSince1970: 2_000_000)
        for index in 0..<10 { #expect(limiter.consume("alice", rule: rule, now: start.addingTimeInterval(Double(index) * 5)) == .allowed) }
        #expect(limiter.consume("alice", rule: rule, now: start.addingTimeInterval(59)) == .limited(retryAfter: 1))
    }

    @Test("rule syntax", arguments: [
        ("10 per minute", RateLimitRule(count: 10, period: 60)), ("1 per second", RateLimitRule(count: 1, period: 1)),
        ("30 per hour", RateLimitRule(count: 30, period: 3600)), ("5 per days", RateLimitRule(count: 5, period: 86_400)),
    ])
    func ruleSyntax(text: String, rule: RateLimitRule) throws {
        #expect(try RateLimitRule.parse(text) == rule)
    }

    @Test("bad rule syntax is refused", arguments: ["10/minute", "0 per minute", "ten per minute", "10 per fortnight", ""])
    func badRuleSyntax(text: String) {
        #expect(throws: (any Error).self) { try RateLimitRule.parse(text) }
    }

    @Test("X-Forwarded-For is believed only from trusted proxies")
    func clientAddress() throws {
        let peer = try SocketAddress(ipAddress: "10.0.0.5", port: 4000)
        #expect(ClientAddress.resolve(peer: peer, forwardedFor: "1.2.3.4", trustedProxies: []) == "10.0.0.5")
        #expect(ClientAddress.resolve(peer: peer, forwardedFor: "1.2.3.4", trustedProxies: ["10.0.0.5"]) == "1.2.3.4")
        #expect(ClientAddress.resolve(peer: peer, forwardedFor: "6.6.6.6, 1.2.3.4, 10.0.0.6", trustedProxies: ["10.0.0.5", "10.0.0.6"]) == "1.2.3.4")
        #expect(ClientAddress.resolve(peer: peer, forwardedFor: nil, trustedProxies: ["10.0.0.5"]) == "10.0.0.5")
    }
}
