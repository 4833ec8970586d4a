/// What the host passes to `echochat_decide`, decoded:
///
/// ```json
/// {"room":"Lobby","now_ms":1765000000000,"limits":{"capacity":50,"max_subrooms":25},
///  "request":{"user_id":"42","preferred_index":null,"listen_only":false},
///  "subrooms":[{"index":1,"seats":[{"user_id":"7","state":"joined","publishing":["microphone"],"listen_only":false}]}]}
/// ```
///
/// Members may come in any order and unknown ones are skipped, since later ABI versions add
/// members. `room`, `now_ms`, `limits` (both members), `request.user_id`, `subrooms`, each
/// sub-room's `index` (1 or more) and `seats`, and each seat's `user_id` and `state` are
/// required; `preferred_index`, `publishing` and `listen_only` may be missing or `null`.
///
/// The general reader here handles every spelling; the host's own spelling takes the fast paths
/// in `DecisionInput+HostSpelling.swift` and `DecisionInput+HostSeats.swift` first.
struct DecisionInput {
    /// Who asks.
    var request: SubroomRequest
    /// The room as it is.
    var snapshot: SubroomSnapshot

    /// The top-level members read so far.
    struct Members {
        var room: UnsafeBufferPointer<UInt8>?
        var now: Int64?
        var limits: SubroomLimits?
        var request: SubroomRequest?
        var subrooms: [SubroomOccupancy]?
    }

    /// Reads the whole input; trailing bytes other than whitespace are an error.
    init(reading reader: inout JSONReader) throws(JSONError) {
        var members = Members()
        if let subroomsStart = DecisionInput.hostHeader(at: reader.cursor, into: &members) {
            reader.cursor = subroomsStart
            members.subrooms = try DecisionInput.subrooms(&reader)
            if try reader.nextMember() { try DecisionInput.readMembers(&reader, into: &members) }
        } else {
            guard try reader.beginObject() else { throw .missing }
            try DecisionInput.readMembers(&reader, into: &members)
        }
        guard reader.isAtEnd() else { throw .malformed }
        guard let room = members.room, let now = members.now, let limits = members.limits,
            let request = members.request, let subrooms = members.subrooms
        else { throw .missing }
        self.request = request
        self.snapshot = SubroomSnapshot(roomUTF8: room, nowMilliseconds: now, subrooms: subrooms, limits: limits)
    }

    /// Reads members up to the object's `}`, from a member name on.
    private static func readMembers(_ reader: inout JSONReader, into members: inout Members) throws(JSONError) {
        repeat {
            switch try reader.member(#""room""#, #""now_ms""#, #""limits""#, #""request""#, #""subrooms""#) {
            case 0: members.room = try reader.string()
            case 1: members.now = try reader.int64()
            case 2: members.limits = try limits(&reader)
            case 3: members.request = try request(&reader)
            case 4: members.subrooms = try subrooms(&reader)
            default: try reader.skipValue()
            }
        } while try reader.nextMember()
    }

    private static func limits(_ reader: inout JSONReader) throws(JSONError) -> SubroomLimits {
        var capacity: Int?
        var maxSubrooms: Int?
        if try reader.beginObject() {
            repeat {
                switch try reader.member(#""capacity""#, #""max_subrooms""#) {
                case 0: capacity = try reader.int()
                case 1: maxSubrooms = try reader.int()
                default: try reader.skipValue()
                }
            } while try reader.nextMember()
        }
        guard let capacity, let maxSubrooms else { throw .missing }
        return SubroomLimits(capacity: capacity, maxSubrooms: maxSubrooms)
    }

    private static func request(_ reader: inout JSONReader) throws(JSONError) -> SubroomRequest {
        var userID: UserID?
        var preferredIndex: Int?
        var isListenOnly = false
        var companions: [Int] = []
        var role: RoomRole?
        if try reader.beginObject() {
            repeat {
                switch try reader.member(#""user_id""#, #""preferred_index""#, #""listen_only""#, #""companions""#, #""role""#) {
                case 0: userID = UserID(utf8: try reader.string())
                case 1: preferredIndex = reader.takeNull() ? nil : try reader.int()
                case 2: isListenOnly = reader.takeNull() ? false : try reader.bool()
                case 3:
                    if !reader.takeNull(), try reader.beginArray() {
                        repeat { companions.append(try reader.int()) } while try reader.nextElement()
                    }
                case 4: role = reader.takeNull() ? nil : roleNamed(try reader.string())
                default: try reader.skipValue()
                }
            } while try reader.nextMember()
        }
        guard let userID else { throw .missing }
        return SubroomRequest(userID: userID, preferredIndex: preferredIndex, isListenOnly: isListenOnly, companionIndices: companions, role: role)
    }

