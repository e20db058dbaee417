/// A small JSON writer for the records ShieldFlow produces on the hot path. Foundation's
/// JSONEncoder spent more time per decision than the detection engine; this writes the same JSON
/// (keys sorted, slashes unescaped, shortest round-trip numbers) straight into bytes.
public struct JSONBytes: ~Copyable {
    /// The output so far: one growable allocation written through a pointer, so a key or a
    /// string is one capacity check and one copy rather than a checked append per piece.
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    /// Per open container, whether its next member needs a comma: one bit per level, innermost
    /// lowest (`depth` levels; deeper than 64 is not something these records do).
    private var needsComma: UInt64 = 0
    private var depth = 0

    public init(capacity: Int = 512) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The JSON written so far.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Room for `n` more bytes.
    @inline(__always) private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        let bigger = max(needed, capacity * 2)
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: bigger)
        fresh.update(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = bigger
    }

    @inline(__always) private mutating func put(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    private mutating func put(_ p: UnsafeRawBufferPointer) {
        guard let src = p.baseAddress, p.count > 0 else { return }
        reserve(p.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: src, byteCount: p.count)
        count += p.count
    }

    mutating func raw(_ s: StaticString) {
        if s.hasPointerRepresentation {
            put(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
        } else {
            for b in s.description.utf8 { put(b) }
        }
    }

    /// Bytes that are already JSON (a validated number literal, punctuation).
    mutating func appendRaw<S: Sequence<UInt8>>(_ b: S) { for x in b { put(x) } }
    mutating func appendRaw(_ b: UInt8) { put(b) }

    mutating func separator() {
        guard depth > 0 else { return }
        if needsComma & 1 != 0 { put(UInt8(ascii: ",")) }
        needsComma |= 1
    }

    mutating func open(_ bracket: UInt8) {
        separatorForValue()
        put(bracket)
        precondition(depth < 64, "JSONBytes nests at most 64 levels")
        needsComma <<= 1
        depth += 1
    }

    mutating func close(_ bracket: UInt8) {
        needsComma >>= 1
        depth -= 1
        put(bracket)
    }

    public mutating func string(_ s: String) {
        var s = s
        // Most strings of a record (ids, rule ids, excerpts, topics) need no escape: found eight
        // bytes at a time, they are copied whole.
        let clean = s.withUTF8 { Self.needsNoEscape($0) }
        if clean {
            s.withUTF8 { u in
                reserve(u.count + 2)
                base[count] = UInt8(ascii: "\"")
                if let src = u.baseAddress { (base + count + 1).update(from: src, count: u.count) }
                base[count + 1 + u.count] = UInt8(ascii: "\"")
                count += u.count + 2
            }
            return
        }
        // The exact escaped length first (one cheap pass), so a long string reserves what it
        // needs rather than six times its size.
        let needed = s.withUTF8 { Self.escapedCount($0) }
        reserve(needed)
        let out = base, at = count
        count = s.withUTF8 { Self.escape($0, into: out, at: at) }
        assert(count == at + needed, "escapedCount and escape disagree")
    }

    /// Whether no byte of `u` is a control character, a quote or a backslash, eight bytes at a time. Each test
    /// (a byte below 0x20, a byte equal to one of the two) is exact for "some byte of the word":
    /// a borrow only runs past a byte that matched already.
    static func needsNoEscape(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = u.baseAddress else { return true }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func zeroByte(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
        let raw = UnsafeRawPointer(p)
        var i = 0
        while i + 8 <= u.count {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let below = (w &- ones &* 0x20) & ~w & highs
            if below | zeroByte(w ^ (ones &* 0x22)) | zeroByte(w ^ (ones &* 0x5C)) != 0 { return false }
            i += 8
        }
        while i < u.count {
            let b = p[i]
            if b < 0x20 || b == 0x22 || b == 0x5C { return false }
            i += 1
        }
        return true
    }

    /// Bytes `escape` writes for `u`, quotes included.
    private static func escapedCount(_ u: UnsafeBufferPointer<UInt8>) -> Int {
        var n = u.count + 2
        for b in u where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x0D, 0x09, 0x08, 0x0C: n += 1
            default: n += 5
            }
        }
        return n
    }

    /// Writes `u` as a quoted JSON string at `out + at` (room checked by the caller) and returns
    /// the new end. No captured state: the loop pays no exclusivity checks.
    private static func escape(_ u: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>, at: Int) -> Int {
        var n = at
        out[n] = UInt8(ascii: "\""); n += 1
        if let src = u.baseAddress {
            // Runs that need no escape are copied whole.
            var run = 0
            for i in 0..<u.count {
                let b = src[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                if run < i { (out + n).update(from: src + run, count: i - run); n += i - run }
                run = i + 1
                out[n] = 0x5C
                switch b {
                case UInt8(ascii: "\""): out[n + 1] = 0x22
                case UInt8(ascii: "\\"): out[n + 1] = 0x5C
                case 0x0A: out[n + 1] = UInt8(ascii: "n")
                case 0x0D: out[n + 1] = UInt8(ascii: "r")
                case 0x09: out[n + 1] = UInt8(ascii: "t")
                case 0x08: out[n + 1] = UInt8(ascii: "b")
                case 0x0C: out[n + 1] = UInt8(ascii: "f")
                default:
                    out[n + 1] = UInt8(ascii: "u"); out[n + 2] = 0x30; out[n + 3] = 0x30
                    out[n + 4] = hexDigit(b >> 4); out[n + 5] = hexDigit(b & 0xF)
                    n += 4
                }
                n += 2
            }
            if run < u.count { (out + n).update(from: src + run, count: u.count - run); n += u.count - run }
        }
        out[n] = UInt8(ascii: "\""); n += 1
        return n
    }

    @inline(__always) private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x57 + v }

    public mutating func number(_ x: Double) {
        if x == x.rounded() && abs(x) < 1e15 { number(Int64(x)); return }
        // Most of the numbers in a decision are rounded to thousandths (trust, latency, token
        // health). Such a number is written as its thousandths, trailing zeros trimmed: the
        // shortest decimal that reads back as `x`, which is what `description` would print
        // (between 0.001 and 1e9 it uses no exponent), without its general algorithm.
        let thousandths = (x * 1000).rounded()
        if abs(x) >= 0.001 && abs(x) < 1e9 && thousandths / 1000 == x {
            let m = Int64(thousandths)
            var frac = Int(m.magnitude % 1000), digits = 3
            while frac % 10 == 0 { frac /= 10; digits -= 1 }
            if m < 0 { put(UInt8(ascii: "-")) }
            number(Int64(m.magnitude / 1000))
            put(UInt8(ascii: "."))
            reserve(digits)
            var i = count + digits
            repeat { i -= 1; base[i] = UInt8(ascii: "0") + UInt8(frac % 10); frac /= 10 } while i > count
            count += digits
            return
        }
        appendRaw(x.description.utf8)
    }

    /// Decimal digits written straight into the buffer (no intermediate string).
    public mutating func number(_ x: Int64) {
        if x < 0 { put(UInt8(ascii: "-")) }
        var v = x.magnitude
        var digits = 0
        var probe = v
        repeat { digits += 1; probe /= 10 } while probe > 0
        reserve(digits)
        var i = count + digits
        repeat { i -= 1; base[i] = UInt8(ascii: "0") + UInt8(v % 10); v /= 10 } while v > 0
        count += digits
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    private var afterKey = false
    mutating func separatorForValue() {
        if afterKey { afterKey = false } else { separator() }
    }

    public mutating func key(_ k: StaticString) {
        separator()
        put(UInt8(ascii: "\""))
        raw(k)
        raw("\":")
        afterKey = true
    }

    public mutating func value(_ s: String) { separatorForValue(); string(s) }
    public mutating func value(_ x: Double) { separatorForValue(); number(x) }
    public mutating func value(_ x: Int64) { separatorForValue(); number(x) }
    public mutating func value(_ b: Bool) { separatorForValue(); if b { raw("true") } else { raw("false") } }

    public mutating func field(_ k: StaticString, _ s: String) { key(k); value(s) }
    public mutating func field(_ k: StaticString, _ s: String?) { if let s { key(k); value(s) } }
    public mutating func field(_ k: StaticString, _ x: Double) { key(k); value(x) }
    public mutating func field(_ k: StaticString, _ x: Double?) { if let x { key(k); value(x) } }
    public mutating func field(_ k: StaticString, _ x: Int64) { key(k); value(x) }
    public mutating func field(_ k: StaticString, _ x: Int64?) { if let x { key(k); value(x) } }
    public mutating func field(_ k: StaticString, _ b: Bool?) { if let b { key(k); value(b) } }
}

extension DecisionRecord {
    /// The record as JSON, keys sorted (the same document JSONEncoder with `.sortedKeys` writes).
    public func jsonBytes() -> [UInt8] {
        var w = JSONBytes(capacity: 640 + findings.count * 200 + (maskedText?.utf8.count ?? 0))
        w.beginObject()
        w.field("action", action.rawValue)
        w.field("decision_id", decisionId)
        w.field("event_id", eventId)
        w.key("findings")
        w.beginArray()
        for f in findings {
            w.beginObject()
            w.field("category", f.category.rawValue)
            w.field("confidence", f.confidence)
            w.field("end", Int64(f.end))
            w.field("excerpt", f.excerpt)
            w.field("field", f.field)
            w.field("rule_id", f.ruleId)
            w.field("severity", f.severity.rawValue)
            w.field("start", Int64(f.start))
            w.field("type", f.type)
            w.endObject()
        }
        w.endArray()
        w.field("findings_omitted", findingsOmitted.map(Int64.init))
        if let i = incident {
            w.key("incident")
            w.beginObject()
            w.field("confidence", i.confidence)
            w.key("rule_ids")
            w.beginArray()
            for r in i.ruleIds { w.value(r) }
            w.endArray()
            w.field("severity", i.severity.rawValue)
            w.field("title", i.title)
            w.endObject()
        }
        w.key("inspector")
        w.beginObject()
        w.field("instance", inspector.instance)
        w.field("model_version", inspector.modelVersion)
        w.field("rules_version", inspector.rulesVersion)
        w.field("version", inspector.version)
        w.endObject()
        w.field("kind", kind.rawValue)
        w.field("latency_ms", latencyMs)
        w.field("masked_field", maskedField)
        w.field("masked_text", maskedText)
        if let p = policy {
            w.key("policy")
            w.beginObject()
            w.field("code", p.code.rawValue)
            w.field("detail", p.detail)
            if let l = p.limit {
                w.key("limit")
                w.beginObject()
                w.field("current", l.current)
                w.field("max", l.max)
                w.field("name", l.name)
                w.field("window_seconds", l.windowSeconds)
                w.endObject()
            }
            w.endObject()
        }
        w.field("session_id", sessionId)
        w.key("source")
        w.beginObject()
        w.field("offset", source.offset)
        w.field("partition", Int64(source.partition))
        w.field("timestamp", source.timestamp)
        w.field("topic", source.topic)
        w.endObject()
        w.field("token_health", tokenHealth)
        w.field("trace_id", traceId)
        w.key("trust")
        w.beginObject()
        w.field("after", trust.after)
        w.field("before", trust.before)
        w.field("delta", trust.delta)
        w.field("unavailable", trust.unavailable)
        w.endObject()
        w.endObject()
        return w.bytes
    }
}
