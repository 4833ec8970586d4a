import EchoPluginAPI
import Foundation

extension SimulationTrace {
    /// Reads JSON lines such as `{"t": 12.5, "user": "u7", "event": "arrive"}`,
    /// `{"t": 20, "user": "u7", "event": "publish", "sources": ["camera"]}` and
    /// `{"t": 40, "user": "u7", "event": "leave"}`; an arrival may add `"preferred": 2` and
    /// `"listen_only": true`. Blank lines are skipped; anything else that is not such an object
    /// is an error naming its line.
    init(jsonLines text: String, file: String) throws(TraceError) {
        let decoder = JSONDecoder()
        var events: [Event] = []
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !line.isEmpty else { continue }
            events.append(try Self.event(line, decoder: decoder, file: file, line: offset + 1))
        }
        guard !events.isEmpty else { throw TraceError(file: file, line: nil, message: "the trace has no events") }
        self.init(events: events)
    }

    /// Reads a trace file; a missing file, or one that is not UTF-8, is a ``TraceError`` too.
    init(contentsOf path: String) throws(TraceError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TraceError(file: path, line: nil, message: "cannot read the file (missing or not readable)")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw TraceError(file: path, line: nil, message: "the file is not UTF-8 text")
        }
        try self.init(jsonLines: text, file: path)
    }

    private static let keys: [String: Set<String>] = [
        "arrive": ["t", "user", "event", "preferred", "listen_only"],
        "leave": ["t", "user", "event"],
        "publish": ["t", "user", "event", "sources"],
    ]

    private static func event(_ line: String, decoder: JSONDecoder, file: String, line number: Int) throws(TraceError) -> Event {
        func fail(_ message: String) -> TraceError { TraceError(file: file, line: number, message: message) }
        let data = Data(line.utf8)
        let value: ConfigValue
        do {
            value = try decoder.decode(ConfigValue.self, from: data)
        } catch {
            throw fail("not valid JSON: \(JSONErrorText.describe(error, in: data))")
        }
        guard case .object(let members) = value else { throw fail("expected a JSON object, found \(value.typeDescription)") }
        if let repeated = JSONDuplicateKeys.first(in: data) { throw fail("\"\(repeated)\" appears twice") }
        guard case .string(let kind) = members["event"] else {
            throw fail(#""event" must be "arrive", "leave" or "publish""#)
        }
        guard let allowed = keys[kind] else { throw fail(#"unknown event "\#(kind)"; expected "arrive", "leave" or "publish""#) }
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw fail("unknown key \"\(unknown)\" in a\(kind == "arrive" ? "n" : "") \(kind) event")
        }
        let time: Double
        switch members["t"] {
        case .integer(let value): time = Double(value)
        case .double(let value): time = value
        default: throw fail(#""t" must be a number of seconds"#)
        }
        guard time.isFinite, time >= 0 else { throw fail(#""t" must be 0 or more"#) }
        guard case .string(let user) = members["user"], !user.isEmpty else { throw fail(#""user" must be a non-empty string"#) }
        switch kind {
        case "arrive":
            var preferred: Int?
            switch members["preferred"] {
            case nil, .null: break
            case .integer(let value) where value >= 1 && value <= 100_000: preferred = Int(value)
            default: throw fail(#""preferred" must be a sub-room index from 1"#)
            }
            var listenOnly = false
            switch members["listen_only"] {
            case nil: break
            case .bool(let value): listenOnly = value
            default: throw fail(#""listen_only" must be true or false"#)
            }
            return Event(time: time, user: user, action: .arrive(preferredIndex: preferred, isListenOnly: listenOnly))
        case "leave":
            return Event(time: time, user: user, action: .leave)
        default:
            guard case .array(let elements) = members["sources"] else {
                throw fail(#""sources" must be a list such as ["microphone", "camera"] (empty for none)"#)
            }
            var sources: Set<TrackSource> = []
            for element in elements {
                guard case .string(let name) = element, let source = TrackSource(rawValue: name) else {
                    let known = TrackSource.allCases.map(\.rawValue).joined(separator: ", ")
                    throw fail("unknown source \(element) in \"sources\"; expected \(known)")
                }
                sources.insert(source)
            }
            return Event(time: time, user: user, action: .publish(sources))
        }
    }
}
