import CCurlShim
import Foundation

/// An HTTP response as the sender needs it.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]
}

public struct HTTPError: Error, CustomStringConvertible, Sendable {
    public let timedOut: Bool
    public let description: String
}

/// One libcurl easy handle: connections are kept alive between requests to the same host.
/// Not thread-safe; one owner (the Datadog sender's thread).
public final class HTTPClient {
    private let curl: UnsafeMutableRawPointer
    nonisolated(unsafe) private static var initialised = false
    private static let lock = NSLock()

    final class Sink {
        var body: [UInt8] = []
        var headers: [String: String] = [:]
        var limit = 1 << 20
    }

    public init() {
        Self.lock.withLock {
            if !Self.initialised { curl_global_init(Int(CURL_GLOBAL_DEFAULT)); Self.initialised = true }
        }
        curl = curl_easy_init()
    }

    deinit { curl_easy_cleanup(curl) }

    /// POSTs `body` with `headers` (`Name: value`). Transport failures (refused, reset, timeout)
    /// throw; any HTTP status is a response.
    public func post(url: String, headers: [String], body: [UInt8], timeoutMs: Int) throws -> HTTPResponse {
        try request(method: "POST", url: url, headers: headers, body: body, timeoutMs: timeoutMs)
    }

    /// Any method; a body is sent for POST and PUT.
    public func request(method: String, url: String, headers: [String], body: [UInt8] = [], timeoutMs: Int) throws -> HTTPResponse {
        let sink = Sink()
        let opaque = Unmanaged.passUnretained(sink).toOpaque()
        var list: UnsafeMutablePointer<curl_slist>?
        for h in headers { list = curl_slist_append(list, h) }
        defer { curl_slist_free_all(list) }
        curl_easy_reset(curl)
        let code: CURLcode = url.withCString { u in
            body.withUnsafeBytes { b in
                _ = sf_curl_setopt_ptr(curl, CURLOPT_URL, u)
                if method == "GET" {
                    _ = sf_curl_setopt_long(curl, CURLOPT_HTTPGET, 1)
                } else {
                    _ = sf_curl_setopt_long(curl, CURLOPT_POST, 1)
                    _ = sf_curl_setopt_ptr(curl, CURLOPT_POSTFIELDS, b.baseAddress ?? UnsafeRawPointer(bitPattern: 1))
                    _ = sf_curl_setopt_long(curl, CURLOPT_POSTFIELDSIZE, b.count)
                    if method != "POST" { _ = method.withCString { sf_curl_setopt_ptr(curl, CURLOPT_CUSTOMREQUEST, $0) } }
                }
                _ = sf_curl_setopt_ptr(curl, CURLOPT_HTTPHEADER, UnsafeRawPointer(list))
                _ = sf_curl_setopt_long(curl, CURLOPT_TIMEOUT_MS, timeoutMs)
                _ = sf_curl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT_MS, min(timeoutMs, 5000))
                _ = sf_curl_setopt_long(curl, CURLOPT_NOSIGNAL, 1)
                _ = sf_curl_setopt_long(curl, CURLOPT_TCP_KEEPALIVE, 1)
                _ = sf_curl_setopt_ptr(curl, CURLOPT_WRITEDATA, opaque)
                _ = sf_curl_setopt_write(curl, CURLOPT_WRITEFUNCTION) { ptr, size, n, user in
                    let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
                    let count = size * n
                    if sink.body.count < sink.limit, let ptr {
                        sink.body.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: min(count, sink.limit - sink.body.count)))
                    }
                    return count
                }
                _ = sf_curl_setopt_ptr(curl, CURLOPT_HEADERDATA, opaque)
                _ = sf_curl_setopt_write(curl, CURLOPT_HEADERFUNCTION) { ptr, size, n, user in
                    let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
                    let count = size * n
                    if let ptr {
                        let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: count), as: UTF8.self)
                        if let colon = line.firstIndex(of: ":") {
                            sink.headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                        }
                    }
                    return count
                }
                return curl_easy_perform(curl)
            }
        }
        guard code == CURLE_OK else {
            throw HTTPError(timedOut: code == CURLE_OPERATION_TIMEDOUT, description: "\(url): \(String(cString: curl_easy_strerror(code)))")
        }
        var status = 0
        _ = sf_curl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }

    public static func gzip(_ data: [UInt8]) -> [UInt8]? {
        var out: UnsafeMutablePointer<UInt8>?
        var n = 0
        let rc = data.withUnsafeBufferPointer { sf_gzip($0.baseAddress, $0.count, &out, &n) }
        guard rc == 0, let out else { return nil }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: n))
    }

    public static func gunzip(_ data: [UInt8]) -> [UInt8]? {
        var out: UnsafeMutablePointer<UInt8>?
        var n = 0
        let rc = data.withUnsafeBufferPointer { sf_gunzip($0.baseAddress, $0.count, &out, &n) }
        guard rc == 0, let out else { return nil }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: n))
    }
}
