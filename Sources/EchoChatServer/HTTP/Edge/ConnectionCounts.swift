import Synchronization

/// How many connections are open, in total and per client address, and whether one more may
/// open. Beyond a limit a new connection is refused at once rather than queued, so a flood from
/// one address (or everywhere) cannot starve everyone else.
struct ConnectionCounts: Equatable {
    struct Limits: Equatable, Sendable {
        var total: Int
        var perAddress: Int
        /// Addresses no per-address limit applies to: reverse proxies carry many clients.
        var exempt: Set<String> = []
    }

    enum Refusal: String, Equatable, Sendable {
        case total
        case perAddress = "per_address"
    }

    let limits: Limits
    private(set) var total = 0
    private(set) var byAddress: [String: Int] = [:]

    init(limits: Limits) {
        self.limits = limits
    }

    /// Counts a new connection from `address`, or says why it is refused (and counts nothing).
    mutating func open(from address: String) -> Refusal? {
        guard total < limits.total else { return .total }
        let fromAddress = byAddress[address, default: 0]
        if !limits.exempt.contains(address), fromAddress >= limits.perAddress { return .perAddress }
        total += 1
        byAddress[address] = fromAddress + 1
        return nil
    }

    /// A counted connection from `address` closed.
    mutating func close(from address: String) {
        total = max(0, total - 1)
        guard let count = byAddress[address] else { return }
        byAddress[address] = count > 1 ? count - 1 : nil
    }
}

/// ``ConnectionCounts`` shared by every connection's event loop.
final class ConnectionLimiter: Sendable {
    private let counts: Mutex<ConnectionCounts>

    init(limits: ConnectionCounts.Limits) {
        counts = Mutex(ConnectionCounts(limits: limits))
    }

    func open(from address: String) -> ConnectionCounts.Refusal? { counts.withLock { $0.open(from: address) } }
    func close(from address: String) { counts.withLock { $0.close(from: address) } }
}
