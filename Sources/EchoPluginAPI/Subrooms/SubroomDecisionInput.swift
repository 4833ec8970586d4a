public import Foundation

/// One decision's facts as UTF-8 JSON: what a WebAssembly strategy receives in `echochat_decide`
/// (ABI version 1), what `echochat strategy simulate --explain` prints and what the conformance
/// kit shows as a counterexample.
///
/// ```json
/// {"room":"Lobby","now_ms":1765000000000,"limits":{"capacity":50,"max_subrooms":25},
///  "request":{"user_id":"42","preferred_index":null,"listen_only":false,"companions":[2],"role":"member"},
///  "subrooms":[{"index":1,"seats":[{"user_id":"7","state":"joined","publishing":["microphone"],"listen_only":false}]}]}
/// ```
///
/// Keys come in this order and without spaces; later ABI versions only add keys. User ids are
/// strings of decimal digits; `publishing` lists sources in ``TrackSource`` order. `companions`
/// (the sub-room of each companion who holds a seat) and `role` (the user's room role, or
/// `null`) came in EchoPluginAPI 1.8, within ABI version 1.
///
/// - Note: Added in EchoPluginAPI 1.6.
public struct SubroomDecisionInput: Hashable, Sendable {
    /// Who asks.
    public var request: SubroomRequest
    /// The room's occupancy and limits.
    public var snapshot: SubroomSnapshot
    /// The decision's clock, in milliseconds since 1970.
    public var nowMilliseconds: Int64

    /// Creates the input of one decision.
    public init(request: SubroomRequest, snapshot: SubroomSnapshot, now: Date) {
        self.request = request
        self.snapshot = snapshot
        self.nowMilliseconds = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// The compact JSON bytes.
    public var json: [UInt8] {
        var out = JSONBytes(capacity: 160 + snapshot.subrooms.reduce(0) { $0 + 24 + $1.seats.count * 80 })
        out.append(#"{"room":"#)
        out.string(snapshot.room)
        out.append(#","now_ms":"#)
        out.integer(nowMilliseconds)
        out.append(#","limits":{"capacity":"#)
        out.integer(Int64(snapshot.limits.capacity))
        out.append(#","max_subrooms":"#)
        out.integer(Int64(snapshot.limits.maxSubrooms))
        out.append(#"},"request":{"user_id":""#)
        out.integer(request.userID.rawValue)
        out.append(#"","preferred_index":"#)
        if let preferred = request.preferredIndex { out.integer(Int64(preferred)) } else { out.append("null") }
        out.append(#","listen_only":"#)
        out.append(request.isListenOnly ? "true" : "false")
        out.append(#","companions":["#)
        for (position, index) in request.companionIndices.enumerated() {
            if position > 0 { out.append(",") }
            out.integer(Int64(index))
        }
        out.append(#"],"role":"#)
        switch request.role {
        case nil: out.append("null")
        case .member: out.append(#""member""#)
        case .moderator: out.append(#""moderator""#)
        case .admin: out.append(#""admin""#)
        case .owner: out.append(#""owner""#)
        }
        out.append(#"},"subrooms":["#)
        for (position, occupancy) in snapshot.subrooms.enumerated() {
            if position > 0 { out.append(",") }
            out.append(#"{"index":"#)
            out.integer(Int64(occupancy.index))
            out.append(#","seats":["#)
            for (seatPosition, seat) in occupancy.seats.enumerated() {
                out.append(seatPosition > 0 ? #",{"user_id":""# : #"{"user_id":""#)
                out.integer(seat.userID.rawValue)
                out.append(seat.state == .joined ? #"","state":"joined","publishing":["# : #"","state":"reserved","publishing":["#)
                if !seat.publishing.isEmpty { out.sources(seat.publishing) }
                out.append(seat.isListenOnly ? #"],"listen_only":true}"# : #"],"listen_only":false}"#)
            }
            out.append("]}")
        }
        out.append("]}")
        return out.bytes
    }

    /// The JSON as text.
    public var text: String { String(decoding: json, as: UTF8.self) }
}

/// A byte buffer with JSON's escaping, for inputs built on every voice join.
struct JSONBytes {
    private(set) var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func append(_ ascii: StaticString) {
        ascii.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func integer(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits = 1
        var scale: UInt64 = 1
        while magnitude / scale >= 10 {
            scale *= 10
            digits += 1
        }
        for _ in 0..<digits {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude / scale))
            magnitude %= scale
            scale /= 10
        }
    }

    /// `"microphone","camera"`: the sources in ``TrackSource`` order, without hashing them
    /// (a raw-valued enum hashes its string).
    mutating func sources(_ sources: Set<TrackSource>) {
        var present: UInt8 = 0
        for source in sources {
            switch source {
            case .microphone: present |= 1
            case .camera: present |= 2
            case .screenShare: present |= 4
            case .screenShareAudio: present |= 8
            }
        }
        var first = true
        func emit(_ bit: UInt8, _ name: StaticString) {
            guard present & bit != 0 else { return }
            append(first ? "\"" : ",\"")
            append(name)
            append("\"")
            first = false
        }
        emit(1, "microphone")
        emit(2, "camera")
        emit(4, "screen_share")
        emit(8, "screen_share_audio")
    }

    /// A JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append(#"\""#)
            case UInt8(ascii: "\\"): append(#"\\"#)
            case 0x0A: append(#"\n"#)
            case 0x0D: append(#"\r"#)
            case 0x09: append(#"\t"#)
            case 0..<0x20:
                append(#"\u00"#)
                bytes.append(contentsOf: [byte >> 4, byte & 0xF].map { $0 < 10 ? UInt8(ascii: "0") + $0 : UInt8(ascii: "a") + $0 - 10 })
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
