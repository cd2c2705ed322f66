// The decimal digits of a double rounded to a number of places, exactly as glibc's printf %f
// writes them: the binary value m·2^k is written out in full in decimal (m·2^k, or m·5^-k
// over 10^-k, in base-10^9 limbs), then rounded to the precision, a tie to the even digit.
// Why by hand: Swift's own description gives the shortest digits that read back the same
// double, not printf's rounding, and the C library is out of reach without withVaList (see
// PrintfFormat.swift).

enum FixedPoint {
    /// `value` (finite, not negative) with `precision` digits after the point, as %.Nf.
    static func digits(_ value: Double, precision: Int) -> [UInt8] {
        precondition(value.isFinite && value.sign == .plus)
        // value = significand · 2^exponent, with an integer significand.
        var significand = value.significandBitPattern
        var exponent = Int(value.exponentBitPattern) - 1075
        if value.exponentBitPattern == 0 {
            exponent = -1074   // subnormal (or zero): no hidden bit
        } else {
            significand |= 1 << 52
        }
        // As a decimal integer over 10^places.
        var number = Limbs(significand)
        var places = 0
        if exponent >= 0 {
            number.multiply(byPowerOf: 2, exponent, chunk: 31)
        } else {
            number.multiply(byPowerOf: 5, -exponent, chunk: 13)
            places = -exponent
        }
        var text = number.decimal()
        if text.count <= places {
            text = [UInt8](repeating: UInt8(ascii: "0"), count: places + 1 - text.count) + text
        }
        // text = integer digits followed by `places` fraction digits; keep `precision` of them.
        let kept = text.count - places + precision
        if kept >= text.count {
            text += [UInt8](repeating: UInt8(ascii: "0"), count: kept - text.count)
        } else {
            let next = text[kept]
            let beyond = text[(kept + 1)...].contains { $0 != UInt8(ascii: "0") }
            let lastOdd = (text[kept - 1] - UInt8(ascii: "0")) % 2 == 1
            text.removeSubrange(kept...)
            if next > UInt8(ascii: "5") || (next == UInt8(ascii: "5") && (beyond || lastOdd)) {
                increment(&text)
            }
        }
        // Drop leading zeros of the integer part, keeping one.
        let integerCount = text.count - precision
        let zeros = text.prefix(integerCount - 1).prefix { $0 == UInt8(ascii: "0") }.count
        var out = Array(text[zeros..<integerCount])
        if precision > 0 {
            out.append(UInt8(ascii: "."))
            out += text[integerCount...]
        }
        return out
    }

    /// Adds one to a string of decimal digits, carrying (a new leading 1 if it overflows).
    private static func increment(_ digits: inout [UInt8]) {
        var at = digits.count - 1
        while at >= 0 {
            if digits[at] == UInt8(ascii: "9") {
                digits[at] = UInt8(ascii: "0")
                at -= 1
            } else {
                digits[at] += 1
                return
            }
        }
        digits.insert(UInt8(ascii: "1"), at: 0)
    }
}

/// A non-negative integer in base-10^9 limbs, least significant first.
private struct Limbs {
    static let base: UInt64 = 1_000_000_000
    var limbs: [UInt64]

    init(_ value: UInt64) {
        limbs = [value % Self.base, (value / Self.base) % Self.base, value / Self.base / Self.base]
    }

    /// self ·= base^count, `chunk` factors at a time (base^chunk below 2^32, so that a limb
    /// times it plus a carry stays below 2^64).
    mutating func multiply(byPowerOf base: UInt64, _ count: Int, chunk: Int) {
        var left = count
        while left > 0 {
            let step = min(chunk, left)
            var factor: UInt64 = 1
            for _ in 0..<step { factor *= base }
            var carry: UInt64 = 0
            for i in limbs.indices {
                let product = limbs[i] * factor + carry
                limbs[i] = product % Self.base
                carry = product / Self.base
            }
            while carry > 0 {
                limbs.append(carry % Self.base)
                carry /= Self.base
            }
            left -= step
        }
    }

    /// The ASCII decimal digits, without leading zeros ("0" for zero).
    func decimal() -> [UInt8] {
        var top = limbs.count - 1
        while top > 0 && limbs[top] == 0 { top -= 1 }
        var out = Array(String(limbs[top]).utf8)
        for i in stride(from: top - 1, through: 0, by: -1) {
            let part = Array(String(limbs[i]).utf8)
            out += [UInt8](repeating: UInt8(ascii: "0"), count: 9 - part.count) + part
        }
        return out
    }
}
