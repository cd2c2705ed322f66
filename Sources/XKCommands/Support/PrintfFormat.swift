// printf's formatting, the part xk's tables use, in Swift: columns and rounding byte for byte as
// xl's printf makes them (xl is the reference operators' scripts parse).
//
// Why not the C library's vsnprintf, as before: Swift reaches it only through withVaList, whose
// builder asks of every argument `as? _CVarArgPassedAsDouble`. A cast to a protocol the type
// does not conform to misses the runtime's cache and scans every protocol-conformance record in
// the binary (4,600 of them, over pages all across its data), once per argument type: four for
// `xk list`'s rows (gdb in the lab's dom0 stopped in those scans, called from withVaList), and
// under the lab's emulation each page a scan first touches costs a page fault through Xen.
//
// The conversions: d i u x X o c s f F and %%, flags '-' '0' '+' ' ', a width and a precision
// (each a number or '*'), length modifiers hh h l ll z j (which say how wide an integer is).
// %f is exact, as glibc's: the double's binary value is written out in decimal and rounded to
// the precision, a tie to even. Anything else is a mistake in xk's own format strings:
// `PrintfFormatTests` reads every cFormat literal in the sources with `PrintfSpec.parse`.

/// One argument of `cFormat`: the value printf would read for its conversion.
protocol CFormatArgument {
    var cFormatValue: CFormatValue { get }
}

enum CFormatValue {
    case signed(Int64)
    case unsigned(UInt64)
    case double(Double)
    case bytes([UInt8])
}

extension Int32: CFormatArgument { var cFormatValue: CFormatValue { .signed(Int64(self)) } }
extension Int: CFormatArgument { var cFormatValue: CFormatValue { .signed(Int64(self)) } }
extension Int64: CFormatArgument { var cFormatValue: CFormatValue { .signed(self) } }
extension UInt8: CFormatArgument { var cFormatValue: CFormatValue { .unsigned(UInt64(self)) } }
extension UInt32: CFormatArgument { var cFormatValue: CFormatValue { .unsigned(UInt64(self)) } }
extension UInt: CFormatArgument { var cFormatValue: CFormatValue { .unsigned(UInt64(self)) } }
extension UInt64: CFormatArgument { var cFormatValue: CFormatValue { .unsigned(self) } }
extension Double: CFormatArgument { var cFormatValue: CFormatValue { .double(self) } }
extension String: CFormatArgument { var cFormatValue: CFormatValue { .bytes(Array(utf8)) } }
extension UnsafePointer<CChar>: CFormatArgument {
    var cFormatValue: CFormatValue {
        var bytes: [UInt8] = []
        var at = self
        while at.pointee != 0 {
            bytes.append(UInt8(bitPattern: at.pointee))
            at += 1
        }
        return .bytes(bytes)
    }
}

/// printf-style formatting (see the top of this file for what it takes).
func cFormat(_ format: String, _ arguments: any CFormatArgument...) -> String {
    var out: [UInt8] = []
    var rest = arguments[...]
    func next() -> CFormatValue {
        guard let argument = rest.popFirst() else { preconditionFailure("cFormat: too few arguments for \"\(format)\"") }
        return argument.cFormatValue
    }
    let bytes = Array(format.utf8)
    var at = 0
    while at < bytes.count {
        guard bytes[at] == UInt8(ascii: "%") else {
            out.append(bytes[at])
            at += 1
            continue
        }
        guard let (spec, end) = PrintfSpec.parse(bytes, at) else {
            preconditionFailure("cFormat: unsupported conversion in \"\(format)\"")
        }
        at = end
        var resolved = spec   // with '*' widths and precisions read from the arguments
        if spec.widthFromArgument, case .signed(let w) = next() {
            if w < 0 { resolved.leftAlign = true }
            resolved.width = Int(w.magnitude)
        }
        if spec.precisionFromArgument, case .signed(let p) = next() { resolved.precision = p < 0 ? nil : Int(p) }
        out += spec.conversion == UInt8(ascii: "%") ? [UInt8(ascii: "%")] : resolved.render(next())
    }
    return String(decoding: out, as: UTF8.self)
}

/// One conversion of a printf format: `%[flags][width][.precision][length]conversion`.
struct PrintfSpec: Equatable {
    var leftAlign = false, zeroPad = false, plus = false, space = false
    var width = 0, widthFromArgument = false
    var precision: Int?, precisionFromArgument = false
    var bits = 32   // of an integer: 8, 16, 32 or 64 (hh, h, none, l/ll/z/j)
    var conversion: UInt8 = 0

