import EchoPluginAPI

/// `@username` and `@room` in a message body, found on the server.
///
/// A mention starts with `@` at the start of the body or after a character that cannot be part
/// of a username, and runs over the characters a username may hold (a trailing `.`, `-` or `_`
/// is punctuation, not name). Names are matched without regard to letter case.
enum Mentions {
    /// The most distinct users one message mentions by name; later ones are plain text.
    static let maxUsers = 20

    /// The names mentioned (case-folded, distinct, in order) and whether `@room` is among them.
    static func parse(_ body: String) -> (names: [String], room: Bool) {
        var names: [String] = []
        var room = false
        let scalars = Array(body.unicodeScalars)
        var index = 0
        while index < scalars.count {
            defer { index += 1 }
            guard scalars[index] == "@", index == 0 || !isNameScalar(scalars[index - 1]) else { continue }
            var end = index + 1
            while end < scalars.count, isNameScalar(scalars[end]), end - index <= Usernames.maxLength { end += 1 }
            while end > index + 1, [".", "-", "_"].contains(scalars[end - 1]) { end -= 1 }
            guard end > index + 1 else { continue }
            var name = String.UnicodeScalarView()
            name.append(contentsOf: scalars[(index + 1)..<end])
            let folded = String(name).lowercased()
            if folded == "room" {
                room = true
            } else if let canonical = Usernames.canonical(folded), !names.contains(canonical), names.count < maxUsers {
                names.append(canonical)
            }
            index = end - 1
        }
        return (names, room)
    }

    /// The mentions of `body` as stored, and as the API shows them: names resolved to accounts
    /// (names of no one are plain text), and `@room` only where `mayMentionRoom`.
    static func resolve(_ body: String, mayMentionRoom: Bool, storage: any Storage) async throws -> (MessageMentions, MentionsBody) {
        let (names, room) = parse(body)
        var users: [User] = []
        for name in names {
            if let user = try await storage.user(named: name) { users.append(user) }
        }
        let mentionsRoom = room && mayMentionRoom
        return (MessageMentions(users: users.map(\.id), room: mentionsRoom), MentionsBody(usernames: users.map(\.username), room: mentionsRoom))
    }

    /// Whether the poster may mention everyone: moderators and up in a room, anyone in a direct conversation.
    static func mayMentionRoom(_ access: RoomAccess) -> Bool {
        access.room.kind != .room || access.subject.isServerAdmin || (access.subject.role.map { $0 >= .moderator } ?? false)
    }

    private static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_" || scalar == "-"
    }
}
