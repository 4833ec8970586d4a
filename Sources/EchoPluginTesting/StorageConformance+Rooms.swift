import EchoPluginAPI
import Foundation

extension StorageConformance {
    static let roomChecks: [Check] = [
        Check(name: "rooms are created with their owner, unique regardless of case", body: roomsCreated),
        Check(name: "room lists hold public rooms and the user's own, with roles", body: roomLists),
        Check(name: "memberships, roles and ownership transfer", body: memberships),
        Check(name: "bans remove membership and invites and keep the user out; unban lifts them", body: bans),
        Check(name: "moderation actions land in the audit log", body: auditLog),
        Check(name: "a room standing reads the room and the user's membership, ban, invite and voice restrictions together", body: standings),
        Check(name: "messages get increasing ids and page newest first, each once", body: messagePages),
        Check(name: "the same client_id from the same author yields one message", body: idempotentMessages),
        Check(name: "a batch of messages is stored in order in one call", body: messageBatches),
        Check(name: "concurrent posts with one client_id store one message; concurrent batches keep their own order", body: concurrentMessages),
        Check(name: "edits and deletions; deleted messages leave history", body: editsAndDeletions),
        Check(name: "deleting a room deletes its messages and memberships", body: roomDeletion),
    ]

    static func room(_ name: String, _ visibility: RoomVisibility = .public) -> NewRoom {
        NewRoom(name: name, topic: "about \(name)", visibility: visibility, createdAt: t0)
    }

