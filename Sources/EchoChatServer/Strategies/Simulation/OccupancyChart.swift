import Foundation

/// Occupancy per sub-room over time as an SVG: one panel per strategy, stacked and titled with
/// its label; time across, seats up; a step line per sub-room labelled at its right end, and
/// the cap as a dashed line.
struct OccupancyChart {
    static let width = 900.0
    static let panelHeight = 270.0
    /// The plot area within a panel.
    static let left = 56.0, right = 800.0, top = 34.0, bottom = 236.0
    /// Change points drawn per sub-room before a line is thinned out.
    static let maxSamples = 600

    let results: [SimulationResult]
    let room: String

    var svg: String {
        let (width, height) = (Self.number(Self.width), Self.number(Self.panelHeight * Double(results.count)))
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out += Self.open(
            "svg",
            [
                ("xmlns", "http://www.w3.org/2000/svg"), ("width", width), ("height", height), ("viewBox", "0 0 \(width) \(height)"),
                ("font-family", "sans-serif"), ("font-size", "11"),
            ])
        out += Self.element("rect", [("width", "100%"), ("height", "100%"), ("fill", "white")])
        for (position, result) in results.enumerated() {
            out += panel(result, offset: Self.panelHeight * Double(position))
        }
        return out + "</svg>\n"
    }

    private func panel(_ result: SimulationResult, offset: Double) -> String {
        let end = result.end > 0 ? result.end : 1
        let peak = max(result.statistics.peakSeats, result.cap, 1)
        let seatStep = Self.seatStep(for: peak)
        let scale = Scale(end: end, top: Double((peak + seatStep) / seatStep * seatStep))
        var out = Self.open("g", [("class", "panel"), ("transform", "translate(0,\(Self.number(offset)))")])
        out += Self.element(
            "text", [("x", Self.left), ("y", 18)], extra: [("font-size", "14"), ("font-weight", "bold")], text: result.label)
        out += axes(scale, seatStep: seatStep)
        let capY = scale.y(Double(result.cap))
        out += Self.element(
            "line", [("x1", Self.left), ("y1", capY), ("x2", Self.right), ("y2", capY)],
            extra: [("stroke", "#444"), ("stroke-dasharray", "6 4")])
        out += Self.element("text", [("x", Self.left + 4), ("y", capY - 4)], extra: [("fill", "#444")], text: "cap \(result.cap)")
        var labels: [Label] = []
        for (position, samples) in result.statistics.series.enumerated() where samples.count > 1 {
            let colour = Self.colour(position)
            let points = Self.thinned(samples, end: end)
            var path: [String] = []
            for (sample, next) in zip(points, points.dropFirst().map(\.time) + [end]) {
                let y = Self.number(scale.y(Double(sample.seats)))
                path.append("\(Self.number(scale.x(sample.time))),\(y)")
                path.append("\(Self.number(scale.x(next))),\(y)")
            }
            out += Self.element(
                "polyline", [("fill", "none"), ("stroke", colour), ("stroke-width", "1.5"), ("points", path.joined(separator: " "))])
            let y = scale.y(Double(points.last?.seats ?? 0))
            labels.append(Label(end: y, y: y, text: LiveKitRoomNames(prefix: "").name(of: room, subroom: position + 1), colour: colour))
        }
        for label in Self.spread(labels) {
            // A short stroke from the line's end to its label, which may have been moved apart.
            let points = "\(Self.number(Self.right)),\(Self.number(label.end)) \(Self.number(Self.right + 8)),\(Self.number(label.y))"
            out += Self.element("polyline", [("fill", "none"), ("stroke", label.colour), ("points", points)])
            out += Self.element("text", [("x", Self.right + 10), ("y", label.y + 4)], extra: [("fill", label.colour)], text: label.text)
        }
        return out + "</g>\n"
    }

    private func axes(_ scale: Scale, seatStep: Int) -> String {
        var out = ""
        for seats in stride(from: 0, through: Int(scale.top), by: seatStep) {
            let y = scale.y(Double(seats))
            out += Self.element("line", [("x1", Self.left), ("y1", y), ("x2", Self.right), ("y2", y)], extra: [("stroke", "#e4e4e4")])
            out += Self.element("text", [("x", Self.left - 6), ("y", y + 4)], extra: [("text-anchor", "end")], text: String(seats))
        }
        let timeStep = Self.timeStep(for: scale.end)
        for tick in 0...Int((scale.end / timeStep + 1e-9).rounded(.down)) {
            let (time, x) = (Double(tick) * timeStep, scale.x(Double(tick) * timeStep))
            out += Self.element("line", [("x1", x), ("y1", Self.bottom), ("x2", x), ("y2", Self.bottom + 4)], extra: [("stroke", "#444")])
            out += Self.element(
                "text", [("x", x), ("y", Self.bottom + 16)], extra: [("text-anchor", "middle")], text: SimulationFormat.duration(time))
        }
        let corner = [(Self.left, Self.top), (Self.left, Self.bottom), (Self.right, Self.bottom)]
        out += Self.element(
            "polyline",
            [
                ("fill", "none"), ("stroke", "#444"),
                ("points", corner.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")),
            ])
        out += Self.element("text", [("x", Self.right), ("y", Self.bottom + 30)], extra: [("text-anchor", "end")], text: "time")
        out += Self.element("text", [("x", 14), ("y", Self.top - 8)], text: "seats")
        return out
    }

    /// A sub-room's name at the right of the plot: where its line ends, and where it is written.
    struct Label {
        var end: Double
        var y: Double
        var text: String
        var colour: String
    }

    /// Maps trace time and seats to the plot area.
    struct Scale {
        let end: Double
        let top: Double

        func x(_ time: Double) -> Double { OccupancyChart.left + (OccupancyChart.right - OccupancyChart.left) * time / end }
        func y(_ seats: Double) -> Double { OccupancyChart.bottom - (OccupancyChart.bottom - OccupancyChart.top) * seats / top }
    }
}
