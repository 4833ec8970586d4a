import EchoPluginAPI

/// `@username` and `@room` in a message body, found on the server.
///
/// A mention starts with `@` at the start of the body or after a character that cannot be part
/// of a username, and runs over the characters a username may hold (a trailing `.`, `-` or `_`
/// is punctuation, not name). Names are matched without regard to letter case.
enum Mentions {
    /// The most distinct users one message mentions by name; later ones are plain text.
    static let maxUsers = 20

    /// The names mentioned, each as the names it may be (case-folded, in order): a run ending in
    /// `.`, `-` or `_` is that whole name if someone has it, else the name without the ending
    /// (`@bob.` at the end of a sentence); and whether `@room` is among them. A run longer than a
    /// username can be mentions no one.
    static func parse(_ body: String) -> (names: [[String]], room: Bool) {
        var names: [[String]] = []
        var room = false
        let scalars = Array(body.unicodeScalars)
        var index = 0
        while index < scalars.count {
            defer { index += 1 }
            guard scalars[index] == "@", index == 0 || !isNameScalar(scalars[index - 1]) else { continue }
            var end = index + 1
            while end < scalars.count, isNameScalar(scalars[end]) { end += 1 }
            defer { index = end - 1 }
            guard end - index - 1 <= Usernames.maxLength else { continue }
            var stripped = end
            while stripped > index + 1, [".", "-", "_"].contains(scalars[stripped - 1]) { stripped -= 1 }
            guard stripped > index + 1 else { continue }
            let full = fold(scalars[(index + 1)..<end])
            let short = fold(scalars[(index + 1)..<stripped])
            if short == "room" {
                room = true
                continue
            }
            let candidates = Array(Set([full, short].compactMap(Usernames.canonical))).sorted { $0.count > $1.count }
            if !candidates.isEmpty, !names.contains(candidates), names.count < maxUsers { names.append(candidates) }
        }
        return (names, room)
    }

    /// The mentions of `body` as stored, and as the API shows them: names resolved to accounts
    /// (names of no one are plain text), and `@room` only where `mayMentionRoom`.
    static func resolve(_ body: String, mayMentionRoom: Bool, storage: any Storage) async throws -> (MessageMentions, MentionsBody) {
        let (names, room) = parse(body)
        var users: [User] = []
        for candidates in names {
            for name in candidates {
                guard let user = try await storage.user(named: name) else { continue }
                if !users.contains(where: { $0.id == user.id }) { users.append(user) }
                break
            }
        }
        let mentionsRoom = room && mayMentionRoom
        return (MessageMentions(users: users.map(\.id), room: mentionsRoom), MentionsBody(usernames: users.map(\.username), room: mentionsRoom))
    }

    private static func fold(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view).lowercased()
    }

    /// Whether the poster may mention everyone: moderators and up in a room, anyone in a direct conversation.
    static func mayMentionRoom(_ access: RoomAccess) -> Bool {
        access.room.kind != .room || access.subject.isServerAdmin || (access.subject.role.map { $0 >= .moderator } ?? false)
    }

    private static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_" || scalar == "-"
    }
}
