/// A JSON document as the event decoder reads it: strict RFC 8259 over UTF-8 bytes, with the
/// members of an object kept in document order (duplicates too) and numbers kept as their literal.
///
/// Every input record goes through this parser, so it works on bytes and allocates only the
/// values it returns (Foundation's `JSONSerialization` builds bridged `NSDictionary`/`NSNumber`
/// graphs and cost more per event than the detection engine on a short prompt).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text, validated against the JSON grammar.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([Member])

    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue
    }

    /// Nesting deeper than this is refused (as Foundation's parser does), so hostile input cannot
    /// exhaust the stack.
    public static let maxDepth = 512

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let offset: Int
        public let message: String
        public var description: String { "\(message) at byte \(offset)" }
    }

    /// Parses one JSON value (any type at the top level) followed only by whitespace.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buf) throws(ParseError) -> JSONValue in
            var p = Parser(buf: buf)
            p.skipSpace()
            let v = try p.value(depth: 0)
            p.skipSpace()
            guard p.i == buf.count else { throw p.error("trailing characters") }
            return v
        }
    }

    /// The value of the last member named `key` of an object (nil for other values).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// The number as a `Double` (nil for other values).
    public var double: Double? {
        if case .number(let literal) = self { return Double(literal) }
        return nil
    }

    /// Compact JSON with object members sorted by key (stable for duplicates), strings escaped
    /// minimally, numbers as written: the same document always gives the same bytes.
    public var canonicalText: String {
        var w = JSONBytes(capacity: 128)
        writeCanonical(into: &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    func writeCanonical(into w: inout JSONBytes) {
        switch self {
        case .null: w.appendRaw("null".utf8)
        case .bool(let b): w.appendRaw((b ? "true" : "false").utf8)
        case .number(let n): w.appendRaw(n.utf8)
        case .string(let s): w.string(s)
        case .array(let items):
            w.appendRaw(0x5B)
            for (i, v) in items.enumerated() {
                if i > 0 { w.appendRaw(0x2C) }
                v.writeCanonical(into: &w)
            }
            w.appendRaw(0x5D)
        case .object(let members):
            w.appendRaw(0x7B)
            let sorted = members.enumerated().sorted { a, b in
                a.element.key == b.element.key ? a.offset < b.offset : a.element.key < b.element.key
            }
            for (i, m) in sorted.enumerated() {
                if i > 0 { w.appendRaw(0x2C) }
                w.string(m.element.key)
                w.appendRaw(0x3A)
                m.element.value.writeCanonical(into: &w)
            }
            w.appendRaw(0x7D)
        }
    }

    /// Every string in the document, keys and values, in document order, depth-first; stops at
    /// `limit` strings or `maxDepth` levels.
    public func strings(limit: Int = 10_000, maxDepth: Int = 64) -> [String] {
        var out: [String] = []
        func walk(_ v: JSONValue, _ depth: Int) {
            guard depth < maxDepth, out.count < limit else { return }
            switch v {
            case .string(let s): out.append(s)
            case .array(let items): for x in items { walk(x, depth + 1) }
            case .object(let members):
                for m in members {
                    guard out.count < limit else { return }
                    out.append(m.key)
                    walk(m.value, depth + 1)
                }
            default: break
            }
        }
        walk(self, 0)
        return out
    }
}

private struct Parser {
    let buf: UnsafeBufferPointer<UInt8>
    var i = 0

    init(buf: UnsafeBufferPointer<UInt8>) { self.buf = buf }

    func error(_ message: String) -> JSONValue.ParseError { JSONValue.ParseError(offset: i, message: message) }

    mutating func skipSpace() {
        while i < buf.count {
            switch buf[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        guard i < buf.count else { throw error("unexpected end of input") }
        switch buf[i] {
        case 0x7B: return try object(depth: depth + 1)
        case 0x5B: return try array(depth: depth + 1)
        case 0x22: return .string(try string())
        case 0x74: try literal("true"); return .bool(true)
        case 0x66: try literal("false"); return .bool(false)
        case 0x6E: try literal("null"); return .null
        case 0x2D, 0x30...0x39: return .number(try number())
        default: throw error("unexpected character")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONValue.ParseError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= buf.count else { throw error("unexpected end of input") }
        let w = word.utf8Start
        for k in 0..<n where buf[i + k] != w[k] { throw error("invalid literal") }
        i += n
    }

    mutating func object(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        guard depth <= JSONValue.maxDepth else { throw error("nesting deeper than \(JSONValue.maxDepth)") }
        i += 1
        var members: [JSONValue.Member] = []
        skipSpace()
        if i < buf.count && buf[i] == 0x7D { i += 1; return .object(members) }
        while true {
            skipSpace()
            guard i < buf.count, buf[i] == 0x22 else { throw error("expected a string key") }
            let key = try string()
            skipSpace()
            guard i < buf.count, buf[i] == 0x3A else { throw error("expected `:`") }
            i += 1
            skipSpace()
            let v = try value(depth: depth)
            members.append(JSONValue.Member(key: key, value: v))
            skipSpace()
            guard i < buf.count else { throw error("unexpected end of input") }
            if buf[i] == 0x2C { i += 1; continue }
            if buf[i] == 0x7D { i += 1; return .object(members) }
            throw error("expected `,` or `}`")
        }
    }

    mutating func array(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        guard depth <= JSONValue.maxDepth else { throw error("nesting deeper than \(JSONValue.maxDepth)") }
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < buf.count && buf[i] == 0x5D { i += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value(depth: depth))
            skipSpace()
            guard i < buf.count else { throw error("unexpected end of input") }
            if buf[i] == 0x2C { i += 1; continue }
            if buf[i] == 0x5D { i += 1; return .array(items) }
            throw error("expected `,` or `]`")
        }
    }

    mutating func number() throws(JSONValue.ParseError) -> String {
        let start = i
        if buf[i] == 0x2D { i += 1 }
        func digits(_ p: inout Parser) -> Int {
            let s = p.i
            while p.i < p.buf.count && p.buf[p.i] >= 0x30 && p.buf[p.i] <= 0x39 { p.i += 1 }
            return p.i - s
        }
        guard i < buf.count else { throw error("invalid number") }
        if buf[i] == 0x30 { i += 1 } else if digits(&self) == 0 { throw error("invalid number") }
        if i < buf.count && buf[i] == 0x2E {
            i += 1
            guard digits(&self) > 0 else { throw error("invalid number") }
        }
        var exponent = false
        if i < buf.count && (buf[i] | 0x20) == 0x65 {
            i += 1
            exponent = true
            if i < buf.count && (buf[i] == 0x2B || buf[i] == 0x2D) { i += 1 }
            guard digits(&self) > 0 else { throw error("invalid number") }
        }
        let literal = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
        // A number no double can hold (`1e400`) is refused, as Foundation does.
        if exponent || i - start > 300, !(Double(literal)?.isFinite ?? false) { throw error("number out of range") }
        return literal
    }

    /// A string starting at the opening quote. Plain runs are copied as they are (after UTF-8
    /// validation); escapes are decoded, and a lone surrogate is an error.
    mutating func string() throws(JSONValue.ParseError) -> String {
        i += 1
        let start = i
        var ascii = true
        // Fast path: no escapes.
        while i < buf.count {
            let b = buf[i]
            if b == 0x22 {
                let slice = UnsafeBufferPointer(rebasing: buf[start..<i])
                if !ascii && !UTF8Check.isValid(slice) { throw error("invalid UTF-8 in a string") }
                i += 1
                return String(decoding: slice, as: UTF8.self)
            }
            if b == 0x5C { break }
            if b < 0x20 { throw error("control character in a string") }
            if b >= 0x80 { ascii = false }
            i += 1
        }
        guard i < buf.count else { throw error("unterminated string") }
        // Slow path: escapes.
        var out = Array(buf[start..<i])
        var checkFrom = 0
        func flushCheck(_ out: [UInt8], _ from: Int) -> Bool {
            out.withUnsafeBufferPointer { UTF8Check.isValid(UnsafeBufferPointer(rebasing: $0[from...])) }
        }
        while i < buf.count {
            let b = buf[i]
            if b == 0x22 {
                i += 1
                guard flushCheck(out, checkFrom) else { throw error("invalid UTF-8 in a string") }
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 { throw error("control character in a string") }
            if b != 0x5C { out.append(b); i += 1; continue }
            guard flushCheck(out, checkFrom) else { throw error("invalid UTF-8 in a string") }
            guard i + 1 < buf.count else { throw error("unterminated string") }
            let e = buf[i + 1]
            i += 2
            switch e {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x2F: out.append(0x2F)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 1 < buf.count, buf[i] == 0x5C, buf[i + 1] == 0x75 else { throw error("lone surrogate in \\u escape") }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw error("lone surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw error("lone surrogate in \\u escape")
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                out.append(contentsOf: UTF8.encode(u)!)
            default: throw error("invalid escape")
            }
            checkFrom = out.count
        }
        throw error("unterminated string")
    }

    mutating func hex4() throws(JSONValue.ParseError) -> UInt32 {
        guard i + 4 <= buf.count else { throw error("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }
}

/// UTF-8 validation without building a `String` (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
public enum UTF8Check {
    public static func isValid(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = buf.count
        guard let p = buf.baseAddress else { return true }
        while i < n {
            // Eight ASCII bytes at a time.
            if i + 8 <= n {
                let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
            }
            let b = p[i]
            if b < 0x80 { i += 1; continue }
            let need: Int, minimum: UInt32
            var cp: UInt32
            switch b {
            case 0xC2...0xDF: need = 1; cp = UInt32(b & 0x1F); minimum = 0x80
            case 0xE0...0xEF: need = 2; cp = UInt32(b & 0x0F); minimum = 0x800
            case 0xF0...0xF4: need = 3; cp = UInt32(b & 0x07); minimum = 0x10000
            default: return false
            }
            guard i + need < n else { return false }
            for k in 1...need {
                let c = p[i + k]
                guard c & 0xC0 == 0x80 else { return false }
                cp = cp << 6 | UInt32(c & 0x3F)
            }
            if cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000) { return false }
            i += need + 1
        }
        return true
    }

    public static func isValid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer { isValid($0) } }
}
