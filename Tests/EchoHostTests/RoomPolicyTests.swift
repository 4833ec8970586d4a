import EchoPluginAPI
import Testing

@testable import EchoChatServer

@Suite("Room permission policy")
struct RoomPolicyTests {
    enum Who: String, CaseIterable, Sendable {
        case outsider, invited, member, moderator, admin, owner, banned, serverAdmin

        var subject: PolicySubject {
            switch self {
            case .outsider: PolicySubject()
            case .invited: PolicySubject(hasInvite: true)
            case .member: PolicySubject(role: .member)
            case .moderator: PolicySubject(role: .moderator)
            case .admin: PolicySubject(role: .admin)
            case .owner: PolicySubject(role: .owner, isLastOwner: true)
            case .banned: PolicySubject(isBanned: true)
            case .serverAdmin: PolicySubject(isServerAdmin: true)
            }
        }
    }

    enum Kind: String, CaseIterable, Sendable {
        case `public`, `private`, readonly

        var room: PolicyRoom {
            switch self {
            case .public: PolicyRoom(visibility: .public)
            case .private: PolicyRoom(visibility: .private)
            case .readonly: PolicyRoom(visibility: .public, isReadonly: true)
            }
        }
    }

    static let memberTarget = PolicyTarget(role: .member)
    static let staff: Set<Who> = [.member, .moderator, .admin, .owner, .serverAdmin]
    static let moderators: Set<Who> = [.moderator, .admin, .owner, .serverAdmin]
    static let admins: Set<Who> = [.admin, .owner, .serverAdmin]
    static let owners: Set<Who> = [.owner, .serverAdmin]
    static let everyoneButBanned = Set(Who.allCases).subtracting([.banned])

    /// action name, the action, its target, and who may do it in a public, private and readonly room.
    static let matrix: [(String, RoomAction, PolicyTarget?, [Kind: Set<Who>])] = [
        ("view", .view, nil, [.public: everyoneButBanned, .private: staff, .readonly: everyoneButBanned]),
        ("join", .join, nil, [.public: everyoneButBanned, .private: staff.union([.invited]), .readonly: everyoneButBanned]),
        ("leave", .leave, nil, [.public: [.member, .moderator, .admin], .private: [.member, .moderator, .admin], .readonly: [.member, .moderator, .admin]]),
        ("post", .post, nil, [.public: staff, .private: staff, .readonly: moderators]),
        ("edit own message", .editMessage(isAuthor: true), nil, [.public: staff, .private: staff, .readonly: staff]),
        ("edit another's message", .editMessage(isAuthor: false), nil, [.public: [], .private: [], .readonly: []]),
        ("delete own message", .deleteMessage(isAuthor: true), nil, [.public: staff, .private: staff, .readonly: staff]),
        ("delete a member's message", .deleteMessage(isAuthor: false), memberTarget, [.public: moderators, .private: moderators, .readonly: moderators]),
        ("update settings", .updateSettings, nil, [.public: admins, .private: admins, .readonly: admins]),
        ("delete room", .deleteRoom, nil, [.public: owners, .private: owners, .readonly: owners]),
        ("invite", .invite, nil, [.public: moderators, .private: moderators, .readonly: moderators]),
        ("list bans", .listBans, nil, [.public: moderators, .private: moderators, .readonly: moderators]),
        ("unban", .unban, nil, [.public: moderators, .private: moderators, .readonly: moderators]),
        ("read audit log", .readAudit, nil, [.public: admins, .private: admins, .readonly: admins]),
        ("join voice", .joinVoice, nil, [.public: staff, .private: staff, .readonly: staff]),
        ("make a member moderator", .setRole(.moderator), memberTarget, [.public: admins, .private: admins, .readonly: admins]),
        ("make a member admin", .setRole(.admin), memberTarget, [.public: owners, .private: owners, .readonly: owners]),
        ("make a member owner", .setRole(.owner), memberTarget, [.public: [], .private: [], .readonly: []]),
        ("transfer ownership", .transferOwnership, memberTarget, [.public: [.owner], .private: [.owner], .readonly: [.owner]]),
        ("kick a member", .kick, memberTarget, [.public: moderators, .private: moderators, .readonly: moderators]),
        ("ban a member", .ban, memberTarget, [.public: moderators, .private: moderators, .readonly: moderators]),
        ("ban an outsider", .ban, PolicyTarget(role: nil), [.public: moderators, .private: moderators, .readonly: moderators]),
        ("mute a member in voice", .moderateVoice, memberTarget, [.public: moderators, .private: moderators, .readonly: moderators]),
    ]

