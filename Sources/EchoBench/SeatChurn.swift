import Crypto
import Foundation
import Synchronization

/// Makes every token request a seat decision: each user holds a joined seat; a cycle sends
/// LiveKit's `participant_left` for them (signed as LiveKit signs webhooks), asks for a token
/// (the strategy decides beside everyone else's seat), and sends `participant_joined` for the new
/// participant.
final class SeatChurn: Sendable {
    let api: API
    let users: [String]
    let room: String
    private let secret = Array("bench-secret-bench-secret-bench-secret".utf8)

    private init(api: API, users: [String], room: String) {
        self.api = api
        self.users = users
        self.room = room
    }

    /// Seats every user (a token, then their join), so each later decision sees the whole room.
    static func start(api: API, users: [String], room: String) async throws -> SeatChurn {
        let churn = SeatChurn(api: api, users: users, room: room)
        for index in users.indices {
            guard try await api.status("POST", "/api/livekit/token", ["room": room], token: users[index]) == 200 else {
                throw BenchError("the first token of voice\(index) was refused")
            }
            try await churn.webhook("participant_joined", user: index, sid: "PA_\(index)_0")
        }
        return churn
    }

    /// The user's current participant, by cycle; workers never share a user at once.
    private let generation = Mutex([Int: Int]())

    func cycle(_ index: Int) async throws -> Bool {
        let current = generation.withLock { $0[index, default: 0] }
        try await webhook("participant_left", user: index, sid: "PA_\(index)_\(current)")
        let granted = try await api.status("POST", "/api/livekit/token", ["room": room], token: users[index]) == 200
        generation.withLock { $0[index] = current + 1 }
        try await webhook("participant_joined", user: index, sid: "PA_\(index)_\(current + 1)")
        return granted
    }

    private func webhook(_ event: String, user index: Int, sid: String) async throws {
        let body: [String: Any] = [
            "event": event, "id": "EV_\(sid)_\(event)", "createdAt": String(Int(Date().timeIntervalSince1970)),
            "room": ["sid": "RM_bench", "name": room],
            "participant": ["sid": sid, "identity": "voice\(index)", "state": event == "participant_left" ? "DISCONNECTED" : "ACTIVE"],
        ]
        let data = try JSONSerialization.data(withJSONObject: body)
        let status = try await api.raw("POST", "/api/livekit/webhook", body: data, headers: ["Authorization": sign(data)])
        guard status == 200 else { throw BenchError("webhook \(event) answered \(status)") }
    }

    /// LiveKit's webhook token: HS256 over `iss`, `nbf`, `exp` and the body's SHA-256.
    private func sign(_ body: Data) -> String {
        let now = Int(Date().timeIntervalSince1970)
        let digest = Data(SHA256.hash(data: body)).base64EncodedString()
        let header = Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8).base64URL
        let claims = Data(#"{"iss":"bench-key","nbf":\#(now - 5),"exp":\#(now + 300),"sha256":"\#(digest)"}"#.utf8).base64URL
        let input = header + "." + claims
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: secret))
        return input + "." + Data(mac).base64URL
    }
}

extension Data {
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
