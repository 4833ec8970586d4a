import EchoPluginAPI
import Foundation

/// `{user, role}`
struct MemberBody: Encodable, Sendable {
    let user: UserBody
    let role: String
    /// `online`, `idle` or `offline`, in the member list where presence is on.
    var presence: String? = nil
}

struct MembersBody: Encodable {
    let members: [MemberBody]
}

struct MembershipBody: Encodable {
    struct Inner: Encodable {
        let room: String
        let user: UserBody
        let role: String
        let joinedAt: Date
    }
    let membership: Inner
}

struct BanBody: Encodable {
    let room: String
    let user: UserBody
    let reason: String?
    let bannedBy: String?
    let createdAt: Date
}

struct AuditEntryBody: Encodable {
    let id: Int64
    let action: String
    let actor: String?
    let target: String?
    let detail: String?
    let createdAt: Date
}

struct InviteBody: Encodable {
    struct Inner: Encodable {
        let room: String
        let user: UserBody
    }
    let invite: Inner
}

struct BansBody: Encodable { let bans: [BanBody] }
struct BanEnvelope: Encodable { let ban: BanBody }
struct AuditBody: Encodable {
    let entries: [AuditEntryBody]
    let nextBefore: Int64?
}

/// `PUT /api/rooms/{name}/members/{username}`
struct RoleRequest: Decodable { let role: String }

/// A body naming one user: invites, voice moderation.
struct UsernameRequest: Decodable { let username: String }

/// `POST /api/rooms/{name}/bans`
struct BanRequest: Decodable {
    let username: String
    let reason: String?
}
