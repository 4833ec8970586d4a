import Foundation

extension SyntheticWorkload {
    /// A `--synthetic` value that cannot be read.
    struct SpecError: Error, Hashable, Sendable, CustomStringConvertible {
        let message: String
        var description: String { "invalid --synthetic: \(message)" }
    }

    /// Reads `key=value` pairs separated by commas; absent keys keep their defaults. Rates are
    /// per second (`2/s`, or a bare number) or per minute (`30/min`) or hour (`/h`); durations
    /// are seconds (`300s`, or a bare number), minutes (`5m`) or hours (`2h`); shares are from 0
    /// to 1.
    init(spec: String) throws(SpecError) {
        self.init()
        var seen: Set<String> = []
        for pair in spec.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else { throw SpecError(message: "\"\(pair)\" is not key=value") }
            let (key, value) = (parts[0], parts[1])
            guard seen.insert(key).inserted else { throw SpecError(message: "\(key) is given twice") }
            switch key {
            case "arrivals": arrivalsPerSecond = try Self.rate(value)
            case "stay": meanStay = try Self.seconds(value, key: key)
            case "duration": duration = try Self.seconds(value, key: key)
            case "seed":
                guard let seed = UInt64(value) else { throw SpecError(message: "seed must be a whole number from 0, not \"\(value)\"") }
                self.seed = seed
            case "publish": cameraShare = try Self.share(value, key: key)
            case "mic": microphoneShare = try Self.share(value, key: key)
            default:
                throw SpecError(message: "unknown key \"\(key)\"; expected arrivals, stay, duration, seed, publish or mic")
            }
        }
        guard arrivalsPerSecond * duration <= Self.maxArrivals else {
            throw SpecError(
                message: "\(SimulationFormat.integer(Int64(arrivalsPerSecond * duration))) expected arrivals are more than the "
                    + "\(SimulationFormat.integer(Int(Self.maxArrivals))) a simulation takes")
        }
    }

    private static func rate(_ text: String) throws(SpecError) -> Double {
        let units: [(String, Double)] = [("/s", 1), ("/min", 60), ("/m", 60), ("/h", 3_600), ("", 1)]
        guard let (suffix, per) = units.first(where: { text.hasSuffix($0.0) }),
            let count = Double(text.dropLast(suffix.count)), count.isFinite, count > 0
        else {
            throw SpecError(message: "arrivals must be a rate above 0 such as 2/s or 30/min, not \"\(text)\"")
        }
        return count / per
    }

    private static func seconds(_ text: String, key: String) throws(SpecError) -> Double {
        let units: [(String, Double)] = [("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400), ("", 1)]
        guard let (suffix, size) = units.first(where: { text.hasSuffix($0.0) }),
            let count = Double(text.dropLast(suffix.count)), count.isFinite, count > 0, count * size <= 30 * 86_400
        else {
            throw SpecError(message: "\(key) must be a duration above 0 and at most 30 days, such as 300s, 5m or 2h, not \"\(text)\"")
        }
        return count * size
    }

    private static func share(_ text: String, key: String) throws(SpecError) -> Double {
        guard let share = Double(text), (0...1).contains(share) else {
            throw SpecError(message: "\(key) must be a share from 0 to 1, such as 0.3, not \"\(text)\"")
        }
        return share
    }
}
