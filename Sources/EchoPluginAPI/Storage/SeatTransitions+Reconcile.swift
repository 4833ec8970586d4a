public import Foundation

extension SeatTransitions {
    /// ``VoiceStore/reconcileSeats(roomID:subroom:participants:listedAt:)``: the joined seats of
    /// `subroom` are made to match what LiveKit listed at `listedAt`.
    ///
    /// Joined seats of people no longer listed are freed; listed people become joined seats there
    /// (moved from another sub-room if need be). Reservations stay, and so does every seat written
    /// at or after `listedAt` (a webhook applied while the list was on its way is newer than the
    /// list), and a participant whose sid is in `departed` is not seated again. When LiveKit lists
    /// a user twice, the first listing that changes their seat wins.
    ///
    /// - Parameters:
    ///   - listedAt: when the list was read, at the precision the backend stores times in.
    ///   - seats: the room's seats, every sub-room, with when each row was last written.
    ///   - departed: the sids among `participants` the room remembers as gone.
    /// - Returns: the changes to apply; none when the seats already match.
    public static func reconcile(
        roomID: RoomID, subroom: Int, participants: [VoiceParticipant], listedAt: Date, seats: [StoredSeat], departed: Set<String>
    ) -> [SeatChange] {
        let listed = Set(participants.map(\.userID))
        var changes = seats.filter { stored in
            stored.seat.subroom == subroom && stored.seat.state == .joined && !listed.contains(stored.seat.userID)
                && stored.updatedAt < listedAt
        }.map { SeatChange.delete($0.seat) }
        let rows = Dictionary(seats.map { ($0.seat.userID, $0) }, uniquingKeysWith: { first, _ in first })
        var written: Set<UserID> = []
        for participant in participants where !departed.contains(participant.participantSID) && !written.contains(participant.userID) {
            let row = rows[participant.userID]
            if let row, row.updatedAt >= listedAt { continue }
            let existing = row?.seat
            let seat = VoiceSeat(
                roomID: roomID, subroom: subroom, userID: participant.userID, identity: participant.identity, state: .joined,
                participantSID: participant.participantSID, publishing: participant.publishing,
                isListenOnly: existing?.isListenOnly ?? false, reservedAt: existing?.reservedAt ?? listedAt,
                joinedAt: existing?.participantSID == participant.participantSID ? existing?.joinedAt : listedAt)
            guard existing != seat else { continue }
            changes.append(existing == nil ? .insert(seat) : .update(seat))
            written.insert(participant.userID)
        }
        return changes
    }
}
