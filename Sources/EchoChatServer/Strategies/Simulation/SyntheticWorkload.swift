import EchoPluginAPI

/// A made-up trace: `arrivals=2/s,stay=300s,duration=2h,seed=7,publish=0.3,mic=1`. Arrivals
/// come as a Poisson process, each user stays an exponentially distributed time, a share `mic`
/// publishes a microphone on joining and a share `publish` turns a camera on a little later (an
/// exponential delay of mean ``cameraDelay``), if still there. Users still seated at `duration`
/// stay until the end. The same values give the same trace everywhere.
struct SyntheticWorkload: Hashable, Sendable {
    var arrivalsPerSecond = 1.0
    /// The mean stay, in seconds.
    var meanStay = 300.0
    /// The trace's length, in seconds.
    var duration = 3_600.0
    var seed: UInt64 = 1
    /// The share of arrivals that turn a camera on.
    var cameraShare = 0.2
    /// The share of arrivals that publish a microphone as they join.
    var microphoneShare = 1.0

    /// The mean delay between joining and turning the camera on, in seconds.
    static let cameraDelay = 30.0
    /// The most arrivals a workload may expect, to keep a typo (`arrivals=2000/s`) from eating
    /// the machine.
    static let maxArrivals = 2_000_000.0

    /// The defaults, as `--help` shows them.
    static let defaultsText = "arrivals=1/s,stay=5m,duration=1h,seed=1,publish=0.2,mic=1"

    /// The spec with every value, for the report.
    var description: String {
        let rate =
            arrivalsPerSecond < 1
            ? "\(SimulationFormat.plain(arrivalsPerSecond * 60))/min" : "\(SimulationFormat.plain(arrivalsPerSecond))/s"
        return "arrivals=\(rate),stay=\(SimulationFormat.duration(meanStay)),duration=\(SimulationFormat.duration(duration)),"
            + "seed=\(seed),publish=\(SimulationFormat.plain(cameraShare)),mic=\(SimulationFormat.plain(microphoneShare))"
    }

    /// The events, from one generator seeded with `seed`. Each arrival draws the same five
    /// numbers, so that changing a share does not move anyone's arrival.
    var trace: SimulationTrace {
        var random = SplitMix64(seed: seed)
        var events: [SimulationTrace.Event] = []
        events.reserveCapacity(Int(arrivalsPerSecond * duration * (2 + cameraShare)) + 16)
        var time = 0.0
        var number = 0
        while true {
            time += random.exponential(mean: 1 / arrivalsPerSecond)
            let stay = random.exponential(mean: meanStay)
            let speaks = random.unit() < microphoneShare
            let shows = random.unit() < cameraShare
            let delay = random.exponential(mean: Self.cameraDelay)
            guard time < duration else { break }
            number += 1
            let user = "s\(number)"
            events.append(.init(time: time, user: user, action: .arrive(preferredIndex: nil, isListenOnly: false)))
            if speaks { events.append(.init(time: time, user: user, action: .publish([.microphone]))) }
            if shows, delay < stay, time + delay < duration {
                events.append(.init(time: time + delay, user: user, action: .publish(speaks ? [.microphone, .camera] : [.camera])))
            }
            if time + stay < duration { events.append(.init(time: time + stay, user: user, action: .leave)) }
        }
        return SimulationTrace(events: events, end: duration)
    }
}
