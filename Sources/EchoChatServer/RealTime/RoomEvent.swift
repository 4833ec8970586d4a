import EchoPluginAPI
import NIOCore

/// A change in a room, with its WebSocket frame encoded once for every receiver.
struct RoomEvent: Sendable {
    /// How the event changes who receives the room's events.
    enum MembershipChange: Sendable, Equatable {
        /// Start delivering the room to this user's connections (after this event).
        case joined(UserID)
        /// Stop delivering the room to this user's connections (after this event).
        case left(UserID)
        /// Start delivering the room to each of these users' connections (before this event): a
        /// new direct conversation, announced to all its members at once.
        case joinedAll([UserID])
    }

    let roomID: RoomID
    /// The JSON text sent to subscribers, encoded once.
    let frame: ByteBuffer
    let membership: MembershipChange?
    /// The new message's id, on `message.created`: what lets instances catch up on missed ones.
    let messageID: MessageID?
    /// The author of the message the event is about: connections of users who block them skip it.
    var authorID: UserID?

    init(roomID: RoomID, frame: ByteBuffer, membership: MembershipChange? = nil, messageID: MessageID? = nil, authorID: UserID? = nil) {
        self.roomID = roomID
        self.frame = frame
        self.membership = membership
        self.messageID = messageID
        self.authorID = authorID
    }
}

/// A frame for one user's connections only, on every instance: a seat offered from the voice
/// queue, a move to another sub-room, a new place in the queue.
struct UserEvent: Sendable {
    let userID: UserID
    /// The JSON text sent, encoded once.
    let frame: ByteBuffer
    /// The user's whole block list, when it changed: their connections skip these authors' messages.
    var blocked: Set<UserID>? = nil
}

/// Ends real-time connections whose session or account stopped being valid.
enum SessionSignal: Sendable, Equatable {
    case sessionEnded(SessionID)
    case userDisabled(UserID)
}

/// Carries room events and session signals to every instance's connections: in-process on a
/// storage only one instance uses, through the storage's broadcasts on a ``SharedStorage``.
protocol EventBus: Sendable {
    func publish(_ event: RoomEvent) async
    func publish(_ signal: SessionSignal) async
    func publish(_ event: UserEvent) async
    /// This instance's presence changes, for every instance's board.
    func publish(_ batch: PresenceBatch) async
}

/// The bus of a single instance: delivers straight to its connection hub.
struct LocalEventBus: EventBus {
    let hub: ConnectionHub
    var presence: PresenceBoard? = nil

    func publish(_ event: RoomEvent) async { hub.deliver(event) }
    func publish(_ signal: SessionSignal) async { hub.end(signal) }
    func publish(_ event: UserEvent) async { hub.deliver(event) }
    func publish(_ batch: PresenceBatch) async { presence?.apply(batch, from: "local") }
}
