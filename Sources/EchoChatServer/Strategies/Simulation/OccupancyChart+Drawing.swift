import Foundation

extension OccupancyChart {
    /// A tick step of 1, 2 or 5 times a power of ten giving at most six seat ticks.
    static func seatStep(for peak: Int) -> Int {
        var magnitude = 1
        while true {
            for factor in [1, 2, 5] where peak / (factor * magnitude) <= 6 { return factor * magnitude }
            magnitude *= 10
        }
    }

    /// A round time step giving at most eight ticks.
    static func timeStep(for end: Double) -> Double {
        let steps: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400]
        return steps.first { end / $0 <= 8 } ?? (end / 8 / 86_400).rounded(.up) * 86_400
    }

    /// At most ``maxSamples`` change points: beyond that, each of `maxSamples / 4` slices of the time axis
    /// keeps its first, lowest, highest and last sample, in order, so that peaks survive.
    static func thinned(_ samples: [OccupancyStatistics.Sample], end: Double) -> [OccupancyStatistics.Sample] {
        guard samples.count > maxSamples else { return samples }
        let slices = maxSamples / 4
        var kept: [OccupancyStatistics.Sample] = []
        var start = 0
        while start < samples.count {
            let slice = min(slices - 1, Int(samples[start].time / end * Double(slices)))
            var stop = start + 1
            while stop < samples.count, min(slices - 1, Int(samples[stop].time / end * Double(slices))) == slice { stop += 1 }
            let range = start..<stop
            let lowest = range.min { samples[$0].seats < samples[$1].seats } ?? start
            let highest = range.max { samples[$0].seats < samples[$1].seats } ?? start
            for position in Set([start, lowest, highest, stop - 1]).sorted() { kept.append(samples[position]) }
            start = stop
        }
        return kept
    }

    /// Labels moved apart vertically so that none overlap, keeping their order.
    static func spread(_ labels: [Label]) -> [Label] {
        let gap = 11.0
        var sorted = labels.sorted { ($0.y, $0.text.count, $0.text) < ($1.y, $1.text.count, $1.text) }
        for position in sorted.indices.dropFirst() where sorted[position].y < sorted[position - 1].y + gap {
            sorted[position].y = sorted[position - 1].y + gap
        }
        // Pushed below the panel: shift the whole column up.
        if let last = sorted.last, last.y > bottom + 10 {
            let excess = last.y - bottom - 10
            for position in sorted.indices { sorted[position].y -= excess }
        }
        return sorted
    }

    /// Ten distinct colours (Tableau 10), then darker hues a golden angle apart.
    static func colour(_ position: Int) -> String {
        let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#79706e"]
        if position < palette.count { return palette[position] }
        return "hsl(\(Int(Double(position - palette.count) * 137.508 + 15) % 360),70%,30%)"
    }

    /// A coordinate with at most one decimal.
    static func number(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
    }

    /// `<name a="v" …>` with the attributes in order, values escaped.
    static func open(_ name: String, _ attributes: [(String, String)]) -> String {
        "<\(name)" + attributes.map { " \($0.0)=\"\(escaped($0.1))\"" }.joined() + ">\n"
    }

    /// An empty element, or one holding `text`.
    static func element(_ name: String, _ attributes: [(String, String)], text: String? = nil) -> String {
        let start = open(name, attributes).dropLast(2)
        return text.map { "\(start)>\(escaped($0))</\(name)>\n" } ?? "\(start)/>\n"
    }

    /// An element placed at coordinates, with more attributes after them.
    static func element(_ name: String, _ coordinates: [(String, Double)], extra: [(String, String)] = [], text: String? = nil) -> String {
        element(name, coordinates.map { ($0.0, number($0.1)) } + extra, text: text)
    }

    /// Text safe inside an element or an attribute; control characters, which XML 1.0 does not
    /// allow even escaped, become `?`.
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case _ where character.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }): out += "?"
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
