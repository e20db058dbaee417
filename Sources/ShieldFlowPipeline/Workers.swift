import Foundation
import ShieldFlowDetection

/// Threads for a batch's independent per-event work (decode and scan, then decide and serialise),
/// each with its own scan scratch. The batch's order-dependent step, the trust round trip, stays on
/// the caller's thread between the two parallel steps. One batch at a time: the scratches are
/// reused by every call, so a `Workers` value serves one loop (the daemon's, or a benchmark's).
public final class Workers: @unchecked Sendable {
    let scratches: [ScanScratch]
    /// Fewest events a thread is given: below this, handing work over costs more than it saves.
    public static let minimumChunk = 16

    public var count: Int { scratches.count }

    /// `count` threads (at least one).
    public convenience init(count: Int) {
        self.init(scratches: (0..<max(1, count)).map { _ in ScanScratch() })
    }

    public init(scratches: [ScanScratch]) {
        precondition(!scratches.isEmpty, "workers need at least one scratch")
        self.scratches = scratches
    }

    /// The daemon's default: one thread per core, at most four. On a 2-core machine that also runs
    /// the (embedded) broker, two workers decided 90,000–109,000 events/s (two sets of rounds)
    /// against 82,000–89,000 with one, at the same p99 latency (`bench pipeline`, 0.6.17). Until
    /// 0.6.16 the embedded broker's 40 ms stalls hid that gain, and the default was one. Capped at
    /// four because more was never measured (the loop thread's own share, trust and producing,
    /// stays serial).
    public static let defaultCount = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// Splits `0..<n` into contiguous chunks and calls `body` with each chunk and a scratch of its
    /// own, in parallel when there is more than one chunk. Returns when every chunk is done.
    func forEachChunk(_ n: Int, _ body: (Range<Int>, ScanScratch) -> Void) {
        let chunks = min(scratches.count, max(1, n / Self.minimumChunk))
        if chunks <= 1 { if n > 0 { body(0..<n, scratches[0]) }; return }
        // Each chunk touches only its own indices and scratch, and the call returns after every
        // chunk is done: the body need not be Sendable, only not escape.
        withoutActuallyEscaping(body) { body in
            let shared = Unchecked(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                shared.value(n * c / chunks..<n * (c + 1) / chunks, scratches[c])
            }
        }
    }

    /// `transform(i)` for every `i` in `0..<n`, computed in chunks in parallel, in order.
    public func map<T>(_ n: Int, _ transform: (Int) -> T) -> [T] {
        Array(unsafeUninitializedCapacity: n) { buffer, initialized in
            let base = buffer.baseAddress
            forEachChunk(n) { range, _ in
                for i in range { (base.unsafelyUnwrapped + i).initialize(to: transform(i)) }
            }
            initialized = n
        }
    }
}

/// A value handed to threads that only use it inside a call that outlives them.
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
