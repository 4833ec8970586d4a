import Foundation

/// LiveKit room names of EchoChat rooms: `Lobby`, `Lobby(2)`, `Lobby(3)`, … with
/// `livekit_room_prefix` in front. EchoChat room names never contain parentheses, so a name maps
/// back unambiguously.
struct LiveKitRoomNames: Sendable {
    let prefix: String

    func name(of room: String, subroom: Int) -> String {
        prefix + room + (subroom > 1 ? "(\(subroom))" : "")
    }

    /// `Lobby(3)` → (`Lobby`, 3); `Lobby` → (`Lobby`, 1); `nil` for a name without the prefix.
    func parse(_ livekitName: String) -> (room: String, subroom: Int)? {
        guard livekitName.hasPrefix(prefix) else { return nil }
        return Self.split(String(livekitName.dropFirst(prefix.count)))
    }

    /// A room name with an optional `(N)` suffix (N ≥ 2).
    static func split(_ name: String) -> (room: String, subroom: Int)? {
        guard name.hasSuffix(")"), let open = name.lastIndex(of: "(") else { return name.isEmpty ? nil : (name, 1) }
        let digits = name[name.index(after: open)..<name.index(before: name.endIndex)]
        guard let index = Int(digits), index >= 2, String(index) == digits, open > name.startIndex else { return nil }
        return (String(name[..<open]), index)
    }
}
