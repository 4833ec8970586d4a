public import Foundation

/// The rules of ``VoiceChannelStore``'s queue, shared by every backend: read the rows, ask
/// these functions, write what they return, all inside the transaction that holds the room's lock.
///
/// - Note: Added in EchoPluginAPI 1.9.
public enum VoiceQueueRules {
    /// A write to the queue.
    public enum QueueChange: Hashable, Sendable {
        /// Add this entry at the end of its room's queue.
        case enqueue(VoiceQueueEntry)
        /// Remove the user's entry from the room's queue.
        case dequeue(RoomID, UserID)
    }

    /// ``VoiceChannelStore/reserveSeatOrQueue(_:joinsQueue:bypassesQueue:decide:)``.
    ///
    /// - Parameters:
    ///   - ownSeat: the user's seat row in the room, if any (lapsed or not).
    ///   - queue: the room's queue in order, positions from 1.
    ///   - occupancy: the room's seats, read only when the strategy is asked.
    /// - Returns: the outcome, the seat change and the queue changes to apply, in that order.
    public static func reserveOrQueue(
        _ request: SeatRequest, joinsQueue: Bool = true, bypassesQueue: Bool, ownSeat: VoiceSeat?, queue: [VoiceQueueEntry],
        occupancy: @autoclosure () throws -> [VoiceSeat], decide: ([SubroomOccupancy]) -> SubroomDecision
    ) rethrows -> (QueuedSeatOutcome, SeatChange?, [QueueChange]) {
        let own = queue.first { $0.userID == request.userID }
        let leave: [QueueChange] = own == nil ? [] : [.dequeue(request.roomID, request.userID)]
        if let seat = ownSeat, SeatTransitions.isLive(seat, at: request.now) {
            let (outcome, change) = SeatTransitions.reserve(request: request, ownSeat: seat, occupancy: [], decide: decide)
            return (.seat(outcome), change, leave)
        }
        let ahead = own.map { $0.position - 1 } ?? queue.count
        var refusal = "\(ahead) \(ahead == 1 ? "person waits" : "people wait") for a seat"
        if ahead == 0 || bypassesQueue {
            let (outcome, change) = try SeatTransitions.reserve(request: request, ownSeat: ownSeat, occupancy: try occupancy(), decide: decide)
            if case .reserved = outcome { return (.seat(outcome), change, leave) }
            if case .refused(let reason) = outcome { refusal = reason }
        }
        if let own { return (.queued(position: own.position), nil, []) }
        guard joinsQueue else { return (.seat(.refused(refusal)), nil, []) }
        let entry = VoiceQueueEntry(
            roomID: request.roomID, userID: request.userID, identity: request.identity, isListenOnly: request.isListenOnly,
            enqueuedAt: request.now, position: queue.count + 1)
        return (.queued(position: entry.position), nil, [.enqueue(entry)])
    }

    /// ``VoiceChannelStore/offerQueuedSeats(in:now:expiresAt:limit:decide:)``.
    ///
    /// - Parameters:
    ///   - queue: the room's queue in order.
    ///   - seats: the room's seats, lapsed reservations already dropped.
    /// - Returns: the reservations to insert (the offers, in queue order) and the queue entries to remove.
    public static func offer(
        queue: [VoiceQueueEntry], seats: [VoiceSeat], now: Date, expiresAt: Date, limit: Int,
        decide: (VoiceQueueEntry, [SubroomOccupancy]) -> SubroomDecision
    ) -> (offers: [VoiceSeat], dequeued: [QueueChange]) {
        var seats = seats.filter { SeatTransitions.isLive($0, at: now) }
        var offers: [VoiceSeat] = []
        var dequeued: [QueueChange] = []
        var decided = 0
        for entry in queue {
            if seats.contains(where: { $0.userID == entry.userID }) {
                dequeued.append(.dequeue(entry.roomID, entry.userID))  // seated meanwhile by a token of their own
                continue
            }
            guard decided < limit else { break }
            decided += 1
            guard let index = decide(entry, SeatTransitions.subrooms(of: seats)).assignedIndex else { break }
            let seat = VoiceSeat(
                roomID: entry.roomID, subroom: index, userID: entry.userID, identity: entry.identity, state: .reserved,
                isListenOnly: entry.isListenOnly, reservedAt: now, expiresAt: expiresAt)
            seats.append(seat)
            offers.append(seat)
            dequeued.append(.dequeue(entry.roomID, entry.userID))
        }
        return (offers, dequeued)
    }

    /// ``VoiceChannelStore/moveSeat(of:in:to:now:expiresAt:audit:admits:)``: the seat change
    /// that moves the user's live seat to `subroom` as a fresh reservation, or why not.
    public static func move(
        _ ownSeat: VoiceSeat?, to subroom: Int, seats: [VoiceSeat], now: Date, expiresAt: Date, admits: ([SubroomOccupancy]) -> Bool
    ) -> (SeatMove, SeatChange?) {
        guard let from = ownSeat, SeatTransitions.isLive(from, at: now) else { return (.notSeated, nil) }
        let others = seats.filter { $0.userID != from.userID && SeatTransitions.isLive($0, at: now) }
        guard admits(SeatTransitions.subrooms(of: others)) else { return (.refused, nil) }
        let to = VoiceSeat(
            roomID: from.roomID, subroom: subroom, userID: from.userID, identity: from.identity, state: .reserved,
            isListenOnly: from.isListenOnly, reservedAt: now, expiresAt: expiresAt)
        return (.moved(from: from, to: to), .update(to))
    }
}
