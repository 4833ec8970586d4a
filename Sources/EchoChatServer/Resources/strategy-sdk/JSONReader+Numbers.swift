extension JSONReader {
    /// Reads an integer that fits in `Int64`. Plain digits are the fast path; a number written
    /// with a fraction or an exponent (`5.0`, `5e1`) is taken when its value is a whole number
    /// that fits.
    mutating func int64() throws(JSONError) -> Int64 {
        let start = cursor
        let isNegative = byte == UInt8(ascii: "-")
        if isNegative { cursor += 1 }
        let digitsStart = cursor
        var magnitude: UInt64 = 0
        while true {
            let digit = byte &- UInt8(ascii: "0")
            if digit > 9 { break }
            // At most 19 digits are kept (checked below), and 19 digits never wrap a UInt64.
            magnitude = magnitude &* 10 &+ UInt64(digit)
            cursor += 1
        }
        let count = cursor - digitsStart
        let next = byte
        if count == 0 || count > 19 || (count > 1 && digitsStart.pointee == UInt8(ascii: "0"))
            || next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            cursor = start
            return try wholeNumber()
        }
        if isNegative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw .malformed }
            return Int64(truncatingIfNeeded: 0 &- magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw .malformed }
        return Int64(magnitude)
    }

    /// Reads an integer that fits in `Int` (32 bits on wasm32).
    mutating func int() throws(JSONError) -> Int {
        let value = try int64()
        guard let narrow = Int(exactly: value) else { throw .malformed }
        return narrow
    }

    @inline(never)
    private mutating func wholeNumber() throws(JSONError) -> Int64 {
        let value = try number()
        guard value == value.rounded(.towardZero), value >= -0x1p63, value < 0x1p63 else { throw .malformed }
        return Int64(value)
    }

    /// Reads any JSON number, checking its syntax.
    ///
    /// The value is correctly rounded when the number has at most 19 significant digits, a
    /// mantissa below 2^53 and a decimal exponent within ±22 — which covers every setting written
    /// by hand (`0.1`, `2.5`, `60`, `1e-9`). Beyond that it is within a few units in the last place.
    mutating func number() throws(JSONError) -> Double {
        let isNegative = byte == UInt8(ascii: "-")
        if isNegative { cursor += 1 }
        var mantissa: UInt64 = 0
        var kept = 0
        var exponent = 0
        func accumulate(_ digit: UInt8, inFraction: Bool) {
            if mantissa == 0 && digit == 0 {
                if inFraction { exponent -= 1 }
            } else if kept < 19 {
                mantissa = mantissa * 10 + UInt64(digit)
                kept += 1
                if inFraction { exponent -= 1 }
            } else if !inFraction {
                exponent += 1
            }
        }
        let first = byte &- UInt8(ascii: "0")
        guard first <= 9 else { throw .malformed }
        cursor += 1
        accumulate(first, inFraction: false)
        if first != 0 {
            while case let digit = byte &- UInt8(ascii: "0"), digit <= 9 {
                accumulate(digit, inFraction: false)
                cursor += 1
            }
        }
        if byte == UInt8(ascii: ".") {
            cursor += 1
            guard byte &- UInt8(ascii: "0") <= 9 else { throw .malformed }
            while case let digit = byte &- UInt8(ascii: "0"), digit <= 9 {
                accumulate(digit, inFraction: true)
                cursor += 1
            }
        }
        if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            cursor += 1
            let isNegativeExponent = byte == UInt8(ascii: "-")
            if isNegativeExponent || byte == UInt8(ascii: "+") { cursor += 1 }
            guard byte &- UInt8(ascii: "0") <= 9 else { throw .malformed }
            var written = 0
            while case let digit = byte &- UInt8(ascii: "0"), digit <= 9 {
                written = min(written * 10 + Int(digit), 100_000)
                cursor += 1
            }
            exponent += isNegativeExponent ? -written : written
        }
        let magnitude = JSONReader.scale(mantissa, byPowerOfTen: exponent)
        return isNegative ? -magnitude : magnitude
    }

    /// `mantissa` × 10^`exponent`; exact steps (Clinger's fast path) when both fit.
    private static func scale(_ mantissa: UInt64, byPowerOfTen exponent: Int) -> Double {
        if mantissa == 0 { return 0 }
        let value = Double(mantissa)
        if mantissa <= 1 << 53 && (-22...22).contains(exponent) {
            return exponent < 0 ? value / powerOfTen(-exponent) : value * powerOfTen(exponent)
        }
        if exponent > 330 { return .infinity }
        if exponent < -360 { return 0 }
        var result = value
        var remaining = exponent
        while remaining > 22 { result *= 1e22; remaining -= 22 }
        while remaining < -22 { result /= 1e22; remaining += 22 }
        return remaining < 0 ? result / powerOfTen(-remaining) : result * powerOfTen(remaining)
    }

    /// 10^`exponent` for 0…22, where every power of ten is exact.
    private static func powerOfTen(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<exponent { result *= 10 }
        return result
    }
}