    private static func subrooms(_ reader: inout JSONReader) throws(JSONError) -> [SubroomOccupancy] {
        var subrooms: [SubroomOccupancy] = []
        guard try reader.beginArray() else { return subrooms }
        var scratch = SeatScratch()
        repeat {
            subrooms.append(try subroom(&reader, scratch: &scratch))
        } while try reader.nextElement()
        return subrooms
    }

    private static func subroom(_ reader: inout JSONReader, scratch: inout SeatScratch) throws(JSONError) -> SubroomOccupancy {
        var index: Int?
        var seats: [SubroomSeat]?
        var hasMembers: Bool
        if let seatsStart = hostSubroomHeader(at: reader.cursor, index: &index) {
            reader.cursor = seatsStart
            seats = try DecisionInput.seats(&reader, scratch: &scratch)
            hasMembers = try reader.nextMember()
        } else {
            hasMembers = try reader.beginObject()
        }
        while hasMembers {
            switch try reader.member(#""index""#, #""seats""#) {
            case 0: index = try reader.int()
            case 1: seats = try DecisionInput.seats(&reader, scratch: &scratch)
            default: try reader.skipValue()
            }
            hasMembers = try reader.nextMember()
        }
        guard let index, let seats else { throw .missing }
        guard index >= 1 else { throw .malformed }
        return SubroomOccupancy(index: index, seats: seats)
    }

    private static func seats(_ reader: inout JSONReader, scratch: inout SeatScratch) throws(JSONError) -> [SubroomSeat] {
        scratch.removeAll()
        guard try reader.beginArray() else { return [] }
        while true {
            switch hostSeats(&reader.cursor, into: &scratch) {
            case .end: return scratch.seats
            case .seat: scratch.append(try seat(&reader))
            case .separator: break
            }
            guard try reader.nextElement() else { return scratch.seats }
        }
    }

    private static func seat(_ reader: inout JSONReader) throws(JSONError) -> SubroomSeat {
        var userID: UserID?
        var state: SubroomSeat.State?
        var publishing = TrackSourceSet()
        var isListenOnly = false
        if try reader.beginObject() {
            repeat {
                switch try reader.member(#""user_id""#, #""state""#, #""publishing""#, #""listen_only""#) {
                case 0: userID = UserID(utf8: try reader.string())
                case 1: state = try seatState(&reader)
                case 2: publishing = reader.takeNull() ? [] : try trackSources(&reader)
                case 3: isListenOnly = reader.takeNull() ? false : try reader.bool()
                default: try reader.skipValue()
                }
            } while try reader.nextMember()
        }
        guard let userID, let state else { throw .missing }
        return SubroomSeat(userID: userID, state: state, publishing: publishing, isListenOnly: isListenOnly)
    }

    private static func seatState(_ reader: inout JSONReader) throws(JSONError) -> SubroomSeat.State {
        let name = try reader.string()
        if (#""joined""# as StaticString).isJSONSpelling(of: name) { return .joined }
        if (#""reserved""# as StaticString).isJSONSpelling(of: name) { return .reserved }
        throw .malformed
    }

    /// Reads `publishing`; names this SDK does not know (from a later host) are skipped.
    private static func trackSources(_ reader: inout JSONReader) throws(JSONError) -> TrackSourceSet {
        var sources = TrackSourceSet()
        guard try reader.beginArray() else { return sources }
        repeat {
            let name = try reader.string()
            for source in TrackSource.allCases where source.name.isJSONSpelling(of: name) {
                sources.insert(source)
            }
        } while try reader.nextElement()
        return sources
    }

    /// `member`, `moderator`, `admin`, `owner`; another name (from a later host) is `nil`.
    static func roleNamed(_ name: UnsafeBufferPointer<UInt8>) -> RoomRole? {
        if StaticString("member").isJSONSpelling(of: name) { return .member }
        if StaticString("moderator").isJSONSpelling(of: name) { return .moderator }
        if StaticString("admin").isJSONSpelling(of: name) { return .admin }
        if StaticString("owner").isJSONSpelling(of: name) { return .owner }
        return nil
    }
}
