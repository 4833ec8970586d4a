public import Foundation

/// A seat row as a backend read it, with when it was last written: what
/// ``SeatTransitions/reconcile(roomID:subroom:participants:listedAt:seats:departed:)`` needs to
/// leave alone the seats a webhook changed after LiveKit's list was read.
///
/// - Note: Added in EchoPluginAPI 1.4.
public struct StoredSeat: Hashable, Sendable {
    /// The seat.
    public var seat: VoiceSeat
    /// When the row was last written.
    public var updatedAt: Date

    /// Creates a stored seat.
    public init(_ seat: VoiceSeat, updatedAt: Date) {
        self.seat = seat
        self.updatedAt = updatedAt
    }
}
