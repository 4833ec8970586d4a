import Foundation

/// Numbers and durations as the simulation's table, trace line and chart print them: the same
/// text on every machine (no locale).
enum SimulationFormat {
    /// `14400` → `14,400`.
    static func integer(_ value: some BinaryInteger) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (position, digit) in digits.enumerated() {
            if position > 0, (digits.count - position) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// A fixed number of decimals, the integer part grouped: `1234.56` → `1,234.6`.
    static func decimal(_ value: Double, digits: Int = 1) -> String {
        let text = String(format: "%.\(digits)f", value)
        guard let dot = text.firstIndex(of: ".") else { return integerText(text) }
        return integerText(String(text[..<dot])) + text[dot...]
    }

    private static func integerText(_ text: String) -> String {
        guard let value = Int(text) else { return text }
        return text.hasPrefix("-") && value == 0 ? "-0" : integer(value)
    }

    /// A number without trailing zeros: `2` → `2`, `0.25` → `0.25`.
    static func plain(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// Seconds as the largest units that fit: `0`, `45s`, `30m`, `1h`, `1h30m`, `2d`.
    static func duration(_ seconds: Double) -> String {
        guard seconds > 0 else { return "0" }
        var rest = Int64(seconds.rounded())
        if rest == 0 { return plain(seconds) + "s" }
        var text = ""
        for (unit, size) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60), ("s", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }

    /// A wall-clock time: `3.1 µs`, `2.35 ms`, `1.20 s`.
    static func elapsed(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        switch seconds {
        case ..<1e-3: return decimal(seconds * 1e6) + " µs"
        case ..<1: return decimal(seconds * 1e3, digits: 2) + " ms"
        default: return decimal(seconds, digits: 2) + " s"
        }
    }
}
