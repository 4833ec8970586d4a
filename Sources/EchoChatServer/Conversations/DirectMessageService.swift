import EchoPluginAPI
import Foundation
import Logging
import NIOCore

/// Direct conversations: opening one-to-one and group conversations, their members, each
/// user's direct-message policy, and blocks. Messages in them go through ``MessageService``
/// with the access ``access(_:for:)`` gives.
struct DirectMessageService: Sendable {
    let storage: any Storage
    let bus: any EventBus
    let logger: Logger
    /// The most members a group may have (`dm_max_members`).
    let maxMembers: Int

    static let notFound = EchoError.notFound("no such conversation", code: "dm_not_found")
    static let refused = EchoError.forbidden("dm_refused", "that user does not take direct messages from you")

    /// The storage's conversations, or 503 `not_supported` when the storage plugin has none.
    var store: any DirectMessageStore {
        get throws {
            guard let store = storage as? any DirectMessageStore else {
                throw EchoError.unavailable("not_supported", "the storage plugin in use keeps no direct messages")
            }
            return store
        }
    }

    // MARK: Conversations

    /// `POST /api/dms`: the pair's one-to-one conversation (found or created) for one user and
    /// no name, else a new group of the caller and `usernames`.
    func open(_ usernames: [String], name: String?, by principal: Principal) async throws -> (DirectConversation, created: Bool) {
        let store = try store
        let me = principal.user
        var others: [User] = []
        for username in usernames {
            let user = try await existingUser(username)
            if user.id != me.id, !others.contains(where: { $0.id == user.id }) { others.append(user) }
        }
        guard !others.isEmpty else { throw EchoError.invalid("users must name at least one other user", code: "invalid_users") }
        guard others.count + 1 <= maxMembers else {
            throw EchoError.conflict("too_many_members", "a conversation has at most \(maxMembers) members")
        }
        let conversation: DirectConversation
        let created: Bool
        if others.count == 1 && name == nil {
            // An existing conversation is found again whatever the policy says now: policies govern new ones.
            if let existing = try await store.directConversations(of: me.id).first(where: { $0.room.kind == .direct && $0.memberIDs.contains(others[0].id) }) {
                return (existing, false)
            }
            try await requireAccepts(others[0], from: me, store)
            (conversation, created) = try await store.openDirectConversation(between: me.id, and: others[0].id, at: Date())
        } else {
            for other in others { try await requireAccepts(other, from: me, store) }
            conversation = try await store.createGroupConversation(named: name?.isEmpty == false ? name : nil, members: [me.id] + others.map(\.id), at: Date())
            created = true
        }
        if created {
            logger.info("direct conversation created", metadata: ["dm": "\(conversation.id)", "members": "\(conversation.memberIDs.count)"])
            await bus.publish(try await createdEvent(conversation))
        }
        return (conversation, created)
    }

    /// The caller's conversations, the most recently active first.
    func list(for principal: Principal) async throws -> [DirectConversation] {
        try await store.directConversations(of: principal.user.id)
    }

    /// One of the caller's conversations.
    func conversation(_ id: RoomID, for principal: Principal) async throws -> DirectConversation {
        guard let conversation = try await store.directConversation(id: id), conversation.memberIDs.contains(principal.user.id) else {
            throw Self.notFound
        }
        return conversation
    }

    /// The caller's access to a conversation, as to a room they are a member of: only members
    /// see it (server administrators included), and nobody moderates it.
    func access(_ id: RoomID, for principal: Principal) async throws -> RoomAccess {
        _ = try store
        guard let room = try await storage.room(id: id), room.kind != .room,
            let membership = try await storage.membership(of: principal.user.id, in: id)
        else { throw Self.notFound }
        let subject = PolicySubject(isServerAdmin: false, role: membership.role, isBanned: false)
        return RoomAccess(room: room, principal: principal, membership: membership, subject: subject)
    }

    /// Adds a member to a group, invited by one of its members.
    func add(_ username: String, to access: RoomAccess) async throws -> User {
        guard access.room.kind == .group else {
            throw EchoError.conflict("not_a_group", "a one-to-one conversation takes no more members; start a group instead")
        }
        let store = try store
        let user = try await existingUser(username)
        try await requireAccepts(user, from: access.principal.user, store)
        let added: Bool
        do {
            added = try await store.addConversationMember(user.id, to: access.room.id, at: Date(), maxMembers: maxMembers)
        } catch let error as StorageError where error.isConflict {
            throw EchoError.conflict("too_many_members", "a conversation has at most \(maxMembers) members")
        }
        if added {
            await ReadMarkers.markAllRead(user.id, in: access.room.id, storage: storage, logger: logger)
            await bus.publish(.member("member.joined", room: access.room, user: user, role: .member, membership: .joined(user.id)))
            if let conversation = try await store.directConversation(id: access.room.id) {
                await bus.publish(UserEvent(userID: user.id, frame: try await createdFrame(conversation)))
            }
        }
        return user
    }

