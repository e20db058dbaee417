/// A multi-pattern literal matcher (Aho–Corasick compiled to a DFA) over UTF-8 bytes with ASCII
/// case folding: the fast-pattern stage. One pass over the text reports every keyword occurrence;
/// the engine then runs only the rules whose keywords occurred.
///
/// Bytes are first mapped to equivalence classes (bytes that occur in no keyword share class 0), so
/// the transition table is `states × classes` (rows rounded up to a power of two) instead of
/// `states × 256`. A transition whose target state has outputs is stored negated, so the inner
/// loop tests one sign bit per byte.
///
/// With `flexibleWhitespace`, a space in a keyword matches any run of ASCII whitespace (space, tab,
/// line feed, vertical tab, form feed, carriage return): "ignore previous" also occurs in
/// "ignore\t\tprevious" or across a line break. The automaton then matches the text with each
/// whitespace run read as one space: whitespace bytes share the space's class, and a state reached
/// by a space stays where it is on further whitespace (without reporting its keywords again). An
/// occurrence can then be longer than its keyword; `start(of:end:in:)` finds where it begins.
struct AhoCorasick: Sendable {
    private let byteClass: [UInt8]          // 256 entries
    private let classCount: Int
    /// A state's row is `1 << rowShift` entries (the class count rounded up to a power of two), so
    /// a step finds its row with a shift: a multiply in the chain that every byte waits on cost
    /// two cycles more.
    private let rowShift: Int
    private let table: [Int32]              // states × 2^rowShift; negative = target has outputs
    private let table16: [Int16]            // the same table when every state fits in 15 bits
    private let outputStart: [Int32]        // per state, into `outputs`
    private let outputs: [Int32]            // keyword ids
    let keywordCount: Int
    /// The longest keyword in bytes: how far before the middle the second walk of a long text starts.
    let maxKeywordLength: Int
    let flexibleWhitespace: Bool
    var stateCount: Int { outputStart.count - 1 }
    var classCountValue: Int { classCount }

    /// - Parameters:
    ///   - keywords: lowercase UTF-8 keywords.
    ///   - ids: the id reported for each keyword (default: its index).
    ///   - flexibleWhitespace: a space in a keyword matches any run of ASCII whitespace.
    init(keywords: [[UInt8]], ids: [Int]? = nil, flexibleWhitespace: Bool = false) {
        let reportId = ids ?? Array(keywords.indices)
        keywordCount = keywords.count
        maxKeywordLength = keywords.map(\.count).max() ?? 0
        var classOf = [UInt8](repeating: 0, count: 256)
        var next: UInt8 = 1
        for kw in keywords {
            for b in kw where classOf[Int(b)] == 0 {
                precondition(next < 255, "too many distinct keyword bytes")
                classOf[Int(b)] = next
                next += 1
            }
        }
        // ASCII case folding: an upper-case letter shares its lower-case letter's class.
        for u in UInt8(ascii: "A")...UInt8(ascii: "Z") { classOf[Int(u)] = classOf[Int(u | 0x20)] }
        let spaceClass = Int(classOf[0x20])
        let flexible = flexibleWhitespace && spaceClass != 0
        self.flexibleWhitespace = flexible
        if flexible { for b in 0x09...0x0D { classOf[b] = UInt8(spaceClass) } }
        byteClass = classOf
        let classes = Int(next)
        classCount = classes
        var shift = 0
        while 1 << shift < classes { shift += 1 }
        rowShift = shift
        let row = 1 << shift

        // Trie.
        var goto: [[Int32]] = [[Int32](repeating: -1, count: classes)]
        var out: [[Int32]] = [[]]
        var endsInSpace = [false]
        for (id, kw) in keywords.enumerated() where !kw.isEmpty {
            var s = 0
            for b in kw {
                let c = Int(classOf[Int(b)])
                if goto[s][c] < 0 {
                    goto[s][c] = Int32(goto.count)
                    goto.append([Int32](repeating: -1, count: classes))
                    out.append([])
                    endsInSpace.append(flexible && c == spaceClass)
                }
                s = Int(goto[s][c])
            }
            out[s].append(Int32(reportId[id]))
        }
        // Failure links by BFS, completing the DFA.
        var fail = [Int](repeating: 0, count: goto.count)
        var queue: [Int] = []
        for c in 0..<classes {
            let t = goto[0][c]
            if t < 0 { goto[0][c] = 0 } else { fail[Int(t)] = 0; queue.append(Int(t)) }
        }
        var head = 0
        while head < queue.count {
            let s = queue[head]; head += 1
            out[s].append(contentsOf: out[fail[s]])
            for c in 0..<classes {
                let t = goto[s][c]
                if t < 0 {
                    goto[s][c] = goto[fail[s]][c]
                } else {
                    fail[Int(t)] = Int(goto[fail[s]][c])
                    queue.append(Int(t))
                }
            }
        }
        // Class 0 (bytes in no keyword) always returns to the root.
        var flat = [Int32](repeating: 0, count: goto.count * row)
        var starts = [Int32](repeating: 0, count: goto.count + 1)
        var outs: [Int32] = []
        for s in 0..<goto.count {
            starts[s] = Int32(outs.count)
            outs.append(contentsOf: Set(out[s]).sorted())
            for c in 0..<classes {
                let t = Int(goto[s][c])
                flat[s * row + c] = out[t].isEmpty ? Int32(t) : -Int32(t)
            }
            // More whitespace after a space is the same space: stay, and report nothing new.
            if endsInSpace[s] { flat[s * row + spaceClass] = Int32(s) }
        }
        starts[goto.count] = Int32(outs.count)
        table16 = goto.count < Int(Int16.max) ? flat.map { Int16($0) } : []
        table = table16.isEmpty ? flat : []
        outputStart = starts
        outputs = outs
    }

