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
    /// differs. The loop body is what every seat pays for, so everything but the most common
    /// spelling is called rather than inlined.
    @inline(never)
    static func hostSeats(_ cursor: inout UnsafeMutablePointer<UInt8>, into scratch: inout SeatScratch) -> HostSeatsStop {
        var seatStart = cursor
        defer { cursor = seatStart }
        while true {
            var next = seatStart
            guard skip(#"{"user_id":""#, &next) else { return .seat }
            let idStart = next
            while !JSONReader.endsPlainRun(next.pointee) { next += 1 }  // inline: every seat runs it
            let idEnd = next
            let state: SubroomSeat.State
            if skip(#"","state":"joined","publishing":["#, &next) {
                state = .joined
            } else {
                guard let end = hostReservedState(at: next) else { return .seat }
                state = .reserved
                next = end
            }
            var publishing = TrackSourceSet()
            if (#""microphone"]"# as StaticString).isPrefix(of: next) {
                publishing.insert(.microphone)
                next += 12  // up to the ]
            } else if next.pointee != UInt8(ascii: "]") {
                guard let end = hostTrackSources(at: next, into: &publishing) else { return .seat }
                next = end
            }
            let isListenOnly: Bool
            if skip(#"],"listen_only":false}"#, &next) {
                isListenOnly = false
            } else {
                guard let end = hostListenOnly(at: next) else { return .seat }
                isListenOnly = true
                next = end
            }
            let userID = UserID(utf8: UnsafeBufferPointer(start: idStart, count: idEnd - idStart))
            scratch.append(SubroomSeat(userID: userID, state: state, publishing: publishing, isListenOnly: isListenOnly))
            seatStart = next + 1
            if next.pointee == UInt8(ascii: ",") { continue }
            if next.pointee == UInt8(ascii: "]") { return .end }
            seatStart = next
            return .separator
        }
    }

    /// The rarer state: answers the position after `","state":"reserved","publishing":[`.
    @inline(never)
    private static func hostReservedState(at start: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>? {
        var cursor = start
        return skip(#"","state":"reserved","publishing":["#, &cursor) ? cursor : nil
    }

    /// The rarer ending: answers the position after `],"listen_only":true}`.
    @inline(never)
    private static func hostListenOnly(at start: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>? {
        var cursor = start
        return skip(#"],"listen_only":true}"#, &cursor) ? cursor : nil
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
