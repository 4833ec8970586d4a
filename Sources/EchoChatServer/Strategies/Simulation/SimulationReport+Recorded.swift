import EchoPluginAPI
import Foundation

extension SimulationReport {
    /// Recorded decisions replayed one by one (each in its own recorded room, not one after
    /// another): what each strategy answers now beside what the server recorded, and decision
    /// `explain` in full.
    static func recorded(_ recorded: RecordedDecisions, source: String, strategies: [SimulatedStrategy], explain: Int?) -> [String] {
        let answers = recorded.entries.map { entry in strategies.map { ask($0, entry.input) } }
        var lines = ["recorded decisions: \(source): \(SimulationFormat.integer(recorded.entries.count))"]
        for (column, strategy) in strategies.enumerated() {
            let same = zip(recorded.entries, answers).filter { entry, row in entry.decision.map { matches(row[column], recorded: $0) } ?? false }.count
            let sameShadow = zip(recorded.entries, answers).filter { entry, row in
                entry.shadowDecision.map { matches(row[column], recorded: $0) } ?? false
            }.count
            lines.append(
                "\(strategy.label): answers as the live strategy did in \(SimulationFormat.integer(same)), "
                    + "as the shadow did in \(SimulationFormat.integer(sameShadow))")
        }
        lines.append("")
        for (number, (entry, row)) in zip(recorded.entries, answers).enumerated() {
            var text = "\(number + 1). \(entry.at ?? "")  user_id \(entry.input.request.userID): recorded \(entry.decision ?? "—"), shadow \(entry.shadowDecision ?? "—")"
            for (strategy, answer) in zip(strategies, row) { text += "; \(strategy.label): \(short(answer))" }
            lines.append(text)
        }
        guard let explain, recorded.entries.indices.contains(explain - 1) else { return lines }
        let entry = recorded.entries[explain - 1]
        let request = entry.input.request
        lines += [
            "",
            "decision \(explain)\(entry.at.map { " at \($0)" } ?? ""): user_id \(request.userID) asks for a seat in \(entry.input.snapshot.room); "
                + "preferred sub-room: \(request.preferredIndex.map(String.init) ?? "none"); listen only: \(request.isListenOnly ? "yes" : "no")",
            "  input:    \(entry.input.text)",
            "  recorded: \(entry.decision ?? "—")",
            "  shadow:   \(entry.shadowDecision ?? "—")",
        ]
        for (strategy, answer) in zip(strategies, answers[explain - 1]) {
            lines += [
                "\(strategy.label):",
                "  answer: \(SimulationReport.answer(answer, room: entry.input.snapshot.room, fallback: strategy.fallbackName))",
                "  fuel:   \(answer.fuel.map(SimulationFormat.integer) ?? "— (not metered)")",
            ]
        }
        return lines
    }

    /// Asks within the strategy's own limits, as the server's shadow does.
    private static func ask(_ strategy: SimulatedStrategy, _ input: SubroomDecisionInput) -> SimulatedStrategy.Answer {
        var snapshot = input.snapshot
        snapshot.limits = strategy.limits
        return strategy.ask(input.request, in: snapshot, now: Date(timeIntervalSince1970: Double(input.nowMilliseconds) / 1000))
    }

    /// `{"subroom":2}`, `{"refused":"…"}`, `{"failed":"…"}`: as the server records answers.
    private static func short(_ answer: SimulatedStrategy.Answer) -> String {
        switch ShadowAnswer(answer.result) {
        case .subroom(let index): return "{\"subroom\":\(index)}"
        case .refused: return "{\"refused\":…}"
        case .failed(let failure): return "{\"failed\":\"\(failure)\"}"
        }
    }

    /// Whether `answer` is the recorded one, compared as the shadow's agreement is counted.
    private static func matches(_ answer: SimulatedStrategy.Answer, recorded text: String) -> Bool {
        guard let data = text.data(using: .utf8), let value = try? JSONDecoder().decode(ConfigValue.self, from: data),
            case .object(let members) = value
        else { return false }
        switch (ShadowAnswer(answer.result), members["subroom"], members["refused"]) {
        case (.subroom(let index), .integer(let recorded)?, _): return Int64(index) == recorded
        case (.refused, _, .some): return true
        default: return false
        }
    }
}
