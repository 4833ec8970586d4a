import EchoPluginAPI
import Foundation
import Logging

extension RoomService {
    /// Brings a user's memberships in the rooms their auth source manages in line with the
    /// source's grants (directory groups → room roles), at login, refresh and sync.
    ///
    /// In a managed room the user gets their best grant's role; without a grant, a private
    /// room's membership ends and a public room's role falls back to member (anyone may join a
    /// public room). Owners are never changed, and a ban is never overridden.
    func applyDirectoryGrants(_ identity: AuthenticatedIdentity, to user: User) async throws {
        guard !identity.managedRooms.isEmpty, !user.isDisabled else { return }
        var best: [String: RoomRole] = [:]
        for grant in identity.roomGrants where identity.managedRooms.contains(grant.room) {
            best[grant.room] = max(best[grant.room] ?? grant.role, grant.role)
        }
        let now = Date()
        for name in identity.managedRooms.sorted() {
            guard let room = try await storage.room(named: name) else {
                logger.debug("room_roles names a room that does not exist", metadata: ["room": "\(name)"])
                continue
            }
            let current = try await storage.membership(of: user.id, in: room.id)
            guard current?.role != .owner else { continue }
            let record = { (action: String, detail: String) in
                AuditRecord(actorID: user.id, action: action, targetID: user.id, detail: "\(user.authSource) groups: \(detail)", createdAt: now)
            }
            switch (current, best[name]) {
            case (nil, let role?):
                guard try await storage.ban(of: user.id, in: room.id) == nil else { continue }
                do {
                    let membership = try await storage.addMember(Membership(roomID: room.id, userID: user.id, role: role, joinedAt: now))
                    await ReadMarkers.markAllRead(user.id, in: room.id, storage: storage, logger: logger)
                    await publishMember("member.joined", room, user, membership.role, membership: .joined(user.id))
                } catch let error as StorageError where error.isConflict {
                    continue  // banned or joined a moment ago
                }
            case (let membership?, let role?) where membership.role != role:
                _ = try await storage.setRole(role, of: user.id, in: room.id, audit: record("set_role", role.rawValue))
                await publishMember("member.role_changed", room, user, role)
            case (let membership?, nil) where room.visibility == .private:
                if try await storage.removeMember(user.id, from: room.id, audit: record("kick", "no group grants this room")) {
                    await publishMember("member.left", room, user, membership.role, membership: .left(user.id))
                }
            case (let membership?, nil) where membership.role > .member:
                _ = try await storage.setRole(.member, of: user.id, in: room.id, audit: record("set_role", "member"))
                await publishMember("member.role_changed", room, user, .member)
            default:
                break
            }
        }
    }
}
