import EchoPluginAPI

/// A room looked up for a principal, with what the policy needs to know about them.
struct RoomAccess: Sendable {
    let room: Room
    let principal: Principal
    let membership: Membership?
    let subject: PolicySubject
    /// The principal's voice restrictions in the room when it was looked up.
    var voiceRestrictions: Set<VoiceRestriction> = []

    var policyRoom: PolicyRoom {
        PolicyRoom(visibility: room.visibility, isReadonly: room.isReadonly, voiceEnabled: room.voice.enabled)
    }

    /// Throws unless the subject holds at least `role` (or is a server admin): the check made
    /// before a moderation action looks up its target, so that non-moderators learn nothing from it.
    func requireRole(_ role: RoomRole) throws {
        guard subject.isServerAdmin || subject.role.map({ $0 >= role }) == true else {
            throw subject.isBanned
                ? EchoError.forbidden("banned", "you are banned from this room")
                : EchoError.forbidden("insufficient_role", "this needs the \(role.rawValue) role or higher")
        }
    }

    /// The principal's access to a room, from their standing in it.
    init(_ standing: RoomStanding, for principal: Principal) throws {
        let room = standing.room
        let membership = standing.membership
        var subject = PolicySubject(isServerAdmin: principal.user.isAdmin, role: membership?.role, isBanned: standing.isBanned)
        if membership == nil && room.visibility == .private && !principal.user.isAdmin {
            subject.hasInvite = standing.hasInvite
            // Outsiders learn nothing about a private room, whatever they ask: not even that it exists.
            guard subject.hasInvite else { throw EchoError.roomNotFound }
        }
        if membership?.role == .owner {
            subject.isLastOwner = standing.ownerCount <= 1
        }
        self.init(room: room, principal: principal, membership: membership, subject: subject, voiceRestrictions: standing.voiceRestrictions)
    }

    init(room: Room, principal: Principal, membership: Membership?, subject: PolicySubject, voiceRestrictions: Set<VoiceRestriction> = []) {
        self.room = room
        self.principal = principal
        self.membership = membership
        self.subject = subject
        self.voiceRestrictions = voiceRestrictions
    }

    /// Throws the policy's refusal.
    func require(_ action: RoomAction, on target: PolicyTarget? = nil) throws {
        if case .deny(let code, let message, let hidden) = RoomPolicy.decide(action, by: subject, in: policyRoom, on: target) {
            throw hidden ? EchoError.roomNotFound : EchoError.forbidden(code, message)
        }
    }
}
