import EchoPluginAPI

/// Who asks to act in a room.
struct PolicySubject: Hashable, Sendable {
    var isServerAdmin = false
    /// Their role, or `nil` when they are not a member.
    var role: RoomRole?
    var isBanned = false
    var hasInvite = false
    /// Whether they are the room's only owner (leaving would orphan the room).
    var isLastOwner = false
}

/// The room's properties that permissions depend on.
struct PolicyRoom: Hashable, Sendable {
    var visibility: RoomVisibility
    var isReadonly = false
    var voiceEnabled = true
}

/// The user an action is done to.
struct PolicyTarget: Hashable, Sendable {
    /// Their role, or `nil` when they are not a member.
    var role: RoomRole?
    var isServerAdmin = false
    var isSelf = false
}

/// Everything one can do in a room.
enum RoomAction: Hashable, Sendable {
    case view, join, leave, post
    /// Adding or removing an emoji reaction: members, also in a readonly room.
    case react
    case editMessage(isAuthor: Bool)
    case deleteMessage(isAuthor: Bool)
    case updateSettings, deleteRoom, invite, listBans, unban, readAudit, joinVoice
    case setRole(RoomRole)
    case transferOwnership, kick, ban, moderateVoice
}

/// A room setting that moderators are not held to.
enum RoomRestriction: Hashable, Sendable {
    case readonly, slowmode
}

/// The answer: allowed, or refused with the API error to send.
enum PolicyDecision: Hashable, Sendable {
    case allow
    /// Refused; `hidden` rooms answer 404 so that outsiders cannot learn they exist.
    case deny(code: String, message: String, hidden: Bool)

    var isAllowed: Bool { self == .allow }
}

/// The one place room permissions are decided. Pure: the caller gathers the facts.
///
/// Roles rank owner > admin > moderator > member; nobody acts on someone of equal or higher rank,
/// and server administrators outrank every room role (but not each other).
enum RoomPolicy {
    static func decide(_ action: RoomAction, by subject: PolicySubject, in room: PolicyRoom, on target: PolicyTarget? = nil) -> PolicyDecision {
        if subject.isBanned && !subject.isServerAdmin {
            return deny("banned", "you are banned from this room")
        }
        let canSee = subject.isServerAdmin || subject.role != nil || room.visibility == .public
        guard canSee else {
            if action == .join && subject.hasInvite { return .allow }
            if action == .join { return .deny(code: "invite_required", message: "this room is invite-only", hidden: true) }
            return .deny(code: "room_not_found", message: "no such room", hidden: true)
        }
        let rank = subject.isServerAdmin ? 5 : subject.role?.rank ?? 0
        let isMember = subject.role != nil

        switch action {
        case .view:
            return .allow
        case .join:
            return room.visibility == .public || isMember || subject.hasInvite || subject.isServerAdmin
                ? .allow : deny("invite_required", "this room is invite-only")
        case .react:
            return isMember ? .allow : deny("not_member", "join the room to react to its messages")
        case .leave:
            guard isMember else { return deny("not_member", "you are not a member of this room") }
            return subject.isLastOwner ? deny("last_owner", "transfer ownership before leaving: you are the only owner") : .allow
        case .post:
            guard isMember || subject.isServerAdmin else { return deny("not_member", "join the room to post") }
            if room.isReadonly && !isExempt(subject, from: .readonly) {
                return deny("readonly", "only moderators can post in this room")
            }
            return .allow
        case .editMessage(let isAuthor):
            guard isAuthor else { return deny("forbidden", "only the author can edit a message") }
            return isMember || subject.isServerAdmin ? .allow : deny("not_member", "join the room to edit your messages")
        case .deleteMessage(let isAuthor):
            if isAuthor && (isMember || subject.isServerAdmin) { return .allow }
            return requireRank(.moderator, rank, over: target)
        case .updateSettings:
            return requireRank(.admin, rank)
        case .deleteRoom:
            return requireRank(.owner, rank)
        case .invite, .listBans, .unban:
            return requireRank(.moderator, rank)
        case .readAudit:
            return requireRank(.admin, rank)
        case .joinVoice:
            guard isMember || subject.isServerAdmin else { return deny("not_member", "join the room to use its voice channel") }
            return room.voiceEnabled ? .allow : deny("voice_disabled", "this room has no voice channel")
        case .setRole(let newRole):
            guard target?.role != nil else { return deny("not_member", "that user is not a member of this room") }
            guard newRole != .owner else { return deny("forbidden", "use the ownership transfer to make someone owner") }
            // You may only hand out roles below your own, to people below you.
            guard rank > newRole.rank else { return deny("insufficient_role", "you cannot grant a role equal to or above your own") }
            return requireRank(.admin, rank, over: target)
        case .transferOwnership:
            guard target?.role != nil, target?.isSelf == false else {
                return deny("not_member", "ownership can only go to another member of the room")
            }
            // Only an owner hands on what they hold; a server admin would leave two owners behind.
            return subject.role == .owner ? .allow : deny("insufficient_role", "only an owner can transfer ownership")
        case .kick, .moderateVoice:
            guard target?.role != nil else { return deny("not_member", "that user is not a member of this room") }
            return requireRank(.moderator, rank, over: target)
        case .ban:
            return requireRank(.moderator, rank, over: target)
        }
    }

    /// Whether `subject` posts in a readonly room, and without waiting out slowmode: moderators
    /// and above, and server admins.
    static func isExempt(_ subject: PolicySubject, from restriction: RoomRestriction) -> Bool {
        subject.isServerAdmin || (subject.role?.rank ?? 0) >= RoomRole.moderator.rank
    }

    /// Allowed when `rank` reaches `minimum` and, with a target, strictly outranks them.
    private static func requireRank(_ minimum: RoomRole, _ rank: Int, over target: PolicyTarget? = nil) -> PolicyDecision {
        guard rank >= minimum.rank else {
            return deny("insufficient_role", "this needs the \(minimum.rawValue) role or higher")
        }
        if let target {
            if target.isSelf { return deny("forbidden", "you cannot do that to yourself") }
            let targetRank = target.isServerAdmin ? 5 : target.role?.rank ?? 0
            guard rank > targetRank else {
                return deny("insufficient_role", "you cannot act on someone of equal or higher role")
            }
        }
        return .allow
    }

    private static func deny(_ code: String, _ message: String) -> PolicyDecision {
        .deny(code: code, message: message, hidden: false)
    }
}
