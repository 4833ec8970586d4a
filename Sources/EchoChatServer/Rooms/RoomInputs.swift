import EchoPluginAPI

/// The rules for what people type into rooms: names, topics, messages, ban reasons, settings.
/// Each returns the value to store or throws an error naming the field.
enum RoomInputs {
    /// Control characters other than line breaks and tabs: a NUL, say, would not survive storage.
    static func isRefusedControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control && scalar != "\n" && scalar != "\r" && scalar != "\t"
    }

    static func roomName(_ raw: String) throws -> String {
        let name = RoomNames.normalized(raw)
        guard RoomNames.isValid(name) else { throw EchoError.invalid(RoomNames.rule, code: "invalid_room_name") }
        return name
    }

    static func messageBody(_ body: String, maxLength: Int) throws -> String {
        guard !body.allSatisfy({ $0.isWhitespace }) else {
            throw EchoError.invalid("the message is empty", code: "empty_message")
        }
        guard body.unicodeScalars.count <= maxLength else {
            throw EchoError.tooLarge("message_too_long", "messages are at most \(maxLength) characters (code points)")
        }
        guard !body.unicodeScalars.contains(where: isRefusedControl) else {
            throw EchoError.invalid("messages may hold line breaks and tabs but no other control characters", code: "invalid_message")
        }
        return body
    }

    static func banReason(_ reason: String?) throws -> String? {
        if let reason, reason.count > 500 || reason.unicodeScalars.contains(where: isRefusedControl) {
            throw EchoError.invalid("reason is at most 500 characters, with no control characters but line breaks and tabs", code: "invalid_reason")
        }
        return reason
    }

    static func topic(_ text: String?) throws -> String? {
        guard let text else { return nil }
        guard text.count <= 500, !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" }) else {
            throw EchoError.invalid("topic is at most 500 characters without control characters", code: "invalid_topic")
        }
        return text
    }

    static func visibility(_ text: String?) throws -> RoomVisibility? {
        guard let text else { return nil }
        guard let visibility = RoomVisibility(rawValue: text) else {
            throw EchoError.invalid("visibility must be \"public\" or \"private\"", code: "invalid_visibility")
        }
        return visibility
    }

    static func slowmode(_ seconds: Int?) throws -> Int? {
        guard let seconds else { return nil }
        guard (0...86_400).contains(seconds) else { throw EchoError.invalid("slowmode_seconds must be between 0 and 86400") }
        return seconds
    }

    static func role(_ text: String) throws -> RoomRole {
        guard let role = RoomRole(rawValue: text) else {
            throw EchoError.invalid("role must be owner, admin, moderator or member", code: "invalid_role")
        }
        return role
    }
}