    /// Calls `report(keywordId, endByteOffset)` for every keyword occurrence in `text`.
    @inline(__always)
    func scan(_ text: UnsafeBufferPointer<UInt8>, _ report: (Int, Int) -> Void) {
        withoutActuallyEscaping(report) { report in
            var sink = ClosureSink(report: report)
            scan(text, into: &sink)
        }
    }

    /// Hands every keyword occurrence in `text` to `sink`, in order. The hot path: a sink passed
    /// `inout` is checked for exclusive access once, at compile time, where a closure capturing
    /// mutable state pays a runtime check on every access.
    @inline(__always)
    func scan<Sink: KeywordSink>(_ text: UnsafeBufferPointer<UInt8>, into sink: inout Sink) {
        if table16.isEmpty { run(table, text, &sink) } else { run(table16, text, &sink) }
    }

    /// Texts from this length are walked as two halves at once.
    static let splitLength = 128

    /// The DFA walk over a table of 16- or 32-bit states (negative: the target state has outputs).
    ///
    /// Each step waits for the table load of the step before it, so one walk is bound by load
    /// latency. A long text is walked as two halves interleaved in one loop (two independent
    /// chains in flight). The second walk starts `maxKeywordLength − 1` bytes before the middle
    /// from the root, so it finds every occurrence that ends after the middle (an automaton
    /// started at p finds every occurrence starting at or after p); it reports only those, after
    /// the first walk, so the reports come in the same order as one walk's.
    @inline(__always)
    private func run<State: FixedWidthInteger & SignedInteger, Sink: KeywordSink>(_ states: [State], _ text: UnsafeBufferPointer<UInt8>,
                                                                                   _ sink: inout Sink) {
        states.withUnsafeBufferPointer { tab in
            byteClass.withUnsafeBufferPointer { cls in
                outputStart.withUnsafeBufferPointer { os in
                    outputs.withUnsafeBufferPointer { out in
                        guard let tp = tab.baseAddress, let cp = cls.baseAddress, let bp = text.baseAddress else { return }
                        let shift = rowShift
                        let n = text.count
                        @inline(__always) func step(_ s: inout Int, _ i: Int) -> Bool {
                            let t = Int(tp[s &<< shift &+ Int(cp[Int(bp[i])])])
                            s = t < 0 ? -t : t
                            return t < 0
                        }
                        // (With no keywords there is nothing to find, and no overlap to start from.)
                        guard n >= Self.splitLength && maxKeywordLength >= 1 && maxKeywordLength < n / 4 else {
                            var s = 0
                            for i in 0..<n where step(&s, i) {
                                for k in Int(os[s])..<Int(os[s + 1]) { sink.keyword(Int(out[k]), end: i + 1) }
                            }
                            return
                        }
                        let mid = n / 2
                        // Back from the middle by one keyword length less one byte, where a run of
                        // whitespace counts once when spaces are flexible.
                        var start2 = mid - (maxKeywordLength - 1)
                        if flexibleWhitespace {
                            start2 = mid
                            var need = maxKeywordLength - 1
                            while need > 0 && start2 > 0 {
                                start2 -= 1
                                if !(Self.isWhitespace(bp[start2]) && start2 > 0 && Self.isWhitespace(bp[start2 - 1])) { need -= 1 }
                            }
                        }
                        var later: [(keyword: Int32, end: Int32)] = []
                        var s1 = 0, s2 = 0
                        for k in 0..<mid {
                            let hit1 = step(&s1, k)
                            let j = start2 &+ k
                            if step(&s2, j) && j + 1 > mid {
                                for o in Int(os[s2])..<Int(os[s2 + 1]) { later.append((out[o], Int32(j + 1))) }
                            }
                            if hit1 { for o in Int(os[s1])..<Int(os[s1 + 1]) { sink.keyword(Int(out[o]), end: k + 1) } }
                        }
                        for j in (start2 + mid)..<n where step(&s2, j) && j + 1 > mid {
                            for o in Int(os[s2])..<Int(os[s2 + 1]) { later.append((out[o], Int32(j + 1))) }
                        }
                        for (keyword, end) in later { sink.keyword(Int(keyword), end: Int(end)) }
                    }
                }
            }
        }
    }
}

extension AhoCorasick {
    @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    /// Where an occurrence of `keyword` (lower-case bytes) that ends at `end` in `text` begins: its
    /// length back, except that with flexible whitespace each space in it spans a whole run.
    static func start(of keyword: [UInt8], end: Int, in text: UnsafeBufferPointer<UInt8>) -> Int {
        var p = end
        for b in keyword.reversed() {
            p -= 1
            if b == 0x20 { while p > 0 && isWhitespace(text[p - 1]) { p -= 1 } }
        }
        return p
    }
}

/// Receives keyword occurrences from `AhoCorasick.scan(_:into:)`.
protocol KeywordSink {
    mutating func keyword(_ id: Int, end: Int)
}

/// A closure as a sink (tests, benchmarks and other cold paths).
struct ClosureSink: KeywordSink {
    let report: (Int, Int) -> Void
    @inline(__always) mutating func keyword(_ id: Int, end: Int) { report(id, end) }
}
