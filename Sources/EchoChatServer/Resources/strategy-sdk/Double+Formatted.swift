extension Double {
    /// The number as Foundation's `formatted()` writes it for the host's locale, so that a ported
    /// strategy's messages read like the native one's: digits grouped by thousands with `,`, at
    /// most six fraction digits (rounded half to even), no trailing zeros — `60`, `12.5`,
    /// `1,000`, `0.333333`.
    ///
    /// Exact for magnitudes below 10^13 (settings and loads are far smaller); above that the
    /// fraction is dropped, and beyond `UInt64` the number is written as `1e+21`-style.
    public func formatted() -> String {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-∞" : "∞" }
        let magnitude = Swift.abs(self)
        var whole: UInt64
        var micros: UInt64 = 0
        if magnitude < 1e13 {
            let scaled = magnitude * 1_000_000
            var rounded = scaled.rounded(.toNearestOrEven)
            // A decimal tie (x.5 in the seventh digit) may reach us a few ulps off; Foundation
            // rounds from the shortest decimal, so treat near-ties as ties.
            let floor = scaled.rounded(.down)
            if Swift.abs(scaled - floor - 0.5) <= scaled.ulp * 4 {
                rounded = floor.truncatingRemainder(dividingBy: 2) == 0 ? floor : floor + 1
            }
            let units = UInt64(rounded)
            whole = units / 1_000_000
            micros = units % 1_000_000
        } else if magnitude < 0x1p64 {
            whole = UInt64(magnitude.rounded(.toNearestOrEven))
        } else {
            return "\(self)"
        }
        // Built as bytes: Character-level String operations would pull in Unicode tables.
        var bytes: [UInt8] = self < 0 && (whole != 0 || micros != 0) ? [UInt8(ascii: "-")] : []
        let digits = Array(String(whole).utf8)
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(digit)
        }
        if micros != 0 {
            var fraction = Array(String(micros + 1_000_000).utf8.dropFirst())  // six digits, zero-padded
            while fraction.last == UInt8(ascii: "0") { fraction.removeLast() }
            bytes.append(UInt8(ascii: "."))
            bytes += fraction
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
