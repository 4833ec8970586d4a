import EchoPluginAPI

extension SimulationReport {
    /// Decision `number` as each strategy saw it: the request, the JSON a module receives, the
    /// answer and its fuel.
    static func explanation(_ results: [SimulationResult]) -> [String] {
        guard let first = results.lazy.compactMap(\.explained).first else { return [] }
        let request = first.request
        var lines = [
            "decision \(SimulationFormat.integer(first.number)) at t=\(SimulationFormat.plain(first.time)) s: "
                + "user \(first.userName) (user_id \(request.userID)) arrives; preferred sub-room: "
                + "\(request.preferredIndex.map(String.init) ?? "none"); listen only: \(request.isListenOnly ? "yes" : "no")"
        ]
        for result in results {
            guard let explained = result.explained else { continue }
            lines += [
                "\(result.label):",
                "  input:  \(explained.input.text)",
                "  answer: \(answer(explained.answer, room: explained.input.snapshot.room, fallback: result.fallbackName))",
                "  fuel:   \(explained.answer.fuel.map(SimulationFormat.integer) ?? "— (not metered)")",
            ]
        }
        return lines
    }

    /// `assign 2 (Lobby(2))`, `refuse: …`, `failure out_of_fuel: …; fallback capacity: assign 1 (Lobby)`.
    static func answer(_ answer: SimulatedStrategy.Answer, room: String, fallback: String?) -> String {
        var parts: [String] = []
        if let failure = answer.failure { parts.append("failure \(failure)") }
        let outcome: String
        switch answer.result {
        case .success(let decision):
            if let index = decision.assignedIndex {
                outcome = "assign \(index) (\(LiveKitRoomNames(prefix: "").name(of: room, subroom: index)))"
            } else {
                outcome = "refuse: \(decision.refusalReason ?? "")"
            }
        case .failure(let failure):
            outcome = answer.isFallback ? "failure \(failure)" : ""
        }
        if answer.isFallback {
            parts.append("fallback \(fallback ?? "strategy"): \(outcome)")
        } else if !outcome.isEmpty {
            parts.append(outcome)
        }
        return parts.joined(separator: "; ")
    }
}
