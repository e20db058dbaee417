import Foundation

/// What a record on an input topic describes.
public enum EventKind: String, Codable, Sendable, CaseIterable {
    case prompt
    case response
    case toolCall = "tool_call"
}

/// One chat message of a prompt event's `messages` array.
public struct ChatMessage: Sendable, Hashable {
    public var role: String
    public var content: String
}

/// An event to inspect, decoded and validated from a record value.
public struct InspectionEvent: Sendable {
    public var kind: EventKind
    public var eventId: String
    public var sessionId: String
    public var agentId: String?
    public var userId: String?
    public var traceId: String?
    public var timestamp: String?
    /// Prompt events: `prompt`, or the `messages` array.
    public var prompt: String?
    public var messages: [ChatMessage] = []
    /// Response events.
    public var response: String?
    public var inReplyTo: String?
    /// Tool calls: name, the arguments as compact JSON, cost and idempotency.
    public var toolName: String?
    public var toolArguments: String?
    /// Every string (keys and values) inside the arguments, collected while decoding, so the tool
    /// policy's argument checks need no second parse.
    public var toolArgumentStrings: [String] = []
    public var cost: Double?
    public var idempotent: Bool?

    public init(kind: EventKind, eventId: String, sessionId: String) {
        self.kind = kind; self.eventId = eventId; self.sessionId = sessionId
    }
}

/// Why a record cannot be inspected; it goes to the dead-letter topic with this reason.
public struct DeadLetterReason: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable {
        case tooLarge = "too_large"
        case invalidUTF8 = "invalid_utf8"
        case notJSON = "not_json"
        case notAnObject = "not_an_object"
        case missingField = "missing_field"
        case wrongType = "wrong_type"
        case invalidValue = "invalid_value"
    }
    public var code: Code
    public var detail: String
    public var description: String { "\(code.rawValue): \(detail)" }
}

public enum EventDecoder {
    /// Default largest record value accepted (the engine scans at most 64 KiB per text anyway).
    public static let defaultMaxBytes = 1 << 20

    /// The top-level fields the decoder reads: a second copy of any of them is refused, since a
    /// consumer that takes the first and one that takes the last would see different events.
    static let knownFields = ["event_id", "session_id", "agent_id", "user_id", "trace_id", "timestamp", "prompt",
                              "messages", "response", "in_reply_to", "tool", "cost", "idempotent"]

    /// The index of a known field in `knownFields`, or nil. Every member of every record passes
    /// here, so it compares lengths before strings instead of hashing the key.
    static func fieldIndex(_ key: String) -> Int? {
        switch key.utf8.count {
        case 4: return key == "tool" ? 10 : key == "cost" ? 11 : nil
        case 6: return key == "prompt" ? 6 : nil
        case 7: return key == "user_id" ? 3 : nil
        case 8: return key == "event_id" ? 0 : key == "agent_id" ? 2 : key == "trace_id" ? 4 : key == "messages" ? 7 : key == "response" ? 8 : nil
        case 9: return key == "timestamp" ? 5 : nil
        case 10: return key == "session_id" ? 1 : key == "idempotent" ? 12 : nil
        case 11: return key == "in_reply_to" ? 9 : nil
        default: return nil
        }
    }

