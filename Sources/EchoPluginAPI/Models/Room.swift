public import Foundation

/// The stable numeric identifier of a room.
public struct RoomID: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// The raw database value.
    public let rawValue: Int64
    /// Wraps a raw database value.
    public init(rawValue: Int64) { self.rawValue = rawValue }
    /// Wraps a raw database value.
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
    public static func < (lhs: RoomID, rhs: RoomID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Who may see and join a room.
public enum RoomVisibility: String, Hashable, Codable, Sendable, CaseIterable {
    /// Listed for everyone; anyone signed in may join.
    case `public`
    /// Listed for members only; joining needs an invite.
    case `private`
}

/// A room's voice settings.
public struct VoiceSettings: Hashable, Codable, Sendable {
    /// Whether the room has voice at all.
    public var enabled: Bool
    /// Whether participants may publish their camera.
    public var allowVideo: Bool
    /// Whether participants may share their screen.
    public var allowScreenShare: Bool

    /// Creates voice settings.
    public init(enabled: Bool = true, allowVideo: Bool = true, allowScreenShare: Bool = true) {
        self.enabled = enabled
        self.allowVideo = allowVideo
        self.allowScreenShare = allowScreenShare
    }
}

/// What a room row holds.
///
/// - Note: Added in EchoPluginAPI 1.11.
public enum RoomKind: String, Hashable, Codable, Sendable, CaseIterable {
    /// A room of the directory, found by its name.
    case room
    /// A one-to-one direct conversation.
    case direct
    /// A group direct conversation.
    case group

    /// The kind of a stored row from its name: conversation rows are named
    /// `DM:direct:<unique>` or `DM:group:<unique>`, names no room can have (`:` is not allowed in
    /// room names) and no name lookup can reach (lookups lower-case the name they are given, and
    /// these begin in capitals). The built-in storages follow this convention.
    public init(storedName name: String) {
        if name.hasPrefix("DM:direct:") {
            self = .direct
        } else if name.hasPrefix("DM:group:") {
            self = .group
        } else {
            self = .room
        }
    }

    /// A fresh stored name for a conversation row of this kind (see ``init(storedName:)``).
    public func newStoredName() -> String {
        "DM:\(rawValue):\(UUID().uuidString)"
    }
}

/// A chat room.
public struct Room: Hashable, Sendable {
    /// The storage-assigned identifier.
    public var id: RoomID
    /// The unique name (`Lobby`); compared case-insensitively for uniqueness.
    public var name: String
    /// A one-line description.
    public var topic: String
    /// Public or private (invite-only).
    public var visibility: RoomVisibility
    /// Whether only moderators and up may post.
    public var isReadonly: Bool
    /// Seconds a member must wait between messages; 0 for none. Moderators and up are exempt.
    public var slowmodeSeconds: Int
    /// Voice settings.
    public var voice: VoiceSettings
    /// When the room was created.
    public var createdAt: Date
    /// A room of the directory, or the row behind a direct conversation (``DirectMessageStore``);
    /// taken from the name (see ``RoomKind/init(storedName:)``).
    ///
    /// - Note: Added in EchoPluginAPI 1.11.
    public var kind: RoomKind

    /// Creates a room value.
    public init(
        id: RoomID, name: String, topic: String = "", visibility: RoomVisibility = .public, isReadonly: Bool = false,
        slowmodeSeconds: Int = 0, voice: VoiceSettings = VoiceSettings(), createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.topic = topic
        self.visibility = visibility
        self.isReadonly = isReadonly
        self.slowmodeSeconds = slowmodeSeconds
        self.voice = voice
        self.createdAt = createdAt
        self.kind = RoomKind(storedName: name)
    }
}

/// The fields of a room to be created.
public struct NewRoom: Hashable, Sendable {
    /// The room's name.
    public var name: String
    /// A one-line description.
    public var topic: String
    /// Public or private.
    public var visibility: RoomVisibility
    /// Whether only moderators and up may post.
    public var isReadonly: Bool
    /// Seconds between a member's messages.
    public var slowmodeSeconds: Int
    /// Voice settings.
    public var voice: VoiceSettings
    /// The creation time.
    public var createdAt: Date

    /// Creates the fields of a new room.
    public init(
        name: String, topic: String = "", visibility: RoomVisibility = .public, isReadonly: Bool = false, slowmodeSeconds: Int = 0,
        voice: VoiceSettings = VoiceSettings(), createdAt: Date
    ) {
        self.name = name
        self.topic = topic
        self.visibility = visibility
        self.isReadonly = isReadonly
        self.slowmodeSeconds = slowmodeSeconds
        self.voice = voice
        self.createdAt = createdAt
    }
}

/// A partial update of a room: `nil` leaves a field as it is.
public struct RoomUpdate: Hashable, Sendable {
    /// A new topic.
    public var topic: String?
    /// A new visibility.
    public var visibility: RoomVisibility?
    /// A new readonly flag.
    public var isReadonly: Bool?
    /// A new slowmode interval.
    public var slowmodeSeconds: Int?
    /// New voice settings.
    public var voice: VoiceSettings?

    /// Creates an update.
    public init(
        topic: String? = nil, visibility: RoomVisibility? = nil, isReadonly: Bool? = nil, slowmodeSeconds: Int? = nil,
        voice: VoiceSettings? = nil
    ) {
        self.topic = topic
        self.visibility = visibility
        self.isReadonly = isReadonly
        self.slowmodeSeconds = slowmodeSeconds
        self.voice = voice
    }
}

/// A member's role in a room, highest first: owner, admin, moderator, member.
public enum RoomRole: String, Hashable, Codable, Sendable, CaseIterable, Comparable {
    /// Ordinary member.
    case member
    /// May delete others' messages, ban and kick members.
    case moderator
    /// May change the room's settings and roles below admin.
    case admin
    /// Owns the room; may delete it and transfer ownership.
    case owner

    /// Higher roles compare greater.
    public var rank: Int {
        switch self {
        case .member: 1
        case .moderator: 2
        case .admin: 3
        case .owner: 4
        }
    }

    public static func < (lhs: RoomRole, rhs: RoomRole) -> Bool { lhs.rank < rhs.rank }
}

/// A user's membership of a room.
public struct Membership: Hashable, Sendable {
    /// The room.
    public var roomID: RoomID
    /// The member.
    public var userID: UserID
    /// Their role.
    public var role: RoomRole
    /// When they joined.
    public var joinedAt: Date

    /// Creates a membership value.
    public init(roomID: RoomID, userID: UserID, role: RoomRole, joinedAt: Date) {
        self.roomID = roomID
        self.userID = userID
        self.role = role
        self.joinedAt = joinedAt
    }
}

/// A ban: the user may not join, read, post or get voice in the room.
public struct RoomBan: Hashable, Sendable {
    /// The room.
    public var roomID: RoomID
    /// The banned user.
    public var userID: UserID
    /// Who banned them.
    public var bannedBy: UserID
    /// Why, as the moderator wrote it.
    public var reason: String?
    /// When.
    public var createdAt: Date

    /// Creates a ban value.
    public init(roomID: RoomID, userID: UserID, bannedBy: UserID, reason: String?, createdAt: Date) {
        self.roomID = roomID
        self.userID = userID
        self.bannedBy = bannedBy
        self.reason = reason
        self.createdAt = createdAt
    }
}
