import EchoPluginAPI
import Foundation

/// Decisions recorded by a running server, to replay one by one: the answer of
/// `GET /api/admin/strategy/disagreements` (or its `disagreements` array), each entry's
/// `snapshot` being a decision's input as a module receives it (ABI version 1).
struct RecordedDecisions: Sendable {
    struct Entry: Sendable {
        let input: SubroomDecisionInput
        /// When the server decided, as it wrote it.
        let at: String?
        /// What the live strategy and the shadow answered there, as the server wrote them.
        let decision: String?
        let shadowDecision: String?
    }

    let entries: [Entry]

    /// A problem with the file, naming it and the entry.
    struct FileError: Error, CustomStringConvertible {
        let description: String
    }

    init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(description: "\(path): cannot read the file") }
        try self.init(data: data, name: path)
    }

    init(data: Data, name: String) throws {
        func fail(_ message: String) -> FileError { FileError(description: "\(name): \(message)") }
        let value: ConfigValue
        do {
            value = try JSONDecoder().decode(ConfigValue.self, from: data)
        } catch {
            throw fail("not JSON: \(JSONErrorText.describe(error, in: data))")
        }
        let list: [ConfigValue]
        switch value {
        case .array(let items): list = items
        case .object(let members):
            guard case .array(let items)? = members["disagreements"] else {
                throw fail(#"expected {"disagreements": [...]} or an array of recorded decisions"#)
            }
            list = items
        default:
            throw fail("expected an object or an array, found \(value.typeDescription)")
        }
        entries = try list.enumerated().map { number, item in
            do {
                guard case .object(let members) = item else { throw RecordError("expected an object, found \(item.typeDescription)") }
                let snapshot = members["snapshot"] ?? item
                return Entry(
                    input: try Self.input(snapshot), at: Self.text(members["at"]), decision: Self.text(members["decision"]),
                    shadowDecision: Self.text(members["shadow_decision"]))
            } catch let error as RecordError {
                throw fail("decision \(number + 1): \(error.message)")
            }
        }
    }

    private struct RecordError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// `{"subroom":2}` as written, for the report.
    private static func text(_ value: ConfigValue?) -> String? {
        guard let value else { return nil }
        if case .string(let text) = value { return text }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Parses one decision input (ABI version 1), checking every field it reads.
    static func input(_ value: ConfigValue) throws -> SubroomDecisionInput {
        let object = try members(value, "snapshot")
        let room = try string(object["room"], "room")
        let now = try integer(object["now_ms"], "now_ms")
        let limits = try members(object["limits"] ?? .null, "limits")
        let request = try members(object["request"] ?? .null, "request")
        let preferred: Int? = try request["preferred_index"].flatMap { $0 == .null ? nil : Int(try integer($0, "request.preferred_index")) }
        var subrooms: [SubroomOccupancy] = []
        guard case .array(let rooms) = object["subrooms"] ?? .null else { throw RecordError("subrooms: expected an array") }
        for (position, entry) in rooms.enumerated() {
            let sub = try members(entry, "subrooms[\(position)]")
            guard case .array(let seatValues) = sub["seats"] ?? .null else { throw RecordError("subrooms[\(position)].seats: expected an array") }
            let seats = try seatValues.enumerated().map { number, seatValue in
                let path = "subrooms[\(position)].seats[\(number)]"
                let seat = try members(seatValue, path)
                guard let state = SubroomSeat.State(rawValue: try string(seat["state"], "\(path).state")) else {
                    throw RecordError("\(path).state: expected joined or reserved")
                }
                guard case .array(let sources) = seat["publishing"] ?? .array([]) else { throw RecordError("\(path).publishing: expected an array") }
                let publishing = try sources.map { source in
                    guard case .string(let name) = source, let track = TrackSource(rawValue: name) else {
                        throw RecordError("\(path).publishing: unknown source \(source)")
                    }
                    return track
                }
                return SubroomSeat(
                    userID: try user(seat["user_id"], "\(path).user_id"), state: state, publishing: Set(publishing),
                    isListenOnly: try bool(seat["listen_only"], "\(path).listen_only"))
            }
            subrooms.append(SubroomOccupancy(index: Int(try integer(sub["index"], "subrooms[\(position)].index")), seats: seats))
        }
        let snapshot = SubroomSnapshot(
            room: room, subrooms: subrooms,
            limits: SubroomLimits(
                capacity: Int(try integer(limits["capacity"], "limits.capacity")), maxSubrooms: Int(try integer(limits["max_subrooms"], "limits.max_subrooms"))))
        guard case .array(let companionValues) = request["companions"] ?? .array([]) else { throw RecordError("request.companions: expected an array") }
        let companions = try companionValues.map { Int(try integer($0, "request.companions")) }
        var role: RoomRole?
        if let value = request["role"], value != .null {
            guard case .string(let name) = value, let known = RoomRole(rawValue: name) else {
                throw RecordError("request.role: expected member, moderator, admin, owner or null")
            }
            role = known
        }
        return SubroomDecisionInput(
            request: SubroomRequest(
                userID: try user(request["user_id"], "request.user_id"), preferredIndex: preferred,
                isListenOnly: try bool(request["listen_only"], "request.listen_only"), companionIndices: companions, role: role),
            snapshot: snapshot, now: Date(timeIntervalSince1970: Double(now) / 1000))
    }

    private static func members(_ value: ConfigValue, _ path: String) throws -> [String: ConfigValue] {
        guard case .object(let members) = value else { throw RecordError("\(path): expected an object, found \(value.typeDescription)") }
        return members
    }

    private static func string(_ value: ConfigValue?, _ path: String) throws -> String {
        guard case .string(let text)? = value else { throw RecordError("\(path): expected a string") }
        return text
    }

    private static func integer(_ value: ConfigValue?, _ path: String) throws -> Int64 {
        guard case .integer(let number)? = value, abs(number) < 1 << 53 else { throw RecordError("\(path): expected an integer") }
        return number
    }

    private static func bool(_ value: ConfigValue?, _ path: String) throws -> Bool {
        guard let value else { return false }
        guard case .bool(let flag) = value else { throw RecordError("\(path): expected true or false") }
        return flag
    }

    /// A user id: a string of digits, as ABI version 1 writes it, or a number.
    private static func user(_ value: ConfigValue?, _ path: String) throws -> UserID {
        switch value {
        case .string(let text)?: if let number = Int64(text), number > 0 { return UserID(number) }
        case .integer(let number)? where number > 0: return UserID(number)
        default: break
        }
        throw RecordError("\(path): expected a user id (a string of digits)")
    }
}
