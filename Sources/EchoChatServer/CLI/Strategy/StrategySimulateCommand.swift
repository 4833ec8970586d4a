import ArgumentParser
import EchoBuiltinPlugins
import EchoPluginAPI
import Foundation
import Logging

/// `echochat strategy simulate`: replays arrivals, departures and publishing changes through the
/// sub-room strategy of a plugins.json, or two side by side, offline, and prints what each made
/// of them. Strategies are pure, so the replay is what the server would have decided.
struct StrategySimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Replay voice arrivals through a sub-room strategy (or two side by side) and compare the outcome.",
        discussion: """
            --trace reads JSON lines, applied in order of "t" (ties in file order):
              {"t": 12.5, "user": "u7", "event": "arrive"}
              {"t": 20, "user": "u7", "event": "publish", "sources": ["camera"]}
              {"t": 40, "user": "u7", "event": "leave"}
            An arrival may add "preferred": 2 (a sub-room index) and "listen_only": true. Sources are \
            microphone, camera, screen_share and screen_share_audio; a publish replaces what the user \
            publishes. Users get ids 1, 2, … in the order they first appear in time. A leave or publish of \
            someone not present, or an arrival of someone present, is ignored and counted.

            --synthetic makes a trace from key=value pairs (defaults: \(SyntheticWorkload.defaultsText)): \
            Poisson arrivals (per s, /min or /h), exponential stays (s, m or h), the trace's duration, the \
            generator's seed, the share of users who turn a camera on (after about \
            \(SimulationFormat.duration(SyntheticWorkload.cameraDelay))) and the share who publish a microphone \
            on joining. The same values give the same trace.

            Each arrival asks the strategy with a snapshot of the seats so far, at 2025-01-01T00:00:00Z \
            plus "t". The host's caps apply as in the server: an assignment beyond max_subrooms or into a \
            full sub-room is a failure, handed to the strategy's on_failure fallback when it has one. \
            Sub-room defaults come from ./server_config.json when present. Every line but those starting \
            with "timing:" is the same on every run. Bad input exits with status 2.

            --recorded replays decisions a running server kept, such as the shadow strategy's \
            disagreements (GET /api/admin/strategy/disagreements): each entry's snapshot, the input a \
            module receives, goes to each strategy as it stands, within the strategy's own limits, and \
            the answers are printed beside the recorded ones; --explain N prints entry N in full.
            """)

    @Option(help: "plugins.json whose sub-room strategy to replay (default: ./plugins.json when present, else capacity).")
    var plugins: String?

    @Option(help: "A second plugins.json whose strategy runs side by side.")
    var compare: String?

    @Option(help: "A trace of JSON lines.")
    var trace: String?

    @Option(
        help: ArgumentHelp(
            "Decisions a server recorded (the answer of GET /api/admin/strategy/disagreements), each replayed on its own.",
            valueName: "file"))
    var recorded: String?

    @Option(help: ArgumentHelp("A synthetic trace, e.g. arrivals=2/s,stay=300s,duration=2h,seed=7,publish=0.3.", valueName: "spec"))
    var synthetic: String?

    @Option(help: ArgumentHelp("Write occupancy per sub-room over time as SVG to this file.", valueName: "file"))
    var svg: String?

    @Option(help: ArgumentHelp("Print decision N (1-based, in trace order) in full for each strategy.", valueName: "n"))
    var explain: Int?

    @Option(help: "The room the strategies seat people in.")
    var room = "Lobby"

    /// A problem with the arguments, printed like a configuration error.
    struct InputError: Error, CustomStringConvertible {
        let description: String
    }

    func run() async throws {
        do {
            let lines = try await ConfigOptions.reportingConfigurationErrors { try await simulate() }
            for line in lines { CLIOutput.print(line) }
        } catch let error as TraceError {
            CLIOutput.error("invalid trace: \(error)")
            throw ExitCode(2)
        } catch let error as SyntheticWorkload.SpecError {
            CLIOutput.error(error.description)
            throw ExitCode(2)
        } catch let error as InputError {
            CLIOutput.error(error.description)
            throw ExitCode(2)
        } catch let error as RecordedDecisions.FileError {
            CLIOutput.error("invalid recorded decisions: \(error)")
            throw ExitCode(2)
        }
    }

    /// Everything but the printing: the report's lines, after writing `--svg`.
    func simulate() async throws -> [String] {
        if let recorded { return try await replayRecorded(recorded) }
        let (source, loaded) = try workload()
        let replay = Replay(loaded)
        if let explain, explain < 1 || explain > replay.decisions {
            throw InputError(description: "--explain \(explain): the trace has \(SimulationFormat.integer(replay.decisions)) decisions")
        }
        guard !room.isEmpty, !room.contains("("), !room.contains(")") else {
            throw InputError(description: "--room must be a room name, without parentheses")
        }
        var results: [SimulationResult] = []
        let strategies = try await load()
        for strategy in strategies {
            results.append(SubroomSimulator.run(replay, through: strategy, room: room, explain: explain))
        }
        for strategy in strategies { try await strategy.strategy.shutdown() }
        var lines = SimulationReport.summary(source: source, replay: replay) + [""] + SimulationReport.table(results)
        lines += results.map(SimulationReport.timing)
        if explain != nil { lines += [""] + SimulationReport.explanation(results) }
        if let svg {
            do {
                try Data(OccupancyChart(results: results, room: room).svg.utf8).write(to: URL(fileURLWithPath: svg))
            } catch {
                throw InputError(description: "cannot write \(svg): \(error.localizedDescription)")
            }
            lines.append("svg: \(svg)")
        }
        return lines
    }

    /// `--recorded`: each recorded decision through each strategy.
    private func replayRecorded(_ path: String) async throws -> [String] {
        guard trace == nil, synthetic == nil, svg == nil else {
            throw InputError(description: "--recorded replays decisions one by one; it takes neither --trace, --synthetic nor --svg")
        }
        let decisions = try RecordedDecisions(contentsOf: path)
        if let explain, explain < 1 || explain > decisions.entries.count {
            throw InputError(description: "--explain \(explain): \(path) has \(SimulationFormat.integer(decisions.entries.count)) decisions")
        }
        let strategies = try await load()
        let lines = SimulationReport.recorded(decisions, source: path, strategies: strategies, explain: explain)
        for strategy in strategies { try await strategy.strategy.shutdown() }
        return lines
    }

    /// The trace, and how the report names it.
    private func workload() throws -> (String, SimulationTrace) {
        switch (trace, synthetic) {
        case (let path?, nil):
            return (path, try SimulationTrace(contentsOf: path))
        case (nil, let spec?):
            let workload = try SyntheticWorkload(spec: spec)
            return ("synthetic \(workload.description)", workload.trace)
        default:
            throw InputError(description: "give one of --trace FILE, --synthetic SPEC or --recorded FILE")
        }
    }

    /// The strategies of `--plugins` and `--compare`, told apart by their files when both
    /// describe themselves alike. If one fails to load, the other is shut down.
    private func load() async throws -> [SimulatedStrategy] {
        let logger = Logger(label: "echochat.simulate") { _ in SwiftLogNoOpLogHandler() }
        var loaded: [(strategy: any SubroomStrategy, defaults: SubroomLimits, file: String)] = []
        var paths = [plugins]
        if let compare { paths.append(compare) }
        do {
            for path in paths {
                let setup = try HostSetup.load(configPath: nil, pluginsPath: path, registry: PluginsInUse.registry, environment: [:])
                let strategy = try await LoadedPlugins.strategy(setup, storage: nil, logger: logger, blocking: ThreadPoolExecutor())
                loaded.append((strategy, setup.server.subroomDefaults, setup.pluginsFile ?? "built-in"))
            }
        } catch {
            for entry in loaded {
                do {
                    try await entry.strategy.shutdown()
                } catch let shutdown {
                    CLIOutput.error("warning: \(StrategyGuard.name(of: entry.strategy)) did not shut down: \(shutdown)")
                }
            }
            throw error
        }
        let labels = loaded.map { StrategyGuard.name(of: $0.strategy) }
        let alike = Set(labels).count < labels.count
        return zip(loaded, labels).map { entry, label in
            SimulatedStrategy(entry.strategy, defaults: entry.defaults, label: alike ? "\(label) (\(entry.file))" : label)
        }
    }
}