    /// The conversion that starts at `format[start]` (a '%'), and the index after it; nil if it
    /// is not one this formatter writes.
    static func parse(_ format: [UInt8], _ start: Int) -> (PrintfSpec, Int)? {
        var spec = PrintfSpec()
        var at = start + 1
        func peek() -> UInt8? { at < format.count ? format[at] : nil }
        func number() -> Int {
            var value = 0
            while let c = peek(), c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9"), value < 10_000 {
                value = value * 10 + Int(c - UInt8(ascii: "0"))
                at += 1
            }
            return value
        }
        flags: while let c = peek() {
            switch c {
            case UInt8(ascii: "-"): spec.leftAlign = true
            case UInt8(ascii: "0"): spec.zeroPad = true
            case UInt8(ascii: "+"): spec.plus = true
            case UInt8(ascii: " "): spec.space = true
            default: break flags
            }
            at += 1
        }
        if peek() == UInt8(ascii: "*") { spec.widthFromArgument = true; at += 1 } else { spec.width = number() }
        if peek() == UInt8(ascii: ".") {
            at += 1
            if peek() == UInt8(ascii: "*") { spec.precisionFromArgument = true; at += 1 } else { spec.precision = number() }
        }
        switch peek() {
        case UInt8(ascii: "h"):
            at += 1
            if peek() == UInt8(ascii: "h") { at += 1; spec.bits = 8 } else { spec.bits = 16 }
        case UInt8(ascii: "l"):
            at += 1
            if peek() == UInt8(ascii: "l") { at += 1 }
            spec.bits = 64
        case UInt8(ascii: "z"), UInt8(ascii: "j"):
            at += 1
            spec.bits = 64
        default: break
        }
        guard let c = peek(), Array("diuxXocsfF%".utf8).contains(c) else { return nil }
        spec.conversion = c
        return (spec, at + 1)
    }

    /// The text of `value` under this conversion, padded to the width.
    func render(_ value: CFormatValue) -> [UInt8] {
        var sign: [UInt8] = [], body: [UInt8]
        var zeroes = zeroPad && !leftAlign
        switch (conversion, value) {
        case (UInt8(ascii: "c"), .signed(let v)): body = [UInt8(truncatingIfNeeded: v)]; zeroes = false
        case (UInt8(ascii: "c"), .unsigned(let v)): body = [UInt8(truncatingIfNeeded: v)]; zeroes = false
        case (UInt8(ascii: "s"), .bytes(let text)):
            body = precision.map { Array(text.prefix($0)) } ?? text
            zeroes = false
        case (UInt8(ascii: "f"), .double(let v)), (UInt8(ascii: "F"), .double(let v)):
            if v.sign == .minus { sign = [UInt8(ascii: "-")] } else { sign = positiveSign }
            if v.isFinite {
                body = FixedPoint.digits(v.magnitude, precision: precision ?? 6)
            } else {
                let word = v.isNaN ? "nan" : "inf"
                body = Array((conversion == UInt8(ascii: "F") ? word.uppercased() : word).utf8)
                zeroes = false
            }
        case (_, .signed), (_, .unsigned):
            guard let (negative, magnitude) = integer(value) else { preconditionFailure("cFormat: %\(conversion) of \(value)") }
            sign = negative ? [UInt8(ascii: "-")] : (conversion == UInt8(ascii: "d") || conversion == UInt8(ascii: "i") ? positiveSign : [])
            let radix = conversion == UInt8(ascii: "o") ? 8 : (conversion == UInt8(ascii: "x") || conversion == UInt8(ascii: "X") ? 16 : 10)
            body = magnitude == 0 && precision == 0 ? [] : Array(String(magnitude, radix: radix, uppercase: conversion == UInt8(ascii: "X")).utf8)
            if let minimum = precision {
                body = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, minimum - body.count)) + body
                zeroes = false   // C: a precision turns '0' off for integers
            }
        default:
            preconditionFailure("cFormat: %\(Character(UnicodeScalar(conversion))) given \(value)")
        }
        let pad = max(0, width - sign.count - body.count)
        if leftAlign { return sign + body + [UInt8](repeating: UInt8(ascii: " "), count: pad) }
        if zeroes { return sign + [UInt8](repeating: UInt8(ascii: "0"), count: pad) + body }
        return [UInt8](repeating: UInt8(ascii: " "), count: pad) + sign + body
    }

    private var positiveSign: [UInt8] { plus ? [UInt8(ascii: "+")] : (space ? [UInt8(ascii: " ")] : []) }

    /// An integer argument as C reads it for this conversion: cut to the length modifier's
    /// width, signed for d and i, unsigned otherwise.
    private func integer(_ value: CFormatValue) -> (Bool, UInt64)? {
        let raw: UInt64
        switch value {
        case .signed(let v): raw = UInt64(bitPattern: v)
        case .unsigned(let v): raw = v
        default: return nil
        }
        let mask: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        let cut = raw & mask
        guard conversion == UInt8(ascii: "d") || conversion == UInt8(ascii: "i") else { return (false, cut) }
        let signBit: UInt64 = 1 << UInt64(bits - 1)
        if cut & signBit == 0 { return (false, cut) }
        return (true, (~cut &+ 1) & mask)
    }
}
