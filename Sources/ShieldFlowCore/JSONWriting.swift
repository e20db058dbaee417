/// A small JSON writer for the records ShieldFlow produces on the hot path. Foundation's
/// JSONEncoder spent more time per decision than the detection engine; this writes the same JSON
/// (keys sorted, slashes unescaped, shortest round-trip numbers) straight into bytes.
public struct JSONBytes {
    public private(set) var bytes: [UInt8] = []
    /// Per open container, whether its next member needs a comma: one bit per level, innermost
    /// lowest (`depth` levels; deeper than 64 is not something these records do).
    private var needsComma: UInt64 = 0
    private var depth = 0

    public init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    static let hex = Array("0123456789abcdef".utf8)

    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Bytes that are already JSON (a validated number literal, punctuation).
    mutating func appendRaw<S: Sequence<UInt8>>(_ b: S) { bytes.append(contentsOf: b) }
    mutating func appendRaw(_ b: UInt8) { bytes.append(b) }

    mutating func separator() {
        guard depth > 0 else { return }
        if needsComma & 1 != 0 { bytes.append(UInt8(ascii: ",")) }
        needsComma |= 1
    }

    mutating func open(_ bracket: UInt8) {
        separatorForValue()
        bytes.append(bracket)
        precondition(depth < 64, "JSONBytes nests at most 64 levels")
        needsComma <<= 1
        depth += 1
    }

    mutating func close(_ bracket: UInt8) {
        needsComma >>= 1
        depth -= 1
        bytes.append(bracket)
    }

    public mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { u in
            // Runs that need no escape are copied whole.
            var run = 0
            for i in 0..<u.count {
                let b = u[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                if run < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[run..<i])) }
                run = i + 1
                switch b {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                case 0x08: raw("\\b")
                case 0x0C: raw("\\f")
                default:
                    raw("\\u00")
                    bytes.append(Self.hex[Int(b >> 4)])
                    bytes.append(Self.hex[Int(b & 0xF)])
                }
            }
            if run < u.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[run..<u.count])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func number(_ x: Double) {
        if x == x.rounded() && abs(x) < 1e15 { number(Int64(x)) } else { bytes.append(contentsOf: x.description.utf8) }
    }

    /// Decimal digits written straight into the buffer (no intermediate string).
    public mutating func number(_ x: Int64) {
        if x < 0 { bytes.append(UInt8(ascii: "-")) }
        var v = x.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes: enough for 20 digits
        withUnsafeMutableBytes(of: &digits) { buf in
            var i = buf.count
            repeat { i -= 1; buf[i] = UInt8(ascii: "0") + UInt8(v % 10); v /= 10 } while v > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[i...]))
        }
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
        bytes.append(UInt8(ascii: "\""))
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