    /// Leaves a group; a one-to-one conversation cannot be left.
    func leave(_ access: RoomAccess) async throws {
        guard access.room.kind == .group else {
            throw EchoError.conflict("cannot_leave_direct", "a one-to-one conversation cannot be left; block the user to stop their messages")
        }
        let user = access.principal.user
        if try await storage.removeMember(user.id, from: access.room.id, audit: nil) {
            await bus.publish(.member("member.left", room: access.room, user: user, role: .member, membership: .left(user.id)))
        }
    }

    /// Refuses a message to a one-to-one conversation when a block stands between its members
    /// (either way) or the other's account is disabled. Policies govern new conversations only.
    func requireMayPost(_ access: RoomAccess) async throws {
        guard access.room.kind == .direct, let store = storage as? any DirectMessageStore else { return }
        let me = access.principal.user
        let members = try await storage.members(of: access.room.id)
        guard let other = members.first(where: { $0.user.id != me.id })?.user else { return }
        guard !other.isDisabled, try await store.blocks(between: me.id, and: [other.id]).isEmpty else { throw Self.refused }
    }

    // MARK: Policy and blocks

    func setPolicy(_ policy: DirectMessagePolicy, for principal: Principal) async throws {
        try await store.setDirectMessagePolicy(policy, of: principal.user.id)
    }

    func policy(of principal: Principal) async throws -> DirectMessagePolicy? {
        try await (storage as? any DirectMessageStore)?.directMessagePolicy(of: principal.user.id)
    }

    /// Blocks a user; the caller's sockets stop receiving their messages at once.
    func block(_ username: String, by principal: Principal) async throws {
        let user = try await existingUser(username)
        guard user.id != principal.user.id else { throw EchoError.invalid("you cannot block yourself", code: "invalid_block") }
        try await store.block(user.id, by: principal.user.id, at: Date())
        await publishBlocks(of: principal.user)
    }

    func unblock(_ username: String, by principal: Principal) async throws {
        // A block on an account disabled since can still be lifted.
        guard let canonical = Usernames.canonical(username), let user = try await storage.user(named: canonical) else {
            throw EchoError.notFound("no such user: \(username.prefix(64))", code: "user_not_found")
        }
        guard try await store.unblock(user.id, by: principal.user.id) else {
            throw EchoError.notFound("you do not block that user", code: "block_not_found")
        }
        await publishBlocks(of: principal.user)
    }

    /// The users the caller blocks, with when, the most recent first.
    func blocks(of userID: UserID) async throws -> [(User, Date)] {
        let blocks = try await store.blockedUsers(by: userID)
        let users = Dictionary(try await storage.users(ids: Set(blocks.map(\.blockedID))).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return blocks.compactMap { block in users[block.blockedID].map { ($0, block.createdAt) } }
    }

    /// The ids the viewer blocks, for leaving their messages out of what the viewer reads.
    func blockedIDs(by viewer: UserID) async throws -> Set<UserID> {
        guard let store = storage as? any DirectMessageStore else { return [] }
        return Set(try await store.blockedUsers(by: viewer).map(\.blockedID))
    }

    // MARK: Helpers

    private func existingUser(_ username: String) async throws -> User {
        guard let canonical = Usernames.canonical(username), let user = try await storage.user(named: canonical), !user.isDisabled else {
            throw EchoError.notFound("no such user: \(username.prefix(64))", code: "user_not_found")
        }
        return user
    }

    /// Throws 403 `dm_refused` unless `recipient` takes direct messages from `sender`: no block
    /// either way, and their policy lets the sender in (server administrators pass any policy).
    private func requireAccepts(_ recipient: User, from sender: User, _ store: any DirectMessageStore) async throws {
        guard !recipient.isDisabled, try await store.blocks(between: sender.id, and: [recipient.id]).isEmpty else { throw Self.refused }
        if sender.isAdmin { return }
        switch try await store.directMessagePolicy(of: recipient.id) {
        case .everyone: return
        case .nobody: throw Self.refused
        case .sharedRooms: guard try await store.sharesRoom(sender.id, recipient.id) else { throw Self.refused }
        }
    }

    private func publishBlocks(of user: User) async {
        do {
            let blocks = try await self.blocks(of: user.id)
            let frame = BlocksFrame(blocked: blocks.map { AuthorBody($0.0) })
            await bus.publish(UserEvent(userID: user.id, frame: try WireJSON.buffer(frame), blocked: Set(blocks.map(\.0.id))))
        } catch {
            logger.warning("the new block list could not be sent to the user's connections", metadata: ["user_id": "\(user.id)"])
        }
    }

    /// `dm.created`, to every member at once, subscribing their connections.
    private func createdEvent(_ conversation: DirectConversation) async throws -> RoomEvent {
        RoomEvent(roomID: conversation.id, frame: try await createdFrame(conversation), membership: .joinedAll(conversation.memberIDs))
    }

    private func createdFrame(_ conversation: DirectConversation) async throws -> ByteBuffer {
        let users = try await storage.users(ids: Set(conversation.memberIDs))
        return try WireJSON.buffer(DirectCreatedFrame(conversation: DirectConversationBody(conversation, users: users, lastMessage: nil)))
    }
}
