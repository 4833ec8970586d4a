/// Fast paths for the host's own spelling of the decision input.
///
/// WasmKit charges fuel by region: a function body or a loop body is charged in full when it is
/// entered, whichever of its branches then run. A decision therefore costs about the sum of the
/// sizes of the function and loop bodies it enters, not of the instructions it executes. The
/// general reader handles any spelling but enters a few small functions per member; the compact
/// JSON the host writes (its keys, its order, no whitespace) is cheaper read as runs of word
/// compares. These paths never decode or change the input: anything spelled another way is
/// handed to the general reader at the same position, so they change the cost, never the result.
extension DecisionInput {
    /// Reads everything before the sub-rooms as the host spells it,
    /// `{"room":"Lobby","now_ms":1765000000000,"limits":{"capacity":50,"max_subrooms":25},"request":{"user_id":"42","preferred_index":null,"listen_only":false,"companions":[2],"role":"member"},"subrooms":`,
    /// into `members`; answers the position of the sub-rooms' `[`, or `nil` for any other spelling.
    @inline(never)
    static func hostHeader(at start: UnsafeMutablePointer<UInt8>, into members: inout Members) -> UnsafeMutablePointer<UInt8>? {
        var cursor = start
        guard skip(#"{"room":""#, &cursor) else { return nil }
        let roomStart = cursor
        cursor = plainRunEnd(from: cursor)
        let room = UnsafeBufferPointer(start: roomStart, count: cursor - roomStart)
        guard skip(#"","now_ms":"#, &cursor), let now = hostInteger(&cursor),
            skip(#","limits":{"capacity":"#, &cursor), let capacity = hostInteger(&cursor), capacity <= Int32.max,
            skip(#","max_subrooms":"#, &cursor), let maxSubrooms = hostInteger(&cursor), maxSubrooms <= Int32.max,
            skip(#"},"request":{"user_id":""#, &cursor)
        else { return nil }
        let userStart = cursor
        cursor = plainRunEnd(from: cursor)
        let userID = UserID(utf8: UnsafeBufferPointer(start: userStart, count: cursor - userStart))
        guard skip(#"","preferred_index":"#, &cursor) else { return nil }
        var preferredIndex: Int?
        if !skip("null", &cursor) {
            guard let index = hostInteger(&cursor), index <= Int32.max else { return nil }
            preferredIndex = Int(index)
        }
        guard skip(#","listen_only":"#, &cursor) else { return nil }
        let isListenOnly: Bool
        if skip("false", &cursor) {
            isListenOnly = false
        } else if skip("true", &cursor) {
            isListenOnly = true
        } else {
            return nil
        }
        guard skip(#","companions":["#, &cursor) else { return nil }
        var companions: [Int] = []
        if !skip("]", &cursor) {
            repeat {
                guard let index = hostInteger(&cursor), index <= Int32.max else { return nil }
                companions.append(Int(index))
            } while skip(",", &cursor)
            guard skip("]", &cursor) else { return nil }
        }
        guard skip(#","role":"#, &cursor) else { return nil }
        var role: RoomRole?
        if skip("null", &cursor) {
            role = nil
        } else if skip(#""member""#, &cursor) {
            role = .member
        } else if skip(#""moderator""#, &cursor) {
            role = .moderator
        } else if skip(#""admin""#, &cursor) {
            role = .admin
        } else if skip(#""owner""#, &cursor) {
            role = .owner
        } else {
            return nil
        }
        guard skip(#"},"subrooms":"#, &cursor) else { return nil }
        members.room = room
        members.now = now
        members.limits = SubroomLimits(capacity: Int(capacity), maxSubrooms: Int(maxSubrooms))
        members.request = SubroomRequest(
            userID: userID, preferredIndex: preferredIndex, isListenOnly: isListenOnly, companionIndices: companions, role: role)
        return cursor
    }

    /// Reads `{"index":3,"seats":` as the host spells it; answers the position of the seats'
    /// `[`, or `nil` for any other spelling.
    @inline(never)
    static func hostSubroomHeader(at start: UnsafeMutablePointer<UInt8>, index: inout Int?) -> UnsafeMutablePointer<UInt8>? {
        var cursor = start
        guard skip(#"{"index":"#, &cursor), let value = hostInteger(&cursor), value >= 1, value <= Int32.max,
            skip(#","seats":"#, &cursor)
        else { return nil }
        index = Int(value)
        return cursor
    }

    /// Reads a non-negative integer of at most 18 digits without a leading zero, as the host
    /// writes one; `nil` (the cursor unmoved) for anything else.
    @inline(never)
    static func hostInteger(_ cursor: inout UnsafeMutablePointer<UInt8>) -> Int64? {
        var next = cursor
        var value: Int64 = 0
        while case let digit = next.pointee &- UInt8(ascii: "0"), digit <= 9 {
            value = value &* 10 &+ Int64(digit)
            next += 1
        }
        let count = next - cursor
        guard count >= 1, count <= 18, count == 1 || cursor.pointee != UInt8(ascii: "0") else { return nil }
        cursor = next
        return value
    }

    /// Where a run of plain string content (no quote, backslash or control character) ends.
    @inline(never)
    static func plainRunEnd(from start: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var cursor = start
        while !JSONReader.endsPlainRun(cursor.pointee) { cursor += 1 }
        return cursor
    }

    /// Moves `cursor` past `literal` when the input continues with it.
    @inline(__always)
    static func skip(_ literal: StaticString, _ cursor: inout UnsafeMutablePointer<UInt8>) -> Bool {
        guard literal.isPrefix(of: cursor) else { return false }
        cursor += literal.utf8CodeUnitCount
        return true
    }
}