    static func roomsCreated(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice.id)
        try expect(lobby.name == "Lobby" && lobby.topic == "about Lobby" && lobby.visibility == .public, "fields round-trip")
        try expect(lobby.voice == VoiceSettings() && !lobby.isReadonly && lobby.slowmodeSeconds == 0, "defaults")
        try expect(try await storage.room(named: "lobby")?.id == lobby.id, "found regardless of case")
        try expect(try await storage.room(id: lobby.id) == lobby, "found by id")
        try expect(try await storage.membership(of: alice.id, in: lobby.id)?.role == .owner, "creator owns the room")
        do {
            _ = try await storage.createRoom(room("LOBBY"), owner: alice.id)
            throw ConformanceFailure("a room name differing only in case was accepted")
        } catch let error as StorageError {
            try expect(error.isConflict, "duplicate room: conflict")
        }
        let updated = try await storage.updateRoom(
            lobby.id, RoomUpdate(topic: "new", isReadonly: true, slowmodeSeconds: 5, voice: VoiceSettings(enabled: true, allowVideo: false)),
            audit: nil)
        try expect(updated.topic == "new" && updated.isReadonly && updated.slowmodeSeconds == 5 && !updated.voice.allowVideo, "update applied")
    }

    static func roomLists(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let bob = try await storage.createUser(newUser("bob"), credential: nil)
        _ = try await storage.createRoom(room("Public"), owner: alice.id)
        let secret = try await storage.createRoom(room("Secret", .private), owner: alice.id)
        _ = try await storage.createRoom(room("Hidden", .private), owner: alice.id)
        _ = try await storage.addMember(Membership(roomID: secret.id, userID: bob.id, role: .member, joinedAt: t0))
        let bobs = try await storage.rooms(visibleTo: bob.id)
        try expect(bobs.map(\.room.name) == ["Public", "Secret"], "bob sees the public room and his private one, got \(bobs.map(\.room.name))")
        try expect(bobs.map(\.role) == [nil, .member], "with his roles")
        try expect(try await storage.allRooms(for: bob.id).count == 3, "all rooms for admins")
        try expect(Set(try await storage.roomIDs(of: bob.id)) == [secret.id], "bob's room ids")
    }

    static func memberships(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let bob = try await storage.createUser(newUser("bob"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice.id)
        _ = try await storage.addMember(Membership(roomID: lobby.id, userID: bob.id, role: .member, joinedAt: t0))
        let again = try await storage.addMember(Membership(roomID: lobby.id, userID: bob.id, role: .admin, joinedAt: t0.addingTimeInterval(9)))
        try expect(again.role == .member && again.joinedAt == t0, "joining twice keeps the first membership")
        try expect(try await storage.members(of: lobby.id).map(\.user.username) == ["alice", "bob"], "owner first")
        try expect(try await storage.setRole(.moderator, of: bob.id, in: lobby.id, audit: nil).role == .moderator, "role set")
        try expect(try await storage.memberCount(of: lobby.id, role: .owner) == 1, "one owner")
        try await storage.transferOwnership(of: lobby.id, from: alice.id, to: bob.id, audit: nil)
        try expect(try await storage.membership(of: bob.id, in: lobby.id)?.role == .owner, "new owner")
        try expect(try await storage.membership(of: alice.id, in: lobby.id)?.role == .admin, "old owner becomes admin")
        try expect(try await storage.removeMember(alice.id, from: lobby.id, audit: nil), "removed")
        try expect(try await storage.removeMember(alice.id, from: lobby.id, audit: nil) == false, "removed once")
        do {
            _ = try await storage.setRole(.admin, of: alice.id, in: lobby.id, audit: nil)
            throw ConformanceFailure("set a role for a non-member")
        } catch let error as StorageError {
            try expect(error.isNotFound, "non-member: notFound")
        }
    }

    static func bans(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let bob = try await storage.createUser(newUser("bob"), credential: nil)
        let carol = try await storage.createUser(newUser("carol"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby", .private), owner: alice.id)
        _ = try await storage.addMember(Membership(roomID: lobby.id, userID: bob.id, role: .member, joinedAt: t0))
        try await storage.invite(carol.id, to: lobby.id, by: alice.id, at: t0, audit: nil)
        try expect(try await storage.hasInvite(carol.id, to: lobby.id), "invited")
        for user in [bob, carol] {
            try await storage.ban(RoomBan(roomID: lobby.id, userID: user.id, bannedBy: alice.id, reason: "spam", createdAt: t0), audit: nil)
        }
        try expect(try await storage.membership(of: bob.id, in: lobby.id) == nil, "ban removes membership")
        try expect(try await storage.hasInvite(carol.id, to: lobby.id) == false, "ban removes invite")
        try expect(try await storage.ban(of: bob.id, in: lobby.id)?.reason == "spam", "ban stored")
        try expect(try await storage.bans(in: lobby.id).count == 2, "two bans")
        try expect(try await storage.unban(bob.id, in: lobby.id, audit: nil), "unbanned")
        try expect(try await storage.ban(of: bob.id, in: lobby.id) == nil, "ban lifted")
        try expect(try await storage.unban(bob.id, in: lobby.id, audit: nil) == false, "unban once")
        do {
            _ = try await storage.addMember(Membership(roomID: lobby.id, userID: carol.id, role: .member, joinedAt: t0))
            throw ConformanceFailure("a banned user was added as a member")
        } catch let error as StorageError {
            try expect(error.isConflict, "banned user joining: conflict")
        }
        try expect(try await storage.membership(of: carol.id, in: lobby.id) == nil, "no membership for a banned user")
        _ = try await storage.addMember(Membership(roomID: lobby.id, userID: bob.id, role: .member, joinedAt: t0))
    }

    static func standings(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let bob = try await storage.createUser(newUser("bob"), credential: nil)
        let carol = try await storage.createUser(newUser("carol"), credential: nil)
        let dave = try await storage.createUser(newUser("dave"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby", .private), owner: alice.id)
        _ = try await storage.addMember(Membership(roomID: lobby.id, userID: bob.id, role: .owner, joinedAt: t0))
        try await storage.invite(carol.id, to: lobby.id, by: alice.id, at: t0, audit: nil)
        try await storage.ban(RoomBan(roomID: lobby.id, userID: dave.id, bannedBy: alice.id, reason: nil, createdAt: t0), audit: nil)
        try expect(try await storage.roomStanding(named: "nowhere", of: alice.id, at: t0) == nil, "no room, no standing")
        let owner = try await storage.roomStanding(named: "LOBBY", of: alice.id, at: t0)
        try expect(owner?.room == lobby, "the room, found regardless of case")
        try expect(owner?.membership?.role == .owner && owner?.isBanned == false && owner?.ownerCount == 2, "an owner of a room with two")
        let invited = try await storage.roomStanding(named: "Lobby", of: carol.id, at: t0)
        try expect(invited?.membership == nil && invited?.hasInvite == true && invited?.isBanned == false, "an invited outsider")
        let banned = try await storage.roomStanding(named: "Lobby", of: dave.id, at: t0)
        try expect(banned?.membership == nil && banned?.isBanned == true && banned?.hasInvite == false, "a banned user")
        try await storage.restrictVoice(.muted, of: bob.id, in: lobby.id, until: t0.addingTimeInterval(60), audit: nil)
        try expect(try await storage.roomStanding(named: "Lobby", of: bob.id, at: t0)?.voiceRestrictions == [.muted], "a voice restriction in force")
        try expect(try await storage.roomStanding(named: "Lobby", of: bob.id, at: t0.addingTimeInterval(61))?.voiceRestrictions == [], "lapsed")
        try await storage.createSession(session("s1", of: bob.id, at: t0), refreshToken: RefreshTokenHash(rawValue: "h1"))
        let pair = try await storage.sessionWithUser(id: SessionID("s1"))
        try expect(pair?.session.id == SessionID("s1") && pair?.user == bob, "a session with its user")
        try expect(try await storage.sessionWithUser(id: SessionID("nope")) == nil, "no session, no pair")
        let both = try await storage.sessionAndStanding(session: SessionID("s1"), user: bob.id, room: "lobby", at: t0)
        try expect(both.session?.user == bob && both.standing?.membership?.role == .owner, "session and standing read together")
        let neither = try await storage.sessionAndStanding(session: SessionID("nope"), user: bob.id, room: "nowhere", at: t0)
        try expect(neither.session == nil && neither.standing == nil, "neither found")
    }

    static func auditLog(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let bob = try await storage.createUser(newUser("bob"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice.id)
        _ = try await storage.addMember(Membership(roomID: lobby.id, userID: bob.id, role: .member, joinedAt: t0))
        func record(_ action: String, _ offset: Double, detail: String? = nil) -> AuditRecord {
            AuditRecord(actorID: alice.id, action: action, targetID: bob.id, detail: detail, createdAt: t0.addingTimeInterval(offset))
        }
        _ = try await storage.setRole(.moderator, of: bob.id, in: lobby.id, audit: record("set_role", 1, detail: "moderator"))
        try await storage.ban(RoomBan(roomID: lobby.id, userID: bob.id, bannedBy: alice.id, reason: "x", createdAt: t0), audit: record("ban", 2, detail: "x"))
        _ = try await storage.unban(bob.id, in: lobby.id, audit: record("unban", 3))
        _ = try await storage.updateRoom(lobby.id, RoomUpdate(topic: "t"), audit: record("update_room", 4))
        let entries = try await storage.auditLog(of: lobby.id, before: nil, limit: 10)
        try expect(entries.map(\.action) == ["update_room", "unban", "ban", "set_role"], "newest first, got \(entries.map(\.action))")
        try expect(entries.last?.detail == "moderator" && entries.last?.targetID == bob.id && entries.last?.actorID == alice.id, "fields")
        let older = try await storage.auditLog(of: lobby.id, before: entries[1].id, limit: 10)
        try expect(older.map(\.action) == ["ban", "set_role"], "paged")
        // A failed unban writes nothing.
        _ = try await storage.unban(bob.id, in: lobby.id, audit: record("unban", 5))
        try expect(try await storage.auditLog(of: lobby.id, before: nil, limit: 10).count == 4, "no entry for a no-op")
    }

    static func messagePages(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice.id)
        let other = try await storage.createRoom(room("Other"), owner: alice.id)
        var ids: [MessageID] = []
        for index in 0..<25 {
            let stored = try await storage.appendMessages([
                NewMessage(roomID: lobby.id, authorID: alice.id, body: "m\(index)", createdAt: t0.addingTimeInterval(Double(index))),
                NewMessage(roomID: other.id, authorID: alice.id, body: "o\(index)", createdAt: t0),
            ])
            ids.append(stored[0].message.id)
        }
        try expect(ids == ids.sorted() && Set(ids).count == 25, "ids increase")
        var seen: [MessageID] = []
        var before: MessageID?
        while true {
            let page = try await storage.messages(in: lobby.id, before: before, limit: 10)
            seen += page.map(\.id)
            guard page.count == 10, let last = page.last else { break }
            before = last.id
        }
        try expect(seen == ids.reversed(), "every message exactly once, newest first")
        try expect(try await storage.lastMessageDate(of: alice.id, in: lobby.id) == t0.addingTimeInterval(24), "last message date")
    }

    static func idempotentMessages(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let bob = try await storage.createUser(newUser("bob"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice.id)
        let first = try await storage.appendMessages([NewMessage(roomID: lobby.id, authorID: alice.id, body: "hi", clientID: "c1", createdAt: t0)])[0]
        let again = try await storage.appendMessages([NewMessage(roomID: lobby.id, authorID: alice.id, body: "hi!", clientID: "c1", createdAt: t0)])[0]
        try expect(!first.isDuplicate && again.isDuplicate && again.message == first.message, "the first message comes back")
        try expect(try await storage.message(clientID: "c1", of: alice.id, in: lobby.id) == first.message, "found by client id")
        try expect(try await storage.message(clientID: "c1", of: bob.id, in: lobby.id) == nil, "client ids are per author")
        let bobs = try await storage.appendMessages([NewMessage(roomID: lobby.id, authorID: bob.id, body: "hi", clientID: "c1", createdAt: t0)])[0]
        try expect(!bobs.isDuplicate, "client ids are per author")
        let inBatch = try await storage.appendMessages([
            NewMessage(roomID: lobby.id, authorID: alice.id, body: "x", clientID: "c2", createdAt: t0),
            NewMessage(roomID: lobby.id, authorID: alice.id, body: "y", clientID: "c2", createdAt: t0),
        ])
        try expect(!inBatch[0].isDuplicate && inBatch[1].isDuplicate && inBatch[1].message.id == inBatch[0].message.id, "duplicates within a batch")
        try expect(try await storage.messages(in: lobby.id, before: nil, limit: 100).count == 3, "three messages stored")
    }

    static func messageBatches(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice.id)
        let batch = (0..<200).map { NewMessage(roomID: lobby.id, authorID: alice.id, body: "b\($0)", createdAt: t0) }
        let stored = try await storage.appendMessages(batch)
        try expect(stored.map(\.message.body) == batch.map(\.body), "results in order")
        try expect(stored.map(\.message.id) == stored.map(\.message.id).sorted(), "ids in batch order")
        try expect(try await storage.appendMessages([]).isEmpty, "empty batch")
    }

    static func concurrentMessages(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice.id)
        let results = try await withThrowingTaskGroup(of: AppendedMessage.self) { group in
            for index in 0..<16 {
                group.addTask {
                    try await storage.appendMessages([NewMessage(roomID: lobby.id, authorID: alice.id, body: "try \(index)", clientID: "same", createdAt: t0)])[0]
                }
            }
            return try await group.reduce(into: [AppendedMessage]()) { $0.append($1) }
        }
        try expect(results.filter { !$0.isDuplicate }.count == 1, "exactly one of 16 concurrent posts stored the message")
        try expect(Set(results.map(\.message.id)).count == 1, "every post got the same message back")
        let batches = try await withThrowingTaskGroup(of: [AppendedMessage].self) { group in
            for writer in 0..<8 {
                group.addTask {
                    try await storage.appendMessages((0..<25).map { NewMessage(roomID: lobby.id, authorID: alice.id, body: "w\(writer)-\($0)", createdAt: t0) })
                }
            }
            return try await group.reduce(into: [[AppendedMessage]]()) { $0.append($1) }
        }
        for batch in batches {
            let ids = batch.map(\.message.id)
            try expect(ids == ids.sorted(), "ids increase within a batch")
        }
        let stored = try await storage.messages(in: lobby.id, before: nil, limit: 300)
        try expect(stored.count == 201 && Set(stored.map(\.id)).count == 201, "every message stored once")
    }

    static func editsAndDeletions(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice.id)
        let stored = try await storage.appendMessages([
            NewMessage(roomID: lobby.id, authorID: alice.id, body: "one", createdAt: t0),
            NewMessage(roomID: lobby.id, authorID: alice.id, body: "two", createdAt: t0),
        ]).map(\.message)
        let edited = try await storage.editMessage(stored[0].id, body: "uno", at: t0.addingTimeInterval(5))
        try expect(edited.body == "uno" && edited.editedAt == t0.addingTimeInterval(5), "edited")
        let deleted = try await storage.deleteMessage(
            stored[1].id, at: t0.addingTimeInterval(6),
            audit: AuditRecord(actorID: alice.id, action: "delete_message", createdAt: t0.addingTimeInterval(6)))
        try expect(deleted.deletedAt != nil, "deleted")
        try expect(try await storage.messages(in: lobby.id, before: nil, limit: 10).map(\.body) == ["uno"], "deleted message left out")
        try expect(try await storage.message(id: stored[1].id)?.deletedAt != nil, "still readable by id")
        try expect(try await storage.auditLog(of: lobby.id, before: nil, limit: 5).first?.action == "delete_message", "audited")
        do {
            _ = try await storage.editMessage(stored[1].id, body: "zombie", at: t0)
            throw ConformanceFailure("edited a deleted message")
        } catch let error as StorageError {
            try expect(error.isNotFound, "deleted: notFound")
        }
    }

    static func roomDeletion(_ storage: any Storage) async throws {
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice.id)
        let message = try await storage.appendMessages([NewMessage(roomID: lobby.id, authorID: alice.id, body: "x", createdAt: t0)])[0].message
        try await storage.deleteRoom(lobby.id)
        try expect(try await storage.room(id: lobby.id) == nil, "room gone")
        try expect(try await storage.message(id: message.id) == nil, "messages gone")
        try expect(try await storage.membership(of: alice.id, in: lobby.id) == nil, "memberships gone")
        try expect(try await storage.room(named: "Lobby") == nil, "name free again")
        _ = try await storage.createRoom(room("Lobby"), owner: alice.id)
    }
}