    struct Case: Sendable, CustomStringConvertible {
        let action: String
        let who: Who
        let kind: Kind
        var description: String { "\(who) / \(action) / \(kind)" }
    }

    static var cases: [Case] {
        matrix.flatMap { row in Kind.allCases.flatMap { kind in Who.allCases.map { Case(action: row.0, who: $0, kind: kind) } } }
    }

    @Test("every role × every action × public, private, readonly; banned users can do nothing", arguments: cases)
    func matrixCase(_ c: Case) {
        let row = Self.matrix.first { $0.0 == c.action }!
        let decision = RoomPolicy.decide(row.1, by: c.who.subject, in: c.kind.room, on: row.2)
        let expected = row.3[c.kind]!.contains(c.who)
        #expect(decision.isAllowed == expected, "\(c): \(decision)")
        if c.who == .banned, case .deny(let code, _, _) = decision { #expect(code == "banned") }
    }

    @Test("outsiders learn nothing about private rooms: 404, not 403")
    func privateRoomsAreHidden() {
        for action in [RoomAction.view, .post, .leave, .readAudit] {
            guard case .deny(_, _, let hidden) = RoomPolicy.decide(action, by: PolicySubject(), in: Kind.private.room) else {
                Issue.record("\(action) allowed")
                continue
            }
            #expect(hidden)
        }
    }

    @Test("nobody acts on someone of equal or higher role", arguments: RoomRole.allCases)
    func noActingUpwards(actor: RoomRole) {
        for targetRole in RoomRole.allCases {
            let target = PolicyTarget(role: targetRole)
            for action in [RoomAction.kick, .ban, .moderateVoice, .deleteMessage(isAuthor: false), .setRole(.member)] {
                let decision = RoomPolicy.decide(action, by: PolicySubject(role: actor), in: Kind.public.room, on: target)
                if targetRole >= actor { #expect(!decision.isAllowed, "\(actor) → \(action) on \(targetRole)") }
            }
        }
    }

    @Test("roles can be handed out only below one's own")
    func roleGrants() {
        let room = Kind.public.room
        #expect(!RoomPolicy.decide(.setRole(.admin), by: PolicySubject(role: .admin), in: room, on: PolicyTarget(role: .member)).isAllowed)
        #expect(RoomPolicy.decide(.setRole(.member), by: PolicySubject(role: .admin), in: room, on: PolicyTarget(role: .moderator)).isAllowed)
        #expect(!RoomPolicy.decide(.setRole(.member), by: PolicySubject(role: .admin), in: room, on: PolicyTarget(role: .admin)).isAllowed)
        #expect(RoomPolicy.decide(.setRole(.member), by: PolicySubject(role: .owner), in: room, on: PolicyTarget(role: .admin)).isAllowed)
        #expect(!RoomPolicy.decide(.setRole(.moderator), by: PolicySubject(role: .moderator), in: room, on: PolicyTarget(role: .member)).isAllowed)
    }

    @Test("server admins act in every room but not on each other, and not on themselves")
    func serverAdmins() {
        let admin = PolicySubject(isServerAdmin: true)
        #expect(RoomPolicy.decide(.ban, by: admin, in: Kind.private.room, on: PolicyTarget(role: .owner)).isAllowed)
        #expect(!RoomPolicy.decide(.ban, by: admin, in: Kind.public.room, on: PolicyTarget(role: .member, isServerAdmin: true)).isAllowed)
        #expect(!RoomPolicy.decide(.ban, by: PolicySubject(role: .owner), in: Kind.public.room, on: PolicyTarget(role: .member, isServerAdmin: true)).isAllowed)
        #expect(!RoomPolicy.decide(.ban, by: PolicySubject(role: .owner), in: Kind.public.room, on: PolicyTarget(role: .owner, isSelf: true)).isAllowed)
    }

    @Test("an owner may leave once there is another owner; voice can be switched off")
    func leavingAndVoice() {
        #expect(RoomPolicy.decide(.leave, by: PolicySubject(role: .owner, isLastOwner: false), in: Kind.public.room).isAllowed)
        let noVoice = PolicyRoom(visibility: .public, voiceEnabled: false)
        #expect(RoomPolicy.decide(.joinVoice, by: PolicySubject(role: .owner), in: noVoice) == .deny(code: "voice_disabled", message: "this room has no voice channel", hidden: false))
    }
}
