import EchoPluginAPI

/// The text `echochat strategy simulate` prints: a table with one column per strategy, the
/// definitions of its derived numbers, and the wall-clock lines (the only ones that change from
/// run to run, each starting with `timing:`).
enum SimulationReport {
    /// What the trace held and what of it was ignored.
    static func summary(source: String, replay: Replay) -> [String] {
        let count: (Int) -> String = SimulationFormat.integer
        return [
            "trace: \(source): \(count(replay.decisions)) arrivals, \(count(replay.departures)) departures, "
                + "\(count(replay.publishingChanges)) publishing changes over \(SimulationFormat.duration(replay.end))",
            "ignored: \(count(replay.ignoredAbsent)) leaves or publishes of users not present, "
                + "\(count(replay.ignoredRepeated)) arrivals of users already present",
        ]
    }

    /// The table, then what its derived rows mean.
    static func table(_ results: [SimulationResult]) -> [String] {
        var rows: [(String, [String])] = []
        func row(_ name: String, _ value: (SimulationResult) -> String) { rows.append((name, results.map(value))) }
        func count(_ name: String, _ value: (SimulationResult) -> Int) { row(name) { SimulationFormat.integer(value($0)) } }
        row("sub-room capacity") { SimulationFormat.integer($0.limits.capacity) }
        row("max sub-rooms") { SimulationFormat.integer($0.limits.maxSubrooms) }
        row("max participants") { $0.maxParticipants.map(SimulationFormat.integer) ?? "unset" }
        count("decisions", \.decisions)
        count("seated", \.seated)
        if results.contains(where: { $0.fallbackName != nil }) {
            row("  by fallback") { result in
                result.fallbackName.map { "\(SimulationFormat.integer(result.seatedByFallback)) (\($0))" } ?? "—"
            }
        }
        count("refusals", \.refusals)
        count("failures", \.failureCount)
        for reason in Set(results.flatMap(\.failures.keys)).sorted() {
            count("  \(reason)") { $0.failures[reason] ?? 0 }
        }
        count("sub-rooms opened", \.statistics.opened)
        count("peak sub-rooms open", \.statistics.peakOpen)
        count("peak per sub-room", \.statistics.peakSeats)
        row("mean per sub-room") { $0.statistics.meanSeats.map { SimulationFormat.decimal($0) } ?? "—" }
        row("imbalance") { $0.statistics.imbalance.map { SimulationFormat.decimal($0) } ?? "—" }
        row("fuel p99") { $0.fuelPercentile(99).map(SimulationFormat.integer) ?? "—" }
        row("fuel max") { $0.fuelPercentile(100).map(SimulationFormat.integer) ?? "—" }

        let nameWidth = rows.map(\.0.count).max() ?? 0
        let widths = results.indices.map { column in
            max(results[column].label.count, rows.map { $0.1[column].count }.max() ?? 0)
        }
        func line(_ name: String, _ cells: [String]) -> String {
            var text = name.padding(nameWidth)
            for (cell, width) in zip(cells, widths) { text += "  " + String(repeating: " ", count: width - cell.count) + cell }
            return text
        }
        return [line("", results.map(\.label))] + rows.map { line($0.0, $0.1) } + [
            "",
            "mean per sub-room: seats per occupied sub-room, each sub-room weighted by how long it was occupied",
            "imbalance: time-weighted mean of (most − fewest seats among occupied sub-rooms) while anyone is seated",
        ]
    }

    /// `timing: capacity: 7,180 decisions, mean 3.1 µs, p99 9.0 µs`.
    static func timing(_ result: SimulationResult) -> String {
        guard !result.timings.isEmpty else { return "timing: \(result.label): no decisions" }
        let sorted = result.timings.sorted()
        let total = sorted.reduce(Duration.zero, +)
        return "timing: \(result.label): \(SimulationFormat.integer(sorted.count)) decisions, "
            + "mean \(SimulationFormat.elapsed(total / sorted.count)), "
            + "p99 \(SimulationFormat.elapsed(sorted[SimulationResult.rank(99, of: sorted.count)])), "
            + "max \(SimulationFormat.elapsed(sorted[sorted.count - 1]))"
    }
}

extension String {
    /// The string followed by spaces up to `width` characters.
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
