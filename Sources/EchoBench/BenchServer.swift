import Foundation

/// A release `echochat` started in a scratch directory for one benchmark scenario.
final class BenchServer {
    let process = Process()
    let directory: String
    let port: Int
    private let output: FileHandle

    /// `postgresURL`: run on `storage.postgres` at that (empty) database instead of SQLite.
    init(
        executable: String, synchronous: String, postgresURL: String? = nil, extraConfig: [String: Any] = [:], subrooms: [String: Any]? = nil,
        auth: [[String: Any]]? = nil
    ) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("echochat-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config: [String: Any] = [
            "data_dir": directory + "/data", "log_level": "warning", "access_token_ttl_seconds": 3600,
            "rate_limit_login": "off", "rate_limit_login_per_address": "off", "rate_limit_register": "off",
            // Every simulated client comes from 127.0.0.1, thousands of them at once.
            "max_connections": 100_000, "max_connections_per_address": 100_000,
        ]
        var plugins: [String: Any] = [
            "storage": postgresURL.map { ["plugin": "postgres", "config": ["url": $0, "pool_size": 20]] }
                ?? ["plugin": "sqlite", "config": ["synchronous": synchronous]],
            // Set-up registers hundreds of users; hashing strength is not what is measured here.
            "auth": [["plugin": "local", "config": ["password_hash": ["memory_kib": 1024, "iterations": 1]]]],
        ]
        if let subrooms { plugins["subrooms"] = subrooms }
        if let auth { plugins["auth"] = auth }
        config.merge(extraConfig) { $1 }
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: directory + "/server_config.json"))
        try JSONSerialization.data(withJSONObject: plugins).write(to: URL(fileURLWithPath: directory + "/plugins.json"))
        let logPath = directory + "/server.log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else { throw BenchError("cannot write \(logPath)") }
        output = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "serve", "--config", directory + "/server_config.json", "--plugins", directory + "/plugins.json", "--port", "0",
            "--log-level", "info",
        ]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        var found: Int?
        for _ in 0..<600 where found == nil {
            Thread.sleep(forTimeInterval: 0.05)
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = log.range(of: #"listening on http://[^:]+:\d+"#, options: .regularExpression) {
                found = Int(log[range].split(separator: ":").last ?? "")
            }
        }
        guard let found else { throw BenchError("echochat did not start; see \(logPath)") }
        port = found
    }

    /// CPU seconds the server used so far (user + system).
    /// The strategy's decisions as `/metrics` counts them: how many, mean time, mean fuel.
    func strategyDecisions(_ api: API) async throws -> StrategyFigures {
        var values: [String: Double] = [:]
        for line in try await api.text("/metrics").split(separator: "\n") where line.hasPrefix("echochat_strategy_") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { values[String(parts[0])] = Double(parts[1]) }
        }
        return StrategyFigures(
            decisions: values["echochat_strategy_decision_seconds_count"] ?? 0, seconds: values["echochat_strategy_decision_seconds_sum"] ?? 0,
            metered: values["echochat_strategy_fuel_count"] ?? 0, fuel: values["echochat_strategy_fuel_sum"] ?? 0)
    }

    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory now and at its peak, in MB.
    var memory: (current: Double, peak: Double) {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Double {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Totals of the strategy's decisions.
struct StrategyFigures {
    let decisions: Double
    let seconds: Double
    let metered: Double
    let fuel: Double

    var summary: String {
        guard decisions > 0 else { return "none" }
        let time = String(format: "%.0f decisions, mean %.1f µs", decisions, seconds / decisions * 1e6)
        return metered > 0 ? time + String(format: ", mean fuel %.0f", fuel / metered) : time
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
