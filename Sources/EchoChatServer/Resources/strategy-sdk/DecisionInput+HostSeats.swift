// The host's spelling of seats, the part of the input that grows with the room; see
// DecisionInput+HostSpelling.swift for why these fast paths exist.

extension DecisionInput {
    /// Where ``hostSeats(_:into:)`` stopped.
    enum HostSeatsStop {
        /// After the array's `]`.
        case end
        /// At a seat spelled another way.
        case seat
        /// After a seat, at a separator spelled another way.
        case separator
    }

    /// Reads seats spelled as the host spells them,
    /// `{"user_id":"7","state":"joined","publishing":["microphone"],"listen_only":false}`, into
    /// `scratch`, from `cursor` (inside a `seats` array) until the array ends or the spelling
    /// differs. The loop body is what every seat pays for, so it holds only the commonest seat —
    /// joined, publishing a microphone, allowed to speak — and calls out for every other.
    @inline(never)
    static func hostSeats(_ cursor: inout UnsafeMutablePointer<UInt8>, into scratch: inout SeatScratch) -> HostSeatsStop {
        var seatStart = cursor
        defer { cursor = seatStart }
        while true {
            var next = seatStart
            guard skip(#"{"user_id":""#, &next) else { return .seat }
            let idStart = next
            next = plainRunEnd(fromShort: next)
            let userID = UserID(utf8: UnsafeBufferPointer(start: idStart, count: next - idStart))
            if skip(#"","state":"joined","publishing":["microphone"],"listen_only":false}"#, &next) {
                scratch.append(SubroomSeat(userID: userID, state: .joined, publishing: TrackSourceSet(bits: 1), isListenOnly: false))
            } else {
                guard let end = hostSeatRest(at: next, userID: userID, into: &scratch) else { return .seat }
                next = end
            }
            seatStart = next + 1
            if next.pointee == UInt8(ascii: ",") { continue }
            if next.pointee == UInt8(ascii: "]") { return .end }
            seatStart = next
            return .separator
        }
    }

    /// Reads the rest of any other seat from the `"` that ends its user id, and appends it;
    /// answers the position after the seat's `}`, or `nil` for a spelling not the host's.
    @inline(never)
    private static func hostSeatRest(
        at start: UnsafeMutablePointer<UInt8>, userID: UserID, into scratch: inout SeatScratch
    ) -> UnsafeMutablePointer<UInt8>? {
        var next = start
        let state: SubroomSeat.State
        if skip(#"","state":"joined","publishing":["#, &next) {
            state = .joined
        } else if skip(#"","state":"reserved","publishing":["#, &next) {
            state = .reserved
        } else {
            return nil
        }
        var publishing = TrackSourceSet()
        if next.pointee != UInt8(ascii: "]") {
            guard let end = hostTrackSources(at: next, into: &publishing) else { return nil }
            next = end
        }
        let isListenOnly: Bool
        if skip(#"],"listen_only":false}"#, &next) {
            isListenOnly = false
        } else if skip(#"],"listen_only":true}"#, &next) {
            isListenOnly = true
        } else {
            return nil
        }
        scratch.append(SubroomSeat(userID: userID, state: state, publishing: publishing, isListenOnly: isListenOnly))
        return next
    }

    /// Where a plain run (see ``plainRunEnd(from:)``) starting at `start` ends, found eight bytes
    /// at once for runs shorter than eight bytes, such as most user ids.
    @inline(__always)
    static func plainRunEnd(fromShort start: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let word = UnsafeRawPointer(start).loadUnaligned(as: UInt64.self)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        // The high bit of each byte that is a quote, a backslash or below 0x20. Borrows may also
        // mark bytes above the first marked one, never below, so the lowest mark is exact.
        let stops = ((quotes &- ones) & ~quotes | (backslashes &- ones) & ~backslashes | (word &- ones &* 0x20) & ~word)
            & (ones &* 0x80)
        if stops == 0 { return plainRunEnd(from: start + 8) }
        return start + stops.trailingZeroBitCount / 8
    }

    /// Reads the names of a non-empty `publishing` array as the host spells them; answers the
    /// position of the closing `]`, or `nil` for any other spelling (or a name it does not know).
    @inline(never)
    private static func hostTrackSources(
        at start: UnsafeMutablePointer<UInt8>, into sources: inout TrackSourceSet
    ) -> UnsafeMutablePointer<UInt8>? {
        var cursor = start
        while true {
            if skip(#""microphone""#, &cursor) {
                sources.insert(.microphone)
            } else if skip(#""camera""#, &cursor) {
                sources.insert(.camera)
            } else if skip(#""screen_share""#, &cursor) {
                sources.insert(.screenShare)
            } else if skip(#""screen_share_audio""#, &cursor) {
                sources.insert(.screenShareAudio)
            } else {
                return nil
            }
            if cursor.pointee == UInt8(ascii: "]") { return cursor }
            guard cursor.pointee == UInt8(ascii: ",") else { return nil }
            cursor += 1
        }
    }
}
