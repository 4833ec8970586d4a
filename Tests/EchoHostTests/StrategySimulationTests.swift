import ArgumentParser
import EchoPluginAPI
import Foundation
import Testing

@testable import EchoChatServer

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `echochat strategy simulate`: traces and synthetic workloads replayed through built-in
/// strategies, with the table, `--explain` and the SVG checked.
@Suite("echochat strategy simulate")
struct StrategySimulationTests {
    static var tiny: [String: Any] { ["subrooms": ["plugin": "capacity", "config": ["capacity": 2, "max_subrooms": 2]]] }

    /// Two sub-rooms of two: a refusal, a preferred sub-room that is full, a sub-room that closes
    /// and opens again, a publish of someone never there and a repeated arrival.
    static let trace = """
        {"t": 0, "user": "a", "event": "arrive"}
        {"t": 10, "user": "b", "event": "arrive"}
        {"t": 20, "user": "c", "event": "arrive"}
        {"t": 30, "user": "d", "event": "arrive"}

        {"t": 40, "user": "e", "event": "arrive"}
        {"t": 50, "user": "a", "event": "leave"}
        {"t": 50, "user": "e", "event": "leave"}
        {"t": 60, "user": "f", "event": "arrive", "preferred": 2}
        {"t": 70, "user": "zz", "event": "publish", "sources": ["camera"]}
        {"t": 80, "user": "d", "event": "leave"}
        {"t": 65, "user": "b", "event": "publish", "sources": ["camera", "microphone"]}
        {"t": 80, "user": "c", "event": "leave"}
        {"t": 90, "user": "g", "event": "arrive"}
        {"t": 95, "user": "g", "event": "arrive"}
        {"t": 100, "user": "b", "event": "leave"}
        """

    static func simulate(_ arguments: [String]) async throws -> [String] {
        try await StrategySimulateCommand.parse(arguments).simulate()
    }

    /// The cells of the table row named `name`.
    static func row(_ name: String, in lines: [String]) -> [String] {
        guard let line = lines.first(where: { $0.hasPrefix(name + "  ") }) else { return [] }
        return line.dropFirst(name.count).split(separator: " ").map(String.init)
    }

    @Test("a hand-written trace through capacity 2 × 2 gives exact numbers, and --explain shows the decision's JSON")
    func handWritten() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("plugins.json", json: Self.tiny)
        try directory.write("trace.jsonl", text: Self.trace)
        let lines = try await Self.simulate([
            "--plugins", directory.file("plugins.json"), "--trace", directory.file("trace.jsonl"), "--explain", "7",
        ])
        #expect(lines.first == "trace: \(directory.file("trace.jsonl")): 7 arrivals, 5 departures, 1 publishing changes over 1m40s")
        #expect(lines[1] == "ignored: 1 leaves or publishes of users not present, 1 arrivals of users already present")
        let expected: [(String, String)] = [
            // max participants: the capacity and one seat of moderator headroom.
            ("sub-room capacity", "2"), ("max sub-rooms", "2"), ("max participants", "3"), ("decisions", "7"), ("seated", "6"),
            ("refusals", "1"), ("failures", "0"), ("sub-rooms opened", "3"), ("peak sub-rooms open", "2"), ("peak per sub-room", "2"),
            // ∫seats / ∫open sub-rooms = 300 / 170; (max − min) is 1 for 30 of the 100 seconds.
            ("mean per sub-room", "1.8"), ("imbalance", "0.3"), ("fuel p99", "—"), ("fuel max", "—"),
        ]
        for (name, value) in expected { #expect(Self.row(name, in: lines) == [value], "\(name)") }
        #expect(lines.contains { $0.hasPrefix("timing: capacity: 7 decisions, mean ") })

        let explained = try #require(lines.firstIndex { $0.hasPrefix("decision 7 ") })
        #expect(lines[explained] == "decision 7 at t=90 s: user g (user_id 8) arrives; preferred sub-room: none; listen only: no")
        #expect(lines[explained + 1] == "capacity:")
        let seats =
            #"[{"user_id":"2","state":"joined","publishing":["microphone","camera"],"listen_only":false},"#
            + #"{"user_id":"6","state":"joined","publishing":[],"listen_only":false}]"#
        #expect(
            lines[explained + 2] == #"  input:  {"room":"Lobby","now_ms":1735689690000,"limits":{"capacity":2,"max_subrooms":2},"#
                + #""request":{"user_id":"8","preferred_index":null,"listen_only":false,"companions":[],"role":null},"#
                + #""subrooms":[{"index":1,"seats":\#(seats)}]}"#)
        #expect(lines[explained + 3] == "  answer: assign 2 (Lobby(2))")
        #expect(lines[explained + 4] == "  fuel:   — (not metered)")
    }

