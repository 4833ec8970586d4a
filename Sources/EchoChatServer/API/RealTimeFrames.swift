import Foundation

/// A frame a client sends: `{"type": "ping"}`, `{"type": "auth", "token": "…"}`.
struct ClientFrame: Decodable {
    let type: String
    let token: String?
    /// `typing`: where.
    let room: String?
    let dm: Int64?
    /// `presence`: `online` or `idle`.
    let status: String?

    /// The frame, or `nil` when it is not a JSON object with a `"type"` (or names a key twice).
    static func parse(_ text: String) -> ClientFrame? {
        guard JSONDuplicateKeys.first(in: text.utf8) == nil else { return nil }
        return try? JSONDecoder().decode(ClientFrame.self, from: Data(text.utf8))
    }
}

struct ReadyFrame: Encodable {
    let type = "ready"
    let user: UserBody
    let rooms: Int
}

struct ErrorFrame: Encodable {
    let type = "error"
    let code: String
    let message: String
}

/// `{"type":"pong"}` and the other fixed frames.
enum FixedFrames {
    static let pong = #"{"type":"pong"}"#
    static let authOK = #"{"type":"auth.ok"}"#
}

extension Encodable {
    /// The value as one WebSocket text frame.
    var frameText: String {
        String(decoding: (try? WireJSON.encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
