import EchoPluginAPI

/// A rate limit written as `"N per second|minute|hour"`, or `"off"`.
struct RateLimitRule: Hashable, Sendable, CustomStringConvertible {
    /// How many events the window admits.
    let count: Int
    /// The window length in seconds.
    let period: Double

    init(count: Int, period: Double) {
        self.count = count
        self.period = period
    }

    /// Parses the configuration form; `nil` for `"off"`.
    static func parse(_ text: String) throws -> RateLimitRule? {
        let words = text.lowercased().split(separator: " ", omittingEmptySubsequences: true)
        if words == ["off"] { return nil }
        let periods: [Substring: Double] = ["second": 1, "minute": 60, "hour": 3600, "day": 86_400]
        var unit = words.count == 3 ? words[2] : ""
        if unit.hasSuffix("s") { unit = unit.dropLast() }
        guard words.count == 3, words[1] == "per", let count = Int(words[0]), count > 0, let period = periods[unit] else {
            throw ConfigIssue(keyPath: [], message: "expected \"N per second|minute|hour|day\" or \"off\", found \"\(text)\"")
        }
        return RateLimitRule(count: count, period: period)
    }

    var description: String {
        let unit = [1: "second", 60: "minute", 3600: "hour", 86_400: "day"][Int(period)] ?? "\(period) s"
        return "\(count) per \(unit)"
    }
}
