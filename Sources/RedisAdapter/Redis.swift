import CHiredis
import Foundation

/// A reply from Redis, copied out of hiredis' reply tree.
public enum RedisReply: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case array([RedisReply])
    case null
    case status(String)
    case error(String)

    public var string: String? {
        switch self {
        case .string(let s), .status(let s): s
        case .integer(let i): String(i)
        default: nil
        }
    }
}

public struct RedisError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case connection, timeout, protocolError, server }
    public let kind: Kind
    public let description: String
    public init(kind: Kind, description: String) { self.kind = kind; self.description = description }
}

/// Where a Redis server is: `redis://[:password@]host[:port][/db]`.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var db: Int
    public var password: String?

    public init(url: String) throws {
        guard let c = URLComponents(string: url), c.scheme == "redis", let host = c.host, !host.isEmpty else {
            throw RedisError(kind: .connection, description: "not a redis URL (redis://host:port[/db]): \(url)")
        }
        self.host = host
        port = c.port ?? 6379
        let path = c.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard path.isEmpty || Int(path) != nil else { throw RedisError(kind: .connection, description: "database in \(url) must be a number") }
        db = Int(path) ?? 0
        password = c.password
    }

    /// Printable without the password.
    public var description: String { "redis://\(host):\(port)/\(db)" }
}

/// One blocking connection (hiredis' synchronous context) with connect and command timeouts.
/// Not thread-safe: one owner at a time (the trust store serialises access on its own queue).
public final class RedisConnection {
    private var context: UnsafeMutablePointer<redisContext>?
    public let endpoint: RedisEndpoint

    public init(_ endpoint: RedisEndpoint, timeoutMs: Int = 1000) throws {
        self.endpoint = endpoint
        let tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: Int((timeoutMs % 1000) * 1000))
        guard let ctx = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), tv) else {
            throw RedisError(kind: .connection, description: "cannot allocate a redis context")
        }
        if ctx.pointee.err != 0 {
            let msg = Self.message(ctx)
            redisFree(ctx)
            throw RedisError(kind: .connection, description: "cannot connect to \(endpoint): \(msg)")
        }
        redisSetTimeout(ctx, tv)
        context = ctx
        if let password = endpoint.password, case .error(let e) = try command(["AUTH", password]) {
            throw RedisError(kind: .server, description: "AUTH failed: \(e)")
        }
        if endpoint.db != 0, case .error(let e) = try command(["SELECT", String(endpoint.db)]) {
            throw RedisError(kind: .server, description: "SELECT \(endpoint.db) failed: \(e)")
        }
    }

    deinit { if let context { redisFree(context) } }

    static func message(_ ctx: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: ctx.pointee.errstr) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    public func command(_ args: [String]) throws -> RedisReply {
        try pipeline([args])[0]
    }

    /// Sends every command, then reads every reply: one round trip. A server error for one command
    /// is returned as `.error`; a broken connection throws (and the connection is unusable).
    public func pipeline(_ commands: [[String]]) throws -> [RedisReply] {
        guard let ctx = context else { throw RedisError(kind: .connection, description: "connection is closed") }
        for args in commands {
            let status = Self.withArgv(args) { argv, lens in redisAppendCommandArgv(ctx, Int32(args.count), argv, lens) }
            guard status == REDIS_OK else { throw fail(ctx) }
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(ctx, &raw) == REDIS_OK, let raw else { throw fail(ctx) }
            let reply = raw.assumingMemoryBound(to: redisReply.self)
            replies.append(Self.convert(reply))
            freeReplyObject(raw)
        }
        return replies
    }

    private func fail(_ ctx: UnsafeMutablePointer<redisContext>) -> RedisError {
        let msg = Self.message(ctx)
        let timedOut = ctx.pointee.err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)
        redisFree(ctx)
        context = nil
        return RedisError(kind: timedOut ? .timeout : .connection, description: "redis \(endpoint): \(timedOut ? "timed out" : msg)")
    }

    static func withArgv<R>(_ args: [String], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R {
        let cStrings = args.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var argv = cStrings.map { UnsafePointer<CChar>($0) }
        let lens = args.map { $0.utf8.count }
        return argv.withUnsafeMutableBufferPointer { a in lens.withUnsafeBufferPointer { l in body(a.baseAddress!, l.baseAddress!) } }
    }

    static func convert(_ r: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let p = r.pointee
        func str() -> String {
            guard let s = p.str else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: s, count: Int(p.len)), as: UTF8.self)
        }
        switch p.type {
        case REDIS_REPLY_STRING: return .string(str())
        case REDIS_REPLY_INTEGER: return .integer(Int64(p.integer))
        case REDIS_REPLY_NIL: return .null
        case REDIS_REPLY_STATUS: return .status(str())
        case REDIS_REPLY_ERROR: return .error(str())
        case REDIS_REPLY_ARRAY:
            return .array((0..<Int(p.elements)).map { convert(p.element[$0]!) })
        default: return .error("unsupported reply type \(p.type)")
        }
    }
}