    @Test("the fifth arrival is refused with the strategy's reason")
    func refusalExplained() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("plugins.json", json: Self.tiny)
        try directory.write("trace.jsonl", text: Self.trace)
        let lines = try await Self.simulate(
            ["--plugins", directory.file("plugins.json"), "--trace", directory.file("trace.jsonl"), "--explain", "5", "--room", "Stage"])
        #expect(lines.contains("  answer: refuse: all 2 sub-rooms of Stage have 2 participants"), "\(lines)")
        await #expect(throws: StrategySimulateCommand.InputError.self) {
            try await Self.simulate([
                "--plugins", directory.file("plugins.json"), "--trace", directory.file("trace.jsonl"), "--explain", "8",
            ])
        }
    }

    @Test("a synthetic workload gives the same table for the same seed, another for another seed")
    func synthetic() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("plugins.json", json: [:])
        func table(seed: Int) async throws -> [String] {
            let spec = "arrivals=30/min,stay=5m,duration=30m,seed=\(seed),publish=0.3"
            return try await Self.simulate(["--plugins", directory.file("plugins.json"), "--synthetic", spec]).filter {
                !$0.hasPrefix("timing:")
            }
        }
        let first = try await table(seed: 7)
        #expect(try await table(seed: 7) == first)
        #expect(try await table(seed: 8) != first)
        #expect(first[0].hasPrefix("trace: synthetic arrivals=30/min,stay=5m,duration=30m,seed=7,publish=0.3,mic=1: "), "\(first[0])")
        #expect(SyntheticWorkload().description == SyntheticWorkload.defaultsText)
        let workload = try SyntheticWorkload(spec: "arrivals=2/s,stay=300s,duration=2h,seed=7")
        #expect(workload.trace == workload.trace)
        let arrivals = workload.trace.events.filter { if case .arrive = $0.action { true } else { false } }.count
        #expect((13_800...15_000).contains(arrivals), "about 2/s for 2 h: \(arrivals)")
    }

    @Test("capacity and load-weighted side by side: two columns, and an SVG with a panel each")
    func sideBySide() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("a.json", json: [:])
        try directory.write("b.json", json: ["subrooms": ["plugin": "load-weighted", "config": ["load_limit": 20]]])
        let lines = try await Self.simulate([
            "--plugins", directory.file("a.json"), "--compare", directory.file("b.json"),
            "--synthetic", "arrivals=1/s,stay=10m,duration=1h,seed=3,publish=0.5", "--svg", directory.file("out.svg"),
        ])
        let header = try #require(lines.first { $0.hasSuffix("load-weighted") })
        #expect(header.split(separator: " ") == ["capacity", "load-weighted"])
        #expect(Self.row("decisions", in: lines).count == 2)
        #expect(Self.row("max participants", in: lines) == ["51", "41"], "each with a seat of moderator headroom")
        #expect(lines.filter { $0.hasPrefix("timing: ") }.count == 2)

        let data = try Data(contentsOf: URL(fileURLWithPath: directory.file("out.svg")))
        let outline = SVGOutline()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.delegate = outline
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(outline.root == "svg" && outline.namespace == "http://www.w3.org/2000/svg")
        #expect(outline.panels == 2)
        #expect(outline.texts.contains("capacity") && outline.texts.contains("load-weighted"))
        #expect(outline.texts.contains("cap 51") && outline.texts.contains("cap 41") && outline.texts.contains("Lobby(2)"))
        #expect(outline.texts.contains("30m") && outline.texts.contains("1h"))
        #expect(outline.longestPolyline <= 2_001)
    }

    @Test(
        "a malformed trace line is reported with its line number",
        arguments: [
            (#"{"t": 1, "user": "a", "event": "arrive"}"# + "\n{\"t\": 2,", 2, "not valid JSON"),
            (#"{"t": "soon", "user": "a", "event": "arrive"}"#, 1, #""t" must be a number of seconds"#),
            ("\n\n" + #"{"t": 1, "user": "a", "event": "arive"}"#, 3, #"unknown event "arive""#),
            (#"{"t": 1, "user": "a", "event": "publish", "sources": ["webcam"]}"#, 1, #"unknown source "webcam""#),
            (#"{"t": 1, "user": "a", "event": "leave", "preferred": 2}"#, 1, #"unknown key "preferred" in a leave event"#),
            ("[1, 2]", 1, "expected a JSON object, found an array"),
        ])
    func malformed(_ text: String, _ line: Int, _ message: String) async throws {
        let directory = try TemporaryDirectory()
        try directory.write("trace.jsonl", text: text)
        try directory.write("plugins.json", json: [:])
        do {
            _ = try await Self.simulate(["--plugins", directory.file("plugins.json"), "--trace", directory.file("trace.jsonl")])
            Issue.record("accepted \(text)")
        } catch let error as TraceError {
            #expect(error.line == line)
            #expect(error.description.hasPrefix("\(directory.file("trace.jsonl")), line \(line): "), "\(error)")
            #expect(error.description.contains(message), "\(error)")
        }
        let command = try StrategySimulateCommand.parse([
            "--plugins", directory.file("plugins.json"), "--trace", directory.file("trace.jsonl"),
        ])
        await #expect(throws: ExitCode(2)) { try await command.run() }
    }

    @Test("a bad --synthetic spec, or neither source, exits with status 2")
    func badArguments() async throws {
        for spec in [
            "arrivals=fast", "stay=5x", "seed=-1", "publish=2", "colour=red", "arrivals=1/s,arrivals=2/s", "arrivals=1000/s,duration=30d",
        ] {
            #expect(throws: SyntheticWorkload.SpecError.self, "\(spec)") { try SyntheticWorkload(spec: spec) }
            await #expect(throws: ExitCode(2)) { try await StrategySimulateCommand.parse(["--synthetic", spec]).run() }
        }
        await #expect(throws: ExitCode(2)) { try await StrategySimulateCommand.parse([]).run() }
        await #expect(throws: ExitCode(2)) { try await StrategySimulateCommand.parse(["--trace", "/nonexistent/trace.jsonl"]).run() }
    }

    @Test("SplitMix64 gives the reference stream")
    func generator() {
        var random = SplitMix64(seed: 0)
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect((0..<1_000).allSatisfy { _ in (0..<1).contains(random.unit()) })
    }
}

/// What a parsed SVG holds: its root, its panels, its texts and its longest line.
private final class SVGOutline: NSObject, XMLParserDelegate {
    var root: String?
    var namespace: String?
    var panels = 0
    var texts: [String] = []
    var longestPolyline = 0
    private var text: String?

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]
    ) {
        if root == nil { (root, namespace) = (name, namespaceURI) }
        if name == "g", attributes["class"] == "panel" { panels += 1 }
        if name == "polyline" { longestPolyline = max(longestPolyline, attributes["points"]?.split(separator: " ").count ?? 0) }
        if name == "text" { text = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        text? += string
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text", let text { texts.append(text) }
        text = nil
    }
}
