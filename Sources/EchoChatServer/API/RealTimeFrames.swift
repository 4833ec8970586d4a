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

    enum CodingKeys: String, CodingKey { case type, token, room, dm, status }

    /// Fields a frame's type does not use may hold anything, as before they had a meaning: a
    /// field of the wrong kind reads as absent, and the frame's handler says what it lacks.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        token = try? container.decodeIfPresent(String.self, forKey: .token)
        room = try? container.decodeIfPresent(String.self, forKey: .room)
        dm = try? container.decodeIfPresent(Int64.self, forKey: .dm)
        status = try? container.decodeIfPresent(String.self, forKey: .status)
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