    /// Decodes a record value. Never throws anything but a `DeadLetterReason`, never traps.
    public static func decode(_ bytes: [UInt8], kind: EventKind, maxBytes: Int = defaultMaxBytes) -> Result<InspectionEvent, DeadLetterReason> {
        func fail(_ c: DeadLetterReason.Code, _ d: String) -> Result<InspectionEvent, DeadLetterReason> { .failure(DeadLetterReason(code: c, detail: d)) }
        guard bytes.count <= maxBytes else { return fail(.tooLarge, "\(bytes.count) bytes > \(maxBytes)") }
        guard UTF8Check.isValid(bytes) else { return fail(.invalidUTF8, "record value is not valid UTF-8") }
        let doc: JSONValue
        do {
            doc = try JSONValue.parse(bytes)
        } catch {
            return fail(.notJSON, "record value is not JSON (\(error))")
        }
        guard case .object(let members) = doc else { return fail(.notAnObject, "record value is not a JSON object") }
        // The known fields' values by index; other members are ignored (duplicates of them too).
        var known = [JSONValue?](repeating: nil, count: knownFields.count)
        for m in members {
            guard let k = fieldIndex(m.key) else { continue }
            if known[k] != nil { return fail(.invalidValue, "`\(m.key)` appears more than once") }
            known[k] = m.value
        }
        func field(_ key: String) -> JSONValue? { fieldIndex(key).flatMap { known[$0] } }

        func string(_ key: String, required: Bool) -> Result<String?, DeadLetterReason> {
            guard let v = field(key), v != .null else {
                return required ? .failure(DeadLetterReason(code: .missingField, detail: "`\(key)` is required")) : .success(nil)
            }
            guard case .string(let s) = v else { return .failure(DeadLetterReason(code: .wrongType, detail: "`\(key)` must be a string")) }
            if required && s.isEmpty { return .failure(DeadLetterReason(code: .invalidValue, detail: "`\(key)` must not be empty")) }
            guard s.utf8.count <= 256 || key == "prompt" || key == "response" else {
                return .failure(DeadLetterReason(code: .invalidValue, detail: "`\(key)` longer than 256 bytes"))
            }
            return .success(s)
        }
        var e = InspectionEvent(kind: kind, eventId: "", sessionId: "")
        do {
            e.eventId = try string("event_id", required: true).get()!
            e.sessionId = try string("session_id", required: true).get()!
            e.agentId = try string("agent_id", required: false).get()
            e.userId = try string("user_id", required: false).get()
            e.traceId = try string("trace_id", required: false).get()
            switch field("timestamp") {
            case nil, .null?: break
            case .string(let s)?: e.timestamp = s
            case .number(let n)?: e.timestamp = n
            default: return fail(.wrongType, "`timestamp` must be a string (RFC 3339) or a number (epoch)")
            }
            switch kind {
            case .prompt:
                e.prompt = try string("prompt", required: false).get()
                switch field("messages") {
                case nil, .null?: break
                case .array(let arr)?:
                    guard arr.count <= 1024 else { return fail(.invalidValue, "`messages` has more than 1024 entries") }
                    for (i, item) in arr.enumerated() {
                        guard case .string(let role)? = item["role"], case .string(let content)? = item["content"] else {
                            return fail(.wrongType, "`messages[\(i)]` must be an object with string `role` and `content`")
                        }
                        e.messages.append(ChatMessage(role: role, content: content))
                    }
                default: return fail(.wrongType, "`messages` must be an array")
                }
                if e.prompt == nil && e.messages.isEmpty { return fail(.missingField, "a prompt event needs `prompt` or `messages`") }
            case .response:
                guard let r = try string("response", required: true).get() else { return fail(.missingField, "`response` is required") }
                e.response = r
                e.inReplyTo = try string("in_reply_to", required: false).get()
            case .toolCall:
                guard let tool = field("tool") else { return fail(.missingField, "`tool` is required") }
                guard case .object = tool else { return fail(.wrongType, "`tool` must be an object") }
                guard case .string(let name)? = tool["name"], !name.isEmpty else { return fail(.missingField, "`tool.name` must be a non-empty string") }
                e.toolName = name
                if let args = tool["arguments"], args != .null {
                    e.toolArguments = args.canonicalText
                    e.toolArgumentStrings = args.strings()
                }
                switch field("cost") {
                case nil, .null?: break
                case .number?:
                    guard let c = field("cost")?.double, c.isFinite, c >= 0 else { return fail(.wrongType, "`cost` must be a non-negative number") }
                    e.cost = c
                default: return fail(.wrongType, "`cost` must be a non-negative number")
                }
                switch field("idempotent") {
                case nil, .null?: break
                case .bool(let b)?: e.idempotent = b
                default: return fail(.wrongType, "`idempotent` must be a boolean")
                }
            }
        } catch {
            return .failure(error)
        }
        return .success(e)
    }
}
